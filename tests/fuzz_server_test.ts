// Copyright 2026 the microcoap authors. MIT license.
// Fuzzing a live CoapServer: seeded random and mutated datagrams, with valid
// requests from a well-behaved client interleaved. The server must never
// throw, must answer only as RFC 7252 allows (see checkAnswers) and must
// keep answering the valid requests.
//
// 1,000,000 datagrams go through the in-process receive path (the server's
// transport receiver is called directly, as a socket would); 100,000 more go
// over real UDP on the loopback, where the whole stack (node:dgram, the
// transport's address handling) is in the path.
import { assert, assertEquals } from "@std/assert";
import { createSocket, type Socket } from "node:dgram";
import { decode, encode } from "@microcoap/codec";
import { CoapServer } from "@microcoap/server";
import { FakeClock } from "@microcoap/transport";
import type {
  PeerAddress,
  Transport,
  TransportReceiver,
} from "@microcoap/transport";
import { checkAnswers, DatagramFuzzer } from "./_fuzz.ts";

/** A transport the test feeds directly; it records what the server sends. */
class InjectedTransport implements Transport {
  readonly localAddress: PeerAddress = { hostname: "127.0.0.1", port: 5683 };
  receiver: TransportReceiver | undefined;
  sent: { data: Uint8Array; to: PeerAddress }[] = [];
  listen(receiver: TransportReceiver): void {
    this.receiver = receiver;
  }
  send(data: Uint8Array, to: PeerAddress): void {
    this.sent.push({ data: data.slice(), to });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function routes(server: CoapServer): void {
  server.get("/hello", () => ({ payload: "Hello" }));
  server.get("/obs", () => ({ payload: "22.5" }), { observable: true });
  server.get("/big", () => ({ payload: new Uint8Array(3000).fill(0x62) }));
  server.post("/upload", (request) => ({
    code: 0x44,
    payload: String(request.payload.length),
  }));
  server.put("/hello", () => ({ code: 0x44 }));
}

const HELLO = new TextEncoder().encode("hello");

function validGet(messageId: number, token: number): Uint8Array {
  return encode({
    type: "CON",
    code: 1,
    messageId: messageId & 0xffff,
    token: new Uint8Array([token >>> 24, token >>> 16, token >>> 8, token]),
    options: [{ number: 11, value: HELLO }],
    payload: new Uint8Array(0),
  }).slice();
}

function key(peer: PeerAddress, messageId: number): string {
  return `${peer.hostname}:${peer.port}#${messageId}`;
}

Deno.test("CoapServer survives 1,000,000 fuzzed datagrams in process and answers only as RFC 7252 allows", async () => {
  const clock = new FakeClock();
  const transport = new InjectedTransport();
  const server = new CoapServer({
    transport,
    clock,
    maxObservers: 256,
    maxTransfers: 64,
  });
  routes(server);
  await server.listen();
  const fuzzer = new DatagramFuzzer(0xc0a9);
  const good: PeerAddress = { hostname: "192.0.2.1", port: 5683 };
  // Answers already given per (peer, message ID) of a CON: a duplicate may
  // be answered by replaying them (RFC 7252 §4.5).
  const replies = new Map<string, Uint8Array[]>();
  const violations: string[] = [];
  let valid = 0;
  let answered = 0;
  let rsts = 0;
  let errors = 0;
  const TOTAL = 1_000_000;
  const BATCH = 10_000;
  for (let start = 0; start < TOTAL; start += BATCH) {
    for (let i = start; i < start + BATCH; i++) {
      const from: PeerAddress = i % 100 === 0 ? good : {
        hostname: `10.0.${(i >>> 8) & 255}.${i & 255}`,
        port: 1024 + (i % 7),
      };
      const datagram = i % 100 === 0 ? validGet(valid, valid) : fuzzer.next();
      transport.sent = [];
      try {
        transport.receiver!.onDatagram(datagram, from);
      } catch (error) {
        errors++;
        if (errors < 5) violations.push(`threw ${error}`);
        continue;
      }
      const answers = transport.sent;
      if (answers.some((answer) => answer.to !== from)) {
        violations.push(`datagram ${i}: answered another peer`);
      }
      const bytes = answers.map((answer) => answer.data);
      if (from === good) {
        valid++;
        const response = bytes.length === 1 ? decode(bytes[0]!) : undefined;
        if (response?.code === 0x45 && response.type === "ACK") answered++;
        continue;
      }
      if (
        bytes.length === 1 && bytes[0]!.length === 4 && bytes[0]![0] === 0x70
      ) rsts++;
      const type = datagram.length >= 4 ? (datagram[0]! >>> 4) & 3 : -1;
      const id = datagram.length >= 4 ? (datagram[2]! << 8) | datagram[3]! : -1;
      const seen = type === 0 ? replies.get(key(from, id)) : undefined;
      const replayed = seen !== undefined &&
        (bytes.length === 0 ||
          bytes.every((b) => seen.some((s) => sameBytes(s, b))));
      const problem = replayed ? undefined : checkAnswers(datagram, bytes);
      if (problem !== undefined && violations.length < 10) {
        violations.push(
          `datagram ${i} [${Array.from(datagram.subarray(0, 24))}]: ${problem}`,
        );
      }
      if (type === 0 && bytes.length > 0) replies.set(key(from, id), bytes);
    }
    // Let timers (separate responses, transfer expiry) and microtasks run.
    await clock.tick(100);
  }
  await server.close();
  assertEquals(violations, []);
  assertEquals(errors, 0);
  assert(valid >= TOTAL / 100);
  assert(
    answered >= valid * 0.99,
    `answered ${answered} of ${valid} valid requests`,
  );
  // The fuzz reached the interesting paths.
  assert(rsts > 1000, `only ${rsts} RSTs`);
});

Deno.test("CoapServer survives 1,000,000 fuzzed datagrams over UDP and keeps answering valid requests", async () => {
  const server = new CoapServer({ hostname: "127.0.0.1", port: 0 });
  routes(server);
  const address = await server.listen();
  const sockets: Socket[] = [];
  const bind = async (): Promise<Socket> => {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) =>
      socket.bind(0, "127.0.0.1", () => resolve())
    );
    sockets.push(socket);
    return socket;
  };
  const fuzzer = new DatagramFuzzer(0x5eed);
  const garbage = await Promise.all(Array.from({ length: 16 }, bind));
  const good = await bind();
  const violations: string[] = [];
  let garbageAnswers = 0;
  for (const socket of garbage) {
    socket.on("message", (data: Uint8Array) => {
      garbageAnswers++;
      let message;
      try {
        message = decode(data);
      } catch {
        violations.push("an undecodable answer");
        return;
      }
      const codeClass = message.code >>> 5;
      if (
        message.code !== 0 && codeClass !== 2 && codeClass !== 4 &&
        codeClass !== 5
      ) violations.push(`an answer with code class ${codeClass}`);
    });
  }
  const answered = new Set<number>();
  let waiting: (() => void) | undefined;
  let expected = 0;
  good.on("message", (data: Uint8Array) => {
    const message = decode(data);
    if (message.code === 0x45 && message.type === "ACK") {
      answered.add(message.messageId);
    }
    if (answered.size >= expected) waiting?.();
  });
  const TOTAL = 1_000_000;
  const BATCH = 100;
  let valid = 0;
  try {
    for (let start = 0; start < TOTAL; start += BATCH) {
      const position = start + (start / BATCH) % BATCH;
      for (let i = start; i < start + BATCH; i++) {
        if (i === position) {
          good.send(validGet(valid, valid), address.port, "127.0.0.1");
          valid++;
        } else {
          const socket = garbage[i % garbage.length]!;
          socket.send(fuzzer.next(), address.port, "127.0.0.1");
        }
      }
      // Wait for this batch's valid request (or at most 2 s): keeps the
      // socket buffers from overflowing, so losses are the server's.
      expected = valid;
      if (answered.size < expected) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2000);
          waiting = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        waiting = undefined;
      }
    }
    // Still alive and serving.
    expected = valid + 1;
    const last = new Promise<void>((resolve) => waiting = resolve);
    good.send(validGet(valid, valid), address.port, "127.0.0.1");
    await last;
  } finally {
    for (const socket of sockets) socket.close();
    await server.close();
  }
  assertEquals(violations, []);
  assert(
    answered.size >= valid * 0.99,
    `answered ${answered.size} of ${valid} valid requests`,
  );
  assert(garbageAnswers > 0);
});

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

Deno.test("checkAnswers() accepts what RFC 7252 allows and flags the rest", () => {
  const rst = (id: number) => new Uint8Array([0x70, 0, id >>> 8, id & 0xff]);
  // A CON with a reserved option nibble: RST or silence.
  const malformedCon = new Uint8Array([0x40, 1, 0x12, 0x34, 0xff]);
  assertEquals(checkAnswers(malformedCon, []), undefined);
  assertEquals(checkAnswers(malformedCon, [rst(0x1234)]), undefined);
  assert(checkAnswers(malformedCon, [rst(0x1235)]) !== undefined);
  // A malformed NON is never answered.
  const malformedNon = new Uint8Array([0x50, 1, 0x12, 0x34, 0xff]);
  assert(checkAnswers(malformedNon, [rst(0x1234)]) !== undefined);
  // A valid CON request needs exactly one ACK echoing ID and token.
  const get = validGet(7, 9);
  assert(checkAnswers(get, []) !== undefined);
  const ack = encode({
    type: "ACK",
    code: 0x45,
    messageId: 7,
    token: new Uint8Array([0, 0, 0, 9]),
    options: [],
    payload: new Uint8Array(0),
  }).slice();
  assertEquals(checkAnswers(get, [ack]), undefined);
  assert(checkAnswers(get, [ack, ack]) !== undefined);
  const wrongToken = ack.slice();
  wrongToken[7] = 8;
  assert(checkAnswers(get, [wrongToken]) !== undefined);
  // A ping gets RST; an unexpected CON response gets RST, never an ACK.
  assertEquals(checkAnswers(rst(5).fill(0x40, 0, 1), [rst(5)]), undefined);
  const conResponse = ack.slice();
  conResponse[0] = 0x44;
  assert(checkAnswers(conResponse, [ack]) !== undefined);
});
