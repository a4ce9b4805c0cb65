// Copyright 2026 the microcoap authors. MIT license.
/**
 * The CoAP (RFC 7252) message codec: the message model, `encode` and
 * `decode`, codes, the option registry and typed option values (Block,
 * Observe), content formats, `coap://` URIs and the CoRE Link Format.
 *
 * ```ts
 * import {
 *   CoapCode,
 *   CoapOptionNumber,
 *   ContentFormat,
 *   createOption,
 *   decode,
 *   encode,
 *   getUintOption,
 *   parseUri,
 *   uriPath,
 * } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const { hostname, port, options } = parseUri("coap://[::1]/sensors/temp");
 * const bytes = encode({
 *   type: "CON",
 *   code: CoapCode.GET,
 *   messageId: 1,
 *   token: new Uint8Array([1, 2]),
 *   options: [...options, createOption(CoapOptionNumber.ACCEPT, ContentFormat.JSON)],
 *   payload: new Uint8Array(0),
 * });
 * const request = decode(bytes);
 * assertEquals([hostname, port], ["::1", 5683]);
 * assertEquals(uriPath(request), ["sensors", "temp"]);
 * assertEquals(getUintOption(request, CoapOptionNumber.ACCEPT), 50);
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
export * from "./payload.ts";
