// Copyright 2026 the microcoap authors. MIT license.
// Every benchmark in one run (`deno task bench`), each printed as a table,
// then the targets with what was measured.
//
// `deno run -A bench/run_all.ts [--quick]` — --quick: one round of shorter
// load runs (for a smoke test; the ratios are noisier).
import { codecBench, printCodec } from "./codec.ts";
import type { CodecRow } from "./codec.ts";
import { printSize, sizeBench } from "./size.ts";
import type { SizeRow } from "./size.ts";
import { printMemory } from "./memory.ts";
import type { MemoryRow } from "./memory.ts";
import { LOAD_DEFAULTS, loadBench, printLoad } from "./load.ts";
import type { LoadRow } from "./load.ts";
import { CLIENTS_DEFAULTS, clientsBench, printClients } from "./clients.ts";
import type { ClientRow } from "./clients.ts";
import { BENCH, lastJson, ROOT, run, stopEsbuild } from "./_util.ts";

const quick = Deno.args.includes("--quick");
const notes: string[] = [];

function heading(title: string): void {
  console.log(`\n## ${title}\n`);
}

interface HotRow {
  name: string;
  avg: number;
  p75: number;
  p99: number;
}

async function hotPath(): Promise<HotRow[]> {
  const out = await run("deno", [
    "bench",
    "-A",
    "--json",
    BENCH + "hot_path_bench.ts",
    ROOT + "packages/dedup/dedup_bench.ts",
  ]);
  const json = JSON.parse(out) as {
    benches: {
      name: string;
      results: { ok?: { avg: number; p75: number; p99: number } }[];
    }[];
  };
  return json.benches.flatMap((bench) => {
    const ok = bench.results[0]?.ok;
    return ok ? [{ name: bench.name, ...ok }] : [];
  });
}

try {
  heading("Codec: encode/decode vs coap-packet");
  const codec: CodecRow[] = await codecBench();
  printCodec(codec);

  heading("Hot path in process (no sockets) and dedup filter");
  const hot = await hotPath();
  console.table(hot.map((row) => ({
    benchmark: row.name,
    "avg µs": (row.avg / 1000).toFixed(2),
    "p75 µs": (row.p75 / 1000).toFixed(2),
    "p99 µs": (row.p99 / 1000).toFixed(2),
    "per second": Math.round(1e9 / row.avg).toLocaleString("en"),
  })));

  heading("Bundle size (esbuild --minify, gzip -9)");
  const size: SizeRow[] = await sizeBench();
  printSize(size);

  heading("Memory under floods");
  const memory = lastJson<{ rows: MemoryRow[]; notes: string[] }>(
    await run("deno", [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      BENCH + "memory.ts",
      "--json",
    ]),
  );
  printMemory(memory.rows);
  notes.push(...memory.notes);

  heading("Server throughput under closed-loop load (separate processes)");
  const load = await loadBench(
    quick ? { ...LOAD_DEFAULTS, duration: 2, rounds: 1 } : LOAD_DEFAULTS,
  );
  printLoad(load.rows);
  notes.push(...load.notes);

  heading("Endpoint and client request rates");
  const clients = await clientsBench(
    quick ? { ...CLIENTS_DEFAULTS, count: 5_000, rounds: 1 } : CLIENTS_DEFAULTS,
  );
  printClients(clients.rows);
  notes.push(...clients.notes);

  heading("Targets");
  console.table(targets(codec, size, memory.rows, load.rows, clients.rows));
  for (const note of new Set(notes)) console.log("note: " + note);
} finally {
  await stopEsbuild();
}

function targets(
  codec: readonly CodecRow[],
  size: readonly SizeRow[],
  memory: readonly MemoryRow[],
  load: readonly LoadRow[],
  clients: readonly ClientRow[],
): Record<string, string>[] {
  const rows: Record<string, string>[] = [];
  const add = (target: string, measured: number, goal: number, unit = "×") =>
    rows.push({
      target,
      measured: Number.isFinite(measured)
        ? measured.toFixed(unit === "×" ? 2 : 0) + unit
        : "n/a",
      goal: (target.includes("≤") ? "≤ " : "≥ ") + goal + unit,
      met: !Number.isFinite(measured)
        ? "n/a"
        : target.includes("≤")
        ? measured <= goal ? "yes" : "no"
        : measured >= goal
        ? "yes"
        : "no",
    });
  const worst = (prefix: string) =>
    Math.min(
      ...codec.filter((r) => r.group.startsWith(prefix)).map((r) =>
        r.ours / r.coapPacket
      ),
    );
  add("codec encode vs coap-packet (slowest group)", worst("encode"), 10);
  add("codec decode vs coap-packet (slowest group)", worst("decode"), 3);
  const bytes = (prefix: string) =>
    size.find((r) => r.name.startsWith(prefix))?.gzipped ?? NaN;
  add("≤ codec core min+gz", bytes("microcoap codec core"), 2150, " B");
  add(
    "≤ facade (client + server) min+gz",
    bytes("microcoap facade: CoapClient"),
    12288,
    " B",
  );
  const nodeCoap = load.find((r) => r.server.startsWith("node-coap"));
  const libcoap = load.find((r) => r.server.startsWith("libcoap"));
  for (const row of load.filter((r) => r.server.startsWith("microcoap"))) {
    const name = row.server.replace("microcoap CoapServer, ", "");
    add(
      `server (${name}) vs node-coap req/s`,
      row.rps / (nodeCoap?.rps ?? NaN),
      3,
    );
    add(
      `server (${name}) vs libcoap req/s`,
      row.rps / (libcoap?.rps ?? NaN),
      0.8,
    );
    add(
      `server (${name}) vs libcoap by CPU per request`,
      (libcoap?.cpu ?? NaN) / row.cpu,
      0.8,
    );
    add(
      `≤ server (${name}) p99 vs libcoap p99`,
      row.p99 / (libcoap?.p99 ?? NaN),
      2,
    );
  }
  for (const row of clients.filter((r) => r.pair.startsWith("microcoap"))) {
    const baseline = clients.find((r) =>
      r.group === row.group && r.pair.startsWith("node-coap")
    );
    add(`${row.pair} vs node-coap`, row.rps / (baseline?.rps ?? NaN), 1);
  }
  rows.push({
    target: "memory bounded by the configured limits",
    measured: memory.every((r) => r.second <= r.first * 1.15 + 1024 * 1024)
      ? "every scenario"
      : "not all",
    goal: "all",
    met: memory.every((r) => r.second <= r.first * 1.15 + 1024 * 1024)
      ? "yes"
      : "no",
  });
  return rows;
}
