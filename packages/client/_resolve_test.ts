// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals } from "@std/assert";
import {
  canonicalIpv6,
  pickAddress,
  resolveHost,
  systemLookup,
} from "./_resolve.ts";
Deno.test("canonicalIpv6() writes an IPv6 address as transports report it (RFC 5952)", () => {
  const cases: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1::", "1::"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
    ["0:0:0:0:0:FFFF:a00:1", "::ffff:10.0.0.1"],
    ["fe80::0001%eth0", "fe80::1%eth0"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["nonsense", "nonsense"],
    ["1:2:3", "1:2:3"],
    ["1::2::3", "1::2::3"],
    ["::ffff:0:0", "::ffff:0.0.0.0"],
    ["1:0:0:0:0:ffff:a00:1", "1::ffff:a00:1"],
    ["::1]/x[::2", "::1]/x[::2"],
    ["::1]:80", "::1]:80"],
    ["1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8:9"],
  ];
  for (const [input, want] of cases) {
    assertEquals(canonicalIpv6(input), want, input);
  }
});

Deno.test("resolveHost() takes an IPv4-mapped IPv6 address as the IPv4 address transports report", async () => {
  const never = () => Promise.reject(new Error("no lookup for a literal"));
  for (
    const literal of [
      "::ffff:127.0.0.1",
      "::FFFF:7f00:1",
      "0:0:0:0:0:ffff:7f00:1",
    ]
  ) {
    assertEquals(await resolveHost(literal, never), {
      address: "127.0.0.1",
      family: 4,
    }, literal);
  }
  assertEquals(
    await resolveHost(
      "mapped.test",
      () => Promise.resolve({ address: "::ffff:10.0.0.1", family: 6 }),
    ),
    { address: "10.0.0.1", family: 4 },
  );
  // Other IPv6 addresses stay IPv6, written as transports report them.
  assertEquals(await resolveHost("0:0::1", never), {
    address: "::1",
    family: 6,
  });
  assertEquals(await resolveHost("1::ffff:a00:1", never), {
    address: "1::ffff:a00:1",
    family: 6,
  });
});

Deno.test("pickAddress() takes the first IPv4 address of a name, else the first", () => {
  // As getaddrinfo lists localhost on hosts that map it to both loopbacks.
  assertEquals(
    pickAddress([
      { address: "::1", family: 6 },
      { address: "127.0.0.1", family: 4 },
      { address: "127.0.1.1", family: 4 },
    ]),
    { address: "127.0.0.1", family: 4 },
  );
  assertEquals(
    pickAddress([
      { address: "fe80::1", family: 6 },
      { address: "::1", family: 6 },
    ]),
    { address: "fe80::1", family: 6 },
  );
  assertEquals(pickAddress([]), undefined);
});

Deno.test("systemLookup() resolves localhost to a loopback address, IPv4 where there is one", async () => {
  const result = await systemLookup("localhost");
  if (result.family === 4) {
    assertEquals(result.address.startsWith("127."), true);
  } else assertEquals(result.address, "::1");
});
