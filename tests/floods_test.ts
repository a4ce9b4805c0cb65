// Copyright 2026 the microcoap authors. MIT license.
// Floods past a server's limits: unique peers and message IDs beyond the
// dedup filter's and the endpoint's limits, observers beyond maxObservers,
// Block1 uploads beyond maxTransfers, abandoned transfers, observers that
// never acknowledge. Memory stays within the limits and the server keeps
// serving.
import { assert, assertEquals } from "@std/assert";
import { fileURLToPath } from "node:url";
import {
  CoapCode,
  decode,
  encode,
  encodeBlock,
  getOption,
} from "@microcoap/codec";
import type { CoapMessage, CoapOption } from "@microcoap/codec";
import { CoapEndpoint } from "@microcoap/endpoint";
import { CoapServer } from "@microcoap/server";
import { FakeClock, MemoryNetwork } from "@microcoap/transport";
import type { PeerAddress } from "@microcoap/transport";

const text = new TextEncoder();
const SERVER: PeerAddress = { hostname: "10.0.0.1", port: 5683 };

interface ProbeResult {
  heaps: number[];
  observers: number[];
  served: boolean[];
}

Deno.test("floods past the dedup, peer, observer and transfer limits leave the heap bounded and the server serving", async () => {
  // Heap sizes need a forced GC: measured in a subprocess (see _flood_probe.ts).
  const probe = fileURLToPath(new URL("./_flood_probe.ts", import.meta.url));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", probe],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  const results = JSON.parse(new TextDecoder().decode(out.stdout)) as Record<
    string,
    ProbeResult
  >;
  assertEquals(Object.keys(results), ["dedup", "observers", "block1"]);
  for (const [name, { heaps, observers, served }] of Object.entries(results)) {
    assertEquals(served, [true, true, true, true], `${name}: served`);
    // The first wave fills the tables up to their limits; the next three,
    // all past the limits, must not keep growing the heap.
    const filled = heaps[1]! - heaps[0]!;
    const later = heaps[4]! - heaps[1]!;
    assert(
      later < filled * 0.25 + 256 * 1024,
      `${name}: heap grew by ${filled} bytes, then ${later} more past the limits`,
    );
    if (name === "observers") {
      assertEquals(observers, [500, 500, 500, 500]);
    }
  }
});

function path(p: string): CoapOption[] {
  return p.split("/").filter((s) => s).map((segment) => ({
    number: 11,
    value: text.encode(segment),
  }));
}

/** A raw peer on the network that records what it receives and never answers. */
function rawPeer(network: MemoryNetwork, address?: PeerAddress) {
  const transport = network.bind(address);
  const received: CoapMessage[] = [];
  transport.listen({ onDatagram: (data) => received.push(decode(data)) });
  return { transport, received };
}

Deno.test("abandoned Block1 uploads hold at most maxTransfers slots and free them after EXCHANGE_LIFETIME", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  await using server = new CoapServer({
    transport: network.bind(SERVER),
    clock,
    maxTransfers: 8,
  });
  let uploads = 0;
  server.post("/upload", () => {
    uploads++;
    return { code: CoapCode.CHANGED };
  });
  server.get("/hello", () => ({ payload: "Hello" }));
  await server.listen();
  const block = new Uint8Array(64).fill(0x61);
  const first = (peer: ReturnType<typeof rawPeer>, id: number) =>
    peer.transport.send(
      encode({
        type: "CON",
        code: CoapCode.POST,
        messageId: id,
        token: new Uint8Array([id]),
        options: [
          ...path("upload"),
          {
            number: 27,
            value: encodeBlock({ num: 0, more: true, szx: 2 }),
          },
        ],
        payload: block,
      }),
      SERVER,
    );
  const peers = Array.from(
    { length: 12 },
    (_, i) => rawPeer(network, { hostname: `10.0.1.${i + 1}`, port: 5683 }),
  );
  peers.forEach((peer, i) => first(peer, i + 1));
  await clock.tick(0);
  const codes = peers.map((peer) => peer.received.at(-1)?.code);
  assertEquals(codes.filter((c) => c === CoapCode.CONTINUE).length, 8);
  const busy = peers.filter((peer) =>
    peer.received.at(-1)?.code === CoapCode.SERVICE_UNAVAILABLE
  );
  assertEquals(busy.length, 4);
  // 5.03 says when to come back (Max-Age).
  assert(getOption(busy[0]!.received.at(-1)!, 14) !== undefined);

  // Other requests are served meanwhile.
  await using client = new CoapEndpoint(network.bind(), { clock });
  const hello = client.request(SERVER, {
    code: CoapCode.GET,
    options: path("hello"),
  });
  await clock.tick(0);
  assertEquals((await hello).code, CoapCode.CONTENT);

  // Nobody continues: after EXCHANGE_LIFETIME the slots are free again.
  await clock.tick(server.endpoint!.parameters.exchangeLifetime + 1000);
  busy.forEach((peer, i) => first(peer, 100 + i));
  await clock.tick(0);
  for (const peer of busy) {
    assertEquals(peer.received.at(-1)?.code, CoapCode.CONTINUE);
  }
  assertEquals(uploads, 0);
  for (const peer of peers) await peer.transport.close();
});

Deno.test("observers that never acknowledge confirmable notifications are dropped, and every notification settles", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  await using server = new CoapServer({
    transport: network.bind(SERVER),
    clock,
    maxObservers: 50,
  });
  let value = 0;
  const resource = server.get("/obs", () => ({ payload: String(value) }), {
    observable: true,
    confirmable: true,
  });
  server.get("/hello", () => ({ payload: "Hello" }));
  await server.listen();
  // 80 silent peers ask to observe: 50 are registered, the rest answered
  // without Observe.
  const peers = Array.from(
    { length: 80 },
    (_, i) => rawPeer(network, { hostname: `10.0.2.${i + 1}`, port: 5683 }),
  );
  peers.forEach((peer, i) =>
    peer.transport.send(
      encode({
        type: "CON",
        code: CoapCode.GET,
        messageId: i,
        token: new Uint8Array([i, 1]),
        options: [{ number: 6, value: new Uint8Array(0) }, ...path("obs")],
        payload: new Uint8Array(0),
      }),
      SERVER,
    )
  );
  await clock.tick(0);
  assertEquals(server.observers, 50);
  assertEquals(resource.observers, 50);
  // Notify every 10 s; nobody ever acknowledges.
  for (let i = 0; i < 30; i++) {
    value++;
    resource.notify();
    await clock.tick(10_000);
  }
  // At most one notification in flight per observer: they are gone after
  // the retransmissions of the last one run out.
  await clock.tick(300_000);
  assertEquals(server.observers, 0);
  const notifications = peers.map((peer) =>
    peer.received.filter((m) => m.type === "CON").length
  );
  // Each registered observer got notifications (and retransmissions), but
  // a bounded number: the in-flight one is replaced, not queued.
  for (const count of notifications.filter((n) => n > 0)) {
    assert(count <= 30 + 5, `${count} CON notifications to one peer`);
  }
  assertEquals(notifications.filter((n) => n > 0).length, 50);
  // Still serving.
  await using client = new CoapEndpoint(network.bind(), { clock });
  const hello = client.request(SERVER, {
    code: CoapCode.GET,
    options: path("hello"),
  });
  await clock.tick(0);
  assertEquals((await hello).code, CoapCode.CONTENT);
  assertEquals(clock.pending, 0, "timers left behind");
  for (const peer of peers) await peer.transport.close();
});
