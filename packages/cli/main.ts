// Copyright 2026 the microcoap authors. MIT license.
/**
 * The `microcoap` command: `deno run -N jsr:@microcoap/cli get
 * coap://127.0.0.1/hello` (or `jsr:@microcoap/cli/main`), or `npx microcoap get coap://127.0.0.1/hello` in
 * Node. Run it with `help` for the commands.
 *
 * @module
 */
import process from "node:process";
import { runCli } from "./cli.ts";

/**
 * Runs the command with the process's arguments and streams; SIGINT and
 * SIGTERM interrupt it (a request stops, `observe` deregisters, `serve`
 * shuts down), and a second SIGINT exits at once.
 *
 * @param args The arguments.
 * @default {process.argv.slice(2)}
 * @returns The exit code (see `runCli`).
 *
 * @example Usage
 * ```ts
 * import { main } from "@microcoap/cli/main";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(await main(["--version"]), 0);
 * ```
 */
export async function main(
  args: readonly string[] = process.argv.slice(2),
): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Error("Interrupted"));
  };
  const signals: ("SIGINT" | "SIGTERM")[] = [];
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      process.on(signal, onSignal);
      signals.push(signal);
    } catch {
      // Not every platform has SIGTERM.
    }
  }
  try {
    return await runCli(args, { signal: controller.signal });
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
}

// No top-level await: Node loads modules without it with require() too.
if (import.meta.main) main().then((code) => process.exit(code));
