// Copyright 2026 the microcoap authors. MIT license.
/**
 * The CoAP message layer (RFC 7252 §4): {@linkcode CoapEndpoint} sends and
 * receives messages on one transport, with message IDs, tokens, confirmable
 * retransmission, duplicate detection, ping, NSTART and request dispatch.
 *
 * ```ts
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind(), {
 *   handler: () => ({ code: CoapCode.CHANGED }),
 * });
 * await using client = new CoapEndpoint(network.bind());
 * const response = await client.request(server.localAddress, { code: CoapCode.PUT });
 * assertEquals(response.code, CoapCode.CHANGED);
 * ```
 *
 * @module
 */
export * from "./endpoint.ts";
export * from "./errors.ts";
export * from "./parameters.ts";
export * from "./multicast.ts";
