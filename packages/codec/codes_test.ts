// Copyright 2026 the microcoap authors. MIT license.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { COAP_METHODS, CoapCode, isRequestCode } from "./codes.ts";

Deno.test("COAP_METHODS lists the seven method names in code order", () => {
  assertEquals(COAP_METHODS.length, 7);
  COAP_METHODS.forEach((method, index) => {
    assertEquals(CoapCode[method], index + 1);
    assert(isRequestCode(CoapCode[method]));
  });
});

Deno.test("COAP_METHODS is frozen", () => {
  assert(Object.isFrozen(COAP_METHODS));
  assertThrows(() => (COAP_METHODS as string[]).push("HEAD"), TypeError);
});
