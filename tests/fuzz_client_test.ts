// Copyright 2026 the microcoap authors. MIT license.
// Fuzzing CoapClient against hostile and broken servers. A raw peer on a
// MemoryNetwork (FakeClock, seeded) answers the client's requests with random
// bytes, mutations of valid responses, spoofs from other peers and with other
// tokens, and well-formed but adversarial block-wise, Echo, separate, RST,
// observe and multicast answers. The client must never throw, must settle
// every request with a response or one of its typed errors, must never deliver
// what came from the wrong peer or with the wrong token, must stay within its
// bounds, and must still work (and close cleanly) afterwards. A last test runs
// the same against a node:dgram server over the loopback.
import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import { createSocket, type Socket } from "node:dgram";
import {
  CoapCode,
  CoapOptionNumber,
  decodeBlock,
  encodeBlock,
  encodeUint,
  getOption,
  tryDecode,
} from "@microcoap/codec";
import type { CoapMessage, CoapOption, CoapType } from "@microcoap/codec";
import {
  CoapBlockwiseError,
  CoapClient,
  CoapClosedError,
  CoapResetError,
  CoapResponse,
  CoapTimeoutError,
} from "@microcoap/client";
import type { CoapObservation } from "@microcoap/client";
import { CoapEndpoint } from "@microcoap/endpoint";
import { FakeClock, MemoryNetwork } from "@microcoap/transport";
import type { PeerAddress } from "@microcoap/transport";
import { DatagramFuzzer, encodeRaw, mulberry32 } from "./_fuzz.ts";

const SERVER: PeerAddress = { hostname: "10.0.0.1", port: 5683 };
const CLIENT_HOST = "10.0.0.2";
const HONEST: PeerAddress = { hostname: "10.0.0.3", port: 5683 };
const GROUP = "224.0.1.187";
const text = new TextEncoder();
const EMPTY = new Uint8Array(0);
/** Carried by everything that must never be delivered. */
const EVIL = text.encode("EVIL");
const { BLOCK1, BLOCK2, SIZE1, SIZE2, ETAG, ECHO, OBSERVE, URI_PATH } =
  CoapOptionNumber;

const TYPED = [
  CoapTimeoutError,
  CoapResetError,
  CoapClosedError,
  CoapBlockwiseError,
];

function isTyped(error: unknown): boolean {
  return TYPED.some((type) => error instanceof type);
}

function hasEvil(payload: Uint8Array): boolean {
  outer: for (let i = 0; i + EVIL.length <= payload.length; i++) {
    for (let k = 0; k < EVIL.length; k++) {
      if (payload[i + k] !== EVIL[k]) continue outer;
    }
    return true;
  }
  return false;
}

interface Init {
  type: CoapType;
  code: number;
  messageId: number;
  token: Uint8Array;
  options?: CoapOption[];
  payload?: Uint8Array;
}

function bytesOf(init: Init): Uint8Array {
  return encodeRaw({ options: [], payload: EMPTY, ...init });
}

function uint(number: number, value: number): CoapOption {
  return { number, value: encodeUint(value) };
}

function block(number: number, num: number, more: boolean, szx: number) {
  return { number, value: encodeBlock({ num, more, szx }) };
}

function readBlock(message: CoapMessage, number: number) {
  const value = getOption(message, number);
  if (value === undefined) return undefined;
  try {
    return decodeBlock(value);
  } catch {
    return undefined;
  }
}

/** One datagram for the client. */
interface Answer {
  readonly bytes: Uint8Array;
  /** Another peer to send it from; the server itself when undefined. */
  readonly from?: PeerAddress;
  /** @default 0 */
  readonly delay?: number;
}

const MODES = [
  "ok",
  "garbage",
  "mutants",
  "spoofs",
  "block2-forever",
  "block2-disorder",
  "block2-szx",
  "block2-etag",
  "size2-huge",
  "block1-continue",
  "block1-413",
  "echo-loop",
  "separate",
  "rst",
  "critical",
  "chaos",
] as const;
type Mode = typeof MODES[number];

/**
 * A server that answers each request by the mode named in its first Uri-Path
 * segment. It sees every request the client sends (retransmissions too).
 */
class HostileServer {
  readonly requests: { message: CoapMessage; mode: Mode }[] = [];
  #deliver: (answer: Answer, to: PeerAddress) => void;
  #random: () => number;
  #fuzzer: DatagramFuzzer;
  #ids = 0x4000;

  constructor(
    seed: number,
    deliver: (answer: Answer, to: PeerAddress) => void,
  ) {
    this.#deliver = deliver;
    this.#random = mulberry32(seed);
    this.#fuzzer = new DatagramFuzzer(seed ^ 0x5a5a);
  }

  /** Takes one datagram from the client. */
  receive(data: Uint8Array, from: PeerAddress): void {
    const message = tryDecode(data);
    if (!("code" in message)) return;
    if (message.code === 0) {
      // A ping gets RST, junk, an RST from elsewhere, or nothing; the
      // client's own ACKs and RSTs get nothing.
      if (message.type === "CON") {
        for (const answer of this.#pong(message)) this.#deliver(answer, from);
      }
      return;
    }
    const segment = getOption(message, URI_PATH);
    const name = segment === undefined
      ? "ok"
      : new TextDecoder().decode(segment);
    const mode = (MODES as readonly string[]).includes(name)
      ? name as Mode
      : "ok";
    this.requests.push({ message, mode });
    for (const answer of this.answer(mode, message)) {
      this.#deliver(answer, from);
    }
  }

  #int(below: number): number {
    return Math.floor(this.#random() * below);
  }

  #chance(p: number): boolean {
    return this.#random() < p;
  }

  #pick<T>(items: readonly T[]): T {
    return items[this.#int(items.length)]!;
  }

  #otherPeer(): PeerAddress {
    return this.#pick([
      { hostname: "10.0.0.1", port: 5684 },
      { hostname: "10.0.0.9", port: 5683 },
      { hostname: "10.0.0.2", port: 5683 },
      { hostname: `10.9.${this.#int(256)}.${this.#int(256)}`, port: 5683 },
    ]);
  }

  #otherToken(token: Uint8Array): Uint8Array {
    if (token.length === 0 || this.#chance(0.2)) {
      return new Uint8Array(1 + this.#int(8)).map(() => this.#int(256));
    }
    return token.map((byte) => byte ^ 0xa5);
  }

  #newId(): number {
    this.#ids = (this.#ids + 1) & 0xffff;
    return this.#ids;
  }

  /** The piggybacked response. */
  #ack(
    request: CoapMessage,
    code: number,
    options: CoapOption[] = [],
    payload: Uint8Array = EMPTY,
  ): Uint8Array {
    // A NON request gets a NON response (RFC 7252 §5.2.3).
    const non = request.type === "NON";
    return bytesOf({
      type: non ? "NON" : "ACK",
      code,
      messageId: non ? this.#newId() : request.messageId,
      token: request.token,
      options,
      payload,
    });
  }

  #plain(request: CoapMessage): Uint8Array {
    const code =
      request.code === CoapCode.GET || request.code === CoapCode.FETCH
        ? CoapCode.CONTENT
        : CoapCode.CHANGED;
    return this.#ack(request, code, [], text.encode("ok"));
  }

  #pong(ping: CoapMessage): Answer[] {
    const rst = bytesOf({
      type: "RST",
      code: 0,
      messageId: ping.messageId,
      token: EMPTY,
    });
    switch (this.#int(4)) {
      case 0:
        return [{ bytes: rst, delay: this.#int(3000) }];
      case 1:
        return [{ bytes: rst, from: this.#otherPeer() }];
      case 2:
        return [
          { bytes: this.#fuzzer.mutate(rst) },
          { bytes: this.#fuzzer.next(), delay: 10 },
        ];
      default:
        return [];
    }
  }

  answer(mode: Mode, request: CoapMessage): Answer[] {
    if (mode === "chaos") {
      mode = this.#pick(MODES.filter((m) => m !== "chaos" && m !== "ok"));
    }
    switch (mode) {
      case "ok":
        return [{ bytes: this.#plain(request) }];
      case "garbage":
        return this.#garbage(request);
      case "mutants":
        return this.#mutants(request);
      case "spoofs":
        return this.#spoofs(request);
      case "block2-forever":
      case "block2-disorder":
      case "block2-szx":
      case "block2-etag":
      case "size2-huge":
        return this.#block2(mode, request);
      case "block1-continue":
        return this.#continue(request);
      case "block1-413":
        return this.#tooLarge(request);
      case "echo-loop":
        return this.#echo(request);
      case "separate":
        return this.#separate(request);
      case "rst":
        return this.#rst(request);
      case "critical":
        return this.#critical(request);
    }
  }

  #garbage(request: CoapMessage): Answer[] {
    const out: Answer[] = [];
    const count = 1 + this.#int(6);
    for (let i = 0; i < count; i++) {
      const bytes = this.#fuzzer.next();
      if (bytes.length >= 4 && this.#chance(0.5)) {
        // Junk that claims this exchange: its message ID, maybe its token.
        bytes[2] = request.messageId >>> 8;
        bytes[3] = request.messageId & 0xff;
        const tkl = bytes[0]! & 0x0f;
        if (tkl === request.token.length && bytes.length >= 4 + tkl) {
          bytes.set(request.token, 4);
        }
      }
      out.push({
        bytes,
        from: this.#chance(0.7) ? undefined : this.#otherPeer(),
        delay: this.#int(3000),
      });
    }
    if (this.#chance(0.4)) {
      out.push({ bytes: this.#plain(request), delay: this.#int(4000) });
    }
    return out;
  }

  #mutants(request: CoapMessage): Answer[] {
    const out: Answer[] = [];
    const count = 1 + this.#int(5);
    for (let i = 0; i < count; i++) {
      const type = this.#pick(["ACK", "ACK", "CON", "NON"] as const);
      const valid = bytesOf({
        type,
        code: this.#pick([0x45, 0x44, 0x5f, 0x84, 0xa0, 0x41]),
        messageId: type === "ACK" ? request.messageId : this.#newId(),
        token: request.token,
        options: this.#chance(0.5)
          ? [
            block(BLOCK2, this.#int(4), this.#chance(0.5), this.#int(7)),
            uint(SIZE2, this.#int(1 << 20)),
          ]
          : [uint(OBSERVE, this.#int(1 << 24))],
        payload: text.encode("mutant payload ".repeat(1 + this.#int(4))),
      });
      const bytes = this.#fuzzer.mutate(valid);
      out.push({
        bytes,
        from: this.#chance(0.8) ? undefined : this.#otherPeer(),
        delay: this.#int(3000),
      });
    }
    if (this.#chance(0.5)) {
      out.push({ bytes: this.#plain(request), delay: this.#int(4000) });
    }
    return out;
  }

  #spoofs(request: CoapMessage): Answer[] {
    const out: Answer[] = [];
    const count = 1 + this.#int(6);
    for (let i = 0; i < count; i++) {
      const wrongPeer = this.#chance(0.5);
      const type = this.#pick(["ACK", "CON", "NON"] as const);
      out.push({
        bytes: bytesOf({
          type,
          code: this.#pick([0x45, 0x44, 0x84, 0x81]),
          messageId: type === "ACK" ? request.messageId : this.#newId(),
          token: wrongPeer ? request.token : this.#otherToken(request.token),
          options: this.#chance(0.3) ? [uint(OBSERVE, this.#int(100))] : [],
          payload: EVIL,
        }),
        from: wrongPeer ? this.#otherPeer() : undefined,
        delay: this.#int(2000),
      });
    }
    // The real answer comes late, or separately after an ACK that a
    // wrong-token piggyback may already have given.
    if (this.#chance(0.7)) {
      out.push({
        bytes: bytesOf({
          type: this.#pick(["CON", "NON"] as const),
          code: CoapCode.CONTENT,
          messageId: this.#newId(),
          token: request.token,
          payload: text.encode("ok"),
        }),
        delay: 2500 + this.#int(2000),
      });
      out.push({ bytes: this.#plain(request), delay: 5000 });
    }
    return out;
  }

  #block2(mode: Mode, request: CoapMessage): Answer[] {
    const asked = readBlock(request, BLOCK2);
    let szx = asked?.szx ?? this.#int(7);
    let num = asked?.num ?? 0;
    let more = true;
    const options: CoapOption[] = [];
    let length = 16 << szx;
    switch (mode) {
      case "block2-forever":
        if (this.#chance(0.1)) options.push(uint(SIZE2, 100));
        break;
      case "block2-disorder":
        num = this.#pick([num, num, num - 1, num + 1, num + 7, 0, 1]);
        if (num < 0) num = 0;
        more = this.#chance(0.8);
        if (this.#chance(0.1)) length = this.#int(length);
        break;
      case "block2-szx": {
        const old = 16 << szx;
        szx = this.#int(7);
        num = Math.floor((num * old) / (16 << szx)) + this.#pick([0, 0, 0, 1]);
        length = 16 << szx;
        more = num * length < 600;
        break;
      }
      case "block2-etag":
        options.push({
          number: ETAG,
          value: new Uint8Array(this.#int(9)).map(() => this.#int(256)),
        });
        more = num * length < 400;
        break;
      case "size2-huge":
        options.push(
          this.#chance(0.5)
            ? uint(SIZE2, 0xffffffff - this.#int(1000))
            : { number: SIZE2, value: new Uint8Array([1, 0, 0, 0, 0]) },
        );
        break;
    }
    options.push(block(BLOCK2, num, more, szx));
    if (!more) length = this.#int(length + 1);
    const payload = new Uint8Array(length).fill(0x61);
    const answers: Answer[] = [{
      bytes: this.#ack(request, CoapCode.CONTENT, options, payload),
    }];
    if (this.#chance(0.05)) {
      // An answer to an earlier block, again.
      answers.push({
        bytes: this.#ack(request, CoapCode.CONTENT, options, payload),
        delay: 10,
      });
    }
    return answers;
  }

  #continue(request: CoapMessage): Answer[] {
    const sent = readBlock(request, BLOCK1);
    const options: CoapOption[] = [];
    const num = sent === undefined
      ? this.#int(3)
      : this.#pick([sent.num, sent.num, sent.num + 1, 0]);
    const szx = sent === undefined
      ? this.#int(7)
      : Math.max(0, Math.min(6, sent.szx + this.#pick([0, 0, -1, 1, -3, 2])));
    if (this.#chance(0.9)) {
      options.push(block(BLOCK1, num, this.#chance(0.8), szx));
    }
    const code = sent !== undefined && !sent.more && this.#chance(0.5)
      ? CoapCode.CHANGED
      : CoapCode.CONTINUE;
    return [{ bytes: this.#ack(request, code, options) }];
  }

  #tooLarge(request: CoapMessage): Answer[] {
    const sent = readBlock(request, BLOCK1);
    if (sent !== undefined && this.#chance(0.3)) {
      return [{
        bytes: this.#ack(request, CoapCode.CONTINUE, [
          block(BLOCK1, sent.num, true, sent.szx),
        ]),
      }];
    }
    const options: CoapOption[] = [];
    const size1 = this.#pick([0, 1, 15, 16, 17, 100, 1 << 20, 0xffffffff]);
    if (this.#chance(0.8)) options.push(uint(SIZE1, size1));
    else options.push({ number: SIZE1, value: new Uint8Array(5).fill(9) });
    if (this.#chance(0.4)) {
      options.push(
        block(BLOCK1, this.#int(4), this.#chance(0.5), this.#int(7)),
      );
    }
    return [{
      bytes: this.#ack(request, CoapCode.REQUEST_ENTITY_TOO_LARGE, options),
    }];
  }

  #echo(request: CoapMessage): Answer[] {
    const length = this.#pick([1, 8, 40, 0, 41]);
    const value = new Uint8Array(length).map(() => this.#int(256));
    return [{
      bytes: this.#ack(request, CoapCode.UNAUTHORIZED, [
        { number: ECHO, value },
      ]),
    }];
  }

  #separate(request: CoapMessage): Answer[] {
    const emptyAck = bytesOf({
      type: "ACK",
      code: 0,
      messageId: request.messageId,
      token: EMPTY,
    });
    const response = (payload: string) =>
      bytesOf({
        type: this.#pick(["CON", "CON", "NON"] as const),
        code: CoapCode.CONTENT,
        messageId: this.#newId(),
        token: request.token,
        payload: text.encode(payload),
      });
    const out: Answer[] = [];
    const ackAt = this.#int(3000);
    if (this.#chance(0.9)) out.push({ bytes: emptyAck, delay: ackAt });
    const first = response("sep");
    const at = this.#chance(0.3)
      ? this.#int(ackAt + 1)
      : ackAt + this.#int(9000);
    out.push({ bytes: first, delay: at });
    if (this.#chance(0.5)) out.push({ bytes: first, delay: at + 100 });
    if (this.#chance(0.4)) {
      out.push({ bytes: response("again"), delay: at + this.#int(5000) });
    }
    return out;
  }

  #rst(request: CoapMessage): Answer[] {
    const rst = bytesOf({
      type: "RST",
      code: 0,
      messageId: request.messageId,
      token: EMPTY,
    });
    if (this.#chance(0.3)) {
      // After an empty ACK, a RST no longer matches anything.
      return [
        {
          bytes: bytesOf({
            type: "ACK",
            code: 0,
            messageId: request.messageId,
            token: EMPTY,
          }),
        },
        { bytes: rst, delay: 50 },
        { bytes: this.#plain(request), delay: 1000 },
      ].map((answer, i) =>
        i === 2
          ? {
            ...answer,
            bytes: bytesOf({
              type: "NON",
              code: CoapCode.CONTENT,
              messageId: this.#newId(),
              token: request.token,
              payload: text.encode("late"),
            }),
          }
          : answer
      );
    }
    return [{ bytes: rst, delay: this.#int(1000) }];
  }

  #critical(request: CoapMessage): Answer[] {
    const number = this.#pick([9, 19, 31, 2049, 65001, 25]);
    const type = this.#pick(["ACK", "ACK", "CON", "NON"] as const);
    const out: Answer[] = [{
      bytes: bytesOf({
        type,
        code: CoapCode.CONTENT,
        messageId: type === "ACK" ? request.messageId : this.#newId(),
        token: request.token,
        options: [{ number, value: new Uint8Array([1]) }],
        payload: EVIL,
      }),
    }];
    if (this.#chance(0.3)) {
      out.push({ bytes: this.#plain(request), delay: 500 });
    }
    return out;
  }
}

interface Outcome {
  value?: unknown;
  error?: unknown;
  settled: boolean;
}

function track(promise: Promise<unknown>): Outcome {
  const outcome: Outcome = { settled: false };
  promise.then(
    (value) => Object.assign(outcome, { value, settled: true }),
    (error) => Object.assign(outcome, { error, settled: true }),
  );
  return outcome;
}

/** Checks one request's outcome; returns what is wrong, if anything. */
function judge(
  outcome: Outcome,
  what: string,
  server: PeerAddress = SERVER,
): string | undefined {
  if (!outcome.settled) return `${what}: never settled`;
  if (outcome.error !== undefined) {
    return isTyped(outcome.error)
      ? undefined
      : `${what}: rejected with ${outcome.error}`;
  }
  const value = outcome.value;
  if (value === undefined) return undefined; // send() without a response
  if (typeof value === "number") {
    return value >= 0 ? undefined : `${what}: a round trip of ${value} ms`;
  }
  if (!(value instanceof CoapResponse)) {
    return `${what}: resolved with ${value}`;
  }
  if (
    value.peer.hostname !== server.hostname || value.peer.port !== server.port
  ) return `${what}: a response from ${value.peer.hostname}:${value.peer.port}`;
  if (hasEvil(value.payload)) {
    return `${what}: delivered a spoofed or rejected response`;
  }
  return undefined;
}

/** An outcome in a few words: the error and its reason, the code, or the type. */
function describe(outcome: Outcome): string {
  const { error, value } = outcome;
  if (error !== undefined) {
    return error instanceof CoapBlockwiseError
      ? `${error.name} ${error.reason}`
      : (error as Error).name;
  }
  return value instanceof CoapResponse ? value.codeText : typeof value;
}

function world(seed: number) {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock, seed });
  const hostile = new HostileServer(
    seed,
    (answer, to) =>
      network.inject(answer.bytes, {
        from: answer.from ?? SERVER,
        to,
        delay: answer.delay ?? 0,
      }),
  );
  network.bind(SERVER).listen({
    onDatagram: (data, from) => hostile.receive(data, from),
  });
  const honest = new CoapEndpoint(network.bind(HONEST), {
    clock,
    handler: () => ({ code: CoapCode.CONTENT, payload: text.encode("fine") }),
  });
  const random = mulberry32(seed ^ 0x1234);
  const client = new CoapClient({
    transport: network.bind({ hostname: CLIENT_HOST, port: 5683 }),
    clock,
    random,
    randomBytes: (length) =>
      new Uint8Array(length).map(() => Math.floor(random() * 256)),
    maxBodySize: 2048,
  });
  return { clock, network, hostile, honest, client, random };
}

/** Ticks until every outcome settled or `limit` ms of fake time passed. */
async function drive(
  clock: FakeClock,
  outcomes: readonly Outcome[],
  limit: number,
): Promise<void> {
  await clock.tick(0);
  for (let t = 0; t < limit; t += 1000) {
    if (outcomes.every((outcome) => outcome.settled)) return;
    await clock.tick(1000);
  }
}

Deno.test("CoapClient settles every request against a hostile server and delivers nothing from a wrong peer or token", async () => {
  const { clock, network, hostile, honest, client, random } = world(0xc11e);
  const int = (below: number) => Math.floor(random() * below);
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const outcomes = new Map<string, number>();
  const ITERATIONS = 1500;
  for (let i = 0; i < ITERATIONS; i++) {
    const batch: [Outcome, string][] = [];
    const parallel = 1 + int(3);
    for (let k = 0; k < parallel; k++) {
      const mode = MODES[int(MODES.length)]!;
      const url = `coap://10.0.0.1/${mode}`;
      const kind = int(10);
      const timeout = random() < 0.7 ? 20_000 : undefined;
      const blockSize = [undefined, 16, 64, 256][int(4)];
      const options = {
        ...(timeout === undefined ? {} : { timeout }),
        ...(blockSize === undefined ? {} : { blockSize }),
        confirmable: random() < 0.85,
      };
      let promise: Promise<unknown>;
      let what: string;
      if (kind < 4) {
        what = `GET ${mode}`;
        promise = client.get(url, options);
      } else if (kind < 7) {
        const payload = new Uint8Array(int(3000)).fill(0x62);
        what = `PUT ${payload.length} bytes ${mode}`;
        promise = client.put(url, { ...options, payload });
      } else if (kind < 8) {
        what = `FETCH ${mode}`;
        promise = client.fetch(url, { ...options, payload: "q" });
      } else if (kind < 9) {
        what = `send ${mode}`;
        promise = client.send(url, {
          ...(timeout === undefined ? {} : { timeout }),
          method: "POST",
          payload: "x",
          noResponse: random() < 0.5 ? "all" : ["4xx", "5xx"],
        });
      } else {
        what = `ping ${mode}`;
        promise = client.ping(url, timeout === undefined ? {} : { timeout });
      }
      batch.push([track(promise), what]);
      seen.set(mode, (seen.get(mode) ?? 0) + 1);
    }
    await drive(clock, batch.map(([outcome]) => outcome), 400_000);
    for (const [outcome, what] of batch) {
      const label = `${what.split(" ")[0]} ${describe(outcome)}`;
      outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
      const problem = judge(outcome, `iteration ${i} ${what}`);
      if (problem !== undefined && problems.length < 20) problems.push(problem);
    }
  }
  assertEquals(problems, []);
  assertEquals(seen.size, MODES.length);
  // The storm reached every kind of outcome.
  const labels = [...outcomes.keys()].join("\n");
  for (
    const expected of [
      "CoapBlockwiseError too-large",
      "CoapBlockwiseError etag-changed",
      "CoapBlockwiseError protocol",
      "CoapResetError",
      "CoapTimeoutError",
      " 2.05",
      " 4.01",
      " 4.13",
      " 2.31",
      "send undefined",
      "ping number",
    ]
  ) assert(labels.includes(expected), `no outcome ${expected}`);

  // RFC 9175 §2.3: each request is repeated at most once per 4.01 with Echo.
  const byToken = new Map<string, Set<string>>();
  for (const { message, mode } of hostile.requests) {
    if (mode !== "echo-loop") continue;
    const key = Array.from(message.token).join(".");
    const body = `${getOption(message, BLOCK1)?.join(".")}`;
    const set = byToken.get(key + "|" + body) ?? new Set();
    set.add(String(message.messageId));
    byToken.set(key + "|" + body, set);
  }
  for (const [key, ids] of byToken) {
    assert(ids.size <= 2, `${key}: ${ids.size} Echo repetitions`);
  }

  // Still working: a normal request to a well-behaved server.
  const fine = track(client.get("coap://10.0.0.3/x"));
  await drive(clock, [fine], 10_000);
  assertInstanceOf(fine.value, CoapResponse);
  assertEquals((fine.value as CoapResponse).text(), "fine");
  // And close() settles what is still under way.
  const open = [
    track(client.get("coap://10.0.0.1/separate", { timeout: 100_000 })),
    track(client.get("coap://10.0.0.9/nobody")),
  ];
  await clock.tick(100);
  await client.close();
  await clock.tick(0);
  for (const outcome of open) {
    assert(outcome.settled, "close() left a request pending");
    assert(
      outcome.error instanceof CoapClosedError ||
        outcome.value instanceof CoapResponse,
      `after close(): ${outcome.error}`,
    );
  }
  await honest.close();
  network.close();
});

const OBSERVED: PeerAddress = { hostname: "10.0.0.5", port: 5683 };

/** What the observe server does with registrations and block fetches. */
interface ObserveScript {
  /** How the registration is answered. */
  registration: "observe" | "block2" | "echo-loop" | "not-found" | "silent";
  /** Whether (and how late) block fetches are answered. */
  fetchDelay: number | undefined;
}

/** A raw server for /obs: it registers, and the test sends notifications. */
class ObserveServer {
  registrations: CoapMessage[] = [];
  deregistrations: CoapMessage[] = [];
  fetches: CoapMessage[] = [];
  resets = 0;
  script: ObserveScript = { registration: "observe", fetchDelay: 0 };
  #network: MemoryNetwork;
  #ids = 0x8000;

  constructor(network: MemoryNetwork) {
    this.#network = network;
    network.bind(OBSERVED).listen({
      onDatagram: (data, from) => {
        const message = tryDecode(data);
        if (!("code" in message)) return;
        if (message.code === 0) {
          if (message.type === "RST") this.resets++;
          return;
        }
        const observe = getOption(message, OBSERVE);
        if (observe?.length === 0 || observe?.[0] === 0) {
          this.registrations.push(message);
          this.#register(message, from);
        } else if (observe !== undefined) {
          this.deregistrations.push(message);
          this.send(from, this.#reply(message, CoapCode.CONTENT, [], "bye"));
        } else {
          this.fetches.push(message);
          const delay = this.script.fetchDelay;
          if (delay === undefined) return;
          const asked = readBlock(message, BLOCK2);
          const num = asked?.num ?? 1;
          this.send(
            from,
            this.#reply(message, CoapCode.CONTENT, [
              block(BLOCK2, num, false, 2),
            ], "last"),
            delay,
          );
        }
      },
    });
  }

  newId(): number {
    this.#ids = (this.#ids + 1) & 0xffff;
    return this.#ids;
  }

  send(to: PeerAddress, bytes: Uint8Array, delay = 0, from = OBSERVED): void {
    this.#network.inject(bytes, { from, to, delay });
  }

  #reply(
    request: CoapMessage,
    code: number,
    options: CoapOption[],
    payload: string | Uint8Array,
  ): Uint8Array {
    const non = request.type === "NON";
    return bytesOf({
      type: non ? "NON" : "ACK",
      code,
      messageId: non ? this.newId() : request.messageId,
      token: request.token,
      options,
      payload: typeof payload === "string" ? text.encode(payload) : payload,
    });
  }

  #register(request: CoapMessage, from: PeerAddress): void {
    switch (this.script.registration) {
      case "observe":
        return this.send(
          from,
          this.#reply(request, CoapCode.CONTENT, [uint(OBSERVE, 1)], "first"),
        );
      case "block2":
        return this.send(
          from,
          this.#reply(request, CoapCode.CONTENT, [
            uint(OBSERVE, 1),
            block(BLOCK2, 0, true, 2),
          ], new Uint8Array(64).fill(0x66)),
        );
      case "echo-loop":
        return this.send(
          from,
          this.#reply(request, CoapCode.UNAUTHORIZED, [{
            number: ECHO,
            value: new Uint8Array([this.registrations.length]),
          }], ""),
        );
      case "not-found":
        return this.send(
          from,
          this.#reply(request, CoapCode.NOT_FOUND, [], ""),
        );
      case "silent":
        return;
    }
  }
}

/** Takes what the observation has ready without waiting for more. */
async function takeReady(
  clock: FakeClock,
  observation: CoapObservation,
  pending: { next?: Outcome },
): Promise<{ taken: CoapResponse[]; done: boolean; error?: unknown }> {
  const taken: CoapResponse[] = [];
  for (;;) {
    const outcome = pending.next ?? track(observation.next());
    pending.next = outcome;
    await clock.tick(0);
    if (!outcome.settled) return { taken, done: false };
    pending.next = undefined;
    if (outcome.error !== undefined) {
      return { taken, done: true, error: outcome.error };
    }
    const result = outcome.value as IteratorResult<CoapResponse>;
    if (result.done) return { taken, done: true };
    taken.push(result.value);
  }
}

Deno.test("CoapClient observations survive hostile notifications, stay bounded and deliver nothing from a wrong peer or token", async () => {
  const { clock, network, honest, client, random } = world(0x0b5e);
  const server = new ObserveServer(network);
  const fuzzer = new DatagramFuzzer(0x0b5f);
  const int = (below: number) => Math.floor(random() * below);
  const problems: string[] = [];
  const note = (problem: string) => {
    if (problems.length < 20) problems.push(problem);
  };
  const clientAddress = { hostname: CLIENT_HOST, port: 5683 };
  const ITERATIONS = 40;
  for (let i = 0; i < ITERATIONS; i++) {
    const registrations = [
      "observe",
      "observe",
      "observe",
      "block2",
      "echo-loop",
      "not-found",
      "silent",
    ] as const;
    server.script = {
      registration: registrations[int(registrations.length)]!,
      fetchDelay: [0, 500, 2000, undefined][int(4)],
    };
    const bufferSize = 1 + int(8);
    const observation = client.observe(`coap://10.0.0.5/obs${i}`, {
      bufferSize,
      confirmable: random() < 0.8,
      timeout: 20_000,
    });
    const pending: { next?: Outcome } = {};
    let got = await takeReady(clock, observation, pending);
    await clock.tick(1000);
    const first = await takeReady(clock, observation, pending);
    got = { ...first, taken: [...got.taken, ...first.taken] };
    const registration = server.registrations.at(-1);
    const token = registration?.token ?? new Uint8Array([1]);
    // The flood, while nobody reads: notifications with random sequence
    // numbers, some block-wise, spoofed ones from other peers and with other
    // tokens, junk, and unrecognised critical options.
    const flood = [50, 500, 3000][int(3)]!;
    for (let k = 0; k < flood; k++) {
      const kind = int(20);
      const type = random() < 0.5 ? "CON" : "NON";
      const sequence = int(1 << 24);
      const blockwise = kind === 0;
      let bytes = bytesOf({
        type,
        code: CoapCode.CONTENT,
        messageId: server.newId(),
        token: kind === 1 ? token.map((b) => b ^ 0x5a) : token,
        options: [
          uint(OBSERVE, sequence),
          ...(blockwise ? [block(BLOCK2, 0, true, 2)] : []),
          ...(kind === 2 ? [{ number: 65001, value: EVIL }] : []),
        ],
        payload: kind === 1 || kind === 2 || kind === 3
          ? EVIL
          : blockwise
          ? new Uint8Array(64).fill(0x62)
          : text.encode(`n${k}`),
      });
      if (kind === 4) bytes = fuzzer.mutate(bytes);
      if (kind === 5) bytes = fuzzer.next();
      server.send(
        clientAddress,
        bytes,
        int(50),
        kind === 3 ? { hostname: "10.0.0.6", port: 5683 } : OBSERVED,
      );
    }
    await clock.tick(100);
    // The flood is over. A bounded observation completes at most what it
    // holds: not one block fetch per notification that arrived while it was
    // busy.
    const fetchesBefore = server.fetches.length;
    await clock.tick(60_000);
    const fetches = server.fetches.length - fetchesBefore;
    if (fetches > bufferSize + 8) {
      note(
        `iteration ${i}: ${fetches} block fetches for a flood of ${flood} (bufferSize ${bufferSize})`,
      );
    }
    const later = await takeReady(clock, observation, pending);
    got = {
      ...later,
      taken: [...got.taken, ...later.taken],
    };
    if (later.taken.length > bufferSize + 1) {
      note(
        `iteration ${i}: ${later.taken.length} responses held for a reader (bufferSize ${bufferSize})`,
      );
    }
    for (const response of got.taken) {
      if (response.peer.hostname !== OBSERVED.hostname) {
        note(`iteration ${i}: a notification from ${response.peer.hostname}`);
      }
      if (hasEvil(response.payload)) {
        note(`iteration ${i}: delivered a spoofed or rejected notification`);
      }
    }
    if (got.error !== undefined && !isTyped(got.error)) {
      note(`iteration ${i}: ended with ${got.error}`);
    }
    // Cancelled: it deregisters (when something is registered), ends the
    // iteration, and rejects later CON notifications with RST.
    const cancelled = track(observation.cancel());
    await clock.tick(100_000);
    if (!cancelled.settled) note(`iteration ${i}: cancel() did not settle`);
    const end = await takeReady(clock, observation, pending);
    if (!end.done) note(`iteration ${i}: the iteration did not end`);
    if (end.taken.some((response) => hasEvil(response.payload))) {
      note(`iteration ${i}: delivered a spoofed notification at the end`);
    }
    const resets = server.resets;
    server.send(
      clientAddress,
      bytesOf({
        type: "CON",
        code: CoapCode.CONTENT,
        messageId: server.newId(),
        token,
        options: [uint(OBSERVE, int(1 << 24))],
        payload: EVIL,
      }),
    );
    await clock.tick(10);
    if (server.resets !== resets + 1) {
      note(`iteration ${i}: a notification after cancel() was not reset`);
    }
  }
  assertEquals(problems, []);
  assert(server.fetches.length > 0);
  assert(server.deregistrations.length > 0);

  const fine = track(client.get("coap://10.0.0.3/x"));
  await drive(clock, [fine], 10_000);
  assertEquals((fine.value as CoapResponse).text(), "fine");
  server.script = { registration: "observe", fetchDelay: 0 };
  const open = client.observe("coap://10.0.0.5/last");
  const last = track(open.next());
  await clock.tick(1000);
  assertEquals(
    (last.value as IteratorResult<CoapResponse>).value?.text(),
    "first",
  );
  const after = track(open.next());
  await client.close();
  await clock.tick(0);
  assert(after.settled, "close() left an observation waiting");
  assertInstanceOf(after.error, CoapClosedError);
  await honest.close();
  network.close();
});

Deno.test("CoapClient.multicast() survives a flood of hostile responses, holds a bounded number for a slow reader and ends", async () => {
  const { clock, network, honest, client, random } = world(0x3c3c);
  const fuzzer = new DatagramFuzzer(0x3c3d);
  const int = (below: number) => Math.floor(random() * below);
  const clientAddress = { hostname: CLIENT_HOST, port: 5683 };
  const problems: string[] = [];
  const note = (problem: string) => {
    if (problems.length < 20) problems.push(problem);
  };
  const member = network.bind({
    hostname: "10.0.0.7",
    port: 5683,
    groups: [GROUP],
  });
  let ids = 0;
  member.listen({
    onDatagram(data) {
      const request = tryDecode(data);
      if (!("code" in request) || request.code === 0) return;
      // The first answer arrives at once; the flood follows while the
      // reader is away.
      const FLOOD = 20_000;
      for (let k = 0; k < FLOOD; k++) {
        const kind = k === 0 ? 9 : int(10);
        const from = {
          hostname: `10.2.${(k >>> 8) & 255}.${k & 255}`,
          port: 5683,
        };
        const type = random() < 0.8 ? "NON" : "CON";
        let bytes = bytesOf({
          type,
          code: CoapCode.CONTENT,
          messageId: ids++ & 0xffff,
          token: kind === 0 ? request.token.map((b) => b ^ 1) : request.token,
          options: kind === 1 && k < 100
            ? [block(BLOCK2, 0, true, 0)]
            : kind === 2
            ? [{ number: 65001, value: EMPTY }]
            : [],
          payload: kind === 0 || kind === 2 ? EVIL : text.encode(`m${k}`),
        });
        if (kind === 3) bytes = fuzzer.mutate(bytes);
        if (kind === 4) bytes = fuzzer.next();
        network.inject(bytes, {
          from,
          to: clientAddress,
          delay: k === 0 ? 0 : 1 + int(2000),
        });
      }
    },
  });
  const responses = client.multicast(`coap://${GROUP}/x`, { timeout: 3000 });
  const first = track(responses.next());
  await clock.tick(0);
  if (!first.settled) note("the first response did not arrive");
  // Nobody reads while the flood arrives and the collection times out.
  await clock.tick(5000);
  let yielded = 0;
  let next = track(responses.next());
  for (let t = 0; t < 2_000_000; t += 10_000) {
    await clock.tick(0);
    while (next.settled) {
      if (next.error !== undefined) {
        note(`the iteration failed with ${next.error}`);
        break;
      }
      const result = next.value as IteratorResult<CoapResponse>;
      if (result.done) break;
      yielded++;
      if (hasEvil(result.value.payload)) note("delivered a rejected response");
      if (!result.value.peer.hostname.startsWith("10.2.")) {
        note(`a response from ${result.value.peer.hostname}`);
      }
      next = track(responses.next());
      await clock.tick(0);
    }
    if (next.settled) break;
    await clock.tick(10_000);
  }
  if (!next.settled) note("the iteration never ended");
  // What waits for a reader is bounded (the default bufferSize).
  if (yielded > 256) note(`${yielded} responses were held for the reader`);
  assertEquals(problems, []);
  assert(yielded > 0);

  const fine = track(client.get("coap://10.0.0.3/x"));
  await drive(clock, [fine], 10_000);
  assertEquals((fine.value as CoapResponse).text(), "fine");
  await client.close();
  await honest.close();
  network.close();
});

Deno.test("CoapClient survives a hostile node:dgram server over UDP on the loopback", async () => {
  const bind = async (): Promise<Socket> => {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) =>
      socket.bind(0, "127.0.0.1", () => resolve())
    );
    return socket;
  };
  const server = await bind();
  const spoofer = await bind();
  const address: PeerAddress = {
    hostname: "127.0.0.1",
    port: server.address().port,
  };
  const timers = new Set<ReturnType<typeof setTimeout>>();
  // Delays shrink twentyfold: real time is slower than the fake clock.
  const hostile = new HostileServer(0x0dd, (answer, to) => {
    const socket = answer.from === undefined ? server : spoofer;
    const timer = setTimeout(() => {
      timers.delete(timer);
      socket.send(answer.bytes, to.port, to.hostname);
    }, (answer.delay ?? 0) / 20);
    timers.add(timer);
  });
  server.on(
    "message",
    (data: Uint8Array, info: { port: number }) =>
      hostile.receive(new Uint8Array(data), {
        hostname: "127.0.0.1",
        port: info.port,
      }),
  );
  const random = mulberry32(0x0de);
  const int = (below: number) => Math.floor(random() * below);
  const client = new CoapClient({
    hostname: "127.0.0.1",
    force: true,
    ackTimeout: 40,
    maxRetransmit: 2,
    timeout: 400,
    maxBodySize: 2048,
  });
  const problems: string[] = [];
  const base = `coap://127.0.0.1:${address.port}`;
  try {
    for (let round = 0; round < 12; round++) {
      const batch = Array.from({ length: 4 }, (_, k) => {
        const mode = MODES[(round * 4 + k) % MODES.length]!;
        const what = `round ${round} ${mode}`;
        const kind = int(3);
        const promise = kind === 0
          ? client.get(`${base}/${mode}`, { blockSize: 64 })
          : kind === 1
          ? client.put(`${base}/${mode}`, {
            payload: new Uint8Array(int(600)).fill(0x63),
            blockSize: 64,
          })
          : client.send(`${base}/${mode}`, {
            method: "POST",
            noResponse: random() < 0.5 ? "all" : ["4xx"],
          });
        return [track(promise), what, promise] as const;
      });
      await Promise.allSettled(batch.map(([, , promise]) => promise));
      for (const [outcome, what] of batch) {
        const problem = judge(outcome, what, address);
        if (problem !== undefined) problems.push(problem);
      }
    }
    assertEquals(problems, []);
    // Still working.
    const fine = await client.get(`${base}/ok`);
    assertEquals(fine.text(), "ok");
  } finally {
    await client.close();
    for (const timer of timers) clearTimeout(timer);
    server.close();
    spoofer.close();
  }
  assert(hostile.requests.length > 48);
});
