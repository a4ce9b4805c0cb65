// Copyright 2026 the microcoap authors. MIT license.
// Faults: unreachable peers, sockets closed underneath, handlers that never
// answer, clocks that jump. The process stays up and every pending promise
// settles.
import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import { createSocket } from "node:dgram";
import { CoapCode, decode, encode } from "@microcoap/codec";
import type { CoapMessage } from "@microcoap/codec";
import {
  CoapClosedError,
  CoapEndpoint,
  CoapTimeoutError,
} from "@microcoap/endpoint";
import type { EndpointLogEvent } from "@microcoap/endpoint";
import { CoapServer } from "@microcoap/server";
import {
  bindUdp,
  FakeClock,
  MemoryNetwork,
  UdpTransport,
} from "@microcoap/transport";
import type { Clock, PeerAddress, TimerHandle } from "@microcoap/transport";
import { freeUdpPort } from "../test_util/libcoap.ts";

const text = new TextEncoder();
const SERVER: PeerAddress = { hostname: "10.0.0.1", port: 5683 };
// Fast retransmission for real-UDP tests (below the RFC floors: force).
const QUICK = {
  force: true,
  ackTimeout: 20,
  ackRandomFactor: 1,
  maxRetransmit: 2,
} as const;

function path(p: string) {
  return p.split("/").filter((s) => s).map((segment) => ({
    number: 11,
    value: text.encode(segment),
  }));
}

/** Resolves with how the promise settled, or "pending" after `ms` of real time. */
function outcome(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.then((value) => value ?? "resolved", (error) => error),
    new Promise((resolve) => timer = setTimeout(() => resolve("pending"), ms)),
  ]).finally(() => clearTimeout(timer));
}

Deno.test("a request to an unreachable port (ICMP) times out and the endpoint keeps working", async () => {
  const errors: EndpointLogEvent[] = [];
  const endpoint = new CoapEndpoint(
    await bindUdp({ hostname: "127.0.0.1" }),
    {
      ...QUICK,
      logger: (event) => {
        if (event.kind === "transport-error") errors.push(event);
      },
    },
  );
  const server = new CoapServer({ hostname: "127.0.0.1", port: 0 });
  server.get("/hello", () => ({ payload: "Hello" }));
  const address = await server.listen();
  try {
    const closed = await freeUdpPort();
    const result = await outcome(
      endpoint.request({ hostname: "127.0.0.1", port: closed }, {
        code: CoapCode.GET,
      }),
      10_000,
    );
    assertInstanceOf(result, CoapTimeoutError);
    // Several at once, while a live peer is also asked.
    const dead = Array.from(
      { length: 5 },
      (_, i) =>
        endpoint.request({ hostname: "127.0.0.1", port: closed }, {
          code: CoapCode.GET,
          options: path(`x${i}`),
        }).catch((error) => error),
    );
    const alive = await endpoint.request(address, {
      code: CoapCode.GET,
      options: path("hello"),
    });
    assertEquals(alive.code, CoapCode.CONTENT);
    for (const error of await Promise.all(dead)) {
      assertInstanceOf(error, CoapTimeoutError);
    }
  } finally {
    await endpoint.close();
    await server.close();
  }
});

Deno.test("a separate response to a client that went away times out on the server and the server keeps serving", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  await using server = new CoapServer({
    transport: network.bind(SERVER),
    clock,
  });
  let finish: (() => void) | undefined;
  server.get("/slow", () =>
    new Promise((resolve) => {
      finish = () => resolve({ payload: "late" });
    }));
  server.get("/hello", () => ({ payload: "Hello" }));
  await server.listen();
  const gone = new CoapEndpoint(network.bind(), { clock });
  const first = gone.request(SERVER, {
    code: CoapCode.GET,
    options: path("slow"),
  }).catch((error) => error);
  await clock.tick(1000); // empty ACK after separateResponseDelay
  await gone.close(); // the client disappears
  assertInstanceOf(await first, CoapClosedError);
  finish!(); // the separate CON response goes to nobody
  await clock.tick(200_000); // all its retransmissions
  await using client = new CoapEndpoint(network.bind(), { clock });
  const response = client.request(SERVER, {
    code: CoapCode.GET,
    options: path("hello"),
  });
  await clock.tick(0);
  assertEquals((await response).code, CoapCode.CONTENT);
});

Deno.test("closing a client's socket underneath settles its pending requests, and close() still resolves", async () => {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) =>
    socket.bind(0, "127.0.0.1", () => resolve())
  );
  const endpoint = new CoapEndpoint(new UdpTransport(socket), QUICK);
  // A peer that never answers: a bound socket that reads and drops.
  const silent = await bindUdp({ hostname: "127.0.0.1" });
  silent.listen({ onDatagram: () => {} });
  try {
    const pending = Array.from(
      { length: 4 },
      () =>
        endpoint.request(silent.localAddress, { code: CoapCode.GET }).catch((
          error,
        ) => error),
    );
    socket.close(); // behind the transport's back
    for (const result of await Promise.all(pending)) {
      assert(
        result instanceof CoapTimeoutError ||
          result instanceof CoapClosedError,
        `settled with ${result}`,
      );
    }
    const late = await outcome(
      endpoint.request(silent.localAddress, { code: CoapCode.GET }),
      10_000,
    );
    assert(late instanceof Error, `a request after the close: ${late}`);
  } finally {
    assertEquals(await outcome(endpoint.close(), 5000), "resolved");
    await silent.close();
  }
});

Deno.test("closing a server's socket underneath: CoapServer.close() still resolves", async () => {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) =>
    socket.bind(0, "127.0.0.1", () => resolve())
  );
  const server = new CoapServer({ transport: new UdpTransport(socket) });
  server.get("/hello", () => ({ payload: "Hello" }));
  await server.listen();
  socket.close();
  assertEquals(await outcome(server.close(), 5000), "resolved");
});

Deno.test("a handler that never resolves: the client gets an empty ACK, then a timeout; the server keeps serving others", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  await using server = new CoapServer({
    transport: network.bind(SERVER),
    clock,
    // Longer than the client waits, so the client's timeout path is what runs.
    handlerTimeout: 10 * 247_000,
  });
  server.get("/hang", () => new Promise<never>(() => {}));
  server.get("/hello", () => ({ payload: "Hello" }));
  await server.listen();
  await using client = new CoapEndpoint(network.bind(), { clock });
  const hung = client.request(SERVER, {
    code: CoapCode.GET,
    options: path("hang"),
  }).catch((error) => error);
  await clock.tick(1000);
  const ok = client.request(SERVER, {
    code: CoapCode.GET,
    options: path("hello"),
  });
  await clock.tick(0);
  assertEquals((await ok).code, CoapCode.CONTENT);
  await clock.tick(client.parameters.exchangeLifetime + 1);
  assertInstanceOf(await hung, CoapTimeoutError);
});

Deno.test("handlers that never resolve do not use up maxPendingRequests for good", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  await using server = new CoapServer({
    transport: network.bind(SERVER),
    clock,
    maxPendingRequests: 4,
  });
  server.get("/hang", () => new Promise<never>(() => {}));
  server.get("/hello", () => ({ payload: "Hello" }));
  await server.listen();
  await using client = new CoapEndpoint(network.bind(), {
    clock,
    nstart: 8,
  });
  for (let i = 0; i < 4; i++) {
    client.request(SERVER, { code: CoapCode.GET, options: path("hang") })
      .catch(() => {});
  }
  await clock.tick(1000);
  const busy = client.request(SERVER, {
    code: CoapCode.GET,
    options: path("hello"),
  });
  await clock.tick(0);
  assertEquals((await busy).code, CoapCode.SERVICE_UNAVAILABLE);
  // Long after any client could still be waiting for those answers
  // (EXCHANGE_LIFETIME), the slots must be free again.
  await clock.tick(server.endpoint!.parameters.exchangeLifetime * 2);
  const later = client.request(SERVER, {
    code: CoapCode.GET,
    options: path("hello"),
  });
  await clock.tick(0);
  assertEquals((await later).code, CoapCode.CONTENT);
});

Deno.test("a handler that outlives handlerTimeout is answered with a separate 5.00", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  await using server = new CoapServer({
    transport: network.bind(SERVER),
    clock,
    handlerTimeout: 10_000,
  });
  server.get("/hang", () => new Promise<never>(() => {}));
  await server.listen();
  await using client = new CoapEndpoint(network.bind(), { clock });
  const hung = client.request(SERVER, {
    code: CoapCode.GET,
    options: path("hang"),
  });
  await clock.tick(10_001);
  const response = await hung;
  assertEquals(response.code, CoapCode.INTERNAL_SERVER_ERROR);
  assertEquals(response.type, "CON"); // after the empty ACK, a separate response
});

/** A clock whose time can jump backwards and forwards; timers run on a FakeClock. */
class JumpingClock implements Clock {
  readonly fake = new FakeClock(1_000_000);
  offset = 0;
  now(): number {
    return this.fake.now() + this.offset;
  }
  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.fake.setTimeout(callback, ms);
  }
  clearTimeout(handle: TimerHandle): void {
    this.fake.clearTimeout(handle);
  }
}

Deno.test("clock jumps forwards and backwards: exchanges settle, duplicates are still caught, the server keeps serving", async () => {
  const clock = new JumpingClock();
  const network = new MemoryNetwork({ clock: clock.fake });
  let handled = 0;
  await using server = new CoapServer({
    transport: network.bind(SERVER),
    clock,
  });
  server.get("/hello", () => {
    handled++;
    return { payload: "Hello" };
  });
  server.get("/obs", () => ({ payload: "1", maxAge: 5 }), {
    observable: true,
  });
  await server.listen();
  const raw = network.bind();
  const received: CoapMessage[] = [];
  raw.listen({ onDatagram: (data) => received.push(decode(data)) });
  const get = (messageId: number, p: string, observe = false) =>
    encode({
      type: "CON",
      code: CoapCode.GET,
      messageId,
      token: new Uint8Array([messageId]),
      options: [
        ...(observe ? [{ number: 6, value: new Uint8Array(0) }] : []),
        ...path(p),
      ],
      payload: new Uint8Array(0),
    });
  raw.send(get(1, "hello"), SERVER);
  raw.send(get(2, "obs", true), SERVER);
  await clock.fake.tick(0);
  assertEquals(handled, 1);
  assertEquals(server.observers, 1);

  // Backwards by an hour: the duplicate is still recognised and replayed.
  clock.offset -= 3_600_000;
  raw.send(get(1, "hello"), SERVER);
  await clock.fake.tick(0);
  assertEquals(handled, 1);
  assertEquals(received.filter((m) => m.messageId === 1).length, 2);

  // Forwards by a day: timers that fall due fire, a new request works.
  clock.offset += 3_600_000 + 86_400_000;
  raw.send(get(3, "hello"), SERVER);
  await clock.fake.tick(0);
  assertEquals(handled, 2);

  // A client with a request in flight while the clock jumps settles too.
  await using client = new CoapEndpoint(network.bind(), { clock });
  const pending = client.request({ hostname: "10.9.9.9", port: 5683 }, {
    code: CoapCode.GET,
  }).catch((error) => error);
  clock.offset += 10 * 86_400_000;
  await clock.fake.tick(300_000);
  assertInstanceOf(await pending, CoapTimeoutError);
  await raw.close();
});
