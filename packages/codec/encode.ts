// Copyright 2026 the microcoap authors. MIT license.
/**
 * Encodes CoAP messages to bytes (RFC 7252 §3).
 *
 * @module
 */
import type { CoapMessage, CoapOption } from "./message.ts";
import { maxOptionLength } from "./options.ts";

const TYPE_BITS: Record<string, number> = { CON: 0, NON: 1, ACK: 2, RST: 3 };

function byNumber(a: CoapOption, b: CoapOption): number {
  return a.number - b.number;
}

function extendedSize(n: number): number {
  return n < 13 ? 0 : n < 269 ? 1 : 2;
}

/**
 * Encodes a message. Options given out of order are sorted by number (stable,
 * so repeated options keep their order). The payload marker is written only
 * for a non-empty payload.
 *
 * @param message The message to encode.
 * @returns The datagram bytes.
 * @throws {TypeError} When the type is not CON, NON, ACK or RST.
 * @throws {RangeError} When the code, message ID, token length, an option
 * number or an option value length is out of range.
 *
 * @example Usage
 * ```ts
 * import { encode } from "@microcoap/codec/encode";
 * import { assertEquals } from "@std/assert";
 *
 * const bytes = encode({
 *   type: "CON",
 *   code: 1,
 *   messageId: 0x7d34,
 *   token: new Uint8Array(0),
 *   options: [{ number: 11, value: new TextEncoder().encode("temperature") }],
 *   payload: new Uint8Array(0),
 * });
 * assertEquals(bytes.subarray(0, 5), new Uint8Array([0x40, 0x01, 0x7d, 0x34, 0xbb]));
 * ```
 */
export function encode(message: CoapMessage): Uint8Array {
  const { code, messageId, token, payload } = message;
  const type = TYPE_BITS[message.type];
  if (type === undefined) {
    throw new TypeError(
      `Cannot encode message: type is "${message.type}", expected CON, NON, ACK or RST`,
    );
  }
  if (!(code >= 0 && code <= 255 && (code | 0) === code)) {
    throw new RangeError(
      `Cannot encode message: code is ${code}, expected an integer from 0 to 255`,
    );
  }
  if (
    !(messageId >= 0 && messageId <= 0xffff && (messageId | 0) === messageId)
  ) {
    throw new RangeError(
      `Cannot encode message: message ID is ${messageId}, expected an integer from 0 to 65535`,
    );
  }
  const tkl = token.length;
  if (tkl > 8) {
    throw new RangeError(
      `Cannot encode message: token length is ${tkl}, at most 8 allowed`,
    );
  }
  let options = message.options;
  let size = 4 + tkl;
  let previous = 0;
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    if (option.number < previous) {
      options = [...options].sort(byNumber);
      break;
    }
    previous = option.number;
  }
  previous = 0;
  for (let i = 0; i < options.length; i++) {
    const { number, value } = options[i]!;
    const length = value.length;
    if (!(number >= 0 && number <= 0xffff && (number | 0) === number)) {
      throw new RangeError(
        `Cannot encode option: number is ${number}, expected an integer from 0 to 65535`,
      );
    }
    if (length > maxOptionLength(number)) {
      throw new RangeError(
        `Cannot encode option ${number}: value length is ${length}, at most ${
          maxOptionLength(number)
        } allowed`,
      );
    }
    size += 1 + extendedSize(number - previous) + extendedSize(length) + length;
    previous = number;
  }
  if (payload.length > 0) size += 1 + payload.length;

  const out = new Uint8Array(size);
  out[0] = 0x40 | (type << 4) | tkl;
  out[1] = code;
  out[2] = messageId >>> 8;
  out[3] = messageId & 0xff;
  let at = 4;
  if (tkl > 0) {
    out.set(token, at);
    at += tkl;
  }
  previous = 0;
  for (let i = 0; i < options.length; i++) {
    const { number, value } = options[i]!;
    const delta = number - previous;
    const length = value.length;
    previous = number;
    const head = at++;
    let nibbles: number;
    if (delta < 13) nibbles = delta << 4;
    else if (delta < 269) {
      nibbles = 0xd0;
      out[at++] = delta - 13;
    } else {
      nibbles = 0xe0;
      out[at++] = (delta - 269) >>> 8;
      out[at++] = (delta - 269) & 0xff;
    }
    if (length < 13) nibbles |= length;
    else if (length < 269) {
      nibbles |= 0x0d;
      out[at++] = length - 13;
    } else {
      nibbles |= 0x0e;
      out[at++] = (length - 269) >>> 8;
      out[at++] = (length - 269) & 0xff;
    }
    out[head] = nibbles;
    if (length === 1) out[at++] = value[0]!;
    else if (length > 0) {
      out.set(value, at);
      at += length;
    }
  }
  if (payload.length > 0) {
    out[at++] = 0xff;
    out.set(payload, at);
  }
  return out;
}
