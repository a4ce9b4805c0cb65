// Copyright 2026 the microcoap authors. MIT license.
/**
 * A CoAP (RFC 7252) client: requests by `coap://` URL with every method
 * (GET, POST, PUT, DELETE, FETCH, PATCH, iPATCH), timeouts and
 * `AbortSignal`, observe (RFC 7641) as an async iterable, block-wise
 * transfer (RFC 7959) in both directions, No-Response (RFC 7967) and ping.
 *
 * ```ts
 * import { CoapClient } from "@microcoap/client";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
 *   handler: () => ({ code: CoapCode.CONTENT, payload: new TextEncoder().encode("22.5") }),
 * });
 * await using client = new CoapClient({ transport: network.bind() });
 * const response = await client.get("coap://10.0.0.1/temperature");
 * assertEquals(response.text(), "22.5");
 * ```
 *
 * Over UDP, the client binds its sockets on first use:
 *
 * ```ts ignore
 * await using client = new CoapClient();
 * const response = await client.get("coap://[::1]/.well-known/core", { timeout: 5000 });
 * console.log(response.codeText, response.text());
 * ```
 *
 * @module
 */
export * from "./client.ts";
export * from "./response.ts";
export * from "./observe.ts";
export * from "./request_options.ts";
export * from "./progress.ts";
export * from "./errors.ts";
export * from "./multicast.ts";
export {
  /**
   * The exchange was cut short because the client (or its endpoint) was
   * closed; requests on a closed client reject with it too. Re-exported
   * from `@microcoap/endpoint`.
   *
   * @example Usage
   * ```ts
   * import { CoapClient, CoapClosedError } from "@microcoap/client";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { assertRejects } from "@std/assert";
   *
   * const client = new CoapClient({ transport: new MemoryNetwork().bind() });
   * await client.close();
   * await assertRejects(() => client.get("coap://10.0.0.1/temp"), CoapClosedError);
   * ```
   */
  CoapClosedError,
  /**
   * The server rejected the request with RST. Re-exported from
   * `@microcoap/endpoint`.
   *
   * @example Usage
   * ```ts
   * import { CoapClient, CoapResetError } from "@microcoap/client";
   * import { CoapCode, decode, EMPTY_BYTES, encode } from "@microcoap/codec";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { assertRejects } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * // A peer that rejects every message with RST.
   * const peer = network.bind({ hostname: "10.0.0.1", port: 5683 });
   * peer.listen({
   *   onDatagram: (data, from) => {
   *     const { messageId } = decode(data);
   *     const rst = { type: "RST", code: CoapCode.EMPTY, messageId, token: EMPTY_BYTES, options: [], payload: EMPTY_BYTES } as const;
   *     peer.send(encode(rst), from);
   *   },
   * });
   * await using client = new CoapClient({ transport: network.bind() });
   * await assertRejects(() => client.get("coap://10.0.0.1/temp"), CoapResetError);
   * ```
   */
  CoapResetError,
  /**
   * No acknowledgement or response came in time. Re-exported from
   * `@microcoap/endpoint`.
   *
   * @example Usage
   * ```ts
   * import { CoapClient, CoapTimeoutError } from "@microcoap/client";
   * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
   * import { assertInstanceOf } from "@std/assert";
   *
   * const clock = new FakeClock();
   * using network = new MemoryNetwork({ clock });
   * await using client = new CoapClient({ transport: network.bind(), clock });
   * // Nobody answers at 10.0.0.9.
   * const outcome = client.get("coap://10.0.0.9/temp", { timeout: 100 }).catch((error) => error);
   * await clock.tick(100);
   * assertInstanceOf(await outcome, CoapTimeoutError);
   * ```
   */
  CoapTimeoutError,
} from "@microcoap/endpoint";
