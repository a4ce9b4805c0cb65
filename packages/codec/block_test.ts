// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertThrows } from "@std/assert";
import { blockSize, decodeBlock, encodeBlock, szxFromSize } from "./block.ts";
import { hex } from "./_testing.ts";

Deno.test("blockSize() and szxFromSize() map exponents 0 to 6 to 16 to 1024", () => {
  const sizes = [16, 32, 64, 128, 256, 512, 1024];
  sizes.forEach((size, szx) => {
    assertEquals(blockSize(szx), size);
    assertEquals(szxFromSize(size), szx);
  });
});

Deno.test("blockSize() rejects the reserved exponent 7 and other values", () => {
  for (const szx of [7, -1, 1.5, 8]) {
    assertThrows(() => blockSize(szx), RangeError, "size exponent");
  }
});

Deno.test("szxFromSize() rejects sizes that are not 16 to 1024 powers of two", () => {
  for (const size of [0, 8, 15, 100, 2048, 1023]) {
    assertThrows(() => szxFromSize(size), RangeError, `block size is ${size}`);
  }
});

Deno.test("encodeBlock() and decodeBlock() follow RFC 7959 §2.2", () => {
  const cases: [number, boolean, number, string][] = [
    [0, false, 0, ""],
    [0, true, 2, "0a"],
    [1, false, 6, "16"],
    [15, true, 6, "fe"],
    [16, false, 0, "01 00"],
    [4095, true, 5, "ff fd"],
    [4096, false, 1, "01 00 01"],
    [0xfffff, true, 6, "ff ff fe"],
  ];
  for (const [num, more, szx, bytes] of cases) {
    assertEquals(encodeBlock({ num, more, szx }), hex(bytes), bytes);
    assertEquals(decodeBlock(hex(bytes)), { num, more, szx }, bytes);
  }
  // Leading zeros are accepted.
  assertEquals(decodeBlock(hex("00 00 16")), { num: 1, more: false, szx: 6 });
});

Deno.test("encodeBlock() rejects out-of-range numbers and exponents", () => {
  assertThrows(
    () => encodeBlock({ num: 0x100000, more: false, szx: 0 }),
    RangeError,
    "block number is 1048576",
  );
  assertThrows(() => encodeBlock({ num: -1, more: false, szx: 0 }), RangeError);
  assertThrows(
    () => encodeBlock({ num: 0, more: false, szx: 7 }),
    RangeError,
    "7 is reserved",
  );
});

Deno.test("decodeBlock() rejects more than 3 bytes and the reserved exponent 7", () => {
  assertThrows(
    () => decodeBlock(hex("00 00 00 01")),
    RangeError,
    "length is 4, at most 3 allowed",
  );
  assertThrows(() => decodeBlock(hex("0f")), RangeError, "size exponent is 7");
});
