// Copyright 2026 the microcoap authors. MIT license.
/**
 * Encodes CoAP messages to bytes (RFC 7252 §3).
 *
 * @module
 */
import type { CoapMessage, CoapOption } from "./message.ts";
import { maxOptionLength } from "./options.ts";

function byNumber(a: CoapOption, b: CoapOption): number {
  return a.number - b.number;
}

// The size of the options, or -1 when they are out of order. Also validates
// numbers and lengths, so that writing cannot fail.
function optionsSize(options: readonly CoapOption[]): number {
  let size = 0;
  let previous = 0;
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    const number = option.number;
    const length = option.value.length;
    if ((number & 0xffff) !== number) {
      throw new RangeError(
        `Cannot encode option: number is ${number}, expected an integer from 0 to 65535`,
      );
    }
    if (number < previous) return -1;
    if (length > maxOptionLength(number)) {
      throw new RangeError(
        `Cannot encode option ${number}: value length is ${length}, at most ${
          maxOptionLength(number)
        } allowed`,
      );
    }
    const delta = number - previous;
    size += (delta < 13 ? 1 : delta < 269 ? 2 : 3) +
      (length < 13 ? 0 : length < 269 ? 1 : 2) + length;
    previous = number;
  }
  return size;
}

// Results are carved from a shared pool, as Node's Buffer.allocUnsafe does:
// allocating an ArrayBuffer costs ~10 times the rest of encoding a typical
// message. A region is handed out once and never reused.
const POOL_SIZE = 16384;
const MAX_POOLED = 2048;
let pool = /* @__PURE__ */ new ArrayBuffer(POOL_SIZE);
let poolUsed = 0;

function allocate(size: number): Uint8Array {
  if (size > MAX_POOLED) return new Uint8Array(size);
  // A zero byteLength means someone transferred (detached) the pool.
  if (poolUsed + size > POOL_SIZE || pool.byteLength === 0) {
    pool = new ArrayBuffer(POOL_SIZE);
    poolUsed = 0;
  }
  const out = new Uint8Array(pool, poolUsed, size);
  poolUsed += size;
  return out;
}

// Copies short arrays byte by byte: cheaper than a set() call for them.
function copy(from: Uint8Array, to: Uint8Array, at: number): number {
  const length = from.length;
  if (length > 16) to.set(from, at);
  else for (let i = 0; i < length; i++) to[at + i] = from[i]!;
  return at + length;
}

/**
 * Encodes a message. Options given out of order are sorted by number (stable,
 * so repeated options keep their order). The payload marker is written only
 * for a non-empty payload.
 *
 * @param message The message to encode.
 * @returns The datagram bytes. Messages up to 2 KiB are views into a shared
 * 16 KiB buffer (as with Node's `Buffer.allocUnsafe`), so use `byteOffset`
 * and `byteLength` with `.buffer`, and `slice()` the bytes before
 * transferring them to another thread.
 * @throws {TypeError} When the type is not CON, NON, ACK or RST.
 * @throws {RangeError} When the code, message ID, token length, an option
 * number or an option value length is out of range (longer than its
 * registered maximum, such as 255 bytes for Uri-Path, or than the 65804
 * bytes the wire format allows).
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
  const { type, code, messageId, token, payload } = message;
  const first = type === "CON"
    ? 0x40
    : type === "NON"
    ? 0x50
    : type === "ACK"
    ? 0x60
    : type === "RST"
    ? 0x70
    : 0;
  if (first === 0) {
    throw new TypeError(
      `Cannot encode message: type is "${type}", expected CON, NON, ACK or RST`,
    );
  }
  if ((code & 0xff) !== code) {
    throw new RangeError(
      `Cannot encode message: code is ${code}, expected an integer from 0 to 255`,
    );
  }
  if ((messageId & 0xffff) !== messageId) {
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
  let size = optionsSize(options);
  if (size < 0) {
    options = [...options].sort(byNumber);
    size = optionsSize(options);
  }
  const payloadLength = payload.length;
  size += 4 + tkl + (payloadLength > 0 ? 1 + payloadLength : 0);

  const out = allocate(size);
  out[0] = first | tkl;
  out[1] = code;
  out[2] = messageId >>> 8;
  out[3] = messageId & 0xff;
  let at = copy(token, out, 4);
  let previous = 0;
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    const number = option.number;
    const value = option.value;
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
    at = copy(value, out, at);
  }
  if (payloadLength > 0) {
    out[at] = 0xff;
    copy(payload, out, at + 1);
  }
  return out;
}
