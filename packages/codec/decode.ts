// Copyright 2026 the microcoap authors. MIT license.
/**
 * Decodes bytes into CoAP messages (RFC 7252 §3).
 *
 * @module
 */
import { EMPTY_BYTES, MESSAGE_TYPES } from "./message.ts";
import type { CoapMessage, CoapOption } from "./message.ts";
import { CoapDecodeFailure } from "./decode_error.ts";
import type { CoapDecodeErrorReason } from "./decode_error.ts";

function fail(
  reason: CoapDecodeErrorReason,
  offset: number,
  what: string,
  bytes: Uint8Array,
): CoapDecodeFailure {
  return new CoapDecodeFailure(`Cannot decode message: ${what}`, {
    reason,
    offset,
    messageId: (bytes[2]! << 8) | bytes[3]!,
    type: (bytes[0]! >>> 4) & 3,
  });
}

// (number, offset, length) of each option, reused across calls.
let optionScratch = /* @__PURE__ */ new Int32Array(48);

/**
 * Decodes a datagram. The token, option values and payload of the result are
 * views into `bytes`, not copies.
 *
 * @param bytes The datagram.
 * @returns The message.
 * @throws {CoapDecodeError} When the bytes are not a well-formed CoAP message;
 * no other error is ever thrown.
 *
 * @example Usage
 * ```ts
 * import { decode } from "@microcoap/codec/decode";
 * import { assertEquals } from "@std/assert";
 *
 * const message = decode(new Uint8Array([0x60, 0x45, 0x7d, 0x34, 0xff, 0x32, 0x32]));
 * assertEquals(message.type, "ACK");
 * assertEquals(message.code, 0x45);
 * assertEquals(new TextDecoder().decode(message.payload), "22");
 * ```
 */
export function decode(bytes: Uint8Array): CoapMessage {
  const result = tryDecode(bytes);
  if (result instanceof CoapDecodeFailure) throw result.toError();
  return result;
}

/**
 * Decodes a datagram like {@linkcode decode}, but returns a
 * {@linkcode CoapDecodeFailure} for malformed bytes instead of throwing: for
 * receive paths where garbage is expected and must stay cheap.
 *
 * @param bytes The datagram.
 * @returns The message, or why it could not be decoded.
 *
 * @example Usage
 * ```ts
 * import { CoapDecodeFailure, tryDecode } from "@microcoap/codec";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const message = tryDecode(new Uint8Array([0x60, 0x45, 0x7d, 0x34]));
 * assert(!(message instanceof CoapDecodeFailure));
 * assertEquals(message.type, "ACK");
 *
 * const failure = tryDecode(new Uint8Array([0x80, 0x45, 0x7d, 0x34]));
 * assert(failure instanceof CoapDecodeFailure);
 * assertEquals(failure.reason, "bad-version");
 * ```
 */
export function tryDecode(bytes: Uint8Array): CoapMessage | CoapDecodeFailure {
  const end = bytes.length;
  if (end < 4) {
    return new CoapDecodeFailure(
      `Cannot decode message: length is ${end}, at least 4 bytes needed`,
      { reason: "too-short", offset: 0 },
    );
  }
  const first = bytes[0]!;
  if (first >>> 6 !== 1) {
    return fail(
      "bad-version",
      0,
      `version is ${first >>> 6}, expected 1`,
      bytes,
    );
  }
  const tkl = first & 0x0f;
  if (tkl > 8) {
    return fail(
      "bad-token-length",
      0,
      `token length is ${tkl}, at most 8 allowed`,
      bytes,
    );
  }
  const code = bytes[1]!;
  let at = 4 + tkl;
  if (at > end) {
    return fail(
      "too-short",
      4,
      `token of ${tkl} bytes runs past the end`,
      bytes,
    );
  }
  if (code === 0 && end > 4) {
    return fail(
      "bad-empty-message",
      4,
      "empty message (0.00) has a token, options or payload",
      bytes,
    );
  }
  // Views made with the constructor cost less than subarray(), which looks up
  // the species constructor.
  const buffer = bytes.buffer;
  const base = bytes.byteOffset;
  const token = tkl === 0 ? EMPTY_BYTES : new Uint8Array(buffer, base + 4, tkl);
  let scratch = optionScratch;
  let recorded = 0;
  let number = 0;
  let payload = EMPTY_BYTES;
  while (at < end) {
    const head = bytes[at]!;
    if (head === 0xff) {
      if (at + 1 === end) {
        return fail(
          "empty-payload",
          at,
          "payload marker with no payload",
          bytes,
        );
      }
      payload = new Uint8Array(buffer, base + at + 1, end - at - 1);
      break;
    }
    const start = at++;
    let delta = head >>> 4;
    let length = head & 0x0f;
    if (delta === 13) {
      if (at >= end) {
        return fail(
          "option-overflow",
          start,
          "option delta runs past the end",
          bytes,
        );
      }
      delta = 13 + bytes[at++]!;
    } else if (delta === 14) {
      if (at + 1 >= end) {
        return fail(
          "option-overflow",
          start,
          "option delta runs past the end",
          bytes,
        );
      }
      delta = 269 + ((bytes[at]! << 8) | bytes[at + 1]!);
      at += 2;
    } else if (delta === 15) {
      return fail("reserved-nibble", start, "option delta nibble is 15", bytes);
    }
    if (length === 13) {
      if (at >= end) {
        return fail(
          "option-overflow",
          start,
          "option length runs past the end",
          bytes,
        );
      }
      length = 13 + bytes[at++]!;
    } else if (length === 14) {
      if (at + 1 >= end) {
        return fail(
          "option-overflow",
          start,
          "option length runs past the end",
          bytes,
        );
      }
      length = 269 + ((bytes[at]! << 8) | bytes[at + 1]!);
      at += 2;
    } else if (length === 15) {
      return fail(
        "reserved-nibble",
        start,
        "option length nibble is 15",
        bytes,
      );
    }
    number += delta;
    if (number > 0xffff) {
      return fail(
        "option-number",
        start,
        `option number is ${number}, at most 65535 allowed`,
        bytes,
      );
    }
    if (at + length > end) {
      return fail(
        "option-overflow",
        start,
        `option ${number} value of ${length} bytes runs past the end`,
        bytes,
      );
    }
    if (recorded + 3 > scratch.length) {
      const grown = new Int32Array(scratch.length * 2);
      grown.set(scratch);
      scratch = optionScratch = grown;
    }
    scratch[recorded] = number;
    scratch[recorded + 1] = at;
    scratch[recorded + 2] = length;
    recorded += 3;
    at += length;
  }
  // Built once the count is known: an array of the right size costs less
  // than one grown by push().
  const options: CoapOption[] = new Array(recorded / 3);
  for (let i = 0, k = 0; k < recorded; i++, k += 3) {
    const length = scratch[k + 2]!;
    options[i] = {
      number: scratch[k]!,
      value: length === 0
        ? EMPTY_BYTES
        : new Uint8Array(buffer, base + scratch[k + 1]!, length),
    };
  }
  return {
    type: MESSAGE_TYPES[(first >>> 4) & 3]!,
    code,
    messageId: (bytes[2]! << 8) | bytes[3]!,
    token,
    options,
    payload,
  };
}
