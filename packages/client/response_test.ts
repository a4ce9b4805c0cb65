// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals } from "@std/assert";
import { CoapOptionNumber } from "@microcoap/codec";
import type { CoapOption } from "@microcoap/codec";
import { CoapResponse } from "./mod.ts";

function response(
  options: CoapOption[],
  payload = new Uint8Array(0),
): CoapResponse {
  return new CoapResponse(
    {
      type: "CON",
      code: 0x45,
      messageId: 3,
      token: new Uint8Array([7]),
      options,
      payload,
    },
    { peer: { hostname: "::1", port: 5683 } },
  );
}

Deno.test("CoapResponse getters tolerate malformed option values", () => {
  const bad = response([
    { number: CoapOptionNumber.OBSERVE, value: new Uint8Array(4) },
    { number: CoapOptionNumber.CONTENT_FORMAT, value: new Uint8Array(5) },
    { number: CoapOptionNumber.MAX_AGE, value: new Uint8Array(5) },
    { number: CoapOptionNumber.BLOCK2, value: new Uint8Array([0x0f]) },
  ]);
  assertEquals(bad.observe, undefined);
  assertEquals(bad.contentFormat, undefined);
  assertEquals(bad.maxAge, 60);
  assertEquals(bad.block2, undefined);
});

Deno.test("CoapResponse reads Block2 and Observe 0, and names unknown codes undefined", () => {
  const message = response([
    { number: CoapOptionNumber.OBSERVE, value: new Uint8Array(0) },
    { number: CoapOptionNumber.BLOCK2, value: new Uint8Array([0x1e]) },
  ]);
  assertEquals(message.observe, 0);
  assertEquals(message.block2, { num: 1, more: true, szx: 6 });
  assertEquals(message.type, "CON");
  const odd = new CoapResponse(
    {
      type: "NON",
      code: 0x5e,
      messageId: 1,
      token: new Uint8Array(0),
      options: [],
      payload: new Uint8Array(0),
    },
    { peer: { hostname: "127.0.0.1", port: 1 } },
  );
  assertEquals([odd.codeText, odd.codeName, odd.ok], ["2.30", undefined, true]);
});

Deno.test("CoapResponse uses a reassembled payload over the message's own", () => {
  const whole = new TextEncoder().encode("whole");
  const reassembled = new CoapResponse(
    {
      type: "ACK",
      code: 0x45,
      messageId: 1,
      token: new Uint8Array(0),
      options: [],
      payload: new Uint8Array([1]),
    },
    { peer: { hostname: "127.0.0.1", port: 1 }, payload: whole },
  );
  assertEquals(reassembled.text(), "whole");
});

Deno.test("CoapResponse getters ignore options whose length is out of their range (RFC 7252 §5.4.3)", () => {
  // Content-Format is 0-2 bytes, ETag 1-8, Location-* 0-255: a value of
  // another length is treated as an unrecognised elective option.
  const bad = response([
    { number: CoapOptionNumber.ETAG, value: new Uint8Array(9) },
    { number: CoapOptionNumber.LOCATION_PATH, value: new Uint8Array(256) },
    { number: CoapOptionNumber.LOCATION_PATH, value: new Uint8Array([0x61]) },
    { number: CoapOptionNumber.CONTENT_FORMAT, value: new Uint8Array(3) },
    { number: CoapOptionNumber.LOCATION_QUERY, value: new Uint8Array(256) },
  ]);
  assertEquals(bad.contentFormat, undefined);
  assertEquals(bad.etag, undefined);
  assertEquals(bad.locationPath, ["a"]);
  assertEquals(bad.locationQuery, []);
  const empty = response([
    { number: CoapOptionNumber.ETAG, value: new Uint8Array(0) },
    { number: CoapOptionNumber.CONTENT_FORMAT, value: new Uint8Array([1, 0]) },
  ]);
  assertEquals(empty.etag, undefined);
  assertEquals(empty.contentFormat, 256);
  const good = response([
    { number: CoapOptionNumber.ETAG, value: new Uint8Array(8).fill(1) },
  ]);
  assertEquals(good.etag, new Uint8Array(8).fill(1));
});
