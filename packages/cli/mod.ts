// Copyright 2026 the microcoap authors. MIT license.
/**
 * The `microcoap` command line: CoAP requests, observe, discovery and ping
 * from a terminal, and a server to try things with. Run it with
 * `deno run -N jsr:@microcoap/cli help`, or call it in-process with
 * {@linkcode runCli}; {@linkcode createServeServer} builds the server of
 * `microcoap serve`.
 *
 * ```ts
 * import { createServeServer, runCli } from "@microcoap/cli";
 * import { assertEquals } from "@std/assert";
 *
 * await using serve = createServeServer({ port: 0 });
 * const { port } = await serve.listen();
 * const lines: string[] = [];
 * const code = await runCli(["get", "--json", `coap://127.0.0.1:${port}/hello`], {
 *   stdout: { write: (bytes: Uint8Array) => lines.push(new TextDecoder().decode(bytes)) },
 * });
 * assertEquals(code, 0);
 * assertEquals(JSON.parse(lines.join("")).payload, "hello world");
 * ```
 *
 * @module
 */
import process from "node:process";
import { main } from "./main.ts";

export * from "./cli.ts";
export * from "./format.ts";
export * from "./serve.ts";
export { main };

// `deno run -N jsr:@microcoap/cli …` runs this module.
// No top-level await: Node loads modules without it with require() too.
if (import.meta.main) main().then((code) => process.exit(code));
