// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertThrows } from "@std/assert";
import {
  decodeObserve,
  encodeObserve,
  isObserveNewer,
  MAX_OBSERVE,
  ObserveAction,
} from "./observe.ts";
import { hex } from "./_testing.ts";

Deno.test("encodeObserve() and decodeObserve() use 0 to 3 bytes", () => {
  const cases: [number, string][] = [
    [ObserveAction.REGISTER, ""],
    [ObserveAction.DEREGISTER, "01"],
    [0x1234, "12 34"],
    [MAX_OBSERVE, "ff ff ff"],
  ];
  for (const [value, bytes] of cases) {
    assertEquals(encodeObserve(value), hex(bytes));
    assertEquals(decodeObserve(hex(bytes)), value);
  }
});

Deno.test("encodeObserve() rejects values outside 24 bits", () => {
  for (const value of [-1, 0x1000000, 0.5]) {
    assertThrows(() => encodeObserve(value), RangeError, "Observe value");
  }
});

Deno.test("decodeObserve() rejects more than 3 bytes", () => {
  assertThrows(
    () => decodeObserve(hex("00 00 00 01")),
    RangeError,
    "length is 4, at most 3 allowed",
  );
});

Deno.test("isObserveNewer() orders 24-bit values with wrap-around (RFC 7641 §3.4)", () => {
  assertEquals(isObserveNewer(1, 2), true);
  assertEquals(isObserveNewer(2, 1), false);
  assertEquals(isObserveNewer(5, 5), false);
  assertEquals(isObserveNewer(0, 0x7fffff), true);
  assertEquals(isObserveNewer(0, 0x800000), false);
  assertEquals(isObserveNewer(0xfffff0, 3), true);
  assertEquals(isObserveNewer(3, 0xfffff0), false);
  assertEquals(isObserveNewer(0x900000, 0), true);
});
