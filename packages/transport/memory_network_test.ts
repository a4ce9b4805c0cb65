// Copyright 2026 the microcoap authors. MIT license.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertNotEquals,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { FakeClock } from "./clock.ts";
import { MemoryNetwork } from "./memory_network.ts";
import type { MemoryNetworkOptions } from "./memory_network.ts";
import { TransportError } from "./transport_error.ts";
import { bytes, Collector } from "./_test_utils.ts";

function setup(options: MemoryNetworkOptions = {}) {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock, ...options });
  const a = network.bind({ hostname: "node-a" });
  const b = network.bind({ hostname: "node-b" });
  const atA = new Collector();
  const atB = new Collector();
  a.listen(atA);
  b.listen(atB);
  return { clock, network, a, b, atA, atB };
}

/** Which of `count` numbered datagrams from a to b arrive, in arrival order. */
async function arrivals(
  options: MemoryNetworkOptions,
  count: number,
): Promise<number[]> {
  const { clock, network, a, b, atB } = setup(options);
  for (let i = 0; i < count; i++) {
    a.send(new Uint8Array([i >> 8, i & 255]), b.localAddress);
  }
  await clock.runAll();
  network.close();
  return atB.datagrams.map(({ data }) => (data[0]! << 8) | data[1]!);
}

Deno.test("MemoryNetwork delivers through the clock, never synchronously", async () => {
  const { clock, a, b, atB } = setup();
  a.send(bytes("hello"), b.localAddress);
  assertEquals(atB.datagrams.length, 0);
  await clock.tick(0);
  assertEquals(atB.texts, ["hello"]);
  assertEquals(atB.datagrams[0]!.from, { hostname: "node-a", port: 49152 });
});

Deno.test("MemoryNetwork delivers in the order sent when there is no delay", async () => {
  assertEquals(
    await arrivals({}, 50),
    Array.from({ length: 50 }, (_, i) => i),
  );
});

Deno.test("MemoryNetwork copies the data: the sender may reuse its buffer", async () => {
  const { clock, a, b, atB } = setup({ defaults: { duplicate: 1 } });
  const buffer = bytes("abc");
  a.send(buffer, b.localAddress);
  buffer.fill(0);
  await clock.tick(0);
  assertEquals(atB.texts, ["abc", "abc"]);
  const [first, second] = atB.datagrams.map(({ data }) => data);
  first!.fill(1);
  assertEquals(second, bytes("abc"));
});

Deno.test("MemoryNetwork with the same seed drops the same datagrams", async () => {
  const options = { seed: 1234, defaults: { loss: 0.5 } };
  const first = await arrivals(options, 200);
  const second = await arrivals(options, 200);
  assertEquals(first, second);
  const other = await arrivals({ seed: 4321, defaults: { loss: 0.5 } }, 200);
  assertNotEquals(first, other);
});

Deno.test("MemoryNetwork loses about the given share of datagrams", async () => {
  const { clock, network, a, b, atB } = setup({
    seed: 99,
    defaults: { loss: 0.3 },
  });
  for (let i = 0; i < 1000; i++) {
    a.send(new Uint8Array([i & 255]), b.localAddress);
  }
  await clock.tick(0);
  const { sent, dropped, delivered } = network.stats;
  assertEquals(sent, 1000);
  assertEquals(dropped + delivered, 1000);
  assertEquals(atB.datagrams.length, delivered);
  assert(dropped > 240 && dropped < 360, `dropped ${dropped}`);
});

Deno.test("MemoryNetwork with loss 1 drops everything and loss 0 nothing", async () => {
  assertEquals(await arrivals({ defaults: { loss: 1 } }, 20), []);
  assertEquals((await arrivals({ defaults: { loss: 0 } }, 20)).length, 20);
});

Deno.test("MemoryNetwork duplicates datagrams with the given probability", async () => {
  const always = await arrivals({ defaults: { duplicate: 1 } }, 5);
  assertEquals(always, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  const { clock, network, a, b } = setup({
    seed: 5,
    defaults: { duplicate: 0.2 },
  });
  for (let i = 0; i < 500; i++) a.send(new Uint8Array([1]), b.localAddress);
  await clock.tick(0);
  const { duplicated, delivered } = network.stats;
  assert(duplicated > 60 && duplicated < 140, `duplicated ${duplicated}`);
  assertEquals(delivered, 500 + duplicated);
});

Deno.test("MemoryNetwork reorders by holding datagrams back", async () => {
  const { clock, network, a, b, atB } = setup();
  network.setLink(a.localAddress, b.localAddress, {
    reorder: { probability: 1, delay: 50 },
  });
  a.send(bytes("first"), b.localAddress);
  network.setLink(a.localAddress, b.localAddress, undefined);
  a.send(bytes("second"), b.localAddress);
  await clock.tick(0);
  assertEquals(atB.texts, ["second"]);
  await clock.tick(49);
  assertEquals(atB.texts, ["second"]);
  await clock.tick(1);
  assertEquals(atB.texts, ["second", "first"]);
  assertEquals(network.stats.reordered, 1);
});

Deno.test("MemoryNetwork with a reorder probability reorders some datagrams but delivers all", async () => {
  const order = await arrivals({
    seed: 3,
    defaults: { delay: 1, reorder: { probability: 0.2, delay: 5 } },
  }, 100);
  assertEquals(order.length, 100);
  assertEquals([...order].sort((x, y) => x - y), order.map((_, i) => i));
  assertNotEquals(order, order.map((_, i) => i));
});

Deno.test("MemoryNetwork delays each datagram within the range, at the clock's pace", async () => {
  const { clock, a, b, network } = setup({ seed: 11 });
  network.setDefault({ delay: { min: 100, max: 200 } });
  const times: number[] = [];
  b.listen({ onDatagram: () => times.push(clock.now()) });
  for (let i = 0; i < 50; i++) a.send(new Uint8Array([i]), b.localAddress);
  await clock.tick(99);
  assertEquals(times, []);
  await clock.tick(101);
  assertEquals(times.length, 50);
  assert(times.every((t) => t >= 100 && t <= 200));
  assert(new Set(times).size > 10, "delays vary");
});

Deno.test("MemoryNetwork applies a fixed delay", async () => {
  const { clock, a, b, atB, network } = setup({ defaults: { delay: 30 } });
  a.send(bytes("x"), b.localAddress);
  await clock.tick(29);
  assertEquals(atB.datagrams.length, 0);
  assertEquals(network.inFlight, 1);
  await clock.tick(1);
  assertEquals(atB.datagrams.length, 1);
  assertEquals(network.inFlight, 0);
});

Deno.test("MemoryNetwork link conditions replace the defaults for one direction", async () => {
  const { clock, network, a, b, atA, atB } = setup({ defaults: { loss: 1 } });
  network.setLink(a.localAddress, b.localAddress, {});
  a.send(bytes("a to b"), b.localAddress);
  b.send(bytes("b to a"), a.localAddress);
  await clock.tick(0);
  assertEquals(atB.texts, ["a to b"]);
  assertEquals(atA.texts, []);
  assertEquals(network.linkStats(a.localAddress, b.localAddress).delivered, 1);
  assertEquals(network.linkStats(b.localAddress, a.localAddress).dropped, 1);
  network.setLink(a.localAddress, b.localAddress, undefined);
  a.send(bytes("again"), b.localAddress);
  await clock.tick(0);
  assertEquals(atB.texts, ["a to b"]);
  assertEquals(
    network.linkStats({ hostname: "x", port: 1 }, a.localAddress),
    {
      sent: 0,
      injected: 0,
      delivered: 0,
      dropped: 0,
      duplicated: 0,
      reordered: 0,
      undeliverable: 0,
    },
  );
});

Deno.test("MemoryNetwork.partition() cuts both directions until heal()", async () => {
  const { clock, network, a, b, atA, atB } = setup();
  const c = network.bind({ hostname: "node-c" });
  const atC = new Collector();
  c.listen(atC);
  network.partition(a.localAddress, b.localAddress);
  a.send(bytes("1"), b.localAddress);
  b.send(bytes("2"), a.localAddress);
  a.send(bytes("3"), c.localAddress);
  await clock.tick(0);
  assertEquals(atA.texts, []);
  assertEquals(atB.texts, []);
  assertEquals(atC.texts, ["3"]);
  network.heal(b.localAddress, a.localAddress);
  a.send(bytes("4"), b.localAddress);
  await clock.tick(0);
  assertEquals(atB.texts, ["4"]);
  network.partition(a.localAddress, c.localAddress);
  network.heal();
  a.send(bytes("5"), c.localAddress);
  await clock.tick(0);
  assertEquals(atC.texts, ["3", "5"]);
  assertEquals(network.stats.dropped, 2);
});

Deno.test("MemoryNetwork.dropAll drops new datagrams but not those in flight", async () => {
  const { clock, network, a, b, atB } = setup({ defaults: { delay: 10 } });
  a.send(bytes("before"), b.localAddress);
  network.dropAll = true;
  assertEquals(network.dropAll, true);
  a.send(bytes("during"), b.localAddress);
  await clock.tick(10);
  network.dropAll = false;
  a.send(bytes("after"), b.localAddress);
  await clock.tick(10);
  assertEquals(atB.texts, ["before", "after"]);
  assertEquals(network.stats.dropped, 1);
});

Deno.test("MemoryNetwork drops datagrams to unbound addresses silently by default", async () => {
  const { clock, network, a, atA } = setup();
  a.send(bytes("x"), { hostname: "nobody", port: 5683 });
  await clock.tick(0);
  assertEquals(atA.errors, []);
  assertEquals(network.stats.undeliverable, 1);
  assertEquals(network.stats.delivered, 0);
});

Deno.test("MemoryNetwork with reportUnreachable reports ECONNREFUSED to the sender", async () => {
  const { clock, a, atA } = setup({
    reportUnreachable: true,
    defaults: { delay: 5 },
  });
  const nobody = { hostname: "nobody", port: 5683 };
  a.send(bytes("x"), nobody);
  await clock.tick(4);
  assertEquals(atA.errors, []);
  await clock.tick(1);
  assertEquals(atA.errors.length, 1);
  const error = atA.errors[0] as TransportError;
  assertInstanceOf(error, TransportError);
  assertEquals(error.code, "ECONNREFUSED");
  assertEquals(error.peer, nobody);
});

Deno.test("MemoryNetwork.inject() delivers a spoofed datagram, bypassing link conditions", async () => {
  const { clock, network, a, b, atB } = setup();
  network.dropAll = true;
  const spoofed = { hostname: "192.0.2.66", port: 666 };
  const data = bytes("forged");
  network.inject(data, { from: spoofed, to: b.localAddress, delay: 3 });
  data.fill(0);
  network.inject(bytes("as a"), { from: a.localAddress, to: b.localAddress });
  await clock.tick(0);
  assertEquals(atB.texts, ["as a"]);
  assertEquals(atB.datagrams[0]!.from, a.localAddress);
  await clock.tick(3);
  assertEquals(atB.texts, ["as a", "forged"]);
  assertEquals(atB.datagrams[1]!.from, spoofed);
  assertEquals(network.stats.injected, 2);
  assertEquals(network.stats.sent, 0);
  assertEquals(network.linkStats(spoofed, b.localAddress).delivered, 1);
});

Deno.test("MemoryNetwork.inject() validates its arguments", () => {
  const { network, b } = setup();
  const from = { hostname: "x", port: 1 };
  assertThrows(
    // @ts-expect-error: a string at run time
    () => network.inject("x", { from, to: b.localAddress }),
    TypeError,
  );
  assertThrows(
    () =>
      network.inject(bytes("x"), {
        from: { hostname: "", port: 1 },
        to: b.localAddress,
      }),
    TypeError,
  );
  assertThrows(
    () => network.inject(bytes("x"), { from, to: { hostname: "b", port: 0 } }),
    TypeError,
  );
  assertThrows(
    () => network.inject(bytes("x"), { from, to: b.localAddress, delay: -1 }),
    RangeError,
  );
});

Deno.test("MemoryNetwork.bind() picks ephemeral ports and rejects taken addresses", async () => {
  using network = new MemoryNetwork({ clock: new FakeClock() });
  const first = network.bind();
  const second = network.bind();
  assertEquals(first.localAddress, { hostname: "127.0.0.1", port: 49152 });
  assertEquals(second.localAddress, { hostname: "127.0.0.1", port: 49153 });
  const server = network.bind({ port: 5683 });
  const error = assertThrows(
    () => network.bind({ port: 5683 }),
    TransportError,
  );
  assertEquals(error.code, "EADDRINUSE");
  network.bind({ hostname: "other", port: 5683 });
  await server.close();
  assertEquals(network.bind({ port: 5683 }).localAddress.port, 5683);
  assertThrows(() => network.bind({ port: 65536 }), RangeError);
  assertThrows(() => network.bind({ port: 1.5 }), RangeError);
  assertThrows(() => network.bind({ hostname: "" }), TypeError);
});

Deno.test("MemoryNetwork endpoints: close() is idempotent and later sends do nothing", async () => {
  const { clock, network, a, b, atB } = setup({ defaults: { delay: 5 } });
  a.send(bytes("in flight"), b.localAddress);
  const closing = b.close();
  assertStrictEquals(await closing, undefined);
  await b.close();
  await b[Symbol.asyncDispose]();
  b.send(bytes("ghost"), a.localAddress);
  await clock.tick(5);
  assertEquals(atB.datagrams, []);
  assertEquals(network.stats.sent, 1);
  assertEquals(network.stats.undeliverable, 1);
});

Deno.test("MemoryNetwork.close() cancels datagrams in flight and closes every endpoint", async () => {
  const { clock, network, a, b, atB } = setup({ defaults: { delay: 5 } });
  a.send(bytes("x"), b.localAddress);
  a.send(bytes("y"), b.localAddress);
  assertEquals(network.inFlight, 2);
  assertEquals(clock.pending, 2);
  network.close();
  assertEquals(network.inFlight, 0);
  assertEquals(clock.pending, 0);
  await clock.tick(10);
  assertEquals(atB.datagrams, []);
  // Addresses are free again.
  assertEquals(
    network.bind({ hostname: "node-a", port: 49152 }).localAddress.port,
    49152,
  );
});

Deno.test("MemoryNetwork keeps up to 32 datagrams that arrive before listen()", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const a = network.bind();
  const b = network.bind();
  for (let i = 0; i < 40; i++) a.send(new Uint8Array([i]), b.localAddress);
  await clock.tick(0);
  assertEquals(network.stats.delivered, 40);
  const collector = new Collector();
  b.listen(collector);
  assertEquals(collector.datagrams.length, 0);
  await Promise.resolve();
  assertEquals(
    collector.datagrams.map(({ data }) => data[0]),
    Array.from({ length: 32 }, (_, i) => i),
  );
});

Deno.test("MemoryNetwork endpoints report bad destinations and oversize datagrams to onError", () => {
  const { a, atA } = setup();
  a.send(bytes("x"), { hostname: "b", port: 0 });
  a.send(new Uint8Array(65_508), { hostname: "node-b", port: 49153 });
  a.send(new Uint8Array(65_507), { hostname: "node-b", port: 49153 });
  assertEquals(atA.errors.map((error) => (error as TransportError).code), [
    "EINVAL",
    "EMSGSIZE",
  ]);
  assertEquals((atA.errors[1] as TransportError).peer, {
    hostname: "node-b",
    port: 49153,
  });
  assertThrows(
    // @ts-expect-error: a string at run time
    () => a.send("x", { hostname: "node-b", port: 49153 }),
    TypeError,
  );
});

Deno.test("MemoryNetwork endpoints hand datagrams to the latest receiver", async () => {
  const { clock, a, b, atB } = setup();
  const later = new Collector();
  b.listen(later);
  a.send(bytes("x"), b.localAddress);
  await clock.tick(0);
  assertEquals(atB.datagrams.length, 0);
  assertEquals(later.texts, ["x"]);
});

Deno.test("MemoryNetwork validates link conditions and options", () => {
  const network = new MemoryNetwork({ clock: new FakeClock() });
  assertThrows(() => network.setDefault({ loss: 1.5 }), RangeError);
  assertThrows(() => network.setDefault({ duplicate: -0.1 }), RangeError);
  assertThrows(() => network.setDefault({ loss: NaN }), RangeError);
  // @ts-expect-error: a string at run time
  assertThrows(() => network.setDefault({ loss: "0.5" }), TypeError);
  assertThrows(() => network.setDefault({ delay: -1 }), RangeError);
  assertThrows(
    () => network.setDefault({ delay: { min: 5, max: 4 } }),
    RangeError,
  );
  assertThrows(
    () => network.setDefault({ delay: { min: 0, max: Infinity } }),
    RangeError,
  );
  assertThrows(
    () => network.setDefault({ reorder: { probability: 2, delay: 1 } }),
    RangeError,
  );
  // @ts-expect-error: null at run time
  assertThrows(() => network.setDefault(null), TypeError);
  assertThrows(() => new MemoryNetwork({ seed: NaN }), RangeError);
  assertThrows(
    // @ts-expect-error: a wrong clock at run time
    () => new MemoryNetwork({ clock: {} }),
    TypeError,
    "Cannot create memory network: clock must have setTimeout and clearTimeout",
  );
  assertThrows(() => new MemoryNetwork({ defaults: { loss: 2 } }), RangeError);
});

Deno.test("MemoryNetwork on the real clock delivers without a fake clock", async () => {
  using network = new MemoryNetwork({ defaults: { delay: 1 } });
  const a = network.bind();
  const b = network.bind();
  const atB = new Collector();
  b.listen(atB);
  a.send(bytes("real"), b.localAddress);
  await atB.until(() => atB.datagrams.length === 1);
  assertEquals(atB.texts, ["real"]);
});

Deno.test("MemoryNetwork treats spellings of one IPv6 address alike, as sockets do", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const server = network.bind({ hostname: "0:0:0:0:0:0:0:1", port: 5683 });
  // Reported in canonical form, like a socket's address.
  assertEquals(server.localAddress, { hostname: "::1", port: 5683 });
  assertThrows(
    () => network.bind({ hostname: "::1", port: 5683 }),
    TransportError,
    "EADDRINUSE",
  );
  const client = network.bind({ hostname: "2001:DB8::0001" });
  assertEquals(client.localAddress.hostname, "2001:db8::1");
  const atServer = new Collector();
  server.listen(atServer);
  for (const hostname of ["::1", "0:0::1", "0000:0:0:0:0:0:0:0001"]) {
    client.send(bytes(hostname), { hostname, port: 5683 });
  }
  await clock.runAll();
  assertEquals(
    atServer.datagrams.map(({ data, from }) => [
      new TextDecoder().decode(data),
      from.hostname,
    ]),
    [
      ["::1", "2001:db8::1"],
      ["0:0::1", "2001:db8::1"],
      ["0000:0:0:0:0:0:0:0001", "2001:db8::1"],
    ],
  );
});
