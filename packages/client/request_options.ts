// Copyright 2026 the microcoap authors. MIT license.
/**
 * The options of a request made with {@linkcode CoapClient}.
 *
 * @module
 */
import type {
  CoapMethod,
  CoapOptionValue,
  PayloadInput,
} from "@microcoap/codec";
import type { CoapProgress } from "./progress.ts";
// deno-lint-ignore no-unused-vars
import type { CoapClient } from "./client.ts";

/**
 * A query: a string of `&`-separated arguments (`"a=1&b"`, each sent as it
 * is, without percent-decoding), a record (`{ a: 1, b: true }` sends
 * `a=1` and `b`; arrays repeat the key; `false` and `undefined` are left
 * out) or `URLSearchParams`. Each argument becomes one Uri-Query option,
 * after those of the URL.
 *
 * @example Usage
 * ```ts
 * import { CoapClient, type CoapQuery } from "@microcoap/client";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, uriQuery } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
 *   handler: ({ message }) => ({
 *     code: CoapCode.CONTENT,
 *     payload: new TextEncoder().encode(uriQuery(message).join(" ")),
 *   }),
 * });
 * await using client = new CoapClient({ transport: network.bind() });
 * const query: CoapQuery = { unit: "C", sensor: [1, 2], verbose: true, debug: false };
 * const response = await client.get("coap://10.0.0.1/temp?raw", { query });
 * assertEquals(response.text(), "raw unit=C sensor=1 sensor=2 verbose");
 * ```
 */
export type CoapQuery =
  | string
  | URLSearchParams
  | Readonly<
    Record<
      string,
      | string
      | number
      | boolean
      | undefined
      | readonly (string | number | boolean)[]
    >
  >;

/**
 * Which response classes a request is not interested in (No-Response,
 * RFC 7967): the option value as a number (2 = 2.xx, 8 = 4.xx, 16 = 5.xx,
 * added up), `"all"`, or a list such as `["2xx", "5xx"]`.
 *
 * @example Usage
 * ```ts
 * import { CoapClient, type CoapNoResponse } from "@microcoap/client";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * // No handler: every request gets 4.04.
 * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }));
 * await using client = new CoapClient({ transport: network.bind() });
 * // Not interested in success, so a 4.04 still comes back.
 * const noResponse: CoapNoResponse = ["2xx"];
 * const response = await client.send("coap://10.0.0.1/missing", { method: "POST", noResponse });
 * assertEquals(response?.codeText, "4.04");
 * ```
 */
export type CoapNoResponse =
  | number
  | "all"
  | readonly ("2xx" | "4xx" | "5xx")[];

/**
 * An extra option for a request: its number and a typed or raw value.
 *
 * @example Usage
 * ```ts
 * import { CoapClient, type CoapRequestOption } from "@microcoap/client";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, getStringOption } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
 *   handler: ({ message }) => ({
 *     code: CoapCode.CONTENT,
 *     payload: new TextEncoder().encode(getStringOption(message, 2048)),
 *   }),
 * });
 * await using client = new CoapClient({ transport: network.bind() });
 * // 2048 is in the experimental range, elective (even), so servers may ignore it.
 * const trace: CoapRequestOption = { number: 2048, value: "trace-42" };
 * const response = await client.get("coap://10.0.0.1/temp", { options: [trace] });
 * assertEquals(response.text(), "trace-42");
 * ```
 */
export interface CoapRequestOption {
  /** The option number, such as 2048 for an experimental option. */
  readonly number: number;
  /**
   * The value: a number (sent as uint), a string (UTF-8) or raw bytes.
   *
   * @default {undefined} an empty value
   */
  readonly value?: CoapOptionValue;
}

/**
 * Options for {@linkcode CoapClient.prototype.get} and the other method shorthands.
 *
 * @example Usage
 * ```ts
 * import { CoapClient, type CoapMethodOptions } from "@microcoap/client";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, CoapOptionNumber, getOption, getUintOption } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * const seen: (number | boolean | undefined)[] = [];
 * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
 *   handler: ({ message }) => {
 *     seen.push(
 *       getUintOption(message, CoapOptionNumber.CONTENT_FORMAT),
 *       getUintOption(message, CoapOptionNumber.ACCEPT),
 *       getOption(message, CoapOptionNumber.IF_NONE_MATCH) !== undefined,
 *     );
 *     return { code: CoapCode.CREATED };
 *   },
 * });
 * await using client = new CoapClient({ transport: network.bind() });
 * const options: CoapMethodOptions = { payload: { level: 3 }, accept: "application/json", ifNoneMatch: true };
 * const response = await client.put("coap://10.0.0.1/lamps/1", options);
 * assertEquals(response.codeName, "CREATED");
 * // JSON payload (Content-Format 50), Accept 50, If-None-Match present.
 * assertEquals(seen, [50, 50, true]);
 * ```
 */
export interface CoapMethodOptions {
  /**
   * The payload. Strings are sent as UTF-8 with Content-Format text/plain,
   * other non-byte values as JSON with application/json, unless
   * `contentFormat` says otherwise. For CBOR and other non-JSON formats,
   * give the encoded bytes: a value that would go as JSON under such a
   * `contentFormat` is a `TypeError`.
   *
   * @default {undefined} no payload
   */
  payload?: PayloadInput;
  /**
   * The Content-Format of the payload: a number or a media type such as
   * `"application/json"` or `"json"`.
   *
   * @default {undefined} implied by `payload`
   */
  contentFormat?: number | string;
  /**
   * The Accept option: the content format wanted in the response.
   *
   * @default {undefined}
   */
  accept?: number | string;
  /**
   * Send the request as CON (retransmitted until acknowledged) or NON.
   *
   * @default {true}
   */
  confirmable?: boolean;
  /**
   * Uri-Query arguments added after those in the URL.
   *
   * @default {undefined}
   */
  query?: CoapQuery;
  /**
   * More options, added as they are (after the URL's and the typed ones).
   *
   * @default {[]}
   */
  options?: readonly CoapRequestOption[];
  /**
   * The Observe option value (0 registers, 1 deregisters). For a stream of
   * notifications use {@linkcode CoapClient.prototype.observe}.
   *
   * @default {undefined}
   */
  observe?: number;
  /**
   * ETag options: the entity tags the client holds (RFC 7252 §5.10.6), so a
   * server can answer 2.03 Valid.
   *
   * @default {undefined}
   */
  etag?: Uint8Array | readonly Uint8Array[];
  /**
   * If-Match: `true` for "exists", or the entity tags one of which must match.
   *
   * @default {undefined}
   */
  ifMatch?: true | Uint8Array | readonly Uint8Array[];
  /**
   * If-None-Match: only act when the resource does not exist yet.
   *
   * @default {false}
   */
  ifNoneMatch?: boolean;
  /**
   * Aborts the request: it stops and the promise rejects with the signal's
   * reason.
   */
  signal?: AbortSignal;
  /**
   * The most time for the whole request (address lookup and every block
   * included), in ms; past it the promise rejects with `CoapTimeoutError`.
   *
   * @default {the client's timeout} (by default, only the message layer's limits)
   */
  timeout?: number;
  /**
   * The No-Response option (RFC 7967). A request still waits for a
   * response, so suppress only classes that will not be the answer, or use
   * {@linkcode CoapClient.prototype.send}, which does not wait.
   *
   * @default {undefined}
   */
  noResponse?: CoapNoResponse;
  /**
   * The block size for this request (16 to 1024, a power of two): payloads
   * larger than it are sent block-wise (Block1), and GET and FETCH ask for
   * response blocks of this size from the start (Block2 early negotiation).
   *
   * @default {the client's blockSize} (1024, without early negotiation)
   */
  blockSize?: number;
  /**
   * A Request-Tag (RFC 9175) for block-wise uploads: `true` for a random
   * one, or the tag's bytes.
   *
   * @default {false}
   */
  requestTag?: boolean | Uint8Array;
  /** Called after every block of a block-wise upload or download. */
  onProgress?: (progress: CoapProgress) => void;
}

/**
 * Options for {@linkcode CoapClient.prototype.request}.
 *
 * @example Usage
 * ```ts
 * import { CoapClient, type CoapRequestOptions } from "@microcoap/client";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, codeName } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
 *   handler: ({ message }) => ({
 *     code: CoapCode.CONTENT,
 *     payload: new TextEncoder().encode(codeName(message.code)),
 *   }),
 * });
 * await using client = new CoapClient({ transport: network.bind() });
 * const options: CoapRequestOptions = { method: "FETCH", payload: { fields: ["t"] } };
 * assertEquals((await client.request("coap://10.0.0.1/sensors", options)).text(), "FETCH");
 * // A method code works too: 0.07 is iPATCH.
 * assertEquals((await client.request("coap://10.0.0.1/sensors", { method: 0x07 })).text(), "IPATCH");
 * ```
 */
export interface CoapRequestOptions extends CoapMethodOptions {
  /**
   * The method: a name or a method code (1 to 31).
   *
   * @default {"GET"}
   */
  method?: CoapMethod | number;
}

/**
 * Options for {@linkcode CoapClient.prototype.send}.
 *
 * @example Usage
 * ```ts
 * import { CoapClient, type CoapSendOptions } from "@microcoap/client";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
 *   clock,
 *   handler: () => ({ code: CoapCode.CHANGED }),
 * });
 * await using client = new CoapClient({ transport: network.bind(), clock });
 * // Errors are wanted, success is not: the server leaves out its 2.04, and the
 * // client waits `responseWait` after the ACK in case an error comes instead.
 * const options: CoapSendOptions = { method: "POST", payload: "reboot", noResponse: ["2xx"], responseWait: 300 };
 * let settledAt = -1;
 * const sent = client.send("coap://10.0.0.1/device", options).then((response) => {
 *   settledAt = clock.now();
 *   return response;
 * });
 * await clock.tick(300);
 * assertEquals(await sent, undefined);
 * assertEquals(settledAt, 300);
 * ```
 */
export interface CoapSendOptions extends CoapRequestOptions {
  /**
   * The classes of responses not wanted.
   *
   * @default {"all"}
   */
  noResponse?: CoapNoResponse;
  /**
   * When some response classes are still wanted: how long to wait for one
   * after the request was acknowledged (CON) or sent (NON), in ms.
   *
   * @default {5000}
   */
  responseWait?: number;
}
