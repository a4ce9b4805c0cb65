// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { FakeClock } from "./clock.ts";
import { MemoryNetwork } from "./memory_network.ts";
import { bindMulticastUdp, isMulticastAddress } from "./multicast.ts";
import { bindUdp } from "./udp.ts";
import { TransportError } from "./transport_error.ts";
import { bytes, Collector } from "./_test_utils.ts";

const GROUP = "224.0.1.187";

Deno.test("isMulticastAddress() tells IPv4 and IPv6 groups from other addresses", () => {
  for (
    const group of [
      "224.0.0.1",
      GROUP,
      "239.255.255.255",
      "ff02::fd",
      "FF05::FD",
      "ff02::1%eth0",
    ]
  ) {
    assertEquals(isMulticastAddress(group), true, group);
  }
  for (
    const other of [
      "223.255.255.255",
      "240.0.0.1",
      "127.0.0.1",
      "::1",
      "fe80::1",
      "example.com",
      "",
    ]
  ) {
    assertEquals(isMulticastAddress(other), false, other);
  }
});

Deno.test("MemoryNetwork delivers a group datagram to every member on the port, each with the group", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const a = network.bind({ hostname: "10.0.0.1", port: 5683, groups: [GROUP] });
  const b = network.bind({ hostname: "10.0.0.2", port: 5683, groups: [GROUP] });
  const otherPort = network.bind({
    hostname: "10.0.0.3",
    port: 5684,
    groups: [GROUP],
  });
  const notMember = network.bind({ hostname: "10.0.0.4", port: 5683 });
  const collectors = [a, b, otherPort, notMember].map((transport) => {
    const collector = new Collector();
    transport.listen(collector);
    return collector;
  });
  const sender = network.bind({ hostname: "10.0.0.9" });
  sender.send(bytes("all"), { hostname: GROUP, port: 5683 });
  await clock.tick(0);
  const [ca, cb, cc, cd] = collectors;
  assertEquals(ca!.datagrams, [{
    data: bytes("all"),
    from: sender.localAddress,
    info: { group: GROUP },
  }]);
  assertEquals(cb!.datagrams, [{
    data: bytes("all"),
    from: sender.localAddress,
    info: { group: GROUP },
  }]);
  assertEquals(cc!.datagrams, []);
  assertEquals(cd!.datagrams, []);
  // Unicast to a member has no info.
  sender.send(bytes("one"), a.localAddress);
  await clock.tick(0);
  assertEquals(ca!.datagrams[1], {
    data: bytes("one"),
    from: sender.localAddress,
  });
  assertEquals(network.stats.sent, 2);
  assertEquals(network.stats.delivered, 3);
});

Deno.test("MemoryNetwork applies each member's link conditions to its copy of a group datagram", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const a = network.bind({ hostname: "10.0.0.1", port: 5683, groups: [GROUP] });
  const b = network.bind({ hostname: "10.0.0.2", port: 5683, groups: [GROUP] });
  const sender = network.bind({ hostname: "10.0.0.9" });
  network.setLink(sender.localAddress, a.localAddress, { loss: 1 });
  network.setLink(sender.localAddress, b.localAddress, { delay: 30 });
  const arrivals: string[] = [];
  a.listen({ onDatagram: () => arrivals.push(`a@${clock.now()}`) });
  b.listen({ onDatagram: () => arrivals.push(`b@${clock.now()}`) });
  sender.send(bytes("x"), { hostname: GROUP, port: 5683 });
  await clock.tick(30);
  assertEquals(arrivals, ["b@30"]);
  assertEquals(
    network.linkStats(sender.localAddress, a.localAddress).dropped,
    1,
  );
});

Deno.test("MemoryNetwork does not send a group datagram back to its sender, nor report a group without members", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock, reportUnreachable: true });
  const member = network.bind({ port: 5683, groups: [GROUP] });
  const collector = new Collector();
  member.listen(collector);
  member.send(bytes("self"), { hostname: GROUP, port: 5683 });
  member.send(bytes("nobody"), { hostname: "ff02::fd", port: 5683 });
  await clock.tick(0);
  assertEquals(collector.datagrams, []);
  assertEquals(collector.errors, []);
  assertEquals(network.stats.undeliverable, 2);
});

Deno.test("MemoryNetwork.bind() rejects malformed groups", () => {
  using network = new MemoryNetwork();
  assertThrows(
    // @ts-expect-error: wrong type on purpose
    () => network.bind({ groups: GROUP }),
    TypeError,
    "groups must be an array",
  );
  assertThrows(() => network.bind({ groups: [""] }), TypeError);
});

Deno.test("bindMulticastUdp() receives group datagrams with the group and unicast ones without", async () => {
  await using member = await bindMulticastUdp({
    hostname: "127.0.0.1",
    multicast: { groups: [GROUP], interface: "127.0.0.1" },
  });
  await using sender = await bindUdp({
    hostname: "127.0.0.1",
    multicast: { groups: [], interface: "127.0.0.1", hops: 1, loopback: true },
  });
  const collector = new Collector();
  member.listen(collector);
  const port = member.localAddress.port;
  sender.send(bytes("group"), { hostname: GROUP, port });
  await collector.until(() => collector.datagrams.length === 1);
  sender.send(bytes("unicast"), member.localAddress);
  await collector.until(() => collector.datagrams.length === 2);
  assertEquals(collector.datagrams, [
    { data: bytes("group"), from: sender.localAddress, info: { group: GROUP } },
    { data: bytes("unicast"), from: sender.localAddress },
  ]);
  // Replies go out of the unicast socket.
  const back = new Collector();
  sender.listen(back);
  member.send(bytes("reply"), sender.localAddress);
  await back.until(() => back.datagrams.length === 1);
  assertEquals(back.datagrams[0]!.from, member.localAddress);
});

Deno.test("bindMulticastUdp() on a wildcard address delivers a group datagram once, as multicast", async () => {
  await using member = await bindMulticastUdp({
    hostname: "0.0.0.0",
    multicast: { groups: [GROUP], interface: "127.0.0.1" },
  });
  await using sender = await bindUdp({
    hostname: "127.0.0.1",
    multicast: { groups: [], interface: "127.0.0.1" },
  });
  const collector = new Collector();
  member.listen(collector);
  const port = member.localAddress.port;
  for (let i = 0; i < 5; i++) {
    sender.send(bytes(`g${i}`), { hostname: GROUP, port });
    sender.send(bytes(`u${i}`), { hostname: "127.0.0.1", port });
  }
  await collector.until(() => collector.datagrams.length >= 10);
  // Give a stray duplicate time to show up.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const seen = collector.datagrams.map(({ data, info }) =>
    `${new TextDecoder().decode(data)}${info ? " " + info.group : ""}`
  ).sort();
  assertEquals(seen, [
    `g0 ${GROUP}`,
    `g1 ${GROUP}`,
    `g2 ${GROUP}`,
    `g3 ${GROUP}`,
    `g4 ${GROUP}`,
    "u0",
    "u1",
    "u2",
    "u3",
    "u4",
  ]);
});

Deno.test("bindMulticastUdp() lets two members share a group and a port on one host", async () => {
  const multicast = { groups: [GROUP], interface: "127.0.0.1" };
  await using a = await bindMulticastUdp({ hostname: "127.0.0.1", multicast });
  await using b = await bindMulticastUdp({
    hostname: "127.0.0.2",
    port: a.localAddress.port,
    multicast,
  });
  await using sender = await bindUdp({
    hostname: "127.0.0.1",
    multicast: { groups: [], interface: "127.0.0.1" },
  });
  const ca = new Collector();
  const cb = new Collector();
  a.listen(ca);
  b.listen(cb);
  sender.send(bytes("both"), { hostname: GROUP, port: a.localAddress.port });
  await ca.until(() => ca.datagrams.length === 1);
  await cb.until(() => cb.datagrams.length === 1);
  assertEquals(ca.datagrams[0]!.info, { group: GROUP });
  assertEquals(cb.datagrams[0]!.info, { group: GROUP });
});

Deno.test("bindMulticastUdp() rejects an address that is not a group, and a taken port", async () => {
  await assertRejects(
    () =>
      bindMulticastUdp({
        hostname: "127.0.0.1",
        multicast: { groups: ["10.0.0.1"] },
      }),
    TypeError,
    "10.0.0.1 is not a multicast address",
  );
  await using taken = await bindUdp({ hostname: "127.0.0.1" });
  await assertRejects(
    () =>
      bindMulticastUdp({
        hostname: "127.0.0.1",
        port: taken.localAddress.port,
        multicast: { groups: [GROUP], interface: "127.0.0.1" },
      }),
    TransportError,
  );
});

Deno.test({
  name:
    "bindMulticastUdp() binds and joins IPv6 groups, a link-local one with the interface's scope",
  ignore: Deno.build.os !== "linux", // "lo" is Linux's loopback interface
  async fn() {
    // No traffic: this machine's loopback interface has no IPv6 multicast.
    await using transport = await bindMulticastUdp({
      hostname: "::1",
      multicast: { groups: ["ff02::fd", "ff05::fd"], interface: "::%lo" },
    });
    assertEquals(transport.localAddress.hostname, "::1");
    assertEquals(transport.groups, ["ff02::fd", "ff05::fd"]);
  },
});
