// Copyright 2026 the microcoap authors. MIT license.
// Server throughput under a closed-loop load: each server runs in its own
// process, the load generator (bench/loadgen.ts, bundled for Node) in
// another, so each gets a core. Targets are interleaved round by round and
// the median of the rounds is reported.
//
// `deno run -A bench/load.ts [--duration 5] [--warmup 1] [--rounds 3]
//   [--concurrency 64] [--sockets 8]`
import type { LoadResult } from "./loadgen.ts";
import {
  BENCH,
  bundleForNode,
  cpuTime,
  ensureNodeCoap,
  lastJson,
  median,
  NODE_DIR,
  nodeVersion,
  ratio,
  ROOT,
  run,
  spawnReady,
  startLibcoap,
  stopEsbuild,
  tempDir,
} from "./_util.ts";

/** Settings of one load run. */
export interface LoadBenchOptions {
  duration: number;
  warmup: number;
  rounds: number;
  concurrency: number;
  sockets: number;
}

/** One server's medians. */
export interface LoadRow {
  server: string;
  rps: number;
  p50: number;
  p99: number;
  retransmissions: number;
  timeouts: number;
  errors: number;
  /** Server CPU time per response, in µs (whole run, warm-up included). */
  cpu: number;
  /** The server's CPU use as a share of one core. */
  serverLoad: number;
  /** The load generator's CPU use as a share of one core. */
  generatorLoad: number;
}

interface Target {
  name: string;
  /** Starts the server; resolves with its port and a stop function. */
  start(): Promise<
    { port: number; path: string; pid: number; stop(): Promise<void> }
  >;
}

/** Runs the server comparison and returns rows plus notes. */
export async function loadBench(
  options: LoadBenchOptions,
): Promise<{ rows: LoadRow[]; notes: string[] }> {
  const notes: string[] = [];
  const dir = tempDir();
  const node = nodeVersion();
  try {
    let loadgen: [string, string[]];
    if (node) {
      await bundleForNode(BENCH + "loadgen.ts", dir + "/loadgen.mjs");
      loadgen = ["node", [dir + "/loadgen.mjs"]];
      notes.push(`load generator: bench/loadgen.ts bundled for Node ${node}`);
    } else {
      loadgen = ["deno", ["run", "-A", BENCH + "loadgen.ts"]];
      notes.push("load generator: Deno (no Node found; Deno's UDP is slower)");
    }

    const targets: Target[] = [];
    const ours = (
      name: string,
      command: string,
      args: string[],
    ): Target => ({
      name,
      async start() {
        const ready = await spawnReady(command, args);
        return {
          port: Number(ready.info),
          path: "hello",
          pid: ready.child.pid,
          stop: ready.stop,
        };
      },
    });
    const script = BENCH + "servers/microcoap.ts";
    targets.push(
      ours("microcoap CoapServer, Deno, node:dgram", "deno", [
        "run",
        "-A",
        script,
        "0",
        "server",
        "dgram",
      ]),
      ours("microcoap CoapServer, Deno, Deno.listenDatagram", "deno", [
        "run",
        "-A",
        "--unstable-net",
        script,
        "0",
        "server",
        "deno",
      ]),
    );
    if (node) {
      const npm = await buildNpm(dir + "/npm");
      if (npm === undefined) {
        notes.push(
          "our server on Node: the npm build (scripts/build_npm.ts, as deno task build:npm)",
        );
        targets.push(
          ours("microcoap CoapServer, Node (npm build), node:dgram", "node", [
            NODE_DIR + "microcoap_npm_server.mjs",
            dir + "/npm",
            "0",
            "server",
          ]),
        );
      } else {
        notes.push(
          `npm build failed (${npm}): our server on Node is an esbuild bundle of bench/servers/microcoap.ts`,
        );
        await bundleForNode(script, dir + "/microcoap_server.mjs");
        targets.push(
          ours(
            "microcoap CoapServer, Node (esbuild bundle), node:dgram",
            "node",
            [
              dir + "/microcoap_server.mjs",
              "0",
              "server",
              "dgram",
            ],
          ),
        );
      }
      const missing = await ensureNodeCoap();
      if (missing === undefined) {
        targets.push(
          ours("node-coap 1.5.0 createServer, Node", "node", [
            NODE_DIR + "node_coap_server.mjs",
            "0",
          ]),
        );
      } else notes.push(`node-coap skipped: ${missing}`);
    } else notes.push("Node not found: Node rows skipped");
    targets.push({
      name: "libcoap 4.3.1 coap-server-notls (/time)",
      start: startLibcoap,
    });

    const results = new Map<
      string,
      (LoadResult & { cpu: number; serverLoad: number })[]
    >();
    for (let round = 0; round < options.rounds; round++) {
      for (const target of targets) {
        let server;
        try {
          server = await target.start();
        } catch (error) {
          notes.push(`${target.name}: ${(error as Error).message}`);
          continue;
        }
        try {
          const cpuBefore = cpuTime(server.pid);
          const started = performance.now();
          const out = await run(loadgen[0], [
            ...loadgen[1],
            "--port",
            String(server.port),
            "--path",
            server.path,
            "--concurrency",
            String(options.concurrency),
            "--sockets",
            String(options.sockets),
            "--duration",
            String(options.duration),
            "--warmup",
            String(options.warmup),
          ]);
          const cpu = cpuTime(server.pid) - cpuBefore;
          const wall = performance.now() - started;
          const loaded = lastJson<LoadResult>(out);
          const result = {
            ...loaded,
            cpu: cpu * 1000 / loaded.total,
            serverLoad: cpu / wall,
          };
          const list = results.get(target.name) ?? [];
          list.push(result);
          results.set(target.name, list);
        } finally {
          await server.stop();
        }
      }
    }
    const rows: LoadRow[] = [];
    for (const target of targets) {
      const list = results.get(target.name);
      if (!list) continue;
      rows.push({
        server: target.name,
        rps: median(list.map((r) => r.rps)),
        p50: median(list.map((r) => r.p50)),
        p99: median(list.map((r) => r.p99)),
        retransmissions: list.reduce((n, r) => n + r.retransmissions, 0),
        timeouts: list.reduce((n, r) => n + r.timeouts, 0),
        errors: list.reduce((n, r) => n + r.errors + r.resets, 0),
        cpu: median(list.map((r) => r.cpu)),
        serverLoad: median(list.map((r) => r.serverLoad)),
        generatorLoad: median(list.map((r) => r.load)),
      });
    }
    return { rows, notes };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Builds the npm package into `out`; returns undefined or why it failed. */
export async function buildNpm(out: string): Promise<string | undefined> {
  try {
    await run("deno", [
      "run",
      "-A",
      ROOT + "scripts/build_npm.ts",
      "--out",
      out,
    ]);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Prints the rows with ratios against node-coap and libcoap. */
export function printLoad(rows: readonly LoadRow[]): void {
  const nodeCoap = rows.find((r) => r.server.startsWith("node-coap"));
  const libcoap = rows.find((r) => r.server.startsWith("libcoap"));
  console.table(rows.map((row) => ({
    server: row.server,
    "req/s": Math.round(row.rps),
    "p50 ms": row.p50.toFixed(2),
    "p99 ms": row.p99.toFixed(2),
    "vs node-coap": nodeCoap ? ratio(row.rps, nodeCoap.rps) : "n/a",
    "vs libcoap": libcoap ? ratio(row.rps, libcoap.rps) : "n/a",
    "p99 vs libcoap": libcoap ? ratio(row.p99, libcoap.p99) : "n/a",
    "server CPU µs/req": row.cpu.toFixed(1),
    // Throughput is capped by the generator for the fastest servers; CPU per
    // request says what each would do with a core of its own.
    "vs libcoap by CPU/req": libcoap ? ratio(libcoap.cpu, row.cpu) : "n/a",
    "CPU server/loadgen": `${Math.round(row.serverLoad * 100)}%/${
      Math.round(row.generatorLoad * 100)
    }%`,
    "retx/timeouts/errors":
      `${row.retransmissions}/${row.timeouts}/${row.errors}`,
  })));
}

/** Parses `--name value` pairs over defaults. */
export function parseFlags<T extends object>(
  args: readonly string[],
  defaults: T,
): T {
  const out = { ...defaults } as Record<string, unknown>;
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!.replace(/^--/, "");
    if (!(name in out)) throw new TypeError(`Unknown option ${args[i]}`);
    const current = out[name];
    if (typeof current === "boolean") out[name] = true;
    else {
      const value = args[++i];
      out[name] = typeof current === "number" ? Number(value) : value;
    }
  }
  return out as T;
}

/** The defaults of {@linkcode loadBench}. */
export const LOAD_DEFAULTS: LoadBenchOptions = {
  duration: 5,
  warmup: 1,
  rounds: 3,
  concurrency: 64,
  sockets: 8,
};

if (import.meta.main) {
  try {
    const { rows, notes } = await loadBench(
      parseFlags(Deno.args, LOAD_DEFAULTS),
    );
    printLoad(rows);
    for (const note of notes) console.log("note: " + note);
  } finally {
    await stopEsbuild();
  }
}
