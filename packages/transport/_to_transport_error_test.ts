// Copyright 2026 the microcoap authors. MIT license.
import {
  assertEquals,
  assertInstanceOf,
  assertStrictEquals,
} from "@std/assert";
import { badDestination, toTransportError } from "./_to_transport_error.ts";
import { TransportError } from "./transport_error.ts";

Deno.test("toTransportError() keeps OS codes, describes them and keeps the cause", () => {
  const cause = Object.assign(new Error("bind EADDRINUSE 0.0.0.0:5683"), {
    code: "EADDRINUSE",
  });
  const error = toTransportError(
    cause,
    "Cannot bind UDP socket to 0.0.0.0:5683",
  );
  assertInstanceOf(error, TransportError);
  assertEquals(
    error.message,
    "Cannot bind UDP socket to 0.0.0.0:5683: address already in use (EADDRINUSE)",
  );
  assertEquals(error.code, "EADDRINUSE");
  assertStrictEquals(error.cause, cause);
});

Deno.test("toTransportError() maps Node argument errors and TypeErrors to EINVAL", () => {
  const node = Object.assign(new RangeError("bad port"), {
    code: "ERR_SOCKET_BAD_PORT",
  });
  assertEquals(toTransportError(node, "Cannot send").code, "EINVAL");
  assertEquals(
    toTransportError(new URIError("bad host"), "Cannot send").code,
    "EINVAL",
  );
});

Deno.test("toTransportError() uses the fallback code and the original message otherwise", () => {
  const error = toTransportError(new Error("modem says no"), "Cannot send", {
    hostname: "h",
    port: 1,
  }, "EIO");
  assertEquals(error.code, "EIO");
  assertEquals(error.message, "Cannot send: modem says no (EIO)");
  assertEquals(error.peer, { hostname: "h", port: 1 });
  assertEquals(
    toTransportError("just a string", "Cannot send").code,
    "UNKNOWN",
  );
});

Deno.test("toTransportError() returns a TransportError unchanged", () => {
  const error = new TransportError("x", { code: "EIO" });
  assertStrictEquals(toTransportError(error, "Cannot send"), error);
});

Deno.test("badDestination() names the destination, brackets IPv6 and codes EINVAL", () => {
  const error = badDestination(
    { hostname: "::1", port: 0 },
    "port must be an integer from 1 to 65535",
  );
  assertEquals(
    error.message,
    "Cannot send datagram to [::1]:0: port must be an integer from 1 to 65535",
  );
  assertEquals(error.code, "EINVAL");
  assertEquals(
    // @ts-expect-error: null at run time
    badDestination(null, "address is not an object").peer,
    undefined,
  );
});
