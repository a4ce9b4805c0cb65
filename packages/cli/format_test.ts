// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertMatch } from "@std/assert";
import { encode as encodeCbor } from "cborg";
import {
  decodePayload,
  describeCode,
  describeOption,
  formatLinks,
  formatPayload,
  hexDump,
  optionToJson,
  responseToJson,
} from "./format.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

Deno.test("decodePayload() gives text for text/plain and printable UTF-8 without a format", () => {
  assertEquals(decodePayload(utf8("héllo\n"), 0), {
    format: "text",
    value: "héllo\n",
  });
  assertEquals(decodePayload(utf8("plain\ttext"), undefined), {
    format: "text",
    value: "plain\ttext",
  });
  assertEquals(decodePayload(utf8("<a/>"), 41).format, "text");
});

Deno.test("decodePayload() gives hex for binary formats and unprintable bytes without a format", () => {
  assertEquals(decodePayload(new Uint8Array([1, 2, 0xff]), undefined), {
    format: "binary",
    value: "0102ff",
  });
  assertEquals(decodePayload(utf8("text"), 42), {
    format: "binary",
    value: "74657874",
  });
  assertEquals(decodePayload(new Uint8Array([0]), 9999).format, "binary");
});

Deno.test("decodePayload() gives empty for no payload", () => {
  assertEquals(decodePayload(new Uint8Array(0), 50), {
    format: "empty",
    value: null,
  });
});

Deno.test("decodePayload() parses JSON formats and keeps invalid JSON as text with an error", () => {
  assertEquals(decodePayload(utf8('{"a":[1,2]}'), 50).value, { a: [1, 2] });
  assertEquals(decodePayload(utf8('[{"n":"t","v":1}]'), 110).format, "json");
  const bad = decodePayload(utf8("{nope"), 50);
  assertEquals(bad.format, "text");
  assertEquals(bad.value, "{nope");
  assertMatch(bad.error!, /JSON|Expected|token/i);
  assertEquals(
    decodePayload(new Uint8Array([0xff, 0xfe]), 50).format,
    "binary",
  );
});

Deno.test("decodePayload() turns CBOR into JSON values: maps, byte strings, tags, big integers", () => {
  assertEquals(
    decodePayload(encodeCbor({ t: 21.5, on: true, list: [1, "x"] }), 60).value,
    { t: 21.5, on: true, list: [1, "x"] },
  );
  // {1: h'0102'}
  assertEquals(
    decodePayload(new Uint8Array([0xa1, 0x01, 0x42, 0x01, 0x02]), 60).value,
    { "1": "h'0102'" },
  );
  // 1(1363896240): an epoch time tag
  assertEquals(
    decodePayload(new Uint8Array([0xc1, 0x1a, 0x51, 0x4b, 0x67, 0xb0]), 60)
      .value,
    { tag: 1, value: 1363896240 },
  );
  // 2^64 - 1, undefined, NaN
  assertEquals(
    decodePayload(
      new Uint8Array([0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      60,
    ).value,
    "18446744073709551615",
  );
  assertEquals(decodePayload(new Uint8Array([0xf7]), 60).value, null);
  assertEquals(
    decodePayload(new Uint8Array([0xf9, 0x7e, 0x00]), 60).value,
    "NaN",
  );
  // SenML+CBOR by its media type suffix
  assertEquals(decodePayload(encodeCbor([{ n: "t" }]), 112).value, [{
    n: "t",
  }]);
});

Deno.test("decodePayload() decodes CBOR sequences into an array and keeps bad CBOR as hex", () => {
  assertEquals(
    decodePayload(new Uint8Array([0x01, 0x61, 0x61, 0xf5]), 63).value,
    [1, "a", true],
  );
  const bad = decodePayload(new Uint8Array([0x1b, 0x01]), 60);
  assertEquals(bad.format, "binary");
  assertEquals(bad.value, "1b01");
  assertMatch(bad.error!, /CBOR/);
});

Deno.test("decodePayload() parses link-format and falls back on text when it is malformed", () => {
  assertEquals(decodePayload(utf8('</a>;rt="x";obs,</b>'), 40), {
    format: "link-format",
    value: [
      { href: "/a", attributes: { rt: "x", obs: true } },
      { href: "/b", attributes: {} },
    ],
  });
  const bad = decodePayload(utf8("not a link"), 40);
  assertEquals(bad.format, "text");
  assertEquals(typeof bad.error, "string");
});

Deno.test("formatPayload() prints text as is, JSON and CBOR pretty, links as a list, binary as a dump", () => {
  assertEquals(formatPayload(utf8("hello world"), 0), "hello world");
  assertEquals(formatPayload(utf8('{"a":1}'), 50), '{\n  "a": 1\n}');
  assertEquals(formatPayload(encodeCbor({ a: 1 }), 60), '{\n  "a": 1\n}');
  assertEquals(
    formatPayload(utf8("</hello>;ct=0,</time>;obs"), 40),
    "/hello  ct=0\n/time   obs\n",
  );
  assertEquals(
    formatPayload(new Uint8Array([0, 1]), 42),
    "00000000  00 01                                             |..|\n",
  );
  assertEquals(formatPayload(new Uint8Array(0), 0), "");
});

Deno.test("hexDump() writes 16 bytes a line with offsets and ASCII", () => {
  const bytes = utf8("0123456789abcdefXYZ");
  assertEquals(
    hexDump(bytes),
    "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n" +
      "00000010  58 59 5a                                          |XYZ|\n",
  );
  assertEquals(hexDump(new Uint8Array(0)), "");
});

Deno.test("formatLinks() lists quoted strings, numbers, flags and lists", () => {
  assertEquals(
    formatLinks([
      {
        href: "/s",
        attributes: { rt: ["a", "b"], sz: 10, obs: true, title: 'say "hi"' },
      },
      { href: "/longer", attributes: {} },
    ]),
    '/s       rt="a b" sz=10 obs title="say \\"hi\\""\n/longer\n',
  );
});

Deno.test("describeCode() names registered codes", () => {
  assertEquals(describeCode(0x45), "2.05 Content");
  assertEquals(describeCode(0xa0), "5.00 Internal Server Error");
  assertEquals(describeCode(0x8d), "4.13 Request Entity Too Large");
  assertEquals(describeCode(0x5e), "2.30");
});

Deno.test("describeOption() and optionToJson() show typed values", () => {
  assertEquals(
    describeOption({ number: 11, value: utf8("hello") }),
    'Uri-Path: "hello"',
  );
  assertEquals(
    describeOption({ number: 17, value: new Uint8Array([60]) }),
    "Accept: 60 (application/cbor)",
  );
  assertEquals(
    describeOption({ number: 27, value: new Uint8Array([0x16]) }),
    "Block1: 1/last/1024",
  );
  assertEquals(
    describeOption({ number: 4, value: new Uint8Array([0xab]) }),
    "ETag: 0xab",
  );
  assertEquals(
    describeOption({ number: 2048, value: new Uint8Array([1]) }),
    "Option 2048: 0x01",
  );
  assertEquals(
    describeOption({ number: 6, value: new Uint8Array([1, 0]) }),
    "Observe: 256",
  );
  assertEquals(optionToJson({ number: 2048, value: new Uint8Array(0) }), {
    number: 2048,
    value: "0x",
  });
  assertEquals(optionToJson({ number: 15, value: utf8("a=1") }), {
    number: 15,
    name: "Uri-Query",
    value: "a=1",
  });
});

Deno.test("responseToJson() gives code, name, type, options, format, observe and the decoded payload", () => {
  assertEquals(
    responseToJson({
      code: 0x45,
      type: "CON",
      options: [
        { number: 6, value: new Uint8Array([7]) },
        { number: 12, value: new Uint8Array([50]) },
      ],
      payload: utf8('{"t":1}'),
    }),
    {
      code: "2.05",
      codeName: "CONTENT",
      type: "CON",
      options: [
        { number: 6, name: "Observe", value: 7 },
        { number: 12, name: "Content-Format", value: 50 },
      ],
      contentFormat: 50,
      observe: 7,
      payloadFormat: "json",
      payload: { t: 1 },
    },
  );
  const empty = responseToJson({
    code: 0x84,
    type: "ACK",
    options: [],
    payload: new Uint8Array(0),
  });
  assertEquals(empty.codeName, "NOT_FOUND");
  assertEquals(empty.contentFormat, null);
  assertEquals(empty.payloadFormat, "empty");
});

Deno.test("responseToJson() gives null for a Content-Format or Observe value longer than 4 bytes, and reads a 4-byte one", () => {
  const long = responseToJson({
    code: 0x45,
    type: "ACK",
    options: [
      { number: 6, value: new Uint8Array([1, 2, 3, 4, 5]) },
      { number: 12, value: new Uint8Array([0, 0, 0, 0, 50]) },
    ],
    payload: new Uint8Array(0),
  });
  assertEquals([long.observe, long.contentFormat], [null, null]);
  const four = responseToJson({
    code: 0x45,
    type: "ACK",
    options: [{ number: 12, value: new Uint8Array([0xff, 0xff, 0xff, 0xff]) }],
    payload: new Uint8Array(0),
  });
  assertEquals(four.contentFormat, 0xffffffff);
});
