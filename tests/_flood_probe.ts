// Copyright 2026 the microcoap authors. MIT license.
// Run by floods_test.ts in a subprocess with --v8-flags=--expose-gc, so heap
// sizes after a full GC can be compared: waves of traffic past a server's
// limits, the heap after each wave, and whether a valid request was still
// answered. Prints one JSON line: { [scenario]: { heaps, observers, served } }.
import { CoapServer } from "@microcoap/server";
import type { CoapServerOptions } from "@microcoap/server";
import { decode, encodeBlock } from "@microcoap/codec";
import type { CoapOption } from "@microcoap/codec";
import { FakeClock } from "@microcoap/transport";
import type { PeerAddress } from "@microcoap/transport";
import {
  DirectTransport,
  numberedPeer as peer,
  numberedRequest as request,
} from "../test_util/injected.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");

function heap(): number {
  gc!();
  gc!();
  const usage = Deno.memoryUsage();
  return usage.heapUsed + usage.external;
}

interface Result {
  heaps: number[];
  observers: number[];
  served: boolean[];
}

async function scenario(
  options: CoapServerOptions,
  wave: (transport: DirectTransport, from: number) => void,
  waveSize: number,
): Promise<Result> {
  const clock = new FakeClock();
  const transport = new DirectTransport();
  const server = new CoapServer({ ...options, transport, clock });
  server.get("/hello", () => ({ payload: "Hello" }));
  server.get("/obs", () => ({ payload: "1" }), {
    observable: true,
    confirmable: true,
  });
  server.post("/upload", () => ({ code: 0x44 }));
  await server.listen();
  const result: Result = { heaps: [heap()], observers: [], served: [] };
  const good: PeerAddress = { hostname: "192.0.2.1", port: 5683 };
  for (let n = 0; n < 4; n++) {
    wave(transport, 1 + n * waveSize);
    await clock.tick(10);
    transport.receiver!.onDatagram(request(n, "hello"), good);
    result.served.push(decode(transport.lastSent!).code === 0x45);
    result.observers.push(server.observers);
    result.heaps.push(heap());
  }
  await server.close();
  return result;
}

const block = new Uint8Array(1024).fill(0x61);
const block0 = encodeBlock({ num: 0, more: true, szx: 6 });
const observe: CoapOption = { number: 6, value: new Uint8Array(0) };

const results = {
  // Each request from a new peer with a new message ID.
  dedup: await scenario(
    { maxDedupEntries: 2_000, maxPeers: 500 },
    (transport, from) => {
      for (let i = from; i < from + 20_000; i++) {
        transport.receiver!.onDatagram(request(i, "hello"), peer(i));
      }
    },
    20_000,
  ),
  // Observe registrations from new peers, never acknowledged.
  observers: await scenario(
    { maxObservers: 500, maxDedupEntries: 1_000 },
    (transport, from) => {
      for (let i = from; i < from + 5_000; i++) {
        transport.receiver!.onDatagram(request(i, "obs", [observe]), peer(i));
      }
    },
    5_000,
  ),
  // First blocks of uploads that are never continued.
  block1: await scenario(
    { maxTransfers: 100, maxDedupEntries: 1_000 },
    (transport, from) => {
      for (let i = from; i < from + 2_000; i++) {
        transport.receiver!.onDatagram(
          request(i, "upload", [{ number: 27, value: block0 }], block, 2),
          peer(i),
        );
      }
    },
    2_000,
  ),
};
console.log(JSON.stringify(results));
