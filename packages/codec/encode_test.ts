// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertThrows } from "@std/assert";
import { encode } from "./encode.ts";
import type { CoapMessage, CoapOption, CoapType } from "./message.ts";
import { hex, utf8 } from "./_testing.ts";
import { EXAMPLES } from "./testdata/rfc7252_examples.ts";

function message(overrides: Partial<CoapMessage> = {}): CoapMessage {
  return {
    type: "CON",
    code: 0x01,
    messageId: 0x1234,
    token: new Uint8Array(0),
    options: [],
    payload: new Uint8Array(0),
    ...overrides,
  };
}

function withOptions(...options: CoapOption[]): CoapMessage {
  return message({ options });
}

Deno.test("encode() writes the RFC 7252 Appendix A examples byte for byte", () => {
  for (const example of EXAMPLES) {
    assertEquals(encode(example.message), example.bytes, example.name);
  }
});

Deno.test("encode() writes the type, token length, code and message ID header", () => {
  const types: [CoapType, number][] = [
    ["CON", 0x40],
    ["NON", 0x50],
    ["ACK", 0x60],
    ["RST", 0x70],
  ];
  for (const [type, first] of types) {
    assertEquals(
      encode(
        message({
          type,
          code: 0xa5,
          messageId: 0xfffe,
          token: hex("0102030405060708"),
        }),
      ),
      hex(`${(first | 8).toString(16)} a5 ff fe 01 02 03 04 05 06 07 08`),
    );
  }
});

Deno.test("encode() writes option deltas at every size boundary", () => {
  const empty = new Uint8Array(0);
  const cases: [number, string][] = [
    [12, "c0"],
    [13, "d0 00"],
    [14, "d0 01"],
    [268, "d0 ff"],
    [269, "e0 00 00"],
    [270, "e0 00 01"],
    [65535, "e0 fe f2"],
  ];
  for (const [number, bytes] of cases) {
    assertEquals(
      encode(withOptions({ number, value: empty })),
      hex(`40 01 12 34 ${bytes}`),
      `option ${number}`,
    );
  }
  // Deltas are taken from the previous option, not from zero.
  assertEquals(
    encode(withOptions(
      { number: 1000, value: empty },
      { number: 1013, value: empty },
      { number: 1282, value: empty },
    )),
    hex("40 01 12 34 e0 02 db d0 00 e0 00 00"),
  );
});

Deno.test("encode() writes option lengths at every size boundary", () => {
  // Option 2 is unregistered, so the wire format is its only limit.
  const cases: [number, string][] = [
    [0, "20"],
    [12, "2c"],
    [13, "2d 00"],
    [268, "2d ff"],
    [269, "2e 00 00"],
    [300, "2e 00 1f"],
    [65804, "2e ff ff"],
  ];
  for (const [length, head] of cases) {
    const value = new Uint8Array(length).fill(0xab);
    const bytes = encode(withOptions({ number: 2, value }));
    const headBytes = hex(head);
    assertEquals(
      bytes.subarray(4, 4 + headBytes.length),
      headBytes,
      `${length}`,
    );
    assertEquals(bytes.length, 4 + headBytes.length + length);
    assertEquals(bytes.subarray(4 + headBytes.length), value);
  }
});

Deno.test("encode() writes the payload marker only before a non-empty payload", () => {
  assertEquals(encode(message()), hex("40 01 12 34"));
  assertEquals(
    encode(message({ payload: utf8("hi") })),
    hex("40 01 12 34 ff 68 69"),
  );
});

Deno.test("encode() sorts out-of-order options, keeping repeats in order", () => {
  const a = utf8("a");
  const b = utf8("b");
  const c = utf8("c");
  const options: CoapOption[] = [
    { number: 15, value: utf8("q") },
    { number: 11, value: a },
    { number: 12, value: new Uint8Array([50]) },
    { number: 11, value: b },
    { number: 3, value: utf8("h") },
    { number: 11, value: c },
  ];
  const input = withOptions(...options);
  assertEquals(
    encode(input),
    hex("40 01 12 34 31 68 81 61 01 62 01 63 11 32 31 71"),
  );
  // The caller's array is left as it was.
  assertEquals(input.options[0]!.number, 15);
});

Deno.test("encode() accepts option number 65535 and the longest option values", () => {
  const bytes = encode(withOptions(
    { number: 35, value: new Uint8Array(1034) },
    { number: 65535, value: new Uint8Array(65804) },
  ));
  // Each option head: 1 byte, 1 or 2 for the delta, 2 for the length.
  assertEquals(bytes.length, 4 + (1 + 1 + 2) + 1034 + (1 + 2 + 2) + 65804);
});

Deno.test("encode() rejects a token longer than 8 bytes", () => {
  assertThrows(
    () => encode(message({ token: new Uint8Array(9) })),
    RangeError,
    "token length is 9, at most 8 allowed",
  );
});

Deno.test("encode() rejects a message ID outside 0 to 65535", () => {
  for (const messageId of [-1, 65536, 1.5, NaN]) {
    assertThrows(
      () => encode(message({ messageId })),
      RangeError,
      "message ID",
    );
  }
});

Deno.test("encode() rejects an unknown type", () => {
  assertThrows(
    () => encode(message({ type: "FOO" as CoapType })),
    TypeError,
    'type is "FOO"',
  );
});

Deno.test("encode() rejects a code outside 0 to 255", () => {
  for (const code of [-1, 256, 2.5, NaN]) {
    assertThrows(() => encode(message({ code })), RangeError, "code");
  }
});

Deno.test("encode() rejects an option number outside 0 to 65535", () => {
  for (const number of [-1, 65536, 1.5]) {
    assertThrows(
      () => encode(withOptions({ number, value: new Uint8Array(0) })),
      RangeError,
      "number",
    );
  }
});

Deno.test("encode() rejects a value too long for its registered option", () => {
  const cases: [number, number][] = [
    [1, 9], // If-Match
    [3, 256], // Uri-Host
    [5, 1], // If-None-Match
    [6, 4], // Observe
    [11, 256], // Uri-Path
    [12, 3], // Content-Format
    [16, 2], // Hop-Limit
    [23, 4], // Block2
    [35, 1035], // Proxy-Uri
    [252, 41], // Echo
    [292, 9], // Request-Tag
  ];
  for (const [number, length] of cases) {
    assertThrows(
      () => encode(withOptions({ number, value: new Uint8Array(length) })),
      RangeError,
      `Cannot encode option ${number}: value length is ${length}`,
    );
    // One byte less is fine.
    encode(withOptions({ number, value: new Uint8Array(length - 1) }));
  }
});

Deno.test("encode() rejects a value longer than the wire format allows", () => {
  assertThrows(
    () => encode(withOptions({ number: 2, value: new Uint8Array(65805) })),
    RangeError,
    "at most 65804 allowed",
  );
});

Deno.test("encode() results never share bytes with each other", () => {
  const first = encode(message({ payload: utf8("one") }));
  const second = encode(message({ payload: utf8("two") }));
  first.fill(0);
  assertEquals(second, hex("40 01 12 34 ff 74 77 6f"));
  const ends = [first, second].map((
    b,
  ) => [b.byteOffset, b.byteOffset + b.length]);
  if (first.buffer === second.buffer) {
    assertEquals(
      ends[0]![1]! <= ends[1]![0]! || ends[1]![1]! <= ends[0]![0]!,
      true,
    );
  }
});

Deno.test("encode() gives large messages an array of their own", () => {
  const bytes = encode(message({ payload: new Uint8Array(5000) }));
  assertEquals(bytes.byteOffset, 0);
  assertEquals(bytes.buffer.byteLength, bytes.length);
});

Deno.test("encode() keeps working after its shared buffer was transferred", () => {
  const bytes = encode(message());
  const pool = bytes.buffer as ArrayBuffer;
  structuredClone(pool, { transfer: [pool] });
  assertEquals(bytes.length, 0);
  assertEquals(encode(message()), hex("40 01 12 34"));
});

Deno.test("encode() fills many shared buffers without mixing messages", () => {
  const all: Uint8Array[] = [];
  for (let i = 0; i < 2000; i++) {
    all.push(
      encode(
        message({
          messageId: i,
          payload: new Uint8Array(i % 300).fill(i & 0xff),
        }),
      ),
    );
  }
  for (let i = 0; i < 2000; i++) {
    const bytes = all[i]!;
    assertEquals((bytes[2]! << 8) | bytes[3]!, i);
    assertEquals(bytes.length, 4 + (i % 300 === 0 ? 0 : 1 + (i % 300)));
    assertEquals(bytes.subarray(5).every((b) => b === (i & 0xff)), true);
  }
});
