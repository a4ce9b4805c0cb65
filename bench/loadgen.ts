// Copyright 2026 the microcoap authors. MIT license.
// A closed-loop CoAP load generator: keeps N confirmable GETs outstanding
// over raw UDP sockets (node:dgram and our codec, not our client, so it is
// the same neutral load for every server), matches responses by token,
// retransmits like RFC 7252 §4.2 and reports requests/s, p50 and p99.
//
// Runs on Deno (`deno run -A bench/loadgen.ts --port 5683`) and on Node
// (bench/run_all.ts bundles it with esbuild: Node's UDP sockets move about
// twice the datagrams per second of Deno's, so the generator is not the
// bottleneck). Prints one JSON line (LoadResult) on stdout.
//
// Options: --host 127.0.0.1 --port 5683 --path hello --concurrency 64
// --sockets 8 --duration 5 (s) --warmup 1 (s).
//
// Message IDs: a socket retires after 60,000 requests and a fresh one takes
// over, so no (source, message ID) pair repeats within EXCHANGE_LIFETIME.
import { createSocket, type Socket } from "node:dgram";
import { cpuUsage } from "node:process";
import { decode, encode } from "../packages/codec/mod.ts";
import type { CoapMessage } from "../packages/codec/mod.ts";

/** What one run measured. */
export interface LoadResult {
  /** Responses per second in the measuring window. */
  rps: number;
  /** Responses in the measuring window. */
  requests: number;
  /** Median latency in ms (first transmission to response). */
  p50: number;
  /** 99th percentile latency in ms. */
  p99: number;
  /** Retransmissions sent in the window. */
  retransmissions: number;
  /** Requests abandoned after MAX_RETRANSMIT or without a separate response. */
  timeouts: number;
  /** Responses with a code other than 2.05. */
  errors: number;
  /** RSTs received. */
  resets: number;
  /** Datagrams that matched no outstanding request (late duplicates, wrong tokens). */
  unmatched: number;
  /** Sockets used. */
  sockets: number;
  /** Responses over the whole run, warm-up included. */
  total: number;
  /** The generator's own CPU use in the window, as a share of one core. */
  load: number;
}

interface Options {
  host: string;
  port: number;
  path: string;
  concurrency: number;
  sockets: number;
  duration: number;
  warmup: number;
}

interface Lane {
  readonly id: number;
  socket: Sock;
  seq: number;
  messageId: number;
  bytes: Uint8Array;
  firstSent: number;
  nextDue: number;
  timeout: number;
  attempt: number;
  acked: boolean;
  active: boolean;
}

interface Sock {
  socket: Socket;
  used: number;
  nextMessageId: number;
  outstanding: number;
  replacement: Promise<Sock> | undefined;
}

const ACK_TIMEOUT = 2000;
const ACK_RANDOM_FACTOR = 1.5;
const MAX_RETRANSMIT = 4;
const SEPARATE_WAIT = 10_000;
const MESSAGE_IDS_PER_SOCKET = 60_000;

function parseArgs(args: readonly string[]): Options {
  const options: Options = {
    host: "127.0.0.1",
    port: 5683,
    path: "hello",
    concurrency: 64,
    sockets: 8,
    duration: 5,
    warmup: 1,
  };
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!.replace(/^--/, "");
    const value = args[i + 1];
    if (value === undefined || !(name in options)) {
      throw new TypeError(`Cannot parse arguments: unknown option ${args[i]}`);
    }
    const record = options as unknown as Record<string, string | number>;
    record[name] = typeof record[name] === "number" ? Number(value) : value;
  }
  return options;
}

/**
 * Runs the load and resolves with what it measured.
 *
 * @param options Target, concurrency, sockets and timing.
 * @returns The measurements.
 */
export async function runLoad(options: Options): Promise<LoadResult> {
  const { host, port, concurrency, duration, warmup } = options;
  const sockets = Math.max(1, Math.min(options.sockets, concurrency));
  const path = options.path.split("/").filter((segment) => segment !== "");
  const pathOptions = path.map((segment) => ({
    number: 11,
    value: new TextEncoder().encode(segment),
  }));
  const lanes: Lane[] = [];
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let measuring = false;
  let stopped = false;
  const stats = {
    retransmissions: 0,
    timeouts: 0,
    errors: 0,
    resets: 0,
    unmatched: 0,
  };
  const all = new Set<Sock>();

  const bind = (): Promise<Sock> =>
    new Promise((resolve, reject) => {
      const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
      const sock: Sock = {
        socket,
        used: 0,
        nextMessageId: Math.floor(Math.random() * 0x10000),
        outstanding: 0,
        replacement: undefined,
      };
      socket.on("message", (data: Uint8Array) => onMessage(sock, data));
      socket.on("error", reject);
      // Connected sockets: a send needs no address lookup, and only the
      // server's datagrams arrive.
      socket.bind(0, host.includes(":") ? "::1" : "127.0.0.1", () => {
        socket.connect(port, host, () => {
          all.add(sock);
          resolve(sock);
        });
      });
    });

  const close = (sock: Sock): void => {
    if (!all.has(sock)) return;
    all.delete(sock);
    closed++;
    try {
      sock.socket.close();
    } catch {
      // Already closed.
    }
  };
  let closed = 0;

  const send = (sock: Sock, bytes: Uint8Array): void => {
    sock.socket.send(bytes);
  };

  let total = 0;
  const record = (latency: number): void => {
    total++;
    if (!measuring) return;
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = latency;
  };

  const issue = (lane: Lane): void => {
    if (stopped) {
      lane.active = false;
      lane.socket.outstanding--;
      return;
    }
    let sock = lane.socket;
    if (sock.used >= MESSAGE_IDS_PER_SOCKET) {
      // Retire the socket; the lane resumes on a fresh one.
      sock.outstanding--;
      if (sock.outstanding === 0) close(sock);
      lane.active = false;
      sock.replacement ??= bind();
      sock.replacement.then((fresh) => {
        lane.socket = fresh;
        fresh.outstanding++;
        lane.active = true;
        issue(lane);
      }, () => {});
      return;
    }
    sock = lane.socket;
    sock.used++;
    const messageId = sock.nextMessageId;
    sock.nextMessageId = (messageId + 1) & 0xffff;
    lane.seq = (lane.seq + 1) >>> 0;
    const token = new Uint8Array(8);
    const view = new DataView(token.buffer);
    view.setUint32(0, lane.id);
    view.setUint32(4, lane.seq);
    const message: CoapMessage = {
      type: "CON",
      code: 1,
      messageId,
      token,
      options: pathOptions,
      payload: new Uint8Array(0),
    };
    lane.messageId = messageId;
    lane.bytes = encode(message);
    lane.attempt = 0;
    lane.acked = false;
    lane.timeout = ACK_TIMEOUT * (1 + Math.random() * (ACK_RANDOM_FACTOR - 1));
    lane.firstSent = performance.now();
    lane.nextDue = lane.firstSent + lane.timeout;
    send(sock, lane.bytes);
  };

  const laneOf = (message: CoapMessage): Lane | undefined => {
    const token = message.token;
    if (token.length !== 8) return undefined;
    const view = new DataView(token.buffer, token.byteOffset, 8);
    const lane = lanes[view.getUint32(0)];
    if (lane === undefined || !lane.active || view.getUint32(4) !== lane.seq) {
      return undefined;
    }
    return lane;
  };

  const onMessage = (sock: Sock, data: Uint8Array): void => {
    let message: CoapMessage;
    try {
      message = decode(data);
    } catch {
      stats.unmatched++;
      return;
    }
    if (message.code === 0) {
      // Empty ACK (separate response follows) or RST, matched by message ID.
      const lane = lanes.find((candidate) =>
        candidate.active && candidate.socket === sock &&
        candidate.messageId === message.messageId
      );
      if (lane === undefined) {
        stats.unmatched++;
        return;
      }
      if (message.type === "ACK") {
        lane.acked = true;
        lane.nextDue = performance.now() + SEPARATE_WAIT;
      } else if (message.type === "RST") {
        if (measuring) stats.resets++;
        issue(lane);
      }
      return;
    }
    if (message.type === "CON") {
      // A separate response: acknowledge it whatever it matches.
      send(
        sock,
        encode({
          type: "ACK",
          code: 0,
          messageId: message.messageId,
          token: new Uint8Array(0),
          options: [],
          payload: new Uint8Array(0),
        }),
      );
    }
    const lane = laneOf(message);
    if (
      lane === undefined || lane.socket !== sock ||
      (message.type === "ACK" && message.messageId !== lane.messageId)
    ) {
      stats.unmatched++;
      return;
    }
    record(performance.now() - lane.firstSent);
    if (message.code !== 0x45 && measuring) stats.errors++;
    issue(lane);
  };

  const first = await bind();
  const pool: Sock[] = [first];
  for (let i = 1; i < sockets; i++) pool.push(await bind());
  for (let i = 0; i < concurrency; i++) {
    const socket = pool[i % sockets]!;
    socket.outstanding++;
    lanes.push({
      id: i,
      socket,
      seq: 0,
      messageId: -1,
      bytes: new Uint8Array(0),
      firstSent: 0,
      nextDue: 0,
      timeout: 0,
      attempt: 0,
      acked: false,
      active: true,
    });
  }

  const timer = setInterval(() => {
    const now = performance.now();
    for (const lane of lanes) {
      if (!lane.active || now < lane.nextDue) continue;
      if (lane.acked || lane.attempt >= MAX_RETRANSMIT) {
        if (measuring) stats.timeouts++;
        issue(lane);
        continue;
      }
      lane.attempt++;
      lane.timeout *= 2;
      lane.nextDue = now + lane.timeout;
      if (measuring) stats.retransmissions++;
      send(lane.socket, lane.bytes);
    }
  }, 20);

  for (const lane of lanes) issue(lane);
  await new Promise((resolve) => setTimeout(resolve, warmup * 1000));
  measuring = true;
  const start = performance.now();
  const cpuStart = cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, duration * 1000));
  measuring = false;
  const elapsed = performance.now() - start;
  const cpu = cpuUsage(cpuStart);
  stopped = true;
  clearInterval(timer);
  const used = all.size + closed;
  for (const sock of [...all]) close(sock);

  const sorted = latencies.subarray(0, count).sort();
  const quantile = (q: number): number =>
    count === 0 ? NaN : sorted[Math.min(count - 1, Math.floor(q * count))]!;
  return {
    rps: count / (elapsed / 1000),
    requests: count,
    p50: quantile(0.5),
    p99: quantile(0.99),
    ...stats,
    sockets: used,
    total,
    load: (cpu.user + cpu.system) / 1000 / elapsed,
  };
}

// deno-lint-ignore no-explicit-any
const runtime = globalThis as any;
const args: string[] = runtime.Deno?.args ?? runtime.process.argv.slice(2);
const isMain = runtime.Deno ? import.meta.main : true;
if (isMain) {
  const result = await runLoad(parseArgs(args));
  console.log(JSON.stringify(result));
  if (runtime.Deno) runtime.Deno.exit(0);
  else runtime.process.exit(0);
}
