// Copyright 2026 the microcoap authors. MIT license.
/**
 * The CoAP (RFC 7252) message codec: the message model, `encode` and
 * `decode`, codes, options, content formats and URIs.
 *
 * ```ts
 * import { CoapCode, decode, encode } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const bytes = encode({
 *   type: "CON",
 *   code: CoapCode.GET,
 *   messageId: 1,
 *   token: new Uint8Array([1, 2]),
 *   options: [],
 *   payload: new Uint8Array(0),
 * });
 * assertEquals(decode(bytes).token, new Uint8Array([1, 2]));
 * ```
 *
 * @module
 */
export * from "./message.ts";
export * from "./codes.ts";
export * from "./encode.ts";
export * from "./decode.ts";
export * from "./decode_error.ts";
export * from "./options.ts";
export * from "./option_values.ts";
export * from "./block.ts";
export * from "./observe.ts";
export * from "./content_format.ts";
export * from "./uri.ts";
export * from "./link_format.ts";
