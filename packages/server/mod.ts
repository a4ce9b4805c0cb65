// Copyright 2026 the microcoap authors. MIT license.
/**
 * A CoAP (RFC 7252) server: routes by method and path pattern, piggybacked
 * and separate responses, error mapping, `/.well-known/core` discovery
 * (RFC 6690), observable resources (RFC 7641) and block-wise transfers
 * (RFC 7959).
 *
 * ```ts
 * import { CoapServer } from "@microcoap/server";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, payloadText } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapServer({ transport: network.bind() });
 * server.get("/temp", () => ({ payload: "21.5" }), { rt: "temperature", observable: true });
 * const address = await server.listen();
 *
 * await using client = new CoapEndpoint(network.bind());
 * const response = await client.request(address, {
 *   code: CoapCode.GET,
 *   options: [{ number: 11, value: new TextEncoder().encode("temp") }],
 * });
 * assertEquals(payloadText(response.payload), "21.5");
 * ```
 *
 * @module
 */
export * from "./server.ts";
export * from "./router.ts";
export * from "./request.ts";
export * from "./well_known_core.ts";
export * from "./multicast.ts";
