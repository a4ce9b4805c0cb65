// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertThrows } from "@std/assert";
import { encodeBlock, encodeUint } from "@microcoap/codec";
import type { CoapOption } from "@microcoap/codec";
import { CoapRequest } from "./request.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

function request(options: CoapOption[], payload = new Uint8Array(0)) {
  return new CoapRequest({
    method: "GET",
    peer: { hostname: "::1", port: 1 },
    message: {
      type: "NON",
      code: 1,
      messageId: 9,
      token: new Uint8Array([7]),
      options,
      payload,
    },
  });
}

Deno.test("CoapRequest exposes path, query and typed options", () => {
  const r = request([
    { number: 1, value: new Uint8Array([1]) },
    { number: 4, value: new Uint8Array([0xaa]) },
    { number: 4, value: new Uint8Array([0xbb]) },
    { number: 5, value: new Uint8Array(0) },
    { number: 6, value: new Uint8Array(0) },
    { number: 11, value: utf8("a b") },
    { number: 11, value: utf8("c") },
    { number: 15, value: utf8("x=1") },
    { number: 15, value: utf8("flag") },
    { number: 15, value: utf8("x=2=3") },
    { number: 17, value: encodeUint(50) },
    { number: 23, value: encodeBlock({ num: 3, more: false, szx: 2 }) },
    { number: 27, value: encodeBlock({ num: 1, more: true, szx: 6 }) },
    { number: 28, value: new Uint8Array(0) },
    { number: 60, value: encodeUint(4096) },
    { number: 292, value: new Uint8Array([1, 2]) },
  ]);
  assertEquals(r.path, "/a b/c");
  assertEquals(r.segments, ["a b", "c"]);
  assertEquals(r.query.getAll("x"), ["1", "2=3"]);
  assertEquals(r.query.get("flag"), "");
  assertEquals(r.accept, 50);
  assertEquals(r.contentFormat, undefined);
  assertEquals(r.observe, 0);
  assertEquals(r.block2, { num: 3, more: false, szx: 2 });
  assertEquals(r.block1, { num: 1, more: true, szx: 6 });
  assertEquals(r.size2, 0);
  assertEquals(r.size1, 4096);
  assertEquals(r.etags, [new Uint8Array([0xaa]), new Uint8Array([0xbb])]);
  assertEquals(r.etag, new Uint8Array([0xaa]));
  assertEquals(r.ifMatch, [new Uint8Array([1])]);
  assertEquals(r.ifNoneMatch, true);
  assertEquals(r.requestTags, [new Uint8Array([1, 2])]);
  assertEquals(r.confirmable, false);
  assertEquals(r.token, new Uint8Array([7]));
  assertEquals(r.option(17), new Uint8Array([50]));
  assertEquals(r.method, "GET");
  assertEquals(r.code, 1);
  assertEquals(r.params, {});
});

Deno.test("CoapRequest reads the root path and malformed options as absent", () => {
  const r = request([
    { number: 6, value: new Uint8Array([1, 2, 3, 4]) },
    { number: 23, value: new Uint8Array([7]) },
  ], utf8("not json"));
  assertEquals(r.path, "/");
  assertEquals(r.observe, undefined);
  assertEquals(r.block2, undefined);
  assertEquals(r.text(), "not json");
  assertThrows(() => r.json(), SyntaxError);
});
