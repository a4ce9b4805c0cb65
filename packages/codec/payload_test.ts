// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertThrows } from "@std/assert";
import { encodePayload, payloadJson, payloadText } from "./payload.ts";
import { ContentFormat } from "./content_format.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("encodePayload() sends bytes as they are, with the caller's format", () => {
  const bytes = new Uint8Array([0xa1, 0x61, 0x61, 0x01]);
  assertEquals(encodePayload(bytes, ContentFormat.CBOR), {
    payload: bytes,
    contentFormat: 60,
  });
  assertEquals(encodePayload(bytes.buffer).contentFormat, undefined);
});

Deno.test("encodePayload() sends strings as UTF-8, text/plain unless told otherwise", () => {
  assertEquals(encodePayload("°C").contentFormat, 0);
  assertEquals(payloadText(encodePayload("°C").payload), "°C");
  assertEquals(
    encodePayload("</a>", ContentFormat.LINK_FORMAT).contentFormat,
    40,
  );
});

Deno.test("encodePayload() sends other values as JSON under a JSON-based format", () => {
  assertEquals(encodePayload({ a: 1 }).contentFormat, 50);
  for (
    const format of [
      ContentFormat.JSON,
      ContentFormat.MERGE_PATCH_JSON,
      ContentFormat.SENML_JSON,
    ]
  ) {
    const encoded = encodePayload([{ n: "t", v: 21.5 }], format);
    assertEquals(encoded.contentFormat, format);
    assertEquals(payloadJson(encoded.payload), [{ n: "t", v: 21.5 }]);
  }
});

Deno.test("encodePayload() allows JSON text as text/plain and under unregistered formats", () => {
  assertEquals(
    text(encodePayload(21.5, ContentFormat.TEXT_PLAIN).payload),
    "21.5",
  );
  assertEquals(encodePayload({ a: 1 }, 65000).contentFormat, 65000);
});

Deno.test("encodePayload() rejects a JSON-encoded value under a registered non-JSON format", () => {
  // JSON text labelled application/cbor would be read as garbage by the peer.
  const error = assertThrows(
    () => encodePayload({ a: 1 }, ContentFormat.CBOR),
    TypeError,
    "Cannot encode payload: an object would be sent as JSON, but Content-Format 60 (application/cbor) is not JSON; encode it to a Uint8Array first",
  );
  assertEquals(error.name, "TypeError");
  for (
    const format of [
      ContentFormat.SENML_CBOR,
      ContentFormat.OCTET_STREAM,
      ContentFormat.LINK_FORMAT,
    ]
  ) {
    assertThrows(() => encodePayload([1, 2], format), TypeError, "is not JSON");
  }
  assertThrows(
    () => encodePayload(true, ContentFormat.CBOR),
    TypeError,
    "a boolean would be sent as JSON",
  );
});

Deno.test("encodePayload() rejects values that are not JSON-able", () => {
  assertThrows(
    () => encodePayload((() => 1) as unknown as string),
    TypeError,
    "Cannot encode payload: a function is not JSON-able",
  );
  assertThrows(
    () => encodePayload(undefined as unknown as string),
    TypeError,
    "Cannot encode payload: undefined is not JSON-able",
  );
});

Deno.test("encodePayload() rejects a DataView or a typed array other than Uint8Array instead of sending its JSON", () => {
  // JSON.stringify(new Uint16Array([1, 2])) is '{"0":1,"1":2}': binary data
  // would go out as a JSON object under application/json.
  for (
    const value of [
      new Uint16Array([1, 2]),
      new Int8Array(2),
      new Float32Array(1),
      new DataView(new ArrayBuffer(2)),
      new Uint8ClampedArray(2),
    ]
  ) {
    assertThrows(
      () => encodePayload(value as unknown as string),
      TypeError,
      `Cannot encode payload: a ${value.constructor.name} is not a payload`,
    );
  }
});
