// Copyright 2026 the microcoap authors. MIT license.
// Request rates with real clients, each side in its own process:
//   - endpoint: our CoapEndpoint asking another CoapEndpoint (the message
//     layer alone) vs node-coap's client asking node-coap's server;
//   - client: our CoapClient vs node-coap's client, both against libcoap's
//     coap-server-notls.
// A fixed number of confirmable GETs (below 65,536, so no message ID is
// reused within EXCHANGE_LIFETIME), `concurrency` at a time; rounds are
// interleaved and the median reported.
//
// `deno run -A bench/clients.ts [--count 20000] [--concurrency 16] [--rounds 3]`
import type { ClientResult } from "./clients/_closed_loop.ts";
import { parseFlags } from "./load.ts";
import {
  BENCH,
  bundleForNode,
  ensureNodeCoap,
  lastJson,
  median,
  NODE_DIR,
  nodeVersion,
  ratio,
  run,
  spawnReady,
  startLibcoap,
  stopEsbuild,
  tempDir,
} from "./_util.ts";

/** Settings of {@linkcode clientsBench}. */
export interface ClientsBenchOptions {
  count: number;
  concurrency: number;
  rounds: number;
}

/** The defaults of {@linkcode clientsBench}. */
export const CLIENTS_DEFAULTS: ClientsBenchOptions = {
  count: 20_000,
  concurrency: 16,
  rounds: 3,
};

/** One pair's medians. */
export interface ClientRow {
  group: "endpoint" | "client";
  pair: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

interface Server {
  port: number;
  path: string;
  stop(): Promise<void>;
}

interface Pair {
  group: "endpoint" | "client";
  name: string;
  server(): Promise<Server>;
  client(server: Server): [string, string[]];
}

async function ready(command: string, args: string[]): Promise<Server> {
  const child = await spawnReady(command, args);
  return { port: Number(child.info), path: "hello", stop: child.stop };
}

/** Runs the pairs and returns rows plus notes. */
export async function clientsBench(
  options: ClientsBenchOptions,
): Promise<{ rows: ClientRow[]; notes: string[] }> {
  const notes: string[] = [];
  const ours = BENCH + "clients/microcoap.ts";
  const n = String(options.count);
  const c = String(options.concurrency);
  const pairs: Pair[] = [{
    group: "endpoint",
    name: "microcoap CoapEndpoint → CoapEndpoint (Deno)",
    server: () =>
      ready("deno", [
        "run",
        "-A",
        BENCH + "servers/microcoap.ts",
        "0",
        "endpoint",
        "dgram",
      ]),
    client: (s) => [
      "deno",
      [
        "run",
        "-A",
        ours,
        "endpoint",
        "127.0.0.1",
        String(s.port),
        s.path,
        n,
        c,
      ],
    ],
  }];
  const node = nodeVersion();
  const missing = node ? await ensureNodeCoap() : "Node not found";
  const dir = tempDir();
  if (node) {
    await bundleForNode(ours, dir + "/client.mjs");
    await bundleForNode(
      BENCH + "servers/microcoap.ts",
      dir + "/server.mjs",
    );
    pairs.push({
      group: "endpoint",
      name: "microcoap CoapEndpoint → CoapEndpoint (Node)",
      server: () => ready("node", [dir + "/server.mjs", "0", "endpoint"]),
      client: (s) => [
        "node",
        [
          dir + "/client.mjs",
          "endpoint",
          "127.0.0.1",
          String(s.port),
          s.path,
          n,
          c,
        ],
      ],
    });
  }
  const nodeCoapClient = (s: Server): [string, string[]] => [
    "node",
    [
      NODE_DIR + "node_coap_client.mjs",
      "127.0.0.1",
      String(s.port),
      s.path,
      n,
      c,
    ],
  ];
  if (missing === undefined) {
    pairs.push({
      group: "endpoint",
      name: "node-coap 1.5.0 client → server (Node)",
      server: () => ready("node", [NODE_DIR + "node_coap_server.mjs", "0"]),
      client: nodeCoapClient,
    });
  } else notes.push(`node-coap rows skipped: ${missing}`);
  pairs.push({
    group: "client",
    name: "microcoap CoapClient (Deno) → libcoap",
    server: startLibcoap,
    client: (s) => [
      "deno",
      ["run", "-A", ours, "client", "127.0.0.1", String(s.port), s.path, n, c],
    ],
  });
  if (node) {
    pairs.push({
      group: "client",
      name: "microcoap CoapClient (Node) → libcoap",
      server: startLibcoap,
      client: (s) => [
        "node",
        [
          dir + "/client.mjs",
          "client",
          "127.0.0.1",
          String(s.port),
          s.path,
          n,
          c,
        ],
      ],
    });
  }
  if (missing === undefined) {
    pairs.push({
      group: "client",
      name: "node-coap 1.5.0 client (Node) → libcoap",
      server: startLibcoap,
      client: nodeCoapClient,
    });
  }
  notes.push(
    `clients: ${options.count} CON GETs, ${options.concurrency} outstanding; our NSTART raised to ${options.concurrency} (node-coap does not limit)`,
  );

  const results = new Map<string, ClientResult[]>();
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const pair of pairs) {
        let server: Server;
        try {
          server = await pair.server();
        } catch (error) {
          notes.push(`${pair.name}: ${(error as Error).message}`);
          continue;
        }
        try {
          const [command, args] = pair.client(server);
          const result = lastJson<ClientResult>(await run(command, args));
          const list = results.get(pair.name) ?? [];
          list.push(result);
          results.set(pair.name, list);
        } catch (error) {
          notes.push(`${pair.name}: ${(error as Error).message}`);
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  const rows: ClientRow[] = [];
  for (const pair of pairs) {
    const list = results.get(pair.name);
    if (!list) continue;
    rows.push({
      group: pair.group,
      pair: pair.name,
      rps: median(list.map((r) => r.rps)),
      p50: median(list.map((r) => r.p50)),
      p99: median(list.map((r) => r.p99)),
      errors: list.reduce((sum, r) => sum + r.errors, 0),
    });
  }
  return { rows, notes };
}

/** Prints the rows, each with its ratio to the node-coap row of its group. */
export function printClients(rows: readonly ClientRow[]): void {
  console.table(rows.map((row) => {
    const baseline = rows.find((r) =>
      r.group === row.group && r.pair.startsWith("node-coap")
    );
    return {
      benchmark: row.group,
      pair: row.pair,
      "req/s": Math.round(row.rps),
      "p50 ms": row.p50.toFixed(2),
      "p99 ms": row.p99.toFixed(2),
      "vs node-coap": baseline ? ratio(row.rps, baseline.rps) : "n/a",
      errors: row.errors,
    };
  }));
}

if (import.meta.main) {
  const { rows, notes } = await clientsBench(
    parseFlags(Deno.args, CLIENTS_DEFAULTS),
  );
  printClients(rows);
  for (const note of notes) console.log("note: " + note);
  await stopEsbuild();
}
