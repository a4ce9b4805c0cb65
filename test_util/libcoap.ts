// Copyright 2026 the microcoap authors. MIT license.
// Test helpers for libcoap's command-line peers (Debian package libcoap3-bin).
// Only imported by *_test.ts files.
import { createSocket } from "node:dgram";

/** Whether libcoap's tools are installed. */
export const hasLibcoap: boolean = (() => {
  try {
    const out = new Deno.Command("coap-client-notls", {
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    return out.code === 0 || out.code === 1;
  } catch {
    return false;
  }
})();

/** A free UDP port on the given loopback address. */
export async function freeUdpPort(hostname = "127.0.0.1"): Promise<number> {
  const socket = createSocket(hostname.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, hostname, () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** What `coap-client-notls` printed and how it exited. */
export interface ClientRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `coap-client-notls` with the arguments, bounded by `-B` (seconds) so
 * it never hangs, and a kill after that as a last resort.
 */
export async function coapClient(
  args: string[],
  options: { stdin?: Uint8Array } = {},
): Promise<ClientRun> {
  const child = new Deno.Command("coap-client-notls", {
    args,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin);
    await writer.close();
  }
  const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const out = await child.output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } finally {
    clearTimeout(killer);
  }
}

/** A running `coap-server-notls`. */
export interface LibcoapServer extends AsyncDisposable {
  hostname: string;
  port: number;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `coap-server-notls` on a free port of the loopback address and
 * waits until it answers a GET of /.well-known/core.
 */
export async function startLibcoapServer(
  options: { hostname?: string; args?: string[] } = {},
): Promise<LibcoapServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  const port = await freeUdpPort(hostname);
  const child = new Deno.Command("coap-server-notls", {
    args: ["-A", hostname, "-p", String(port), ...(options.args ?? [])],
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const url = `coap://${host}:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
  };
  for (let i = 0; i < 50; i++) {
    const run = await coapClient([
      "-B",
      "1",
      "-m",
      "get",
      `${url}/.well-known/core`,
    ]);
    if (run.code === 0 && run.stdout.includes("<")) {
      return { hostname, port, url, stop, [Symbol.asyncDispose]: stop };
    }
  }
  await stop();
  throw new Error(`coap-server-notls did not come up on ${url}`);
}
