// Copyright 2026 the microcoap authors. MIT license.
/**
 * {@linkcode runCli}: the `microcoap` command as a function, with its
 * standard streams injectable, so that it runs the same from a terminal, in
 * Node and Deno, and inside tests.
 *
 * @module
 */
import process from "node:process";
import { readFile } from "node:fs/promises";
import { encode as encodeCbor } from "cborg";
import {
  CoapBlockwiseError,
  CoapClient,
  CoapDnsError,
} from "@microcoap/client";
import type {
  CoapClientOptions,
  CoapMethodOptions,
  CoapObservation,
  CoapResponse,
} from "@microcoap/client";
import { contentFormatName, parseUri } from "@microcoap/codec";
import {
  CoapClosedError,
  CoapResetError,
  CoapTimeoutError,
} from "@microcoap/endpoint";
import type { EndpointLogEvent } from "@microcoap/endpoint";
import {
  formatPeerAddress,
  isMulticastAddress,
  TransportError,
} from "@microcoap/transport";
import type { ServerLogEvent } from "@microcoap/server";
import { concat } from "@std/bytes/concat";
import {
  helpText,
  parseCommandLine,
  UsageError,
  ValueError,
  VERSION,
} from "./_args.ts";
import type { ParsedCommand } from "./_args.ts";
import { describeMessage } from "./_log.ts";
import { TransferProgress } from "./_progress.ts";
import {
  decodePayload,
  describeCode,
  formatPayload,
  responseToJson,
} from "./format.ts";
import { createServeServer } from "./serve.ts";
import { contentFormatOfFile } from "./_files.ts";

/**
 * Where the command writes: stdout or stderr.
 *
 * @example Usage
 * ```ts
 * import type { CliWriter } from "@microcoap/cli";
 * import { assertEquals } from "@std/assert";
 *
 * const chunks: Uint8Array[] = [];
 * const writer: CliWriter = { write: (chunk) => chunks.push(chunk) };
 * writer.write(new Uint8Array([104, 105]));
 * assertEquals(chunks.length, 1);
 * ```
 */
export interface CliWriter {
  /**
   * Writes bytes; may return a promise that resolves once they are written.
   *
   * @param chunk The bytes.
   */
  write(chunk: Uint8Array): unknown;
}

/**
 * The standard streams and the interrupt signal of {@linkcode runCli}.
 *
 * @example Usage
 * ```ts
 * import { runCli } from "@microcoap/cli";
 * import type { CliIo } from "@microcoap/cli";
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 *
 * let stderr = "";
 * const io: CliIo = {
 *   stdout: { write: () => {} },
 *   stderr: { write: (bytes) => stderr += new TextDecoder().decode(bytes) },
 *   stdin: (async function* () {})(),
 *   stderrIsTerminal: false,
 * };
 * assertEquals(await runCli(["get"], io), 2);
 * assertStringIncludes(stderr, "Missing the URL for get");
 * ```
 */
export interface CliIo {
  /**
   * Where payloads and results go.
   *
   * @default {process.stdout}
   */
  stdout?: CliWriter;
  /**
   * Where errors, `--verbose` lines and progress bars go.
   *
   * @default {process.stderr}
   */
  stderr?: CliWriter;
  /**
   * Where `--file -` reads the payload from.
   *
   * @default {process.stdin}
   */
  stdin?: AsyncIterable<Uint8Array>;
  /**
   * Whether stderr is a terminal: progress bars are drawn only then.
   *
   * @default {process.stderr.isTTY}
   */
  stderrIsTerminal?: boolean;
  /**
   * Interrupts the command: requests stop (exit code 130), `observe`
   * deregisters and `serve` shuts down (both exit 0). `main` aborts it on
   * SIGINT and SIGTERM.
   *
   * @default {undefined} never
   */
  signal?: AbortSignal;
  /**
   * Options for every `CoapClient` the command creates (for tests: a
   * transport, transmission parameters).
   *
   * @default {{}}
   */
  clientOptions?: CoapClientOptions;
}

/**
 * Exit codes of {@linkcode runCli}.
 *
 * @example Usage
 * ```ts
 * import { ExitCode, runCli } from "@microcoap/cli";
 * import { assertEquals } from "@std/assert";
 *
 * const quiet = { stdout: { write: () => {} }, stderr: { write: () => {} } };
 * assertEquals(await runCli(["fly"], quiet), ExitCode.USAGE);
 * ```
 */
export const ExitCode = {
  /** A 2.xx response, or a command that succeeded. */
  OK: 0,
  /** A 4.xx or 5.xx response. */
  ERROR_RESPONSE: 1,
  /** A usage error: an unknown command or option, a bad value or URL. */
  USAGE: 2,
  /** A timeout, a reset, or a network error. */
  NETWORK: 3,
  /** Interrupted (SIGINT) before a response arrived. */
  INTERRUPTED: 130,
} as const;

const encoder = new TextEncoder();

class Output {
  #io: CliIo;
  constructor(io: CliIo) {
    this.#io = io;
  }
  get stdout(): CliWriter {
    return this.#io.stdout ?? processWriter(process.stdout);
  }
  get stderr(): CliWriter {
    return this.#io.stderr ?? processWriter(process.stderr);
  }
  async out(text: string | Uint8Array): Promise<void> {
    await this.stdout.write(
      typeof text === "string" ? encoder.encode(text) : text,
    );
  }
  async err(text: string): Promise<void> {
    try {
      await this.stderr.write(encoder.encode(text));
    } catch {
      // stderr is gone: there is nobody left to tell.
    }
  }
}

interface NodeWritable {
  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** The reader of stdout went away (`microcoap observe ... | head -3`). */
class OutputClosedError extends Error {
  constructor(cause: unknown) {
    super("Cannot write: the output was closed", { cause });
    this.name = "OutputClosedError";
  }
}

const processWriters = new Map<NodeWritable, CliWriter>();

// A write to a closed pipe fails (EPIPE) and the stream emits "error", which
// would end the process with a stack trace; here it rejects the write.
function processWriter(stream: NodeWritable): CliWriter {
  let writer = processWriters.get(stream);
  if (writer === undefined) {
    let failed: unknown;
    stream.on("error", (error) => failed ??= error);
    writer = {
      write: (chunk) =>
        failed === undefined
          ? new Promise<void>((resolve, reject) =>
            stream.write(
              chunk,
              (error) =>
                error ? reject(new OutputClosedError(error)) : resolve(),
            )
          )
          : Promise.reject(new OutputClosedError(failed)),
    };
    processWriters.set(stream, writer);
  }
  return writer;
}

/**
 * Runs the `microcoap` command line: `get`, `post`, `put`, `delete`,
 * `fetch`, `patch`, `ipatch`, `observe`, `discover`, `ping`, `serve` and
 * `help`. Payloads go to stdout, decoded by Content-Format; errors are one
 * line on stderr (never a stack trace).
 *
 * @param args The arguments after the program name, such as
 * `["get", "coap://127.0.0.1/hello"]`.
 * @param io The streams, the interrupt signal and client options; the
 * process's own by default.
 * @returns The exit code: 0 for a 2.xx response, 1 for 4.xx/5.xx, 2 for a
 * usage error, 3 for a timeout, reset or network error, 130 when
 * interrupted.
 *
 * @example Usage
 * ```ts
 * import { createServeServer, runCli } from "@microcoap/cli";
 * import { assertEquals } from "@std/assert";
 *
 * await using serve = createServeServer({ port: 0 });
 * const { port } = await serve.listen();
 * let stdout = "";
 * const code = await runCli(["get", `coap://127.0.0.1:${port}/hello`], {
 *   stdout: { write: (bytes: Uint8Array) => stdout += new TextDecoder().decode(bytes) },
 * });
 * assertEquals(code, 0);
 * assertEquals(stdout, "hello world\n");
 * ```
 */
export async function runCli(
  args: readonly string[],
  io: CliIo = {},
): Promise<number> {
  const output = new Output(io);
  let command: string | undefined;
  try {
    const invocation = parseCommandLine(args);
    if (invocation.kind === "help") {
      await output.out(helpText(invocation.command));
      return ExitCode.OK;
    }
    if (invocation.kind === "version") {
      await output.out(`microcoap ${VERSION}\n`);
      return ExitCode.OK;
    }
    const parsed = invocation.parsed;
    command = parsed.command.name;
    switch (command) {
      case "serve":
        return await serve(parsed, io, output);
      case "ping":
        return await ping(parsed, io, output);
      case "observe":
        return await observe(parsed, io, output);
      default:
        return await request(parsed, io, output);
    }
  } catch (error) {
    return await report(error, output, command, io.signal);
  }
}

async function report(
  error: unknown,
  output: Output,
  command: string | undefined,
  signal: AbortSignal | undefined,
): Promise<number> {
  // Nobody reads any more: stop quietly, as `head` expects.
  if (error instanceof OutputClosedError) return ExitCode.OK;
  if (error instanceof UsageError) {
    const topic = error.command ?? command;
    await output.err(
      error.help === "full"
        ? `microcoap: ${error.message}\n\n${helpText(topic)}`
        : error.help === "hint"
        ? `microcoap: ${error.message}\nRun 'microcoap ${
          topic === undefined ? "" : `${topic} `
        }--help' for usage.\n`
        : `microcoap: ${error.message}\n`,
    );
    return ExitCode.USAGE;
  }
  if (signal?.aborted && error === signal.reason) {
    await output.err("microcoap: interrupted\n");
    return ExitCode.INTERRUPTED;
  }
  const text = error instanceof Error ? error.message : String(error);
  await output.err(`microcoap: ${text}\n`);
  if (
    error instanceof CoapTimeoutError || error instanceof CoapResetError ||
    error instanceof CoapClosedError || error instanceof CoapDnsError ||
    error instanceof CoapBlockwiseError || error instanceof TransportError
  ) return ExitCode.NETWORK;
  // Bad values found only by the client (an option too long for a URL).
  if (error instanceof TypeError || error instanceof RangeError) {
    return ExitCode.USAGE;
  }
  return ExitCode.NETWORK;
}

/** Adds `coap://` when missing and checks the URL. */
function checkUrl(text: string, command: string): string {
  const url = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(text)
    ? text
    : `coap://${text}`;
  // "::1" or coap://fe80::1/x: without brackets the colons read as a port.
  const authority = /^[^:]+:\/\/([^/?#]*)/.exec(url)?.[1] ?? "";
  if (!authority.includes("[") && /:.*:/.test(authority)) {
    throw new ValueError(
      `Cannot parse CoAP URI "${url}": an IPv6 address goes in brackets, as in coap://[::1]:5683/path`,
      command,
    );
  }
  let hostname: string;
  try {
    hostname = parseUri(url).hostname;
  } catch (error) {
    throw new ValueError((error as Error).message, command);
  }
  if (
    (command === "ping" || command === "observe") &&
    isMulticastAddress(hostname)
  ) {
    throw new UsageError(
      `${command} needs one server, not the multicast group ${hostname}`,
      command,
      "none",
    );
  }
  return url;
}

function discoveryUrl(url: string): string {
  const hasPath = parseUri(url).options.some((option) => option.number === 11);
  if (hasPath) return url;
  const match = /^([^:]+:\/\/[^/?#]*)\/?(\?[^#]*)?(#.*)?$/.exec(url);
  return match ? `${match[1]}/.well-known/core${match[2] ?? ""}` : url;
}

function isCbor(format: number | undefined): boolean {
  if (format === undefined) return false;
  return format === 60 || /\+cbor$/.test(contentFormatName(format) ?? "");
}

interface Payload {
  bytes: Uint8Array;
  contentFormat: number | undefined;
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return concat(chunks);
}

async function readPayload(
  parsed: ParsedCommand,
  io: CliIo,
): Promise<Payload | undefined> {
  const name = parsed.command.name;
  if (parsed.payload !== undefined) {
    if (isCbor(parsed.contentFormat)) {
      let value: unknown;
      try {
        value = JSON.parse(parsed.payload);
      } catch (error) {
        throw new ValueError(
          `Cannot send the payload as CBOR: it is not JSON (${
            (error as Error).message
          })`,
          name,
        );
      }
      return { bytes: encodeCbor(value), contentFormat: parsed.contentFormat };
    }
    return {
      bytes: encoder.encode(parsed.payload),
      contentFormat: parsed.contentFormat ?? 0,
    };
  }
  if (parsed.file === undefined) return undefined;
  if (parsed.file === "-") {
    return {
      bytes: await readAll(io.stdin ?? process.stdin),
      contentFormat: parsed.contentFormat,
    };
  }
  try {
    const bytes = new Uint8Array(await readFile(parsed.file));
    return {
      bytes,
      contentFormat: parsed.contentFormat ?? contentFormatOfFile(parsed.file),
    };
  } catch (error) {
    const reason = (error as { code?: string }).code ??
      (error as Error).message;
    throw new UsageError(`Cannot read ${parsed.file}: ${reason}`, name, "none");
  }
}

function clientOptions(
  parsed: ParsedCommand,
  io: CliIo,
  output: Output,
): CoapClientOptions {
  const options: CoapClientOptions = { ...io.clientOptions };
  if (parsed.verbose) {
    const user = options.logger;
    options.logger = (event: EndpointLogEvent) => {
      user?.(event);
      if (
        (event.kind === "sent" || event.kind === "received") && event.message
      ) {
        void output.err(describeMessage(event.kind, event.message, event.peer));
      }
    };
  }
  return options;
}

function requestOptions(
  parsed: ParsedCommand,
  signal: AbortSignal | undefined,
  progress: TransferProgress,
): CoapMethodOptions {
  const options: CoapMethodOptions = {
    confirmable: parsed.confirmable,
    options: parsed.options,
    onProgress: progress.update,
  };
  if (parsed.accept !== undefined) options.accept = parsed.accept;
  if (parsed.timeout !== undefined) options.timeout = parsed.timeout;
  if (parsed.blockSize !== undefined) options.blockSize = parsed.blockSize;
  if (signal !== undefined) options.signal = signal;
  return options;
}

async function printResponse(
  parsed: ParsedCommand,
  response: CoapResponse,
  output: Output,
): Promise<void> {
  if (parsed.json) {
    await output.out(JSON.stringify(responseToJson(response)) + "\n");
    return;
  }
  if (parsed.raw) {
    await output.out(response.payload);
    return;
  }
  const contentFormat = response.contentFormat;
  if (parsed.verbose) {
    const decoded = decodePayload(response.payload, contentFormat);
    if (decoded.error) {
      await output.err(
        `microcoap: the payload is not valid for its Content-Format: ${decoded.error}\n`,
      );
    }
  }
  const text = formatPayload(response.payload, contentFormat);
  if (text !== "") await output.out(text.endsWith("\n") ? text : text + "\n");
}

function elapsed(started: number): string {
  const ms = performance.now() - started;
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}

async function request(
  parsed: ParsedCommand,
  io: CliIo,
  output: Output,
): Promise<number> {
  const name = parsed.command.name;
  let url = checkUrl(parsed.positionals[0]!, name);
  if (name === "discover") url = discoveryUrl(url);
  const payload = await readPayload(parsed, io);
  const progress = new TransferProgress(
    output.stderr,
    io.stderrIsTerminal ?? process.stderr.isTTY === true,
  );
  const options = requestOptions(parsed, io.signal, progress);
  if (payload !== undefined) {
    options.payload = payload.bytes;
    if (payload.contentFormat !== undefined) {
      options.contentFormat = payload.contentFormat;
    }
  }
  if (isMulticastAddress(parseUri(url).hostname)) {
    await progress.stop();
    return await multicast(parsed, io, output, url, options);
  }
  const client = new CoapClient(clientOptions(parsed, io, output));
  try {
    const started = performance.now();
    let response: CoapResponse;
    try {
      response = await client.request(url, {
        ...options,
        method: parsed.command.method!,
      });
    } finally {
      await progress.stop();
    }
    if (parsed.verbose) {
      await output.err(
        `${describeCode(response.code)} in ${elapsed(started)}\n`,
      );
    }
    await printResponse(parsed, response, output);
    if (!response.ok) {
      await output.err(`microcoap: ${describeCode(response.code)}\n`);
      return ExitCode.ERROR_RESPONSE;
    }
    return ExitCode.OK;
  } finally {
    await client.close();
  }
}

/**
 * A request to a multicast group (RFC 7252 §8): every server's answer, each
 * under the base URL of the server that sent it (§8.2), until --timeout.
 */
async function multicast(
  parsed: ParsedCommand,
  io: CliIo,
  output: Output,
  url: string,
  options: CoapMethodOptions,
): Promise<number> {
  const client = new CoapClient({
    ...clientOptions(parsed, io, output),
    multicast: parsed.interface === undefined
      ? { hops: 1 }
      : { interface: parsed.interface, hops: 1 },
  });
  let answered = 0;
  let succeeded = 0;
  try {
    const { confirmable: _, blockSize: _b, onProgress: _p, ...rest } = options;
    for await (
      const response of client.multicast(url, {
        ...rest,
        method: parsed.command.method!,
      })
    ) {
      answered++;
      if (response.ok) succeeded++;
      const from = `coap://${formatPeerAddress(response.peer)}`;
      if (parsed.json) {
        await output.out(
          JSON.stringify({ from, ...responseToJson(response) }) + "\n",
        );
        continue;
      }
      await output.out(
        `${answered > 1 ? "\n" : ""}${from} ${describeCode(response.code)}\n`,
      );
      await printResponse(parsed, response, output);
    }
  } finally {
    await client.close();
  }
  if (answered === 0) {
    await output.err(`microcoap: no server of ${url} answered\n`);
    return ExitCode.NETWORK;
  }
  return succeeded > 0 ? ExitCode.OK : ExitCode.ERROR_RESPONSE;
}

async function ping(
  parsed: ParsedCommand,
  io: CliIo,
  output: Output,
): Promise<number> {
  const url = checkUrl(parsed.positionals[0]!, "ping");
  const client = new CoapClient(clientOptions(parsed, io, output));
  try {
    const options: { timeout?: number; signal?: AbortSignal } = {};
    if (parsed.timeout !== undefined) options.timeout = parsed.timeout;
    if (io.signal !== undefined) options.signal = io.signal;
    const rtt = await client.ping(url, options);
    const uri = parseUri(url);
    const peer = formatPeerAddress({ hostname: uri.hostname, port: uri.port });
    await output.out(
      parsed.json
        ? JSON.stringify({ peer, rtt: Math.round(rtt * 1000) / 1000 }) + "\n"
        : `pong from ${peer} in ${
          rtt < 10 ? rtt.toFixed(2) : Math.round(rtt)
        } ms\n`,
    );
    return ExitCode.OK;
  } finally {
    await client.close();
  }
}

const DEREGISTER_WAIT = 3000;

async function deadline(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    promise,
    new Promise<void>((resolve) => timer = setTimeout(resolve, ms)),
  ]);
  clearTimeout(timer);
}

async function observe(
  parsed: ParsedCommand,
  io: CliIo,
  output: Output,
): Promise<number> {
  const url = checkUrl(parsed.positionals[0]!, "observe");
  const progress = new TransferProgress(
    output.stderr,
    io.stderrIsTerminal ?? process.stderr.isTTY === true,
  );
  const options = requestOptions(parsed, undefined, progress);
  const client = new CoapClient(clientOptions(parsed, io, output));
  try {
    const observation: CoapObservation = client.observe(url, options);
    let stopped = false;
    const stop = () => {
      stopped = true;
      void observation.cancel();
    };
    io.signal?.addEventListener("abort", stop, { once: true });
    const timer = parsed.duration === undefined
      ? undefined
      : setTimeout(stop, parsed.duration);
    let last: CoapResponse | undefined;
    let count = 0;
    try {
      for await (const response of observation) {
        await progress.stop();
        last = response;
        count++;
        if (parsed.verbose) {
          const seq = response.observe;
          await output.err(
            `${describeCode(response.code)}${
              seq === undefined ? "" : ` (Observe ${seq})`
            }\n`,
          );
        }
        await printResponse(parsed, response, output);
        if (count === 1 && response.ok && response.observe === undefined) {
          await output.err(
            "microcoap: the server did not register the observation (no Observe option)\n",
          );
        }
        if (parsed.count !== undefined && count >= parsed.count) break;
      }
    } catch (error) {
      if (!stopped) throw error;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      io.signal?.removeEventListener("abort", stop);
      await progress.stop();
      // Leaving the loop deregisters in the background; give that exchange a
      // moment to finish before the client closes (a server that stopped
      // answering must not hold the command).
      if (last?.observe !== undefined) {
        await deadline(observation.cancel(), DEREGISTER_WAIT);
      }
    }
    if (last === undefined) {
      await output.err(
        io.signal?.aborted
          ? "microcoap: interrupted\n"
          : "microcoap: no response before the observation ended\n",
      );
      return io.signal?.aborted ? ExitCode.INTERRUPTED : ExitCode.NETWORK;
    }
    if (!last.ok) {
      await output.err(`microcoap: ${describeCode(last.code)}\n`);
      return ExitCode.ERROR_RESPONSE;
    }
    return ExitCode.OK;
  } finally {
    await client.close();
  }
}

async function serve(
  parsed: ParsedCommand,
  io: CliIo,
  output: Output,
): Promise<number> {
  if (parsed.dir !== undefined) {
    const { stat } = await import("node:fs/promises");
    let isDirectory = false;
    try {
      isDirectory = (await stat(parsed.dir)).isDirectory();
    } catch {
      // Reported below.
    }
    if (!isDirectory) {
      throw new UsageError(
        `Option --dir is "${parsed.dir}", which is not a directory`,
        "serve",
        "none",
      );
    }
  }
  const logger = parsed.verbose
    ? (event: ServerLogEvent) => {
      if (
        (event.kind === "sent" || event.kind === "received") && event.message
      ) {
        void output.err(describeMessage(event.kind, event.message, event.peer));
      } else if (event.kind === "handler-error") {
        void output.err(`! handler error: ${event.error}\n`);
      } else if (event.kind !== "sent" && event.kind !== "received") {
        void output.err(
          `- ${event.kind}${event.path ? ` ${event.path}` : ""}${
            event.reason ? ` (${event.reason})` : ""
          }\n`,
        );
      }
    }
    : undefined;
  const server = createServeServer({
    hostname: parsed.hostname,
    port: parsed.port,
    ...(parsed.dir === undefined ? {} : { dir: parsed.dir }),
    ...(parsed.verifyPeers ? { verifyPeers: "echo" as const } : {}),
    ...(parsed.groups.length === 0 ? {} : {
      multicast: parsed.interface === undefined
        ? { groups: parsed.groups }
        : { groups: parsed.groups, interface: parsed.interface },
    }),
    ...(logger === undefined ? {} : { logger }),
  });
  try {
    if (io.signal?.aborted) return ExitCode.OK;
    const address = await server.listen();
    await output.out(
      `microcoap serving on coap://${formatPeerAddress(address)}\n` +
        `  /hello /echo /time /large /.well-known/core${
          parsed.dir === undefined ? "" : " /files"
        }\n` +
        (parsed.groups.length === 0
          ? ""
          : `  multicast groups: ${parsed.groups.join(" ")}\n`),
    );
    await new Promise<void>((resolve) => {
      if (io.signal === undefined) return;
      if (io.signal.aborted) resolve();
      io.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await output.err("microcoap: stopped\n");
    return ExitCode.OK;
  } finally {
    await server.close();
  }
}
