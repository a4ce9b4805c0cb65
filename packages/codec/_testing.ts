// Copyright 2026 the microcoap authors. MIT license.
// Deterministic test data for the codec tests: a seeded PRNG and generated
// messages. Not part of the public API.
import { MESSAGE_TYPES } from "./message.ts";
import type { CoapMessage, CoapOption } from "./message.ts";
import { maxOptionLength } from "./options.ts";

/** A seeded xorshift32 generator. */
export class Xorshift32 {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9;
  }

  /** The next 32-bit unsigned integer. */
  next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state;
  }

  /** An integer from 0 to `bound - 1`. */
  below(bound: number): number {
    return this.next() % bound;
  }

  /** One of the items. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

/** Option value lengths at and around the wire format's boundaries. */
export const EDGE_LENGTHS: readonly number[] = [
  0,
  1,
  12,
  13,
  268,
  269,
  300,
  65804,
];

/** Option number deltas at and around the wire format's boundaries. */
export const EDGE_DELTAS: readonly number[] = [
  0,
  1,
  12,
  13,
  14,
  268,
  269,
  270,
  1000,
  65535,
];

export interface RandomMessageOptions {
  /** The largest option value generated, in bytes. */
  maxLength?: number;
  /** The most options generated. */
  maxOptions?: number;
}

/**
 * A random message that encode accepts: option values within the registry's
 * limits, options in number order (repeats keep their generated order).
 */
export function randomMessage(
  random: Xorshift32,
  { maxLength = 65804, maxOptions = 24 }: RandomMessageOptions = {},
): CoapMessage {
  const type = random.pick(MESSAGE_TYPES);
  const code = random.below(8) === 0 ? 0 : 1 + random.below(255);
  const messageId = random.below(0x10000);
  if (code === 0) {
    return {
      type,
      code,
      messageId,
      token: new Uint8Array(0),
      options: [],
      payload: new Uint8Array(0),
    };
  }
  const token = random.bytes(random.below(9));
  const options: CoapOption[] = [];
  const count = random.below(maxOptions + 1);
  let number = 0;
  for (let i = 0; i < count; i++) {
    const delta = random.below(3) === 0
      ? random.pick(EDGE_DELTAS)
      : random.below(40);
    if (number + delta > 0xffff) break;
    number += delta;
    const limit = Math.min(maxOptionLength(number), maxLength);
    let length = random.below(2) === 0
      ? random.pick(EDGE_LENGTHS)
      : random.below(20);
    if (length > limit) length = random.below(limit + 1);
    options.push({ number, value: random.bytes(length) });
  }
  const payload = random.below(2) === 0
    ? new Uint8Array(0)
    : random.bytes(1 + random.below(64));
  return { type, code, messageId, token, options, payload };
}

/** Bytes from hex text such as `"40 01 7d 34"` (spaces are ignored). */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/** The UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
