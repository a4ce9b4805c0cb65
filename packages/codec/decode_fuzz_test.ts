// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertGreater, assertInstanceOf } from "@std/assert";
import { decode, tryDecode } from "./decode.ts";
import { CoapDecodeError, CoapDecodeFailure } from "./decode_error.ts";
import { encode } from "./encode.ts";
import type { CoapMessage } from "./message.ts";
import { maxOptionLength } from "./options.ts";
import { randomMessage, Xorshift32 } from "./_testing.ts";
import { EXAMPLES } from "./testdata/rfc7252_examples.ts";

const REASONS = new Set([
  "too-short",
  "bad-version",
  "bad-token-length",
  "reserved-nibble",
  "option-overflow",
  "option-number",
  "empty-payload",
  "bad-empty-message",
]);

interface Tally {
  decoded: number;
  rejected: Map<string, number>;
  /** Decoded, but a registered option is longer than encode allows. */
  overlong: number;
}

// Decodes `bytes`; asserts that only a CoapDecodeError can come out, and that
// a decoded message encodes back to the same bytes. The one exception is a
// value longer than its registered option allows: decode keeps it (RFC 7252
// §5.4.3 leaves it to the receiver's option processing) while encode refuses
// to send it, so encode must refuse with a RangeError.
// tryDecode() must agree with decode() on every datagram.
function check(bytes: Uint8Array, tally: Tally): void {
  let message: CoapMessage;
  const result = tryDecode(bytes);
  try {
    message = decode(bytes);
  } catch (error) {
    assertInstanceOf(error, CoapDecodeError);
    assertInstanceOf(result, CoapDecodeFailure);
    if (result.reason !== error.reason || result.offset !== error.offset) {
      assertEquals([result.reason, result.offset], [
        error.reason,
        error.offset,
      ]);
    }
    if (!REASONS.has(error.reason)) throw error;
    if (!(error.offset >= 0 && error.offset <= bytes.length)) throw error;
    tally.rejected.set(
      error.reason,
      (tally.rejected.get(error.reason) ?? 0) + 1,
    );
    return;
  }
  if (result instanceof CoapDecodeFailure) {
    throw new Error(
      `tryDecode() rejected what decode() read: ${result.message}`,
    );
  }
  tally.decoded++;
  if (message.options.some((o) => o.value.length > maxOptionLength(o.number))) {
    tally.overlong++;
    try {
      encode(message);
    } catch (error) {
      assertInstanceOf(error, RangeError);
      return;
    }
    throw new Error("encode() accepted an over-long registered option");
  }
  const again = encode(message);
  if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) {
    assertEquals(again, bytes);
  }
}

function newTally(): Tally {
  return { decoded: 0, rejected: new Map(), overlong: 0 };
}

Deno.test("decode() of 100,000 random datagrams throws only CoapDecodeError", () => {
  const random = new Xorshift32(0x5eed);
  const tally = newTally();
  for (let i = 0; i < 100_000; i++) {
    const bytes = random.bytes(random.below(48));
    // Mostly a plausible header, so that the option parser gets exercised.
    if (bytes.length > 0 && random.below(4) !== 0) {
      bytes[0] = 0x40 | (bytes[0]! & 0x30) | random.below(9);
      if (bytes.length > 1 && random.below(8) === 0) bytes[1] = 0;
    }
    check(bytes, tally);
  }
  for (const reason of REASONS) {
    assertGreater(tally.rejected.get(reason) ?? 0, 0, reason);
  }
  assertGreater(tally.decoded, 1000);
});

Deno.test("decode() of 100,000 mutated valid datagrams throws only CoapDecodeError", () => {
  const random = new Xorshift32(0xbadc0de);
  const seeds: Uint8Array[] = EXAMPLES.map((example) => example.bytes);
  for (let i = 0; i < 200; i++) {
    seeds.push(
      encode(randomMessage(random, { maxLength: 300, maxOptions: 12 })),
    );
  }
  const tally = newTally();
  for (let i = 0; i < 100_000; i++) {
    let bytes = random.pick(seeds);
    const mutations = 1 + random.below(4);
    for (let m = 0; m < mutations; m++) {
      const at = bytes.length === 0 ? 0 : random.below(bytes.length);
      switch (random.below(6)) {
        case 0: // flip a bit
          bytes = bytes.slice();
          if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << random.below(8));
          break;
        case 1: // overwrite a byte
          bytes = bytes.slice();
          if (bytes.length > 0) bytes[at] = random.next() & 0xff;
          break;
        case 2: // truncate
          bytes = bytes.subarray(0, at);
          break;
        case 3: { // insert a byte
          const out = new Uint8Array(bytes.length + 1);
          out.set(bytes.subarray(0, at));
          out[at] = random.pick([
            0xff,
            0xd0,
            0xe0,
            0x0d,
            0x0e,
            random.next() & 0xff,
          ]);
          out.set(bytes.subarray(at), at + 1);
          bytes = out;
          break;
        }
        case 4: { // delete a byte
          const out = new Uint8Array(Math.max(0, bytes.length - 1));
          out.set(bytes.subarray(0, at));
          out.set(bytes.subarray(at + 1), at);
          bytes = out;
          break;
        }
        default: { // append random bytes
          const out = new Uint8Array(bytes.length + 1 + random.below(4));
          out.set(bytes);
          out.set(random.bytes(out.length - bytes.length), bytes.length);
          bytes = out;
        }
      }
    }
    check(bytes, tally);
  }
  for (const reason of REASONS) {
    assertGreater(tally.rejected.get(reason) ?? 0, 0, reason);
  }
  assertGreater(tally.decoded, 10_000);
  assertGreater(tally.overlong, 0);
});
