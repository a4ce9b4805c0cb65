// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals } from "@std/assert";
import { pickAddress, resolveHost, systemLookup } from "./_resolve.ts";
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
