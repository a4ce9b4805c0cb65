// Copyright 2026 the microcoap authors. MIT license.
// Block-wise transfers on the server side (RFC 7959): slicing responses into
// Block2 blocks and reassembling Block1 request bodies.
import type { BlockValue } from "@microcoap/codec";
import type { Clock, TimerHandle } from "@microcoap/transport";
import { concat } from "@std/bytes/concat";

/** One block of a response body, or the whole body when it needs no blocks. */
export interface Block2Slice {
  readonly payload: Uint8Array;
  /** The Block2 option to send, or undefined for an unsplit body. */
  readonly block: BlockValue | undefined;
}

/**
 * Cuts the block a request asks for out of a response body. Without a Block2
 * option in the request, a body that fits one block of `maxSzx` is sent whole.
 * A request's larger block size is reduced to `maxSzx` (its block number
 * scaled so the offset stays the same). Returns undefined when the block
 * starts past the end of the body.
 */
export function sliceBlock2(
  body: Uint8Array,
  requested: BlockValue | undefined,
  maxSzx: number,
): Block2Slice | undefined {
  const szx = requested === undefined
    ? maxSzx
    : Math.min(requested.szx, maxSzx);
  const size = 16 << szx;
  if (requested === undefined && body.length <= size) {
    return { payload: body, block: undefined };
  }
  const offset = requested === undefined
    ? 0
    : requested.num * (16 << requested.szx);
  if (offset > 0 && offset >= body.length) return undefined;
  const end = Math.min(offset + size, body.length);
  return {
    payload: body.subarray(offset, end),
    block: { num: offset / size, more: end < body.length, szx },
  };
}

/** A short entity tag for a representation (FNV-1a, 32 bits). */
export function etagOf(
  code: number,
  contentFormat: number | undefined,
  body: Uint8Array,
): Uint8Array {
  let hash = 0x811c9dc5;
  const mix = (byte: number) => {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  };
  mix(code);
  mix((contentFormat ?? 0xffff) >>> 8);
  mix((contentFormat ?? 0xffff) & 0xff);
  for (let i = 0; i < body.length; i++) mix(body[i]!);
  return new Uint8Array([
    hash >>> 24,
    (hash >>> 16) & 0xff,
    (hash >>> 8) & 0xff,
    hash & 0xff,
  ]);
}

interface Timed<V> {
  value: V;
  expires: number;
}

/**
 * A map whose entries expire `lifetime` ms after they were last set. Map
 * order is kept as expiry order (a set moves the entry to the end), so
 * sweeping looks at the head only. With `maxEntries`, setting a new key in a
 * full map drops the entry closest to expiry.
 */
export class ExpiringMap<V> {
  #entries = new Map<string, Timed<V>>();
  #clock: Clock;
  #lifetime: number;
  #timer: TimerHandle | undefined;
  #onExpire: ((key: string, value: V) => void) | undefined;
  #maxEntries: number;

  constructor(
    clock: Clock,
    lifetime: number,
    onExpire?: (key: string, value: V) => void,
    maxEntries = Infinity,
  ) {
    this.#clock = clock;
    this.#lifetime = lifetime;
    this.#onExpire = onExpire;
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    this.sweep();
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    this.sweep();
    return this.#entries.get(key)?.value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.sweep();
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value!;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, {
      value,
      expires: this.#clock.now() + this.#lifetime,
    });
    this.#schedule();
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Milliseconds until the oldest entry expires (0 when empty). */
  nextExpiry(): number {
    const first = this.#entries.values().next().value;
    return first === undefined
      ? 0
      : Math.max(0, first.expires - this.#clock.now());
  }

  sweep(): void {
    const now = this.#clock.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expires > now) break;
      this.#entries.delete(key);
      this.#onExpire?.(key, entry.value);
    }
  }

  clear(): void {
    this.#entries.clear();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    const first = this.#entries.values().next().value;
    if (first === undefined) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.sweep();
      this.#schedule();
    }, Math.max(0, first.expires - this.#clock.now()));
  }
}

/** The outcome of one Block1 block. */
export type Block1Result =
  | { readonly status: "continue"; readonly block: BlockValue }
  | {
    readonly status: "complete";
    readonly body: Uint8Array;
    readonly block: BlockValue;
  }
  | { readonly status: "incomplete" }
  | { readonly status: "too-large"; readonly size1: number }
  | { readonly status: "bad-request"; readonly reason: string }
  | { readonly status: "busy"; readonly retryAfter: number };

export interface Block1AssemblerOptions {
  readonly clock: Clock;
  /** How long an idle transfer is kept, in ms. */
  readonly lifetime: number;
  readonly maxBodySize: number;
  readonly maxTransfers: number;
  /** The largest block size exponent the server wants. */
  readonly maxSzx: number;
  readonly onExpire?: (key: string) => void;
}

interface Transfer {
  chunks: Uint8Array[];
  length: number;
}

/**
 * Reassembles request bodies sent block by block (RFC 7959 §2.5), one
 * transfer per key, atomically: blocks must arrive in order, the body goes to
 * the handler once complete.
 */
export class Block1Assembler {
  #transfers: ExpiringMap<Transfer>;
  #options: Block1AssemblerOptions;

  constructor(options: Block1AssemblerOptions) {
    this.#options = options;
    const onExpire = options.onExpire;
    this.#transfers = new ExpiringMap(
      options.clock,
      options.lifetime,
      onExpire ? (key) => onExpire(key) : undefined,
    );
  }

  /** The number of unfinished transfers. */
  get size(): number {
    return this.#transfers.size;
  }

  receive(
    key: string,
    block: BlockValue,
    payload: Uint8Array,
    size1: number | undefined,
  ): Block1Result {
    const { maxBodySize, maxTransfers, maxSzx } = this.#options;
    const size = 16 << block.szx;
    if (payload.length > size || (block.more && payload.length !== size)) {
      this.#transfers.delete(key);
      return {
        status: "bad-request",
        reason:
          `block ${block.num} has ${payload.length} bytes, block size is ${size}`,
      };
    }
    if (size1 !== undefined && size1 > maxBodySize) {
      this.#transfers.delete(key);
      return { status: "too-large", size1: maxBodySize };
    }
    const offset = block.num * size;
    let transfer: Transfer | undefined;
    if (block.num === 0) {
      this.#transfers.delete(key);
      if (!block.more) {
        return payload.length > maxBodySize
          ? { status: "too-large", size1: maxBodySize }
          : { status: "complete", body: payload, block };
      }
      if (this.#transfers.size >= maxTransfers) {
        return {
          status: "busy",
          retryAfter: Math.ceil(this.#transfers.nextExpiry() / 1000),
        };
      }
      transfer = { chunks: [], length: 0 };
    } else {
      transfer = this.#transfers.get(key);
      if (transfer === undefined || transfer.length !== offset) {
        this.#transfers.delete(key);
        return { status: "incomplete" };
      }
    }
    if (transfer.length + payload.length > maxBodySize) {
      this.#transfers.delete(key);
      return { status: "too-large", size1: maxBodySize };
    }
    transfer.chunks.push(payload);
    transfer.length += payload.length;
    if (block.more) {
      this.#transfers.set(key, transfer);
      // RFC 7959: the 2.31 acknowledges the block with the number it was
      // sent with; a smaller SZX asks for smaller blocks from now on (the
      // client renumbers by bytes sent).
      const szx = Math.min(block.szx, maxSzx);
      return {
        status: "continue",
        block: { num: block.num, more: true, szx },
      };
    }
    this.#transfers.delete(key);
    return {
      status: "complete",
      // One block needs no copy.
      body: transfer.chunks.length === 1
        ? transfer.chunks[0]!
        : concat(transfer.chunks),
      block,
    };
  }

  clear(): void {
    this.#transfers.clear();
  }
}
