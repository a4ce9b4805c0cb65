// Copyright 2026 the microcoap authors. MIT license.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { createSocket } from "node:dgram";
import { Buffer } from "node:buffer";
import { bindUdp, UdpTransport } from "./udp.ts";
import { TransportError } from "./transport_error.ts";
import { assertRoundTrip, bytes, Collector } from "./_test_utils.ts";

for (const hostname of ["127.0.0.1", "::1"]) {
  Deno.test(`UdpTransport sends and receives both ways on ${hostname}`, async () => {
    await using a = await bindUdp({ hostname });
    await using b = await bindUdp({ hostname });
    assertEquals(a.localAddress.hostname, hostname);
    assert(a.localAddress.port > 0);
    assertEquals(a.family, hostname === "::1" ? "IPv6" : "IPv4");
    await assertRoundTrip(a, b);
  });

  Deno.test(`UdpTransport with maxDatagramSize 65507 delivers a 60,000-byte datagram whole on ${hostname}`, async () => {
    await using a = await bindUdp({ hostname });
    await using b = await bindUdp({ hostname, maxDatagramSize: 65_507 });
    const atB = new Collector();
    b.listen(atB);
    const big = new Uint8Array(60_000).map((_, i) => (i * 31) & 255);
    const small = bytes("after");
    a.send(big, b.localAddress);
    a.send(small, b.localAddress);
    await atB.until(() => atB.datagrams.length === 2);
    const sizes = atB.datagrams.map(({ data }) => data.length).sort((x, y) =>
      x - y
    );
    assertEquals(sizes, [5, 60_000]);
    const received = atB.datagrams.find(({ data }) => data.length === 60_000)!;
    assertEquals(received.data, big);
  });
}

Deno.test("UdpTransport with maxDatagramSize 65507 delivers the largest IPv4 datagram (65,507 bytes)", async () => {
  await using a = await bindUdp({ hostname: "127.0.0.1" });
  await using b = await bindUdp({
    hostname: "127.0.0.1",
    maxDatagramSize: 65_507,
  });
  const atB = new Collector();
  b.listen(atB);
  a.send(new Uint8Array(65_507).fill(9), b.localAddress);
  await atB.until(() => atB.datagrams.length === 1);
  assertEquals(atB.datagrams[0]!.data.length, 65_507);
  assertEquals(atB.errors, []);
});

for (
  const [label, options] of [["the default", {}], ["1500", {
    maxDatagramSize: 1500,
  }]] as const
) {
  Deno.test(`UdpTransport with maxDatagramSize ${label} delivers datagrams up to it whole and drops longer ones as EMSGSIZE`, async () => {
    await using a = await bindUdp({ hostname: "127.0.0.1" });
    await using b = await bindUdp({ hostname: "127.0.0.1", ...options });
    const max = b.maxDatagramSize;
    assertEquals(
      max,
      "maxDatagramSize" in options ? options.maxDatagramSize : 8192,
    );
    const atB = new Collector();
    b.listen(atB);
    const fits = new Uint8Array(max).map((_, i) => (i * 7) & 255);
    a.send(new Uint8Array(max + 1), b.localAddress);
    a.send(new Uint8Array(30_000), b.localAddress);
    a.send(fits, b.localAddress);
    await atB.until(() =>
      atB.datagrams.length === 1 && atB.errors.length === 2
    );
    assertEquals(atB.datagrams[0]!.data, fits);
    for (const error of atB.errors) {
      assertInstanceOf(error, TransportError);
      assertEquals(error.code, "EMSGSIZE");
      assertEquals(error.peer, a.localAddress);
    }
    // Still receiving.
    a.send(bytes("after"), b.localAddress);
    await atB.until(() => atB.datagrams.length === 2);
    assertEquals(atB.texts.at(-1), "after");
  });
}

Deno.test("UdpTransport rejects a maxDatagramSize outside 1 to 65507", async () => {
  for (const maxDatagramSize of [0, 65_508, 1.5, Number.NaN]) {
    await assertRejects(
      () => bindUdp({ hostname: "127.0.0.1", maxDatagramSize }),
      RangeError,
    );
  }
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  try {
    assertThrows(
      () => new UdpTransport(socket, { maxDatagramSize: 0 }),
      RangeError,
    );
  } finally {
    socket.close();
  }
});

Deno.test("UdpTransport hands each datagram over as a plain Uint8Array the receiver owns", async () => {
  await using a = await bindUdp({ hostname: "127.0.0.1" });
  await using b = await bindUdp({ hostname: "127.0.0.1" });
  const atB = new Collector();
  b.listen(atB);
  for (let i = 0; i < 5; i++) {
    a.send(new Uint8Array(10).fill(i), b.localAddress);
  }
  await atB.until(() => atB.datagrams.length === 5);
  const received = atB.datagrams.map(({ data }) => data);
  for (const data of received) {
    assertStrictEquals(Object.getPrototypeOf(data), Uint8Array.prototype);
    // Only this datagram's bytes behind it: no shared or oversized buffer.
    assertEquals(data.byteOffset, 0);
    assertEquals(data.buffer.byteLength, data.length);
  }
  const firstBytes = received.map((data) => data[0]).sort();
  assertEquals(firstBytes, [0, 1, 2, 3, 4]);
  received[0]!.fill(99);
  assert(received.slice(1).every((data) => data[0] !== 99));
});

Deno.test("UdpTransport on a dual-stack :: socket reports IPv4 peers as IPv4 and replies to them", async () => {
  await using server = await bindUdp({ hostname: "::" });
  await using client = await bindUdp({ hostname: "127.0.0.1" });
  assertEquals(server.family, "IPv6");
  const atServer = new Collector();
  const atClient = new Collector();
  server.listen(atServer);
  client.listen(atClient);
  client.send(bytes("hello"), {
    hostname: "127.0.0.1",
    port: server.localAddress.port,
  });
  await atServer.until(() => atServer.datagrams.length === 1);
  const from = atServer.datagrams[0]!.from;
  assertEquals(from, { hostname: "127.0.0.1", port: client.localAddress.port });
  server.send(bytes("hi"), from);
  await atClient.until(() => atClient.datagrams.length === 1);
  assertEquals(atClient.texts, ["hi"]);
  assertEquals(atServer.errors, []);
});

Deno.test("bindUdp() with ipv6Only leaves the IPv4 port free", async () => {
  await using v6only = await bindUdp({ hostname: "::", ipv6Only: true });
  await using v4 = await bindUdp({
    hostname: "0.0.0.0",
    port: v6only.localAddress.port,
  });
  assertEquals(v4.localAddress.port, v6only.localAddress.port);
  await using dual = await bindUdp({ hostname: "::" });
  const error = await assertRejects(
    () => bindUdp({ hostname: "0.0.0.0", port: dual.localAddress.port }),
    TransportError,
  );
  assertEquals(error.code, "EADDRINUSE");
});

Deno.test("bindUdp() rejects a taken port with a TransportError coded EADDRINUSE", async () => {
  await using first = await bindUdp({ hostname: "127.0.0.1" });
  const error = await assertRejects(
    () => bindUdp({ hostname: "127.0.0.1", port: first.localAddress.port }),
    TransportError,
  );
  assertEquals(error.code, "EADDRINUSE");
  assertEquals(error.peer, undefined);
  assert(error.message.startsWith("Cannot bind UDP socket to 127.0.0.1:"));
  assert(error.cause instanceof Error);
});

Deno.test("bindUdp() with reuseAddr lets two sockets share a port", async () => {
  await using first = await bindUdp({ hostname: "127.0.0.1", reuseAddr: true });
  await using second = await bindUdp({
    hostname: "127.0.0.1",
    port: first.localAddress.port,
    reuseAddr: true,
  });
  assertEquals(second.localAddress, first.localAddress);
});

Deno.test("bindUdp() rejects an address the host does not have with EADDRNOTAVAIL", async () => {
  // 192.0.2.0/24 is TEST-NET-1: never assigned to a local interface.
  const error = await assertRejects(
    () => bindUdp({ hostname: "192.0.2.1" }),
    TransportError,
  );
  assertEquals(error.code, "EADDRNOTAVAIL");
});

Deno.test("bindUdp() validates its options", async () => {
  await assertRejects(() => bindUdp({ port: 65536 }), RangeError);
  await assertRejects(() => bindUdp({ port: -1 }), RangeError);
  await assertRejects(() => bindUdp({ port: 1.5 }), RangeError);
  await assertRejects(() => bindUdp({ hostname: "" }), TypeError);
  await assertRejects(
    () => bindUdp({ hostname: "::1", family: "IPv4" }),
    TypeError,
  );
  await assertRejects(
    // @ts-expect-error: a wrong family at run time
    () => bindUdp({ family: "IPv5" }),
    TypeError,
  );
  await assertRejects(
    () => bindUdp({ hostname: "127.0.0.1", receiveBufferSize: 0 }),
    RangeError,
  );
  await assertRejects(
    // @ts-expect-error: a wrong group list at run time
    () => bindUdp({ hostname: "127.0.0.1", multicast: { groups: "x" } }),
    TypeError,
  );
});

Deno.test("bindUdp() defaults to every IPv4 address, or every IPv6 one for family IPv6", async () => {
  await using v4 = await bindUdp();
  assertEquals(v4.localAddress.hostname, "0.0.0.0");
  assertEquals(v4.family, "IPv4");
  await using v6 = await bindUdp({ family: "IPv6" });
  assertEquals(v6.localAddress.hostname, "::");
  assertEquals(v6.family, "IPv6");
});

Deno.test("bindUdp() sets the socket buffer sizes", async () => {
  await using transport = await bindUdp({
    hostname: "127.0.0.1",
    receiveBufferSize: 65536,
    sendBufferSize: 65536,
  });
  assert(transport.localAddress.port > 0);
});

Deno.test("UdpTransport.close() is idempotent and later sends and listens do nothing", async () => {
  const transport = await bindUdp({ hostname: "127.0.0.1" });
  const collector = new Collector();
  transport.listen(collector);
  const first = transport.close();
  const second = transport.close();
  assertStrictEquals(first, second);
  await first;
  await transport.close();
  await transport[Symbol.asyncDispose]();
  transport.send(bytes("late"), { hostname: "127.0.0.1", port: 9 });
  transport.listen(new Collector());
  assertEquals(collector.errors, []);
});

Deno.test("UdpTransport sending to a closed port never crashes; errors, if any, reach onError", async () => {
  await using closed = await bindUdp({ hostname: "127.0.0.1" });
  const port = closed.localAddress.port;
  await closed.close();
  await using a = await bindUdp({ hostname: "127.0.0.1" });
  await using b = await bindUdp({ hostname: "127.0.0.1" });
  const atA = new Collector();
  const atB = new Collector();
  a.listen(atA);
  b.listen(atB);
  for (let i = 0; i < 3; i++) {
    a.send(bytes("void"), { hostname: "127.0.0.1", port });
  }
  // The socket still works after whatever ICMP port unreachable caused.
  a.send(bytes("alive"), b.localAddress);
  await atB.until(() => atB.datagrams.length === 1);
  for (const error of atA.errors) {
    assertInstanceOf(error, TransportError);
    assertEquals(error.peer, { hostname: "127.0.0.1", port });
  }
});

Deno.test("UdpTransport reports bad destinations to onError with the peer, without throwing", async () => {
  await using transport = await bindUdp({ hostname: "127.0.0.1" });
  const collector = new Collector();
  transport.listen(collector);
  const bad = [
    { hostname: "127.0.0.1", port: 0 },
    { hostname: "127.0.0.1", port: 65536 },
    { hostname: "127.0.0.1", port: 1.5 },
    { hostname: "", port: 5683 },
  ];
  for (const to of bad) transport.send(bytes("x"), to);
  assertEquals(collector.errors.length, 4);
  collector.errors.forEach((error, i) => {
    assertInstanceOf(error, TransportError);
    assertEquals(error.code, "EINVAL");
    assertEquals(error.peer, bad[i]);
  });
  // @ts-expect-error: a wrong address shape at run time
  transport.send(bytes("x"), null);
  assertEquals(collector.errors.length, 5);
  // An IPv6 destination on an IPv4 socket fails in the runtime.
  transport.send(bytes("x"), { hostname: "::1", port: 5683 });
  await collector.until(() => collector.errors.length === 6);
  assertInstanceOf(collector.errors[5], TransportError);
  assertEquals(collector.errors[5]!.peer, { hostname: "::1", port: 5683 });
});

Deno.test("UdpTransport reports a datagram over 65,507 bytes as EMSGSIZE", async () => {
  await using a = await bindUdp({ hostname: "127.0.0.1" });
  await using b = await bindUdp({ hostname: "127.0.0.1" });
  const atA = new Collector();
  a.listen(atA);
  a.send(new Uint8Array(70_000), b.localAddress);
  await atA.until(() => atA.errors.length === 1);
  const error = atA.errors[0] as TransportError;
  assertEquals(error.code, "EMSGSIZE");
  assertEquals(error.peer, b.localAddress);
});

Deno.test("UdpTransport.send() throws a TypeError for data that is not a Uint8Array", async () => {
  await using transport = await bindUdp({ hostname: "127.0.0.1" });
  assertThrows(
    // @ts-expect-error: a string at run time
    () => transport.send("text", { hostname: "127.0.0.1", port: 9 }),
    TypeError,
  );
});

Deno.test("UdpTransport keeps up to 32 datagrams that arrive before listen() and delivers them in order", async () => {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) =>
    socket.bind({ port: 0, address: "127.0.0.1" }, resolve)
  );
  await using transport = new UdpTransport(socket);
  const rinfo = { address: "127.0.0.1", family: "IPv4", port: 7, size: 1 };
  for (let i = 0; i < 40; i++) socket.emit("message", Buffer.from([i]), rinfo);
  const collector = new Collector();
  transport.listen(collector);
  assertEquals(collector.datagrams.length, 0); // Not re-entrantly.
  await Promise.resolve();
  socket.emit("message", Buffer.from([100]), rinfo);
  assertEquals(
    collector.datagrams.map(({ data }) => data[0]),
    [...Array.from({ length: 32 }, (_, i) => i), 100],
  );
});

Deno.test("UdpTransport normalises IPv4-mapped senders and keeps IPv6 scope ids", async () => {
  const socket = createSocket("udp6");
  await new Promise<void>((resolve) =>
    socket.bind({ port: 0, address: "::1" }, resolve)
  );
  await using transport = new UdpTransport(socket);
  const collector = new Collector();
  transport.listen(collector);
  for (
    const address of [
      "::ffff:192.0.2.7",
      "::FFFF:10.1.2.3",
      "::ffff:c000:207",
      "fe80::1%eth0",
      "2001:db8::1",
      "::ffff:1:2:3",
    ]
  ) {
    socket.emit("message", Buffer.from([1]), {
      address,
      family: "IPv6",
      port: 5683,
      size: 1,
    });
  }
  assertEquals(collector.datagrams.map(({ from }) => from.hostname), [
    "192.0.2.7",
    "10.1.2.3",
    "192.0.2.7",
    "fe80::1%eth0",
    "2001:db8::1",
    "::ffff:1:2:3",
  ]);
});

Deno.test("UdpTransport copies a received message that shares its buffer", async () => {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) =>
    socket.bind({ port: 0, address: "127.0.0.1" }, resolve)
  );
  await using transport = new UdpTransport(socket);
  const collector = new Collector();
  transport.listen(collector);
  const shared = new Uint8Array(64).fill(1);
  socket.emit("message", Buffer.from(shared.buffer, 8, 4), {
    address: "127.0.0.1",
    family: "IPv4",
    port: 7,
    size: 4,
  });
  const data = collector.datagrams[0]!.data;
  assertEquals(data, new Uint8Array([1, 1, 1, 1]));
  assertEquals(data.buffer.byteLength, 4);
  shared.fill(2);
  assertEquals(data, new Uint8Array([1, 1, 1, 1]));
});

Deno.test("UdpTransport turns socket error events into onError calls, never unhandled errors", async () => {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) =>
    socket.bind({ port: 0, address: "127.0.0.1" }, resolve)
  );
  await using transport = new UdpTransport(socket);
  // Without a receiver the error is dropped.
  socket.emit("error", Object.assign(new Error("boom"), { code: "EIO" }));
  const collector = new Collector();
  transport.listen(collector);
  socket.emit(
    "error",
    Object.assign(new Error("recv ECONNREFUSED"), { code: "ECONNREFUSED" }),
  );
  assertEquals(collector.errors.length, 1);
  const error = collector.errors[0] as TransportError;
  assertInstanceOf(error, TransportError);
  assertEquals(error.code, "ECONNREFUSED");
});

Deno.test("new UdpTransport() rejects a socket that is not bound", () => {
  const socket = createSocket("udp4");
  try {
    assertThrows(() => new UdpTransport(socket), TypeError, "not bound");
  } finally {
    socket.close();
  }
});

Deno.test("UdpTransport receives multicast on the loopback interface", async () => {
  await using listener = await bindUdp({
    hostname: "0.0.0.0",
    reuseAddr: true,
    multicast: { groups: ["224.0.1.187"], interface: "127.0.0.1" },
  });
  await using sender = await bindUdp({
    hostname: "127.0.0.1",
    multicast: { groups: [], interface: "127.0.0.1", hops: 1, loopback: true },
  });
  const collector = new Collector();
  listener.listen(collector);
  sender.send(bytes("all nodes"), {
    hostname: "224.0.1.187",
    port: listener.localAddress.port,
  });
  await collector.until(() => collector.datagrams.length === 1);
  assertEquals(collector.texts, ["all nodes"]);
  assertEquals(collector.datagrams[0]!.from, sender.localAddress);
  listener.leaveGroup("224.0.1.187", "127.0.0.1");
});

Deno.test("UdpTransport rejects joining an address that is not a multicast group", async () => {
  await assertRejects(
    () =>
      bindUdp({
        hostname: "0.0.0.0",
        multicast: { groups: ["192.0.2.1"], interface: "127.0.0.1" },
      }),
    TransportError,
    "Cannot join multicast group 192.0.2.1",
  );
  await using transport = await bindUdp({ hostname: "0.0.0.0" });
  const error = assertThrows(
    () => transport.joinGroup("10.0.0.1", "127.0.0.1"),
    TransportError,
  );
  assertEquals(error.code, "EINVAL");
});
