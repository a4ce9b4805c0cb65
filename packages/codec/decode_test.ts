// Copyright 2026 the microcoap authors. MIT license.
import {
  assertEquals,
  assertInstanceOf,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { decode, tryDecode } from "./decode.ts";
import { CoapDecodeError, CoapDecodeFailure } from "./decode_error.ts";
import type { CoapDecodeErrorReason } from "./decode_error.ts";
import { hex } from "./_testing.ts";
import { EXAMPLES } from "./testdata/rfc7252_examples.ts";

Deno.test("decode() reads the RFC 7252 Appendix A examples", () => {
  for (const example of EXAMPLES) {
    assertEquals(decode(example.bytes), example.message, example.name);
  }
});

Deno.test("tryDecode() returns the same messages as decode()", () => {
  for (const example of EXAMPLES) {
    assertEquals(tryDecode(example.bytes), example.message, example.name);
  }
});

Deno.test("decode() returns views into the datagram, not copies", () => {
  const bytes = hex("41 01 00 01 aa b1 61 ff 62");
  const message = decode(bytes);
  assertStrictEquals(message.token.buffer, bytes.buffer);
  assertStrictEquals(message.options[0]!.value.buffer, bytes.buffer);
  assertStrictEquals(message.payload.buffer, bytes.buffer);
  assertEquals(message.payload.byteOffset, 8);
});

Deno.test("decode() reads extended option deltas and lengths", () => {
  const message = decode(hex(
    "40 01 00 01 " +
      "c0 " + // option 12, empty
      "d1 00 aa " + // option 12 + 13 = 25, 1 byte
      "e0 00 00 " + // option 25 + 269 = 294, empty
      "0d 00 " + "00".repeat(13) + // option 294 again, 13 bytes
      "e0 fd cc " + // option 294 + 65241 = 65535
      "ff 01",
  ));
  assertEquals(
    message.options.map((o) => [o.number, o.value.length]),
    [[12, 0], [25, 1], [294, 0], [294, 13], [65535, 0]],
  );
  assertEquals(message.payload, hex("01"));
});

Deno.test("decode() reads a value of 65804 bytes", () => {
  const bytes = new Uint8Array(4 + 3 + 65804);
  bytes.set(hex("40 01 00 01 2e ff ff"));
  const message = decode(bytes);
  assertEquals(message.options[0]!.number, 2);
  assertEquals(message.options[0]!.value.length, 65804);
});

function assertDecodeError(
  bytes: Uint8Array,
  reason: CoapDecodeErrorReason,
  offset: number,
  message?: string,
): CoapDecodeError {
  const error = assertThrows(() => decode(bytes), CoapDecodeError, message);
  assertEquals(error.reason, reason);
  assertEquals(error.offset, offset);
  assertEquals(error.name, "CoapDecodeError");
  if (bytes.length >= 4) {
    assertEquals(error.messageId, (bytes[2]! << 8) | bytes[3]!);
    assertEquals(error.type, (bytes[0]! >> 4) & 3);
  } else {
    assertEquals(error.messageId, undefined);
    assertEquals(error.type, undefined);
  }
  // tryDecode() reports the same failure without throwing.
  const failure = tryDecode(bytes);
  assertInstanceOf(failure, CoapDecodeFailure);
  assertEquals(
    [failure.reason, failure.offset, failure.messageId, failure.type],
    [error.reason, error.offset, error.messageId, error.type],
  );
  assertEquals(failure.message, error.message);
  return error;
}

Deno.test("decode() rejects fewer than 4 bytes without a message ID", () => {
  for (const length of [0, 1, 2, 3]) {
    assertDecodeError(
      new Uint8Array(length).fill(0x40),
      "too-short",
      0,
      `length is ${length}, at least 4 bytes needed`,
    );
  }
});

Deno.test("decode() rejects a version other than 1", () => {
  for (const first of [0x00, 0x80, 0xc0]) {
    assertDecodeError(
      hex(`${first.toString(16).padStart(2, "0")} 01 12 34`),
      "bad-version",
      0,
      `version is ${first >> 6}, expected 1`,
    );
  }
});

Deno.test("decode() rejects a token length over 8", () => {
  for (let tkl = 9; tkl <= 15; tkl++) {
    assertDecodeError(
      hex(`5${tkl.toString(16)} 01 12 34 ${"00".repeat(16)}`),
      "bad-token-length",
      0,
      `token length is ${tkl}, at most 8 allowed`,
    );
  }
});

Deno.test("decode() rejects a token that runs past the end", () => {
  assertDecodeError(hex("62 45 ab cd 01"), "too-short", 4, "token of 2 bytes");
  assertDecodeError(hex("48 01 00 07"), "too-short", 4);
});

Deno.test("decode() rejects an empty message with a token, options or payload", () => {
  assertDecodeError(hex("41 00 00 01 aa"), "bad-empty-message", 4);
  assertDecodeError(hex("60 00 00 01 b0"), "bad-empty-message", 4);
  assertDecodeError(hex("70 00 00 01 ff 01"), "bad-empty-message", 4);
  // Exactly 4 bytes is a valid Empty message.
  assertEquals(decode(hex("70 00 00 01")).type, "RST");
});

Deno.test("decode() rejects the reserved nibble 15 in an option delta or length", () => {
  assertDecodeError(
    hex("40 01 00 01 f0"),
    "reserved-nibble",
    4,
    "option delta nibble is 15",
  );
  assertDecodeError(
    hex("40 01 00 01 bf"),
    "reserved-nibble",
    4,
    "option length nibble is 15",
  );
  // The offset is that of the option's first byte, after a token and options.
  assertDecodeError(
    hex("42 01 00 01 aa bb b1 61 1f"),
    "reserved-nibble",
    8,
  );
});

Deno.test("decode() rejects extended deltas and lengths that run past the end", () => {
  assertDecodeError(hex("40 01 00 01 d0"), "option-overflow", 4, "delta");
  assertDecodeError(hex("40 01 00 01 e0 00"), "option-overflow", 4, "delta");
  assertDecodeError(hex("40 01 00 01 0d"), "option-overflow", 4, "length");
  assertDecodeError(hex("40 01 00 01 0e 01"), "option-overflow", 4, "length");
  assertDecodeError(hex("40 01 00 01 dd 00"), "option-overflow", 4, "length");
  assertDecodeError(
    hex("41 01 00 01 aa b1 61 e0"),
    "option-overflow",
    7,
    "delta",
  );
});

Deno.test("decode() rejects an option value that runs past the end", () => {
  assertDecodeError(
    hex("40 01 00 01 b3 61 62"),
    "option-overflow",
    4,
    "option 11 value of 3 bytes runs past the end",
  );
  assertDecodeError(
    hex("40 01 00 01 b1 61 1d 00 00"),
    "option-overflow",
    6,
    "option 12 value of 13 bytes",
  );
});

Deno.test("decode() rejects option numbers over 65535", () => {
  assertDecodeError(
    hex("40 01 00 01 e0 ff ff"),
    "option-number",
    4,
    "option number is 65804, at most 65535 allowed",
  );
  // 65535 itself is fine, but a further delta of 1 overflows.
  assertDecodeError(
    hex("40 01 00 01 e0 fe f2 10"),
    "option-number",
    7,
    "option number is 65536",
  );
});

Deno.test("decode() rejects a payload marker with no payload", () => {
  assertDecodeError(
    hex("40 01 00 01 ff"),
    "empty-payload",
    4,
    "payload marker with no payload",
  );
  assertDecodeError(hex("40 01 00 01 b1 61 ff"), "empty-payload", 6);
});

Deno.test("decode() reports the message ID and type of a rejected CON", () => {
  const error = assertDecodeError(hex("40 01 be ef f0"), "reserved-nibble", 4);
  assertEquals(error.messageId, 0xbeef);
  assertEquals(error.type, 0);
  assertEquals(error instanceof RangeError, true);
});

Deno.test("decode() reads thousands of options in one datagram", () => {
  // 5000 empty Uri-Path options after the first: one byte each.
  const bytes = new Uint8Array(4 + 1 + 5000);
  bytes.set(hex("40 01 00 01 b0"));
  const message = decode(bytes);
  assertEquals(message.options.length, 5001);
  assertEquals(message.options.every((o) => o.number === 11), true);
  // A short message decoded afterwards is unaffected.
  assertEquals(decode(hex("40 01 00 02 c1 32")).options, [
    { number: 12, value: hex("32") },
  ]);
});
