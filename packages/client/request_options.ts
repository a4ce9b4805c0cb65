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
 */
export type CoapNoResponse =
  | number
  | "all"
  | readonly ("2xx" | "4xx" | "5xx")[];

/** An extra option for a request: its number and a typed or raw value. */
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

/** Options for {@linkcode CoapClient.prototype.get} and the other method shorthands. */
export interface CoapMethodOptions {
  /**
   * The payload. Strings are sent as UTF-8 with Content-Format text/plain,
   * other non-byte values as JSON with application/json, unless
   * `contentFormat` says otherwise.
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

/** Options for {@linkcode CoapClient.prototype.request}. */
export interface CoapRequestOptions extends CoapMethodOptions {
  /**
   * The method: a name or a method code (1 to 31).
   *
   * @default {"GET"}
   */
  method?: CoapMethod | number;
}

/** Options for {@linkcode CoapClient.prototype.send}. */
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
