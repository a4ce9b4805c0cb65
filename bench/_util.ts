// Copyright 2026 the microcoap authors. MIT license.
// Shared helpers of the benchmark scripts: esbuild bundles of workspace
// code (for Node and for size), processes that print "ready", Node and
// node-coap availability.
import * as esbuild from "npm:esbuild@0.28.2";
import { fileURLToPath, pathToFileURL } from "node:url";
import { existsSync } from "node:fs";
import { freeUdpPort } from "../test_util/libcoap.ts";

/** The repository root (a path). */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));
/** bench/ (a path). */
export const BENCH: string = fileURLToPath(new URL("./", import.meta.url));
/** Where Node's copy of node-coap is installed (`npm ci` in bench/node). */
export const NODE_DIR: string = BENCH + "node/";

/** A module of Deno's module graph (`deno info --json`), as far as read here. */
interface GraphModule {
  readonly specifier: string;
  readonly local?: string;
  readonly mediaType?: string;
  readonly error?: string;
  readonly dependencies?: readonly {
    readonly specifier: string;
    readonly code?: { readonly specifier: string };
    readonly type?: { readonly specifier: string };
  }[];
}

// Every module Deno has shown us, by URL, and its redirects
// (`jsr:@std/bytes@^1/equals` to the file it resolved to).
const graphModules = new Map<string, GraphModule>();
const graphRedirects = new Map<string, string>();

/**
 * The graph entry of a local module, asking `deno info` for the graph below
 * it unless an earlier answer already holds it.
 */
async function graphModule(path: string): Promise<GraphModule> {
  const url = pathToFileURL(path).href;
  const known = graphModules.get(url);
  if (known) return known;
  const output = await new Deno.Command(Deno.execPath(), {
    // --no-lock: resolving for a bundle must not rewrite deno.lock.
    args: ["info", "--json", "--no-lock", "--config", ROOT + "deno.json", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(
      `deno info ${path} failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: GraphModule[];
    redirects: Record<string, string>;
  };
  for (const module of graph.modules) {
    graphModules.set(module.specifier, module);
  }
  for (const [from, to] of Object.entries(graph.redirects)) {
    graphRedirects.set(from, to);
  }
  const module = graphModules.get(url);
  if (!module) throw new Error(`deno info ${path} did not list it`);
  return module;
}

/** Where `specifier`, imported by `module`, resolves to as Deno sees it. */
function resolveIn(
  module: GraphModule,
  specifier: string,
): esbuild.OnResolveResult {
  const dependency = module.dependencies?.find((d) =>
    d.specifier === specifier
  );
  let url = dependency?.code?.specifier ?? dependency?.type?.specifier;
  if (url === undefined) {
    return {
      errors: [{
        text: `deno info lists no ${specifier} in ${module.specifier}`,
      }],
    };
  }
  for (let hops = 0; hops < 10 && graphRedirects.has(url); hops++) {
    url = graphRedirects.get(url)!;
  }
  if (url.startsWith("node:")) return { path: url, external: true };
  return { path: url, namespace: DENO_NAMESPACE };
}

const DENO_NAMESPACE = "deno-graph";

const LOADERS: Record<string, esbuild.Loader> = {
  TypeScript: "ts",
  Mts: "ts",
  Cts: "ts",
  TSX: "tsx",
  JavaScript: "js",
  Mjs: "js",
  Cjs: "js",
  JSX: "jsx",
  Json: "json",
};

/**
 * An esbuild plugin resolving `@microcoap/<name>[/<export>]` to the workspace
 * sources, and `jsr:` modules (also by their import-map names, such as
 * `@std/bytes`) to the files Deno resolves and caches for them: from jsr.io,
 * or from a `file://` registry given by JSR_URL.
 */
export const workspacePlugin: esbuild.Plugin = {
  name: "microcoap-workspace",
  setup(build) {
    build.onResolve({ filter: /^@microcoap\// }, (args) => {
      const [, name, ...rest] = args.path.split("/");
      const dir = `${ROOT}packages/${name}/`;
      const config = JSON.parse(Deno.readTextFileSync(dir + "deno.json"));
      const key = rest.length === 0 ? "." : "./" + rest.join("/");
      const target = config.exports?.[key];
      if (typeof target !== "string") {
        return { errors: [{ text: `no export ${key} in @microcoap/${name}` }] };
      }
      return { path: dir + target.replace(/^\.\//, "") };
    });
    // From workspace files: what Deno's graph of the importer says.
    build.onResolve(
      { filter: /^(jsr:|@std\/)/, namespace: "file" },
      async (args) => resolveIn(await graphModule(args.importer), args.path),
    );
    // Within JSR modules: their own imports, relative ones included (the
    // cached files of jsr.io have hashed names, so paths cannot be joined).
    build.onResolve({ filter: /.*/, namespace: DENO_NAMESPACE }, (args) => {
      const module = graphModules.get(args.importer);
      return module
        ? resolveIn(module, args.path)
        : { errors: [{ text: `${args.importer} is not in Deno's graph` }] };
    });
    build.onLoad(
      { filter: /.*/, namespace: DENO_NAMESPACE },
      async (args) => {
        const module = graphModules.get(args.path);
        const loader = LOADERS[module?.mediaType ?? ""];
        if (module?.local === undefined || loader === undefined) {
          return {
            errors: [{
              text: `cannot load ${args.path}: ${
                module?.error ?? "no local file or unknown media type"
              }`,
            }],
          };
        }
        return { contents: await Deno.readTextFile(module.local), loader };
      },
    );
  },
};

/**
 * Bundles an entry for Node (ESM, node: built-ins external) into `outfile`.
 */
export async function bundleForNode(
  entry: string,
  outfile: string,
): Promise<void> {
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "error",
    plugins: [workspacePlugin],
  });
}

/** Stops esbuild's service so the process can exit. */
export async function stopEsbuild(): Promise<void> {
  await esbuild.stop();
}

/** The version of `node` on PATH, or undefined. */
export function nodeVersion(): string | undefined {
  try {
    const out = new Deno.Command("node", {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return out.code === 0
      ? new TextDecoder().decode(out.stdout).trim()
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether node-coap is installed for Node in bench/node; tries `npm ci` once. */
export async function ensureNodeCoap(): Promise<string | undefined> {
  if (existsSync(NODE_DIR + "node_modules/coap/package.json")) return undefined;
  try {
    const out = await new Deno.Command("npm", {
      args: ["ci", "--no-audit", "--no-fund", "--silent"],
      cwd: NODE_DIR,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (out.code !== 0) {
      return "npm ci in bench/node failed: " +
        new TextDecoder().decode(out.stderr).trim().split("\n")[0];
    }
  } catch (error) {
    return `npm is not available (${(error as Error).message})`;
  }
  return existsSync(NODE_DIR + "node_modules/coap/package.json")
    ? undefined
    : "node-coap is not installed in bench/node";
}

/** A child process that printed its "ready" line. */
export interface Ready {
  /** The child. */
  readonly child: Deno.ChildProcess;
  /** What followed "ready " on its ready line. */
  readonly info: string;
  /** Kills it and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Spawns a process and waits (up to `timeout` ms) until it prints a line
 * starting with "ready". Its stderr is passed through.
 */
export async function spawnReady(
  command: string,
  args: string[],
  options: { timeout?: number; env?: Record<string, string> } = {},
): Promise<Ready> {
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    ...(options.env ? { env: options.env } : {}),
  }).spawn();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
  };
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${command} did not get ready in time`)),
      options.timeout ?? 20_000,
    );
  });
  try {
    for (;;) {
      const { value, done } = await Promise.race([reader.read(), deadline]);
      if (done) throw new Error(`${command} exited before it was ready`);
      buffered += value;
      const line = buffered.split("\n").find((l) => l.startsWith("ready"));
      if (line !== undefined) {
        // Keep draining so the child never blocks on a full pipe.
        (async () => {
          try {
            while (!(await reader.read()).done) { /* discard */ }
          } catch { /* closed */ }
        })();
        return { child, info: line.slice(5).trim(), stop };
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a command to completion and returns its stdout; throws on failure. */
export async function run(
  command: string,
  args: string[],
  options: { timeout?: number } = {},
): Promise<string> {
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, options.timeout ?? 120_000);
  try {
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout);
    if (out.code !== 0) {
      throw new Error(`${command} ${args.join(" ")} exited with ${out.code}`);
    }
    return text;
  } finally {
    clearTimeout(timer);
  }
}

/** The last line of output parsed as JSON. */
export function lastJson<T>(text: string): T {
  const lines = text.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Formats a ratio as "1.23×". */
export function ratio(value: number, baseline: number): string {
  return Number.isFinite(value / baseline)
    ? (value / baseline).toFixed(2) + "×"
    : "n/a";
}

/** A temporary directory for bundles, removed by the caller. */
export function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "microcoap-bench-" });
}

/**
 * Waits until something answers a CoAP ping (empty CON) on the port, for
 * servers that print nothing when they are ready.
 */
export async function waitForCoap(
  port: number,
  hostname = "127.0.0.1",
  timeout = 10_000,
): Promise<void> {
  const { createSocket } = await import("node:dgram");
  const socket = createSocket(hostname.includes(":") ? "udp6" : "udp4");
  try {
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(
        () => reject(new Error(`nothing answers CoAP on port ${port}`)),
        timeout,
      );
      const ping = setInterval(() => {
        socket.send(new Uint8Array([0x40, 0, 0x12, 0x34]), port, hostname);
      }, 50);
      socket.on("error", () => {}); // ICMP unreachable until it is up.
      socket.on("message", () => {
        clearTimeout(deadline);
        clearInterval(ping);
        resolve();
      });
    });
  } finally {
    socket.close();
  }
}

/** A running libcoap `coap-server-notls` on 127.0.0.1, answering on `path`. */
export interface LibcoapServer {
  port: number;
  path: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `coap-server-notls` on a free loopback port and waits until it answers a ping. */
export async function startLibcoap(): Promise<LibcoapServer> {
  const port = await freeUdpPort();
  const child = new Deno.Command("coap-server-notls", {
    args: ["-A", "127.0.0.1", "-p", String(port)],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
  };
  try {
    await waitForCoap(port);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, path: "time", pid: child.pid, stop };
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc). */
export function cpuTime(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the whole line (11, 12 here).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}
