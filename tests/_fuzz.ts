// Copyright 2026 the microcoap authors. MIT license.
// Seeded datagram generator and the RFC 7252 rules a server's answers to
// them must follow. Only imported by tests.
import { decode, encode, isCritical } from "@microcoap/codec";
import type { CoapMessage, CoapOption } from "@microcoap/codec";
import { equals } from "@std/bytes/equals";

/** A seeded uniform generator in [0, 1) (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const text = new TextEncoder();
const path = (...segments: string[]): CoapOption[] =>
  segments.map((segment) => ({ number: 11, value: text.encode(segment) }));

function message(
  init: Partial<CoapMessage> & Pick<CoapMessage, "type" | "code">,
): Uint8Array {
  return encode({
    messageId: 0x1234,
    token: new Uint8Array([1, 2, 3, 4]),
    options: [],
    payload: new Uint8Array(0),
    ...init,
  }).slice();
}

/** Valid messages of every kind, the seeds for mutation. */
export const CORPUS: readonly Uint8Array[] = [
  message({ type: "CON", code: 1, options: path("hello") }),
  message({ type: "NON", code: 1, options: path("hello") }),
  message({
    type: "CON",
    code: 1,
    options: [{ number: 6, value: new Uint8Array(0) }, ...path("obs")],
  }),
  message({
    type: "CON",
    code: 2,
    options: [
      ...path("upload"),
      { number: 12, value: new Uint8Array([0]) },
      { number: 27, value: new Uint8Array([0x0e]) },
    ],
    payload: new Uint8Array(64).fill(0x61),
  }),
  message({
    type: "CON",
    code: 1,
    options: [...path("big"), { number: 23, value: new Uint8Array([0x12]) }],
  }),
  message({
    type: "CON",
    code: 3,
    options: path("hello"),
    payload: text.encode("x"),
  }),
  message({
    type: "CON",
    code: 1,
    options: [
      { number: 3, value: text.encode("example.com") },
      ...path(".well-known", "core"),
      { number: 15, value: text.encode("rt=x") },
    ],
  }),
  message({ type: "CON", code: 0, token: new Uint8Array(0) }),
  message({ type: "ACK", code: 0, token: new Uint8Array(0) }),
  message({ type: "RST", code: 0, token: new Uint8Array(0) }),
  message({ type: "CON", code: 0x45, payload: text.encode("22.5") }),
  message({ type: "NON", code: 0x84 }),
  message({
    type: "CON",
    code: 1,
    options: [{ number: 258, value: new Uint8Array([2]) }, ...path("hello")],
  }),
  message({
    type: "CON",
    code: 1,
    options: [{ number: 2049, value: new Uint8Array([1]) }, ...path("hello")],
  }),
];

/** Makes random and mutated datagrams from a seed. */
export class DatagramFuzzer {
  #random: () => number;

  constructor(seed: number) {
    this.#random = mulberry32(seed);
  }

  #int(below: number): number {
    return Math.floor(this.#random() * below);
  }

  // Datagrams are built in scratch space and then carved from a slab, never
  // reused (a transport hands the receiver memory it owns): one ArrayBuffer
  // per datagram would make the generator slower than the server.
  #scratch = new Uint8Array(4096);
  #spare = new Uint8Array(4096);
  #length = 0;
  #slab = new Uint8Array(0);
  #slabUsed = 0;

  #carve(length: number): Uint8Array {
    if (this.#slabUsed + length > this.#slab.length) {
      this.#slab = new Uint8Array(Math.max(65536, length));
      this.#slabUsed = 0;
    }
    const out = this.#slab.subarray(this.#slabUsed, this.#slabUsed + length);
    this.#slabUsed += length;
    out.set(this.#scratch.subarray(0, length));
    return out;
  }

  #random32(): number {
    return (this.#random() * 4294967296) >>> 0;
  }

  #fill(from: number, to: number): void {
    const scratch = this.#scratch;
    for (let i = from; i < to; i += 4) {
      const word = this.#random32();
      scratch[i] = word;
      scratch[i + 1] = word >>> 8;
      scratch[i + 2] = word >>> 16;
      scratch[i + 3] = word >>> 24;
    }
  }

  /** The next datagram: random bytes, a random CoAP header with junk, or a mutated valid message. */
  next(): Uint8Array {
    const kind = this.#random();
    if (kind < 0.3) {
      const long = this.#random() < 0.02;
      this.#length = long ? 200 + this.#int(1200) : this.#int(48);
      this.#fill(0, this.#length);
    } else if (kind < 0.5) {
      const scratch = this.#scratch;
      this.#length = 4 + this.#int(40);
      this.#fill(4, this.#length);
      scratch[0] = 0x40 | (this.#int(4) << 4) | this.#int(16);
      scratch[1] = this.#int(8) === 0 ? 0 : this.#int(256);
      scratch[2] = this.#int(256);
      scratch[3] = this.#int(256);
    } else {
      const seed = CORPUS[this.#int(CORPUS.length)]!;
      this.#scratch.set(seed);
      this.#length = seed.length;
      this.#mutate();
    }
    return this.#carve(this.#length);
  }

  /**
   * Applies one to four random mutations to a copy of `seed`.
   *
   * @param seed A valid message.
   * @returns The mutated copy.
   */
  mutate(seed: Uint8Array): Uint8Array {
    this.#scratch.set(seed);
    this.#length = seed.length;
    this.#mutate();
    return this.#carve(this.#length);
  }

  // Moves scratch[from..length) to start at `to` (through the spare buffer).
  #shift(from: number, to: number): void {
    const length = this.#length;
    const tail = length - from;
    if (to + tail > this.#scratch.length) return;
    this.#spare.set(this.#scratch.subarray(from, length));
    this.#scratch.set(this.#spare.subarray(0, tail), to);
    this.#length = to + tail;
  }

  #mutate(): void {
    const scratch = this.#scratch;
    const count = 1 + this.#int(4);
    for (let i = 0; i < count; i++) {
      const length = this.#length;
      const at = length === 0 ? 0 : this.#int(length);
      switch (this.#int(8)) {
        case 0: // flip a bit
          if (length > 0) scratch[at] = scratch[at]! ^ (1 << this.#int(8));
          break;
        case 1: // a random byte
          if (length > 0) scratch[at] = this.#int(256);
          break;
        case 2: { // insert bytes
          const n = 1 + this.#int(8);
          if (length + n > 2048) break;
          this.#shift(at, at + n);
          for (let k = 0; k < n; k++) scratch[at + k] = this.#int(256);
          break;
        }
        case 3: // delete bytes
          this.#shift(Math.min(length, at + 1 + this.#int(4)), at);
          break;
        case 4: // truncate
          this.#length = at;
          break;
        case 5: // an option header byte with extended or reserved nibbles
          if (length > 4) {
            const nibbles = [13, 14, 15];
            scratch[4 + this.#int(length - 4)] = (nibbles[this.#int(3)]! << 4) |
              nibbles[this.#int(3)]!;
          }
          break;
        case 6: { // duplicate a stretch at the end
          const n = Math.min(1 + this.#int(16), length - at);
          if (length + n > 2048) break;
          scratch.copyWithin(length, at, at + n);
          this.#length = length + n;
          break;
        }
        default: // the header: type, token length or code
          if (length > 1) {
            if (this.#random() < 0.5) {
              scratch[0] = (scratch[0]! & 0xc0) | this.#int(64);
            } else scratch[1] = this.#int(256);
          }
      }
    }
  }
}

function tryDecode(bytes: Uint8Array): CoapMessage | undefined {
  try {
    return decode(bytes);
  } catch {
    return undefined;
  }
}

function isRst(bytes: Uint8Array, messageId: number): boolean {
  return bytes.length === 4 && bytes[0] === 0x70 && bytes[1] === 0 &&
    ((bytes[2]! << 8) | bytes[3]!) === messageId;
}

/**
 * Checks a server's answers to one datagram against RFC 7252. Returns a
 * description of the violation, or undefined when the answers are allowed.
 *
 * - Undecodable: nothing, or (for a CON with a readable header) RST (§4.2).
 * - Empty CON (ping): RST (§4.3); empty ACK/RST or NON: nothing.
 * - Request: CON gets one ACK with its message ID (and token unless empty);
 *   NON gets nothing or one NON (or CON) with its token, or, when it has
 *   a critical option (which may be unrecognised), one RST with its message
 *   ID (rejected, §5.4.1 and §4.3); ACK/RST typed requests: nothing.
 * - Response: CON gets RST (no exchange waits for it); others: nothing.
 * - Reserved code classes: CON gets RST; others: nothing.
 * - A response code is 2.xx, 4.xx or 5.xx.
 */
export function checkAnswers(
  datagram: Uint8Array,
  answers: readonly Uint8Array[],
): string | undefined {
  const request = tryDecode(datagram);
  const messageId = datagram.length >= 4
    ? (datagram[2]! << 8) | datagram[3]!
    : -1;
  if (request === undefined) {
    if (answers.length === 0) return undefined;
    const readableCon = datagram.length >= 4 && datagram[0]! >>> 6 === 1 &&
      ((datagram[0]! >>> 4) & 3) === 0;
    if (readableCon && answers.length === 1 && isRst(answers[0]!, messageId)) {
      return undefined;
    }
    return "answered an undecodable datagram with something other than one RST";
  }
  const { type, code } = request;
  const codeClass = code >>> 5;
  const rstOnlyIfCon = (): string | undefined =>
    type === "CON"
      ? answers.length === 1 && isRst(answers[0]!, messageId)
        ? undefined
        : "a CON that no one waits for was not rejected with exactly one RST"
      : answers.length === 0
      ? undefined
      : `answered a ${type} that needs no answer`;
  if (code === 0) return rstOnlyIfCon();
  if (codeClass !== 0) return rstOnlyIfCon();
  // A request.
  if (type === "ACK" || type === "RST") {
    return answers.length === 0
      ? undefined
      : `answered a request typed ${type}`;
  }
  if (answers.length > 1) return `sent ${answers.length} answers to a request`;
  if (answers.length === 0) {
    return type === "CON" ? "a CON request got no ACK" : undefined;
  }
  const answer = tryDecode(answers[0]!);
  if (answer === undefined) return "sent an undecodable answer";
  const answerClass = answer.code >>> 5;
  if (
    answer.code !== 0 && answerClass !== 2 && answerClass !== 4 &&
    answerClass !== 5
  ) {
    return `answered with code class ${answerClass}`;
  }
  if (type === "CON") {
    if (answer.type !== "ACK" || answer.messageId !== messageId) {
      return "a CON request was not answered by an ACK with its message ID";
    }
  } else if (answer.type === "RST") {
    const critical = request.options.some((option) =>
      isCritical(option.number)
    );
    return critical && isRst(answers[0]!, messageId)
      ? undefined
      : "a NON request without a critical option was answered with RST";
  } else if (answer.type === "ACK") {
    return "a NON request was answered with ACK";
  }
  if (answer.code !== 0 && !equals(answer.token, request.token)) {
    return "the response does not echo the request's token";
  }
  return undefined;
}

const TYPE_BITS = { CON: 0, NON: 1, ACK: 2, RST: 3 } as const;

/**
 * Encodes a message without checking option lengths (so that a test can send
 * the malformed ones a hostile peer would): options sorted by number, deltas
 * and lengths with the extended nibbles, the payload marker when there is a
 * payload.
 */
export function encodeRaw(message: CoapMessage): Uint8Array {
  const out: number[] = [
    0x40 | (TYPE_BITS[message.type] << 4) | message.token.length,
    message.code,
    message.messageId >>> 8,
    message.messageId & 0xff,
    ...message.token,
  ];
  const nibble = (value: number, extra: number[]): number => {
    if (value < 13) return value;
    if (value < 269) {
      extra.push(value - 13);
      return 13;
    }
    extra.push((value - 269) >>> 8, (value - 269) & 0xff);
    return 14;
  };
  const options = [...message.options].sort((a, b) => a.number - b.number);
  let previous = 0;
  for (const option of options) {
    const extra: number[] = [];
    const delta = nibble(option.number - previous, extra);
    const length = nibble(option.value.length, extra);
    out.push((delta << 4) | length, ...extra, ...option.value);
    previous = option.number;
  }
  if (message.payload.length > 0) out.push(0xff, ...message.payload);
  return new Uint8Array(out);
}
