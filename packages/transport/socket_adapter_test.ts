// Copyright 2026 the microcoap authors. MIT license.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { createSocket, type Socket } from "node:dgram";
import { FakeClock } from "./clock.ts";
import {
  type CustomSocket,
  type CustomSocketAddress,
  type CustomSocketReceived,
  CustomSocketTransport,
  socketAdapter,
} from "./socket_adapter.ts";
import { TransportError } from "./transport_error.ts";
import { bindUdp } from "./udp.ts";
import { assertRoundTrip, bytes, Collector } from "./_test_utils.ts";

/** A scriptable custom socket that records every call. */
class FakeSocket implements CustomSocket {
  inbox: unknown[] = [];
  sent: [Uint8Array, CustomSocketAddress][] = [];
  blocking: boolean[] = [];
  recvCalls: number[] = [];
  closed = 0;
  sendResult: () => unknown = () => 1;

  sendto(data: Uint8Array, address: CustomSocketAddress): unknown {
    this.sent.push([data, address]);
    return this.sendResult();
  }

  recvfrom(bufsize: number): CustomSocketReceived {
    this.recvCalls.push(bufsize);
    const next = this.inbox.shift();
    if (next instanceof Error) throw next;
    return next as CustomSocketReceived;
  }

  setblocking(flag: boolean): void {
    this.blocking.push(flag);
  }

  close(): void {
    this.closed++;
  }
}

function setup(options: { pollInterval?: number; maxBatch?: number } = {}) {
  const clock = new FakeClock();
  const socket = new FakeSocket();
  const transport = new CustomSocketTransport(socket, { clock, ...options });
  const collector = new Collector();
  return { clock, socket, transport, collector };
}

Deno.test("CustomSocketTransport calls setblocking(false) once when created", () => {
  const { socket } = setup();
  assertEquals(socket.blocking, [false]);
});

Deno.test("CustomSocketTransport starts polling on listen() and polls every pollInterval", async () => {
  const { clock, socket, transport, collector } = setup({ pollInterval: 50 });
  await clock.tick(100);
  assertEquals(socket.recvCalls, []);
  transport.listen(collector);
  await clock.tick(0);
  assertEquals(socket.recvCalls, [65507]);
  await clock.tick(49);
  assertEquals(socket.recvCalls.length, 1);
  await clock.tick(1);
  assertEquals(socket.recvCalls.length, 2);
  socket.inbox.push([bytes("hi"), ["192.0.2.1", 5683]]);
  await clock.tick(50);
  assertEquals(collector.texts, ["hi"]);
  assertEquals(collector.datagrams[0]!.from, {
    hostname: "192.0.2.1",
    port: 5683,
  });
  await transport.close();
});

Deno.test("CustomSocketTransport reads everything waiting in one poll, up to maxBatch", async () => {
  const { clock, socket, transport, collector } = setup({ maxBatch: 10 });
  for (let i = 0; i < 25; i++) {
    socket.inbox.push([new Uint8Array([i]), ["h", 1]]);
  }
  transport.listen(collector);
  await clock.tick(0);
  assertEquals(collector.datagrams.length, 10);
  await clock.tick(10);
  assertEquals(collector.datagrams.length, 20);
  await clock.tick(10);
  assertEquals(
    collector.datagrams.map(({ data }) => data[0]),
    Array.from({ length: 25 }, (_, i) => i),
  );
  await transport.close();
});

Deno.test("CustomSocketTransport copies received bytes and normalises IPv4-mapped senders", async () => {
  const { clock, socket, transport, collector } = setup();
  const buffer = bytes("abc");
  socket.inbox.push([buffer, ["::ffff:192.0.2.9", 7]]);
  transport.listen(collector);
  await clock.tick(0);
  buffer.fill(0);
  assertEquals(collector.texts, ["abc"]);
  assertEquals(collector.datagrams[0]!.from.hostname, "192.0.2.9");
  await transport.close();
});

Deno.test("CustomSocketTransport treats null, undefined and [null, null] as nothing waiting", async () => {
  const { clock, socket, transport, collector } = setup();
  transport.listen(collector);
  for (const nothing of [null, undefined, [null, null], [bytes("x"), null]]) {
    socket.inbox.push(nothing, [bytes("after"), ["h", 1]]);
    await clock.tick(10);
    // The poll stopped at "nothing"; the next one reads on.
    await clock.tick(10);
  }
  assertEquals(collector.texts, ["after", "after", "after", "after"]);
  assertEquals(collector.errors, []);
  await transport.close();
});

Deno.test("CustomSocketTransport awaits a recvfrom that returns a promise", async () => {
  const clock = new FakeClock();
  const inbox: [Uint8Array, CustomSocketAddress][] = [[bytes("async"), [
    "h",
    2,
  ]]];
  await using transport = socketAdapter({
    sendto: () => 0,
    recvfrom: () => Promise.resolve(inbox.shift() ?? null),
    setblocking: () => {},
  }, { clock });
  const collector = new Collector();
  transport.listen(collector);
  await clock.tick(0);
  assertEquals(collector.texts, ["async"]);
});

Deno.test("CustomSocketTransport ignores EAGAIN and reports other recvfrom errors, then keeps polling", async () => {
  const { clock, socket, transport, collector } = setup();
  transport.listen(collector);
  socket.inbox.push(Object.assign(new Error("again"), { code: "EAGAIN" }));
  await clock.tick(0);
  const blocking = new Error("[Errno 11]");
  blocking.name = "BlockingIOError";
  socket.inbox.push(blocking);
  await clock.tick(10);
  assertEquals(collector.errors, []);
  socket.inbox.push(Object.assign(new Error("modem gone"), { code: "ENODEV" }));
  await clock.tick(10);
  assertEquals(collector.errors.length, 1);
  const error = collector.errors[0] as TransportError;
  assertInstanceOf(error, TransportError);
  assertEquals(error.code, "ENODEV");
  socket.inbox.push(new Error("no code"));
  await clock.tick(10);
  assertEquals((collector.errors[1] as TransportError).code, "EIO");
  socket.inbox.push([bytes("still here"), ["h", 1]]);
  await clock.tick(10);
  assertEquals(collector.texts, ["still here"]);
  await transport.close();
});

Deno.test("CustomSocketTransport reports malformed recvfrom results without crashing", async () => {
  const { clock, socket, transport, collector } = setup();
  transport.listen(collector);
  socket.inbox.push(
    "not a tuple",
    ["text", ["h", 1]],
    [bytes("x"), "h:1"],
    [bytes("x"), ["h", 70000]],
    [bytes("ok"), ["h", 1]],
  );
  await clock.tick(0);
  assertEquals(collector.errors.length, 4);
  for (const error of collector.errors) {
    assertInstanceOf(error, TransportError);
    assertEquals(error.code, "EINVAL");
  }
  assertEquals(collector.texts, ["ok"]);
  await transport.close();
});

Deno.test("CustomSocketTransport.send() calls sendto(bytes, [hostname, port])", async () => {
  const { socket, transport } = setup();
  const data = bytes("req");
  transport.send(data, { hostname: "192.0.2.5", port: 5683 });
  assertEquals(socket.sent.length, 1);
  assertStrictEquals(socket.sent[0]![0], data);
  assertEquals(socket.sent[0]![1], ["192.0.2.5", 5683]);
  await transport.close();
});

Deno.test("CustomSocketTransport reports failed sends to onError with the peer", async () => {
  const { socket, transport, collector } = setup();
  transport.listen(collector);
  const peer = { hostname: "192.0.2.5", port: 5683 };
  socket.sendResult = () => -1;
  transport.send(bytes("a"), peer);
  socket.sendResult = () => {
    throw Object.assign(new Error("down"), { code: "ENETUNREACH" });
  };
  transport.send(bytes("b"), peer);
  socket.sendResult = () => Promise.reject(new Error("later"));
  transport.send(bytes("c"), peer);
  socket.sendResult = () => Promise.resolve(-1);
  transport.send(bytes("d"), peer);
  transport.send(bytes("e"), { hostname: "192.0.2.5", port: 0 });
  await collector.until(() => collector.errors.length === 5);
  const codes = collector.errors.map((error) => (error as TransportError).code);
  assertEquals(codes.sort(), ["EINVAL", "EIO", "EIO", "EIO", "ENETUNREACH"]);
  for (const error of collector.errors) {
    assertInstanceOf(error, TransportError);
    assertEquals(error.peer?.hostname, "192.0.2.5");
  }
  assertEquals(socket.sent.length, 4);
  await transport.close();
});

Deno.test("CustomSocketTransport.close() stops polling, closes the socket once, and later sends do nothing", async () => {
  const { clock, socket, transport, collector } = setup();
  transport.listen(collector);
  await clock.tick(0);
  const calls = socket.recvCalls.length;
  const closing = transport.close();
  assertStrictEquals(transport.close(), closing);
  await closing;
  await transport[Symbol.asyncDispose]();
  assertEquals(socket.closed, 1);
  assertEquals(clock.pending, 0);
  await clock.tick(100);
  assertEquals(socket.recvCalls.length, calls);
  transport.send(bytes("late"), { hostname: "h", port: 1 });
  assertEquals(socket.sent, []);
});

Deno.test("CustomSocketTransport with closeSocket false leaves the socket open", async () => {
  const socket = new FakeSocket();
  const transport = new CustomSocketTransport(socket, {
    clock: new FakeClock(),
    closeSocket: false,
  });
  await transport.close();
  assertEquals(socket.closed, 0);
});

Deno.test("CustomSocketTransport.poll() reads on demand and returns the count", async () => {
  const { socket, transport, collector } = setup();
  socket.inbox.push([bytes("1"), ["h", 1]], [bytes("2"), ["h", 1]]);
  assertEquals(await transport.poll(), 2);
  transport.listen(collector);
  await Promise.resolve();
  assertEquals(collector.texts, ["1", "2"]);
  assertEquals(await transport.poll(), 0);
  await transport.close();
});

Deno.test("CustomSocketTransport reports its local address from the option, getsockname() or a wildcard", async () => {
  const clock = new FakeClock();
  const base = {
    sendto: () => 0,
    recvfrom: () => null,
    setblocking: () => {},
  };
  await using plain = socketAdapter(base, { clock });
  assertEquals(plain.localAddress, { hostname: "0.0.0.0", port: 0 });
  await using named = socketAdapter({
    ...base,
    getsockname: () => ["::ffff:10.0.0.1", 5683] as const,
  }, { clock });
  assertEquals(named.localAddress, { hostname: "10.0.0.1", port: 5683 });
  await using given = socketAdapter(base, {
    clock,
    localAddress: { hostname: "modem", port: 8888 },
  });
  assertEquals(given.localAddress, { hostname: "modem", port: 8888 });
});

Deno.test("CustomSocketTransport validates the socket and its options", () => {
  const clock = new FakeClock();
  const base = { sendto: () => 0, recvfrom: () => null, setblocking: () => {} };
  assertThrows(
    // @ts-expect-error: a socket without recvfrom at run time
    () => socketAdapter({ sendto: () => 0, setblocking: () => {} }),
    TypeError,
    "recvfrom",
  );
  // @ts-expect-error: null at run time
  assertThrows(() => socketAdapter(null), TypeError);
  assertThrows(
    () => socketAdapter(base, { clock, pollInterval: 0 }),
    RangeError,
  );
  assertThrows(
    () => socketAdapter(base, { clock, bufferSize: 1.5 }),
    RangeError,
  );
  assertThrows(() => socketAdapter(base, { clock, maxBatch: -1 }), RangeError);
  assertThrows(
    // @ts-expect-error: a clock without timers at run time
    () => socketAdapter(base, { clock: { now: () => 0 } }),
    TypeError,
    "Cannot adapt custom socket: clock must have setTimeout and clearTimeout",
  );
  const error = assertThrows(
    () =>
      socketAdapter({
        ...base,
        setblocking: () => {
          throw new Error("unsupported");
        },
      }, { clock }),
    TransportError,
  );
  assertEquals(error.code, "EIO");
});

/** A custom socket backed by a real node:dgram socket, queueing what arrives. */
function dgramSocket(socket: Socket): CustomSocket {
  const inbox: [Uint8Array, CustomSocketAddress][] = [];
  socket.on("message", (message, rinfo) => {
    inbox.push([new Uint8Array(message), [rinfo.address, rinfo.port]]);
  });
  return {
    sendto(data, [hostname, port]) {
      socket.send(data, port, hostname);
      return data.length;
    },
    recvfrom(bufsize) {
      const next = inbox.shift();
      return next ? [next[0].subarray(0, bufsize), next[1]] : [null, null];
    },
    setblocking() {},
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
    getsockname() {
      const { address, port } = socket.address();
      return [address, port];
    },
  };
}

Deno.test("CustomSocketTransport over a real node:dgram socket talks to a UdpTransport", async () => {
  const raw = createSocket("udp4");
  await new Promise<void>((resolve) =>
    raw.bind({ port: 0, address: "127.0.0.1" }, resolve)
  );
  await using adapted = socketAdapter(dgramSocket(raw), { pollInterval: 2 });
  await using peer = await bindUdp({ hostname: "127.0.0.1" });
  assertEquals(adapted.localAddress.hostname, "127.0.0.1");
  assert(adapted.localAddress.port > 0);
  await assertRoundTrip(peer, adapted, ["request", "response"]);
});
