// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { COAP_METHODS as CODEC_METHODS } from "@microcoap/codec";
import {
  COAP_METHODS,
  matchPattern,
  methodCode,
  methodName,
  parsePattern,
  Router,
} from "./router.ts";

Deno.test("parsePattern() splits literal, parameter and wildcard segments", () => {
  assertEquals(parsePattern("/").segments, []);
  assertEquals(parsePattern("/a/:b/*").segments, [
    { kind: "literal", value: "a" },
    { kind: "param", name: "b" },
    { kind: "wildcard" },
  ]);
  assertEquals(parsePattern("/a%2Fb").segments, [{
    kind: "literal",
    value: "a/b",
  }]);
  assertEquals(parsePattern("/a/b").literal, true);
  assertEquals(parsePattern("/a/:b").literal, false);
});

Deno.test("parsePattern() rejects malformed patterns", () => {
  assertThrows(() => parsePattern("a/b"), TypeError, 'does not start with "/"');
  assertThrows(
    () => parsePattern("/*/a"),
    TypeError,
    "must be the last segment",
  );
  assertThrows(() => parsePattern("/:/a"), TypeError, "not an identifier");
  assertThrows(() => parsePattern("/:a/:a"), TypeError, "appears twice");
  assertThrows(() => parsePattern("/%zz"), TypeError, "bad percent-encoding");
});

Deno.test("matchPattern() matches literals, parameters and a trailing wildcard", () => {
  assertEquals(matchPattern(parsePattern("/"), []), {});
  assertEquals(matchPattern(parsePattern("/"), ["a"]), undefined);
  assertEquals(matchPattern(parsePattern("/a/:id"), ["a", "7"]), { id: "7" });
  assertEquals(matchPattern(parsePattern("/a/:id"), ["a"]), undefined);
  assertEquals(
    matchPattern(parsePattern("/a/:id"), ["a", "7", "x"]),
    undefined,
  );
  assertEquals(matchPattern(parsePattern("/files/*"), ["files"]), { "*": "" });
  assertEquals(matchPattern(parsePattern("/files/*"), ["files", "a", "b"]), {
    "*": "a/b",
  });
  assertEquals(
    matchPattern(parsePattern("/files/*"), ["other", "a"]),
    undefined,
  );
});

Deno.test("methodName() and methodCode() map the seven methods", () => {
  assertEquals([1, 2, 3, 4, 5, 6, 7].map(methodName), [
    "GET",
    "POST",
    "PUT",
    "DELETE",
    "FETCH",
    "PATCH",
    "IPATCH",
  ]);
  assertEquals(methodName(0), undefined);
  assertEquals(methodName(8), undefined);
  assertEquals(methodCode("FETCH"), 5);
  assertThrows(
    () => methodCode("HEAD" as never),
    TypeError,
    "not a CoAP method",
  );
});

Deno.test("COAP_METHODS from the server is the codec's list, in code order", () => {
  assertStrictEquals(COAP_METHODS, CODEC_METHODS);
  assertEquals(COAP_METHODS.map(methodCode), [1, 2, 3, 4, 5, 6, 7]);
});

Deno.test("Router.match() prefers literal over parameter over wildcard", () => {
  const router = new Router<string>();
  router.add("GET", "/a/*", "wild");
  router.add("GET", "/a/:x", "param");
  router.add("GET", "/a/b", "literal");
  router.add("GET", "/a/:x/c", "param-c");
  const value = (path: string[]) => {
    const match = router.match("GET", path);
    return match.status === "found" ? match.entry.value : match.status;
  };
  assertEquals(value(["a", "b"]), "literal");
  assertEquals(value(["a", "z"]), "param");
  assertEquals(value(["a"]), "wild");
  assertEquals(value(["a", "z", "c"]), "param-c");
  assertEquals(value(["a", "z", "d"]), "wild");
  assertEquals(value(["b"]), "not-found");
});

Deno.test("Router.match() reports the allowed methods for a method mismatch", () => {
  const router = new Router<number>();
  router.add(["PUT", "GET"], "/x", 1);
  router.add("DELETE", "/x", 2);
  router.add("*", "/any", 3);
  assertEquals(router.match("POST", ["x"]), {
    status: "method-not-allowed",
    allowed: ["GET", "PUT", "DELETE"],
  });
  const any = router.match("IPATCH", ["any"]);
  assertEquals(any.status === "found" && any.entry.value, 3);
  const del = router.match("DELETE", ["x"]);
  assertEquals(del.status === "found" && del.entry.value, 2);
});

Deno.test("Router.add() rejects a second route for the same pattern and method", () => {
  const router = new Router<number>();
  router.add("GET", "/a/:x", 1);
  assertThrows(
    () => router.add(["PUT", "GET"], "/a/:y", 2),
    TypeError,
    "already answers",
  );
  router.add("PUT", "/a/:y", 2);
  router.add("GET", "/a/b", 3);
  assertThrows(() => router.add("*", "/a/:z", 4), TypeError, "already answers");
  assertThrows(
    () => router.add("BREW" as never, "/c", 5),
    TypeError,
    "not a CoAP method",
  );
  assertThrows(() => router.add([], "/c", 5), TypeError, "non-empty list");
});

Deno.test("Router.remove() takes a route out", () => {
  const router = new Router<number>();
  const entry = router.add("GET", "/a", 1);
  assertEquals(router.remove(entry), true);
  assertEquals(router.remove(entry), false);
  assertEquals(router.match("GET", ["a"]).status, "not-found");
  assertEquals(router.entries.length, 0);
});
