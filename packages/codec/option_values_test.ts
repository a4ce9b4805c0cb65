// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertThrows } from "@std/assert";
import {
  createOption,
  decodeString,
  decodeUint,
  encodeString,
  encodeUint,
  getStringOption,
  getStringOptions,
  getUintOption,
  readOptionValue,
} from "./option_values.ts";
import { CoapOptionNumber } from "./options.ts";
import { hex, utf8 } from "./_testing.ts";

Deno.test("encodeUint() writes the fewest big-endian bytes, 0 as empty", () => {
  const cases: [number, string][] = [
    [0, ""],
    [1, "01"],
    [255, "ff"],
    [256, "01 00"],
    [65535, "ff ff"],
    [65536, "01 00 00"],
    [0xffffff, "ff ff ff"],
    [0x1000000, "01 00 00 00"],
    [0xffffffff, "ff ff ff ff"],
  ];
  for (const [value, bytes] of cases) {
    assertEquals(encodeUint(value), hex(bytes), `${value}`);
    assertEquals(decodeUint(hex(bytes)), value, `${value}`);
  }
});

Deno.test("encodeUint() rejects negative, fractional and too large numbers", () => {
  for (const value of [-1, 1.5, 2 ** 32, NaN, Infinity]) {
    assertThrows(() => encodeUint(value), RangeError, "uint option value");
  }
});

Deno.test("decodeUint() accepts leading zeros and rejects more than 4 bytes", () => {
  assertEquals(decodeUint(hex("00 00 00 2a")), 42);
  assertEquals(decodeUint(hex("00")), 0);
  assertThrows(
    () => decodeUint(hex("01 00 00 00 00")),
    RangeError,
    "length is 5, at most 4 allowed",
  );
});

Deno.test("decodeString() gives what TextDecoder gives for ASCII, short and long, and mixed values", () => {
  const decoder = new TextDecoder();
  const cases = [
    new Uint8Array(0),
    new Uint8Array([0, 0x7f, 0x20]),
    new TextEncoder().encode("a".repeat(32)),
    new TextEncoder().encode("b".repeat(33)),
    new TextEncoder().encode("sensors/temp?x=1"),
    new Uint8Array([0x61, 0x62, 0xc3, 0xa9]),
    new Uint8Array([0xef, 0xbb, 0xbf, 0x61]),
    new Uint8Array([0x61, 0x80]),
  ];
  for (const bytes of cases) {
    assertEquals(decodeString(bytes), decoder.decode(bytes));
  }
});

Deno.test("encodeString() and decodeString() use UTF-8", () => {
  assertEquals(encodeString("é€"), hex("c3 a9 e2 82 ac"));
  assertEquals(decodeString(hex("c3 a9 e2 82 ac")), "é€");
  assertEquals(encodeString(""), new Uint8Array(0));
  // Malformed input never throws.
  assertEquals(decodeString(hex("ff 61")), "\ufffda");
});

Deno.test("createOption() encodes by value type and checks the registry", () => {
  assertEquals(createOption(CoapOptionNumber.URI_PATH, "temp"), {
    number: 11,
    value: utf8("temp"),
  });
  assertEquals(createOption(CoapOptionNumber.MAX_AGE, 0), {
    number: 14,
    value: new Uint8Array(0),
  });
  assertEquals(createOption(CoapOptionNumber.ETAG, hex("01 02")), {
    number: 4,
    value: hex("01 02"),
  });
  assertEquals(createOption(CoapOptionNumber.IF_NONE_MATCH), {
    number: 5,
    value: new Uint8Array(0),
  });
  // Unknown options take any type and length.
  assertEquals(createOption(65000, "x").value, utf8("x"));
  assertEquals(createOption(65001, 7).value, hex("07"));
});

Deno.test("createOption() rejects a value of the wrong type", () => {
  assertThrows(
    () => createOption(CoapOptionNumber.URI_PATH, 1),
    TypeError,
    "got a number, expected a value of format string",
  );
  assertThrows(
    () => createOption(CoapOptionNumber.CONTENT_FORMAT, "json"),
    TypeError,
    "got a string, expected a value of format uint",
  );
  assertThrows(
    () => createOption(CoapOptionNumber.ETAG, "x"),
    TypeError,
    "got a string, expected a value of format opaque",
  );
  assertThrows(
    () => createOption(11, {} as unknown as string),
    TypeError,
    "not a number, string or Uint8Array",
  );
});

Deno.test("createOption() rejects a value outside the registered length", () => {
  assertThrows(
    () => createOption(CoapOptionNumber.URI_HOST, ""),
    RangeError,
    "value length is 0, expected 1 to 255",
  );
  assertThrows(
    () => createOption(CoapOptionNumber.CONTENT_FORMAT, 65536),
    RangeError,
    "value length is 3, expected 0 to 2",
  );
  assertThrows(
    () => createOption(CoapOptionNumber.IF_NONE_MATCH, hex("00")),
    RangeError,
  );
  assertThrows(
    () => createOption(CoapOptionNumber.HOP_LIMIT, 0),
    RangeError,
    "expected 1 to 1",
  );
  assertThrows(() => createOption(65536, 1), RangeError, "number is 65536");
});

Deno.test("readOptionValue() reads by the registered format", () => {
  assertEquals(readOptionValue({ number: 12, value: hex("01 2c") }), 300);
  assertEquals(readOptionValue({ number: 15, value: utf8("a=b") }), "a=b");
  assertEquals(readOptionValue({ number: 4, value: hex("ab") }), hex("ab"));
  assertEquals(readOptionValue({ number: 5, value: hex("") }), hex(""));
  assertEquals(readOptionValue({ number: 2, value: hex("61") }), hex("61"));
  assertThrows(
    () => readOptionValue({ number: 12, value: hex("01 02 03 04 05") }),
    RangeError,
  );
});

Deno.test("getUintOption(), getStringOption() and getStringOptions() read messages", () => {
  const message = {
    options: [
      { number: 3, value: utf8("example.net") },
      { number: 11, value: utf8("a") },
      { number: 11, value: utf8("b") },
      { number: 12, value: hex("32") },
    ],
  };
  assertEquals(getUintOption(message, 12), 50);
  assertEquals(getUintOption(message, 14), undefined);
  assertEquals(getStringOption(message, 3), "example.net");
  assertEquals(getStringOption(message, 11), "a");
  assertEquals(getStringOption(message, 8), undefined);
  assertEquals(getStringOptions(message, 11), ["a", "b"]);
  assertEquals(getStringOptions(message, 15), []);
});
