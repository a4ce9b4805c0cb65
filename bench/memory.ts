// Copyright 2026 the microcoap authors. MIT license.
// Memory under floods: heap (V8 heap + external ArrayBuffers, after a full
// GC) of a CoapServer on an injected transport after
//   - 100,000 and 200,000 requests from distinct peers (each a new
//     peer/message ID for the dedup filter and the endpoint's per-peer
//     state), with the default limits and with small ones;
//   - 10,000 observers (maxObservers 10,000), then 10,000 more past the limit;
//   - 1,000 concurrent Block1 uploads (maxTransfers 1,000), then 1,000 more.
// Bounded means: the second wave, past the limits, adds (almost) nothing.
//
// `deno run -A --v8-flags=--expose-gc bench/memory.ts`
import { CoapServer } from "@microcoap/server";
import type { CoapServerOptions } from "@microcoap/server";
import { decode, encodeBlock } from "@microcoap/codec";
import type { CoapOption } from "@microcoap/codec";
import { FakeClock } from "@microcoap/transport";
import {
  DirectTransport,
  numberedPeer as peer,
  numberedRequest as request,
} from "../test_util/injected.ts";

/** One scenario's measurements. */
export interface MemoryRow {
  scenario: string;
  limit: string;
  /** How many entries the first wave made. */
  count: number;
  /** Heap growth after the first wave, bytes. */
  first: number;
  /** Heap growth after the second wave (past the limit), bytes. */
  second: number;
  /** What the server reports holding after the second wave. */
  held: string;
  /** Responses that were not what the scenario expects. */
  unexpected: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function heap(): number {
  gc?.();
  gc?.();
  const usage = Deno.memoryUsage();
  return usage.heapUsed + usage.external;
}

async function withServer(
  options: CoapServerOptions,
  setup: (server: CoapServer) => void,
  run: (transport: DirectTransport, server: CoapServer) => Promise<MemoryRow>,
): Promise<MemoryRow> {
  const transport = new DirectTransport();
  const server = new CoapServer({
    ...options,
    transport,
    clock: new FakeClock(),
  });
  setup(server);
  await server.listen();
  try {
    return await run(transport, server);
  } finally {
    await server.close();
  }
}

async function dedupFlood(
  label: string,
  limits: CoapServerOptions,
  held: number,
): Promise<MemoryRow> {
  return await withServer(
    limits,
    (server) => server.get("/hello", () => ({ payload: "Hello" })),
    (transport) => {
      let unexpected = 0;
      const wave = (from: number, count: number) => {
        for (let i = from; i < from + count; i++) {
          transport.receiver!.onDatagram(request(i, "hello"), peer(i));
          if (transport.lastSent?.[1] !== 0x45) unexpected++;
        }
      };
      const base = heap();
      wave(0, 100_000);
      const first = heap() - base;
      wave(100_000, 100_000);
      const second = heap() - base;
      return Promise.resolve({
        scenario: "requests from 100,000 then 200,000 distinct peers",
        limit: label,
        count: held,
        first,
        second,
        held: `${held.toLocaleString("en")} exchanges`,
        unexpected,
      });
    },
  );
}

async function observerFlood(): Promise<MemoryRow> {
  return await withServer(
    // A small dedup filter, so that its entries do not hide the observers'.
    { maxObservers: 10_000, maxDedupEntries: 1_000 },
    (server) =>
      server.get("/obs", () => ({ payload: "22.5" }), { observable: true }),
    (transport, server) => {
      let unexpected = 0;
      const observe: CoapOption = { number: 6, value: new Uint8Array(0) };
      const wave = (from: number, count: number, registered: boolean) => {
        for (let i = from; i < from + count; i++) {
          transport.receiver!.onDatagram(
            request(i, "obs", [observe]),
            peer(i),
          );
          const response = decode(transport.lastSent!);
          const hasObserve = response.options.some((o) => o.number === 6);
          if (response.code !== 0x45 || hasObserve !== registered) {
            unexpected++;
          }
        }
      };
      const base = heap();
      wave(0, 10_000, true);
      const first = heap() - base;
      wave(10_000, 10_000, false);
      const second = heap() - base;
      return Promise.resolve({
        scenario: "10,000 observers, then 10,000 more",
        limit: "maxObservers 10,000 (maxDedupEntries 1,000)",
        count: 10_000,
        first,
        second,
        held: `${server.observers} observers`,
        unexpected,
      });
    },
  );
}

async function block1Flood(): Promise<MemoryRow> {
  return await withServer(
    { maxTransfers: 1_000, maxDedupEntries: 1_000 },
    (server) => server.post("/upload", () => ({ code: 0x44 })),
    (transport) => {
      let unexpected = 0;
      const block = new Uint8Array(1024).fill(0x61);
      const first = encodeBlock({ num: 0, more: true, szx: 6 });
      const wave = (from: number, count: number, expected: number) => {
        for (let i = from; i < from + count; i++) {
          transport.receiver!.onDatagram(
            request(i, "upload", [{ number: 27, value: first }], block, 2),
            peer(i),
          );
          if (transport.lastSent?.[1] !== expected) unexpected++;
        }
      };
      const base = heap();
      wave(0, 1_000, 0x5f); // 2.31 Continue
      const grown = heap() - base;
      wave(1_000, 1_000, 0xa3); // 5.03 Service Unavailable
      const second = heap() - base;
      return Promise.resolve({
        scenario: "1,000 Block1 uploads (1 KiB each so far), then 1,000 more",
        limit: "maxTransfers 1,000 (maxDedupEntries 1,000)",
        count: 1_000,
        first: grown,
        second,
        held: "1,000 transfers",
        unexpected,
      });
    },
  );
}

/** Runs every scenario. */
export async function memoryBench(): Promise<
  { rows: MemoryRow[]; notes: string[] }
> {
  const notes: string[] = [];
  if (!gc) {
    notes.push(
      "no --v8-flags=--expose-gc: heap numbers include garbage and are only indicative",
    );
  }
  const rows = [
    await dedupFlood(
      "defaults: maxDedupEntries 100,000, maxPeers 10,000",
      {},
      100_000,
    ),
    await dedupFlood("maxDedupEntries 10,000, maxPeers 1,000", {
      maxDedupEntries: 10_000,
      maxPeers: 1_000,
    }, 10_000),
    await observerFlood(),
    await block1Flood(),
  ];
  return { rows, notes };
}

/** Prints the rows. */
export function printMemory(rows: readonly MemoryRow[]): void {
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1) + " MB";
  console.table(rows.map((row) => ({
    scenario: row.scenario,
    limits: row.limit,
    "heap after 1st wave": mb(row.first),
    "after 2nd wave": mb(row.second),
    "bytes per entry held": Math.round(row.first / row.count),
    bounded: row.second <= row.first * 1.15 + 1024 * 1024 ? "yes" : "no",
    held: row.held,
    unexpected: row.unexpected,
  })));
}

if (import.meta.main) {
  const { rows, notes } = await memoryBench();
  if (Deno.args.includes("--json")) {
    console.log(JSON.stringify({ rows, notes }));
    Deno.exit(0);
  }
  printMemory(rows);
  for (const note of notes) console.log("note: " + note);
}
