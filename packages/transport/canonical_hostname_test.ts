// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals } from "@std/assert";
import { canonicalHostname } from "./canonical_hostname.ts";

Deno.test("canonicalHostname() writes an IPv6 address as transports report it (RFC 5952)", () => {
  const cases: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["0000:0000:0000:0000:0000:0000:0000:0001", "::1"],
    ["0:0::1", "::1"],
    ["1::", "1::"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["1:0:0:0:0:ffff:a00:1", "1::ffff:a00:1"],
    ["FF02::FD", "ff02::fd"],
  ];
  for (const [input, want] of cases) {
    assertEquals(canonicalHostname(input), want, input);
  }
});

Deno.test("canonicalHostname() gives an IPv4-mapped IPv6 address as its IPv4 address, as transports report senders", () => {
  const cases: [string, string][] = [
    ["::ffff:10.0.0.1", "10.0.0.1"],
    ["::FFFF:127.0.0.1", "127.0.0.1"],
    ["0:0:0:0:0:FFFF:a00:1", "10.0.0.1"],
    ["::ffff:7f00:1", "127.0.0.1"],
    ["::ffff:0:0", "0.0.0.0"],
    ["::ffff:127.0.0.1%lo", "127.0.0.1"],
  ];
  for (const [input, want] of cases) {
    assertEquals(canonicalHostname(input), want, input);
  }
});

Deno.test("canonicalHostname() keeps a zone only on addresses that need one (RFC 4007 §6)", () => {
  const cases: [string, string][] = [
    ["fe80::0001%eth0", "fe80::1%eth0"],
    ["FE80:0:0:0:0:0:0:1%Eth0", "fe80::1%Eth0"],
    ["febf::1%2", "febf::1%2"],
    ["ff02::fd%eth0", "ff02::fd%eth0"],
    ["ff01::1%lo", "ff01::1%lo"],
    // Sockets ignore a zone on these and report their senders without one.
    ["::1%lo", "::1"],
    ["2001:db8::1%eth0", "2001:db8::1"],
    ["fec0::1%eth0", "fec0::1"],
    ["ff05::fd%eth0", "ff05::fd"],
  ];
  for (const [input, want] of cases) {
    assertEquals(canonicalHostname(input), want, input);
  }
});

Deno.test("canonicalHostname() returns IPv4 addresses, names and text that is no address unchanged", () => {
  for (
    const input of [
      "127.0.0.1",
      "localhost",
      "coap.example",
      "",
      "nonsense",
      "1:2:3",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "::1]/x[::2",
      "::1]:80",
      "[::1]",
      "::1%",
      "fe80::1%",
      "g::1",
    ]
  ) {
    assertEquals(canonicalHostname(input), input, input);
  }
  // Not a string: handed back for the transport's own checks to report.
  assertEquals(canonicalHostname(undefined as unknown as string), undefined);
});
