// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals } from "@std/assert";
import { formatPeerAddress } from "./format_peer_address.ts";

Deno.test("formatPeerAddress() writes IPv4 addresses and names as host:port", () => {
  assertEquals(
    formatPeerAddress({ hostname: "192.0.2.1", port: 61616 }),
    "192.0.2.1:61616",
  );
  assertEquals(
    formatPeerAddress({ hostname: "localhost", port: 5683 }),
    "localhost:5683",
  );
});

Deno.test("formatPeerAddress() puts IPv6 addresses in brackets, scope id included", () => {
  assertEquals(
    formatPeerAddress({ hostname: "2001:db8::1", port: 5683 }),
    "[2001:db8::1]:5683",
  );
  assertEquals(
    formatPeerAddress({ hostname: "fe80::1%eth0", port: 5684 }),
    "[fe80::1%eth0]:5684",
  );
});
