// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals } from "@std/assert";
import {
  CoapOptionNumber,
  getOption,
  getOptions,
  isCritical,
  isNoCacheKey,
  isUnsafe,
  maxOptionLength,
  optionInfo,
  WIRE_MAX_OPTION_LENGTH,
} from "./options.ts";
import { utf8 } from "./_testing.ts";

// RFC 7252 Table 4, RFC 7641 §7, RFC 7959 Table 3/§4, RFC 7967, RFC 8613,
// RFC 8768, RFC 9175 and RFC 9177: number, name, format, min, max,
// repeatable, and the C, U and N columns.
const EXPECTED: [number, string, string, number, number, boolean, string][] = [
  [1, "If-Match", "opaque", 0, 8, true, "C"],
  [3, "Uri-Host", "string", 1, 255, false, "CU"],
  [4, "ETag", "opaque", 1, 8, true, ""],
  [5, "If-None-Match", "empty", 0, 0, false, "C"],
  [6, "Observe", "uint", 0, 3, false, "U"],
  [7, "Uri-Port", "uint", 0, 2, false, "CU"],
  [8, "Location-Path", "string", 0, 255, true, ""],
  [9, "OSCORE", "opaque", 0, 255, false, "C"],
  [11, "Uri-Path", "string", 0, 255, true, "CU"],
  [12, "Content-Format", "uint", 0, 2, false, ""],
  [14, "Max-Age", "uint", 0, 4, false, "U"],
  [15, "Uri-Query", "string", 0, 255, true, "CU"],
  [16, "Hop-Limit", "uint", 1, 1, false, ""],
  [17, "Accept", "uint", 0, 2, false, "C"],
  [19, "Q-Block1", "uint", 0, 3, false, "CU"],
  [20, "Location-Query", "string", 0, 255, true, ""],
  [23, "Block2", "uint", 0, 3, false, "CU"],
  [27, "Block1", "uint", 0, 3, false, "CU"],
  [28, "Size2", "uint", 0, 4, false, "N"],
  [31, "Q-Block2", "uint", 0, 3, true, "CU"],
  [35, "Proxy-Uri", "string", 1, 1034, false, "CU"],
  [39, "Proxy-Scheme", "string", 1, 255, false, "CU"],
  [60, "Size1", "uint", 0, 4, false, "N"],
  [252, "Echo", "opaque", 1, 40, false, "N"],
  [258, "No-Response", "uint", 0, 1, false, "U"],
  [292, "Request-Tag", "opaque", 0, 8, true, ""],
];

Deno.test("optionInfo() describes every registered option", () => {
  for (const [number, name, format, min, max, repeatable, flags] of EXPECTED) {
    assertEquals(optionInfo(number), {
      number,
      name,
      format,
      minLength: min,
      maxLength: max,
      repeatable,
      critical: flags.includes("C"),
      unsafe: flags.includes("U"),
      noCacheKey: flags.includes("N"),
    }, name);
    assertEquals(maxOptionLength(number), max, name);
  }
});

Deno.test("CoapOptionNumber names exactly the registered options", () => {
  const numbers = Object.values(CoapOptionNumber).sort((a, b) => a - b);
  assertEquals(numbers, EXPECTED.map(([number]) => number));
  for (const [key, number] of Object.entries(CoapOptionNumber)) {
    const name = optionInfo(number)!.name.toUpperCase().replaceAll("-", "_");
    assertEquals(key, name);
  }
});

Deno.test("optionInfo() returns undefined for unregistered numbers", () => {
  for (
    const number of [
      0,
      2,
      10,
      128,
      132,
      136,
      140,
      293,
      2048,
      65000,
      65535,
      70000,
      -1,
      1.5,
    ]
  ) {
    assertEquals(optionInfo(number), undefined, `${number}`);
  }
});

Deno.test("maxOptionLength() allows the whole wire range for unknown options", () => {
  for (const number of [0, 2, 291, 293, 1000, 65535]) {
    assertEquals(maxOptionLength(number), WIRE_MAX_OPTION_LENGTH);
  }
  assertEquals(WIRE_MAX_OPTION_LENGTH, 269 + 65535);
});

Deno.test("isCritical(), isUnsafe() and isNoCacheKey() read the number's bits", () => {
  // RFC 7252 Figure 11: critical is bit 0, unsafe bit 1, NoCacheKey bits 2-4.
  for (let number = 0; number < 1024; number++) {
    assertEquals(isCritical(number), number % 2 === 1);
    assertEquals(isUnsafe(number), Math.floor(number / 2) % 2 === 1);
    assertEquals(isNoCacheKey(number), Math.floor(number / 2) % 16 === 14);
  }
  assertEquals(isCritical(65535), true);
  assertEquals(isNoCacheKey(65532), true);
});

Deno.test("getOption() returns the first value of a number", () => {
  const message = {
    options: [
      { number: 4, value: utf8("e1") },
      { number: 4, value: utf8("e2") },
      { number: 12, value: new Uint8Array(0) },
    ],
  };
  assertEquals(getOption(message, 4), utf8("e1"));
  assertEquals(getOption(message, 12), new Uint8Array(0));
  assertEquals(getOption(message, 11), undefined);
});

Deno.test("getOptions() returns every value of a number in order", () => {
  const message = {
    options: [
      { number: 11, value: utf8("a") },
      { number: 12, value: utf8("x") },
      { number: 11, value: utf8("b") },
    ],
  };
  assertEquals(getOptions(message, 11), [utf8("a"), utf8("b")]);
  assertEquals(getOptions(message, 15), []);
});
