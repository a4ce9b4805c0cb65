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
export {
  CoapClosedError,
  CoapResetError,
  CoapTimeoutError,
} from "@microcoap/endpoint";
