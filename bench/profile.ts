// Copyright 2026 the microcoap authors. MIT license.
// CPU profile of the server's hot path through V8's sampling profiler
// (node:inspector), summarised as self time per function.
//
//   deno run -A bench/profile.ts direct [--requests 1000000]
//     CoapServer on an injected transport: no sockets, only our code.
//   deno run -A [--unstable-net] bench/profile.ts udp [--transport dgram|deno]
//     [--duration 5]
//     CoapServer on UDP in this process, loaded by bench/loadgen.ts (bundled
//     for Node when Node is there) in another.
//
// --top 25 rows; --save file.cpuprofile writes the raw profile (open it in
// Chrome DevTools).
import { Session } from "node:inspector";
import { cpuUsage } from "node:process";
import { CoapServer } from "@microcoap/server";
import { encode } from "@microcoap/codec";
import { bindDenoUdp, bindUdp } from "@microcoap/transport";
import type { PeerAddress, Transport } from "@microcoap/transport";
import { DirectTransport } from "../test_util/injected.ts";
import { parseFlags } from "./load.ts";
import {
  BENCH,
  bundleForNode,
  nodeVersion,
  run,
  stopEsbuild,
  tempDir,
} from "./_util.ts";

interface ProfileNode {
  id: number;
  callFrame: {
    functionName: string;
    url: string;
    lineNumber: number;
  };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

const session = new Session();
session.connect();
function post<T>(method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(
      method,
      params,
      (error: Error | null, result?: object) =>
        error ? reject(error) : resolve(result as T),
    )
  );
}

/** Self time per function, most first, as rows for console.table. */
export function summarise(
  profile: Profile,
  top: number,
): Record<string, string | number>[] {
  const total = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*\/(packages|bench)\//, "$1/").replace(
      /^ext:/,
      "",
    );
    const name = `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + (node.hitCount ?? 0));
  }
  return [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top).map((
    [name, hits],
  ) => ({ function: name, "self %": (100 * hits / total).toFixed(1) }));
}

async function profiled(work: () => Promise<void>): Promise<Profile> {
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
  await post("Profiler.start");
  await work();
  const { profile } = await post<{ profile: Profile }>("Profiler.stop");
  return profile;
}

const flags = parseFlags(Deno.args.slice(1), {
  requests: 1_000_000,
  duration: 5,
  transport: "dgram",
  top: 25,
  save: "",
  rounds: 1,
  "no-profile": false,
});
const mode = Deno.args[0] ?? "direct";
const hello = new TextEncoder().encode("Hello");
let profile: Profile | undefined;

if (mode === "direct") {
  const transport = new DirectTransport();
  const server = new CoapServer({ transport });
  server.get("/hello", () => ({ payload: hello }));
  await server.listen();
  const peers: PeerAddress[] = Array.from(
    { length: 64 },
    (_, i) => ({ hostname: "127.0.0.1", port: 40000 + i }),
  );
  const path = new TextEncoder().encode("hello");
  const datagrams = Array.from({ length: 65_536 }, (_, i) =>
    encode({
      type: "CON",
      code: 1,
      messageId: i,
      token: new Uint8Array([i >>> 8, i & 0xff, 1, 2]),
      options: [{ number: 11, value: path }],
      payload: new Uint8Array(0),
    }).slice());
  const drive = (count: number, from: number) => {
    for (let n = from; n < from + count; n++) {
      transport.receiver!.onDatagram(
        datagrams[n & 0xffff]!,
        peers[(n >>> 16) & 63]!,
      );
    }
  };
  drive(200_000, 0); // warm-up
  let next = 200_000;
  const times: number[] = [];
  const cpus: number[] = [];
  for (let round = 0; round < flags.rounds; round++) {
    const start = performance.now();
    const cpuStart = cpuUsage();
    const work = () => {
      drive(flags.requests, next);
      next += flags.requests;
      return Promise.resolve();
    };
    if (flags["no-profile"]) await work();
    else profile = await profiled(work);
    times.push((performance.now() - start) * 1000 / flags.requests);
    const cpu = cpuUsage(cpuStart);
    cpus.push((cpu.user + cpu.system) / flags.requests);
  }
  console.log(
    `${flags.requests} requests × ${flags.rounds}: ${
      times.map((t) => t.toFixed(2)).join(", ")
    } µs per request${flags["no-profile"] ? "" : " (profiler on)"}; CPU ${
      cpus.map((t) => t.toFixed(2)).join(", ")
    } µs per request`,
  );
  await server.close();
} else {
  const transport: Transport = flags.transport === "deno"
    ? await bindDenoUdp({ hostname: "127.0.0.1" })
    : await bindUdp({ hostname: "127.0.0.1" });
  const server = new CoapServer({ transport });
  server.get("/hello", () => ({ payload: hello }));
  const address = await server.listen();
  const dir = tempDir();
  try {
    let loadgen: [string, string[]];
    if (nodeVersion()) {
      await bundleForNode(BENCH + "loadgen.ts", dir + "/loadgen.mjs");
      loadgen = ["node", [dir + "/loadgen.mjs"]];
    } else loadgen = ["deno", ["run", "-A", BENCH + "loadgen.ts"]];
    let out = "";
    profile = await profiled(async () => {
      out = await run(loadgen[0], [
        ...loadgen[1],
        "--port",
        String(address.port),
        "--duration",
        String(flags.duration),
      ]);
    });
    console.log(out.trim());
  } finally {
    Deno.removeSync(dir, { recursive: true });
    await server.close();
    await stopEsbuild();
  }
}
session.disconnect();
if (profile) {
  if (flags.save) Deno.writeTextFileSync(flags.save, JSON.stringify(profile));
  console.table(summarise(profile, flags.top));
}
