// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertThrows } from "@std/assert";
import {
  ContentFormat,
  contentFormatName,
  parseContentFormat,
} from "./content_format.ts";

Deno.test("ContentFormat holds the RFC 7252 §12.3 identifiers", () => {
  assertEquals(ContentFormat.TEXT_PLAIN, 0);
  assertEquals(ContentFormat.LINK_FORMAT, 40);
  assertEquals(ContentFormat.XML, 41);
  assertEquals(ContentFormat.OCTET_STREAM, 42);
  assertEquals(ContentFormat.EXI, 47);
  assertEquals(ContentFormat.JSON, 50);
  assertEquals(ContentFormat.CBOR, 60);
  assertEquals(ContentFormat.SENML_JSON, 110);
  assertEquals(ContentFormat.SENML_CBOR, 112);
  assertEquals(ContentFormat.COAP_GROUP_JSON, 256);
});

Deno.test("contentFormatName() gives the media type of every ContentFormat", () => {
  const expected: Record<number, string> = {
    0: "text/plain;charset=utf-8",
    18: 'application/cose;cose-type="cose-sign1"',
    40: "application/link-format",
    41: "application/xml",
    42: "application/octet-stream",
    47: "application/exi",
    50: "application/json",
    51: "application/json-patch+json",
    52: "application/merge-patch+json",
    60: "application/cbor",
    61: "application/cwt",
    110: "application/senml+json",
    111: "application/sensml+json",
    112: "application/senml+cbor",
    113: "application/sensml+cbor",
    114: "application/senml-exi",
    115: "application/sensml-exi",
    140: "application/yang-data+cbor;id=sid",
    256: "application/coap-group+json",
    257: "application/concise-problem-details+cbor",
  };
  for (const [id, name] of Object.entries(expected)) {
    assertEquals(contentFormatName(Number(id)), name);
  }
  for (const id of Object.values(ContentFormat)) {
    const name = contentFormatName(id);
    assertEquals(typeof name, "string", `${id}`);
    // Every name parses back to its identifier.
    assertEquals(parseContentFormat(name!), id, name);
  }
});

Deno.test("contentFormatName() returns undefined for unregistered identifiers", () => {
  for (const id of [1, 15, 43, 9999, 65000, 65535, -1, 0.5]) {
    assertEquals(contentFormatName(id), undefined);
  }
});

Deno.test("parseContentFormat() accepts short names", () => {
  const cases: [string, number][] = [
    ["text", 0],
    ["text/plain", 0],
    ["json", 50],
    ["cbor", 60],
    ["xml", 41],
    ["exi", 47],
    ["link-format", 40],
    ["octet-stream", 42],
    ["senml+json", 110],
    ["senml+cbor", 112],
    ["cose-sign1", 18],
    ["coap-group+json", 256],
  ];
  for (const [text, id] of cases) {
    assertEquals(parseContentFormat(text), id, text);
  }
});

Deno.test("parseContentFormat() ignores case, spacing and parameter quotes", () => {
  assertEquals(parseContentFormat("Text/Plain; Charset=UTF-8"), 0);
  assertEquals(parseContentFormat(" application/JSON "), 50);
  assertEquals(
    parseContentFormat("application/cose; cose-type=cose-sign1"),
    18,
  );
  assertEquals(parseContentFormat('application/yang-data+cbor; id="sid"'), 140);
});

Deno.test("parseContentFormat() accepts decimal identifiers up to 65535", () => {
  assertEquals(parseContentFormat("50"), 50);
  assertEquals(parseContentFormat("0"), 0);
  assertEquals(parseContentFormat("65535"), 65535);
  assertEquals(parseContentFormat("12345"), 12345);
});

Deno.test("parseContentFormat() rejects unknown names and numbers over 65535", () => {
  for (const text of ["application/unknown", "", "65536", "-1", "1.5", "jso"]) {
    assertThrows(
      () => parseContentFormat(text),
      RangeError,
      "is not a known media type",
    );
  }
});
