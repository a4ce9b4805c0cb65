// Copyright 2026 the microcoap authors. MIT license.
// Helpers for the CLI tests: captured streams, a running serve server, and
// UDP peers that never answer or always reset.
import { createSocket } from "node:dgram";
import type { Socket } from "node:dgram";
import { runCli } from "./cli.ts";
import type { CliIo } from "./cli.ts";
import { createServeServer } from "./serve.ts";
import type { ServeOptions, ServeServer } from "./serve.ts";

const decoder = new TextDecoder();

/** Collects what is written, and lets a test wait for some text. */
export class Capture {
  #chunks: Uint8Array[] = [];
  #waiters: { text: string; resolve: () => void }[] = [];

  write = (chunk: Uint8Array): void => {
    this.#chunks.push(chunk.slice());
    const text = this.text;
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!text.includes(waiter.text)) return true;
      waiter.resolve();
      return false;
    });
  };

  get bytes(): Uint8Array {
    const out = new Uint8Array(
      this.#chunks.reduce((n, chunk) => n + chunk.length, 0),
    );
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  get text(): string {
    return decoder.decode(this.bytes);
  }

  /** Resolves once the output contains `text`. */
  waitFor(text: string): Promise<void> {
    if (this.text.includes(text)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ text, resolve }));
  }
}

/** The result of {@linkcode cli}. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Uint8Array;
}

/** Options for {@linkcode cli}. */
export interface CliOptions {
  stdin?: string | Uint8Array;
  tty?: boolean;
  signal?: AbortSignal;
  stdout?: Capture;
}

/** Runs the CLI in-process with captured streams. */
export async function cli(
  args: string[],
  options: CliOptions = {},
): Promise<CliRun> {
  const stdout = options.stdout ?? new Capture();
  const stderr = new Capture();
  const io: CliIo = {
    stdout,
    stderr,
    stderrIsTerminal: options.tty ?? false,
  };
  const input = options.stdin;
  io.stdin = (async function* () {
    if (input !== undefined) {
      const bytes = typeof input === "string"
        ? new TextEncoder().encode(input)
        : input;
      // In two pieces, as a pipe may deliver it.
      yield bytes.subarray(0, bytes.length >> 1);
      yield bytes.subarray(bytes.length >> 1);
    }
  })();
  if (options.signal) io.signal = options.signal;
  const code = await runCli(args, io);
  return {
    code,
    stdout: stdout.text,
    stderr: stderr.text,
    stdoutBytes: stdout.bytes,
  };
}

/** A serve server on a free port of 127.0.0.1. */
export async function serveOnFreePort(
  options: ServeOptions = {},
): Promise<ServeServer & { url: string }> {
  const serve = createServeServer({ port: 0, timeInterval: 25, ...options });
  const { port } = await serve.listen();
  return Object.assign(serve, { url: `coap://127.0.0.1:${port}` });
}

/** A UDP socket on 127.0.0.1 that answers every datagram with `reply`. */
export async function udpPeer(
  reply?: (datagram: Uint8Array) => Uint8Array | undefined,
): Promise<{ url: string; socket: Socket } & AsyncDisposable> {
  const socket = createSocket("udp4");
  socket.on("message", (data, rinfo) => {
    const answer = reply?.(new Uint8Array(data));
    if (answer) socket.send(answer, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    url: `coap://127.0.0.1:${socket.address().port}`,
    socket,
    [Symbol.asyncDispose]: () =>
      new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** An RST for a message's ID. */
export function resetFor(datagram: Uint8Array): Uint8Array {
  return new Uint8Array([0x70, 0, datagram[2] ?? 0, datagram[3] ?? 0]);
}
