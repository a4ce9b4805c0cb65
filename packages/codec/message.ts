// Copyright 2026 the microcoap authors. MIT license.
/**
 * The CoAP message model of RFC 7252 §3.
 *
 * @module
 */

/**
 * The four CoAP message types (RFC 7252 §3).
 *
 * @example Usage
 * ```ts
 * import { CoapCode, decode, encode, type CoapType } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const type: CoapType = "NON";
 * const bytes = encode({
 *   type,
 *   code: CoapCode.GET,
 *   messageId: 7,
 *   token: new Uint8Array(0),
 *   options: [],
 *   payload: new Uint8Array(0),
 * });
 * assertEquals(decode(bytes).type, "NON");
 * ```
 */
export type CoapType = "CON" | "NON" | "ACK" | "RST";

/**
 * One option: its number and its raw value bytes.
 *
 * @example Usage
 * ```ts
 * import type { CoapOption } from "@microcoap/codec/message";
 * import { assertEquals } from "@std/assert";
 *
 * const uriPath: CoapOption = { number: 11, value: new TextEncoder().encode("temp") };
 * assertEquals(uriPath.value.length, 4);
 * ```
 */
export interface CoapOption {
  /** The option number (0 to 65535). */
  readonly number: number;
  /** The raw option value. */
  readonly value: Uint8Array;
}

/**
 * A CoAP message. Options are kept as an ordered list; repeatable options keep
 * their relative order.
 *
 * Decoded messages hold views into the decoded bytes (no copies).
 *
 * @example Usage
 * ```ts
 * import type { CoapMessage } from "@microcoap/codec/message";
 * import { assertEquals } from "@std/assert";
 *
 * const ping: CoapMessage = {
 *   type: "CON",
 *   code: 0,
 *   messageId: 1,
 *   token: new Uint8Array(0),
 *   options: [],
 *   payload: new Uint8Array(0),
 * };
 * assertEquals(ping.type, "CON");
 * ```
 */
export interface CoapMessage {
  /** The message type. */
  readonly type: CoapType;
  /** The code: `class << 5 | detail`, e.g. `0x45` for 2.05. */
  readonly code: number;
  /** The 16-bit message ID. */
  readonly messageId: number;
  /** The token, 0 to 8 bytes. */
  readonly token: Uint8Array;
  /** The options, ordered by number (repeatable options in their given order). */
  readonly options: readonly CoapOption[];
  /** The payload; empty when there is none. */
  readonly payload: Uint8Array;
}

/**
 * The CoAP protocol version this codec speaks.
 *
 * @example Usage
 * ```ts
 * import { PROTOCOL_VERSION } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(PROTOCOL_VERSION, 1);
 * ```
 */
export const PROTOCOL_VERSION = 1;

/**
 * Message types in wire order: index is the 2-bit type field.
 *
 * @example Usage
 * ```ts
 * import { MESSAGE_TYPES } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * // The type field sits in bits 5 and 4 of the first header byte: 0x60 is an ACK.
 * assertEquals(MESSAGE_TYPES[(0x60 >> 4) & 0x03], "ACK");
 * assertEquals(MESSAGE_TYPES.indexOf("RST"), 3);
 * ```
 */
export const MESSAGE_TYPES: readonly CoapType[] = ["CON", "NON", "ACK", "RST"];

/**
 * An empty byte array shared as the default token and payload.
 *
 * @example Usage
 * ```ts
 * import { CoapCode, EMPTY_BYTES, encode } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(EMPTY_BYTES.length, 0);
 * // An empty CON (a CoAP ping) is just the 4-byte header.
 * const ping = encode({
 *   type: "CON",
 *   code: CoapCode.EMPTY,
 *   messageId: 1,
 *   token: EMPTY_BYTES,
 *   options: [],
 *   payload: EMPTY_BYTES,
 * });
 * assertEquals(ping.length, 4);
 * ```
 */
export const EMPTY_BYTES: Uint8Array = /* @__PURE__ */ new Uint8Array(0);
