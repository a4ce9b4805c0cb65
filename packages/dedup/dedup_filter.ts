// Copyright 2026 the microcoap authors. MIT license.
/**
 * The retransmission filter of RFC 7252 §4.5: remembers (peer, message ID)
 * of incoming Confirmable and Non-confirmable messages, drops duplicates and
 * replays the reply recorded for a duplicated Confirmable message.
 *
 * @module
 */
import {
  Exchange,
  ExchangeQueue,
  NOT_REPLAYABLE,
  Peer,
  PENDING,
  REPLAYABLE,
  ReplyQueue,
} from "./_exchange.ts";

/**
 * Options for {@linkcode DedupFilter}.
 *
 * @example Usage
 * ```ts
 * import { DedupFilter, type DedupFilterOptions } from "@microcoap/dedup";
 * import { assertEquals } from "@std/assert";
 *
 * let now = 0;
 * const options: DedupFilterOptions = { nonLifetime: 1_000, now: () => now };
 * const filter = new DedupFilter(options);
 * const token = new Uint8Array([1]);
 *
 * assertEquals(filter.check("[::1]:5683", 9, token, false).status, "new");
 * assertEquals(filter.check("[::1]:5683", 9, token, false).status, "duplicate");
 * // Once NON_LIFETIME has passed, the same message ID is a new message.
 * now = 1_000;
 * assertEquals(filter.check("[::1]:5683", 9, token, false).status, "new");
 * ```
 */
export interface DedupFilterOptions {
  /**
   * EXCHANGE_LIFETIME in milliseconds: how long a Confirmable message is
   * remembered (RFC 7252 §4.8.2). `0` remembers nothing.
   *
   * @default {247_000}
   */
  exchangeLifetime?: number;
  /**
   * NON_LIFETIME in milliseconds: how long a Non-confirmable message is
   * remembered (RFC 7252 §4.8.2). `0` remembers nothing.
   *
   * @default {145_000}
   */
  nonLifetime?: number;
  /**
   * The most exchanges remembered at once; when full, the oldest (by arrival,
   * CON and NON alike) is forgotten first.
   *
   * Why 100,000: all retransmissions of a CON are sent within
   * MAX_TRANSMIT_SPAN (45 s at the RFC 7252 defaults), so 100,000 entries
   * still catch every retransmission at about 2,200 new exchanges per second,
   * and cover the full EXCHANGE_LIFETIME (247 s) at about 400 per second, far
   * above what constrained peers send. Above that rate the oldest entries go
   * early, which only weakens duplicate detection for old exchanges. Memory
   * (V8, measured): about 180 bytes of heap per entry, about 450 when every
   * entry comes from a different peer, plus about 200 bytes per kept reply
   * array of a typical size; so a full default filter holds roughly 20 to 65
   * MB, and no flood of distinct message IDs or spoofed peers grows it
   * further.
   *
   * @default {100_000}
   */
  maxEntries?: number;
  /**
   * The most reply bytes kept for replay, summed over all exchanges. When a
   * new reply would exceed it, the oldest replies are dropped first; their
   * exchanges stay remembered, and duplicates of them get `"duplicate"`
   * (dropped without running the handler again) instead of `"replay"`.
   * `Infinity` keeps every reply (still bounded by `maxEntries`). Counts the
   * replies' lengths, not the fixed cost of each array (see `maxEntries`).
   *
   * Why 16 MiB: it holds a typical small reply (ACK or piggybacked response
   * of up to ~160 bytes) for every one of the default 100,000 entries, and
   * about 14,500 replies of the 1,152-byte maximum message size recommended
   * by RFC 7252 §4.6, while capping the worst case that `maxEntries` alone
   * would allow (100,000 full-size replies, over 110 MB).
   *
   * @default {16_777_216}
   */
  maxReplyBytes?: number;
  /**
   * The clock used for expiry, in milliseconds; it should never go backwards.
   *
   * @default {performance.now}
   */
  now?: () => number;
}

/**
 * What {@linkcode DedupFilter.check} found:
 *
 * - `"new"`: first time seen (or the earlier one expired or was forgotten, or
 *   the same ID came with a different token or type, which is a new
 *   exchange): the caller handles it.
 * - `"pending"`: a duplicate CON while the first is still being handled (no
 *   reply recorded yet): drop it.
 * - `"duplicate"`: a duplicate NON, or a duplicate CON whose reply is not
 *   kept: drop it.
 * - `"replay"`: a duplicate CON: send `reply`, the exact bytes recorded with
 *   {@linkcode DedupFilter.setReply}, again (do not modify them).
 *
 * @example Usage
 * ```ts
 * import { DedupFilter, type DedupResult } from "@microcoap/dedup";
 * import { assertEquals } from "@std/assert";
 *
 * const filter = new DedupFilter({ now: () => 0 });
 * const token = new Uint8Array([0x2a]);
 * filter.check("10.0.0.2:5683", 3, token, true);
 * const ack = new Uint8Array([0x61, 0x44, 0x00, 0x03, 0x2a]);
 * filter.setReply("10.0.0.2:5683", 3, ack);
 *
 * const result: DedupResult = filter.check("10.0.0.2:5683", 3, token, true);
 * assertEquals(result.status === "replay" ? result.reply : undefined, ack);
 * ```
 */
export type DedupResult =
  | { readonly status: "new" }
  | { readonly status: "pending" }
  | { readonly status: "duplicate" }
  | { readonly status: "replay"; readonly reply: Uint8Array };

// Shared, so that check() allocates nothing for these outcomes.
const NEW: DedupResult = Object.freeze({ status: "new" });
const PENDING_RESULT: DedupResult = Object.freeze({ status: "pending" });
const DUPLICATE: DedupResult = Object.freeze({ status: "duplicate" });

const DEFAULT_EXCHANGE_LIFETIME = 247_000;
const DEFAULT_NON_LIFETIME = 145_000;
const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_MAX_REPLY_BYTES = 16 * 1024 * 1024;
const MAX_TOKEN_LENGTH = 8;
const MAX_SPARES = 1_024;
// Copied replies are carved from chunks of this size (a longer reply gets a
// buffer of its own): one ArrayBuffer per reply costs more than the rest of
// setReply(), and retaining one per exchange slows V8's young-generation GC.
// Replies age out in arrival order, so chunks are freed in order too.
const REPLY_CHUNK = 65536;
const NO_PEER = new Peer("");

// The packed token of the message being looked up (see Exchange). Module
// scratch space instead of a returned tuple keeps packToken allocation-free.
let token0 = 0;
let token1 = 0;
let token2 = 0;

function packToken(token: Uint8Array): void {
  const length = token.length;
  let a = 0;
  let b = 0;
  let c = 0;
  for (let i = 0; i < length; i++) {
    const byte = token[i]!;
    if (i < 3) a = (a << 8) | byte;
    else if (i < 6) b = (b << 8) | byte;
    else c = (c << 8) | byte;
  }
  token0 = a;
  token1 = b;
  token2 = (length << 16) | c;
}

function validateCheckArguments(
  action: string,
  peerKey: unknown,
  messageId: unknown,
): void {
  if (typeof peerKey !== "string") {
    throw new TypeError(
      `Cannot ${action}: peer key is ${typeof peerKey}, expected a string`,
    );
  }
  if (typeof messageId !== "number") {
    throw new TypeError(
      `Cannot ${action}: message ID is ${typeof messageId}, expected a number`,
    );
  }
  if (!(messageId >= 0 && messageId <= 0xffff && messageId % 1 === 0)) {
    throw new RangeError(
      `Cannot ${action}: message ID is ${messageId}, expected an integer from 0 to 65535`,
    );
  }
}

// A numeric option or its default; throws unless it is `expected` (the
// words of the message) and at least `min`.
function option(
  options: DedupFilterOptions,
  name: "exchangeLifetime" | "nonLifetime" | "maxEntries" | "maxReplyBytes",
  fallback: number,
  expected: "a finite number" | "an integer" | "a number",
  min: number,
): number {
  const value: unknown = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot create dedup filter: ${name} is ${typeof value}, expected a number`,
    );
  }
  if (
    !(value >= min) ||
    (expected === "a finite number" && value === Infinity) ||
    (expected === "an integer" && !Number.isInteger(value))
  ) {
    throw new RangeError(
      `Cannot create dedup filter: ${name} is ${value}, expected ${expected} of at least ${min}`,
    );
  }
  return value;
}

/**
 * The retransmission filter of RFC 7252 §4.5, for one endpoint.
 *
 * Every incoming CON or NON message goes through {@linkcode DedupFilter.check}
 * first. A message is remembered by (peer, message ID) for EXCHANGE_LIFETIME
 * (CON) or NON_LIFETIME (NON) from its first arrival. When the reply to a CON
 * has been sent, {@linkcode DedupFilter.setReply} records its bytes, and later
 * duplicates of that CON are answered by sending the same bytes again, without
 * running the handler twice.
 *
 * Memory is bounded by `maxEntries` exchanges and `maxReplyBytes` reply bytes.
 * Expired exchanges are swept incrementally from the oldest on every call
 * (amortised O(1)); `check` allocates nothing except when it remembers a new
 * exchange.
 *
 * @example Usage
 * ```ts
 * import { DedupFilter } from "@microcoap/dedup";
 * import { assertEquals } from "@std/assert";
 *
 * let now = 0;
 * const filter = new DedupFilter({ now: () => now });
 * const token = new Uint8Array([0xca, 0xfe]);
 *
 * // First arrival: handle it.
 * assertEquals(filter.check("127.0.0.1:5683", 7, token, true).status, "new");
 * // A retransmission while the handler is still running: drop it.
 * assertEquals(filter.check("127.0.0.1:5683", 7, token, true).status, "pending");
 *
 * // The handler answered with a piggybacked response; remember its bytes.
 * const ack = new Uint8Array([0x62, 0x45, 0x00, 0x07, 0xca, 0xfe]);
 * filter.setReply("127.0.0.1:5683", 7, ack);
 * assertEquals(filter.check("127.0.0.1:5683", 7, token, true), {
 *   status: "replay",
 *   reply: ack,
 * });
 *
 * // After EXCHANGE_LIFETIME (247 s) the same ID is a new exchange.
 * now += 247_000;
 * assertEquals(filter.check("127.0.0.1:5683", 7, token, true).status, "new");
 * ```
 *
 * @example Non-confirmable duplicates are dropped
 * ```ts
 * import { DedupFilter } from "@microcoap/dedup";
 * import { assertEquals } from "@std/assert";
 *
 * const filter = new DedupFilter();
 * const token = new Uint8Array([1]);
 * assertEquals(filter.check("[::1]:5683", 1, token, false).status, "new");
 * assertEquals(filter.check("[::1]:5683", 1, token, false).status, "duplicate");
 * ```
 */
export class DedupFilter {
  #now: () => number;
  #maxEntries: number;
  #maxReplyBytes: number;
  #peers: Map<string, Peer> = new Map();
  #con: ExchangeQueue;
  #non: ExchangeQueue;
  #replies: ReplyQueue = new ReplyQueue();
  #size = 0;
  #seq = 0;
  // Removed exchanges and peers kept for reuse (linked through `next` and
  // `nextSpare`), so that a full or steadily expiring filter does not
  // allocate per message: entries live long enough to be promoted to V8's
  // old space, and churning through such objects is what makes floods slow.
  #spare: Exchange | null = null;
  #spareCount = 0;
  #sparePeer: Peer | null = null;
  #sparePeerCount = 0;
  #chunk: ArrayBuffer | undefined;
  #chunkView: Uint8Array | undefined;
  #chunkUsed = REPLY_CHUNK;

  /**
   * Constructs a new filter.
   *
   * @param options Lifetimes, bounds and clock.
   * @throws {TypeError} When an option has the wrong type.
   * @throws {RangeError} When a lifetime is negative or not finite,
   * `maxEntries` is not an integer of at least 1, or `maxReplyBytes` is
   * negative or NaN.
   *
   * @example Usage
   * ```ts
   * import { DedupFilter } from "@microcoap/dedup";
   * import { assertThrows } from "@std/assert";
   *
   * new DedupFilter({ exchangeLifetime: 60_000, maxEntries: 1_000 });
   * assertThrows(() => new DedupFilter({ maxEntries: 0 }), RangeError);
   * ```
   */
  constructor(options: DedupFilterOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `Cannot create dedup filter: options is ${
          options === null ? "null" : typeof options
        }, expected an object`,
      );
    }
    const exchangeLifetime = option(
      options,
      "exchangeLifetime",
      DEFAULT_EXCHANGE_LIFETIME,
      "a finite number",
      0,
    );
    const nonLifetime = option(
      options,
      "nonLifetime",
      DEFAULT_NON_LIFETIME,
      "a finite number",
      0,
    );
    const maxEntries = option(
      options,
      "maxEntries",
      DEFAULT_MAX_ENTRIES,
      "an integer",
      1,
    );
    const maxReplyBytes = option(
      options,
      "maxReplyBytes",
      DEFAULT_MAX_REPLY_BYTES,
      "a number",
      0,
    );
    const now: unknown = options.now;
    if (now !== undefined && typeof now !== "function") {
      throw new TypeError(
        `Cannot create dedup filter: now is ${typeof now}, expected a function`,
      );
    }
    this.#now = (now as (() => number) | undefined) ??
      (() => performance.now());
    this.#con = new ExchangeQueue(exchangeLifetime);
    this.#non = new ExchangeQueue(nonLifetime);
    this.#maxEntries = maxEntries;
    this.#maxReplyBytes = maxReplyBytes;
  }

  /**
   * Looks up an incoming CON or NON message from `peerKey` and remembers it
   * (as pending) when it is new. A known message ID with a different token or
   * type is a new exchange: it replaces the old one (a peer that wraps its
   * message IDs quickly must not get a stale reply).
   *
   * @param peerKey Identifies the peer, e.g. `"127.0.0.1:5683"` or
   * `"[::1]:5683"`; compared as an opaque string.
   * @param messageId The message ID (0 to 65535).
   * @param token The token (0 to 8 bytes); only its value is kept, so it may
   * be a view into a reused receive buffer.
   * @param confirmable `true` for CON, `false` for NON.
   * @returns What to do with the message (see {@linkcode DedupResult}); the
   * `"new"`, `"pending"` and `"duplicate"` results are shared objects.
   * @throws {TypeError} When an argument has the wrong type.
   * @throws {RangeError} When the message ID is not an integer from 0 to
   * 65535 or the token is longer than 8 bytes.
   *
   * @example Usage
   * ```ts
   * import { DedupFilter } from "@microcoap/dedup";
   * import { assertEquals } from "@std/assert";
   *
   * const filter = new DedupFilter();
   * const peer = "127.0.0.1:5683";
   * assertEquals(filter.check(peer, 1, new Uint8Array([1]), true).status, "new");
   * assertEquals(filter.check(peer, 1, new Uint8Array([1]), true).status, "pending");
   * // Same ID, different token: a new exchange.
   * assertEquals(filter.check(peer, 1, new Uint8Array([2]), true).status, "new");
   * ```
   */
  check(
    peerKey: string,
    messageId: number,
    token: Uint8Array,
    confirmable: boolean,
  ): DedupResult {
    validateCheckArguments("check message", peerKey, messageId);
    if (!(token instanceof Uint8Array)) {
      throw new TypeError(
        `Cannot check message: token is ${typeof token}, expected a Uint8Array`,
      );
    }
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new RangeError(
        `Cannot check message: token length is ${token.length}, at most ${MAX_TOKEN_LENGTH} allowed`,
      );
    }
    if (typeof confirmable !== "boolean") {
      throw new TypeError(
        `Cannot check message: confirmable is ${typeof confirmable}, expected a boolean`,
      );
    }
    const now = this.#now();
    this.#sweep(now);
    packToken(token);
    let peer = this.#peers.get(peerKey);
    if (peer !== undefined) {
      const known = peer.exchanges.get(messageId);
      if (known !== undefined) {
        if (
          known.token0 === token0 && known.token1 === token1 &&
          known.token2 === token2 && known.confirmable === confirmable &&
          // The sweep only looks at the oldest; a clock that went backwards
          // can leave an expired one behind it.
          now - known.seenAt < this.#queue(known).lifetime
        ) {
          if (!confirmable || known.state === NOT_REPLAYABLE) return DUPLICATE;
          if (known.state === PENDING) return PENDING_RESULT;
          return known.replay ??= Object.freeze({
            status: "replay",
            reply: known.reply ??
              new Uint8Array(
                known.replyChunk!,
                known.replyOffset,
                known.replyLength,
              ),
          });
        }
        // A new exchange with a reused ID: recycle the entry.
        this.#detach(known);
        known.token0 = token0;
        known.token1 = token1;
        known.token2 = token2;
        known.confirmable = confirmable;
        known.seenAt = now;
        known.seq = this.#seq++;
        known.state = PENDING;
        this.#queue(known).push(known);
        return NEW;
      }
    }
    if (this.#size >= this.#maxEntries) {
      this.#evictOldest();
      // The evicted one may have been this peer's last exchange.
      peer = this.#peers.get(peerKey);
    }
    if (peer === undefined) peer = this.#addPeer(peerKey);
    let exchange = this.#spare;
    if (exchange === null) {
      exchange = new Exchange(
        peer,
        messageId,
        token0,
        token1,
        token2,
        confirmable,
        now,
        this.#seq++,
      );
    } else {
      this.#spare = exchange.next;
      this.#spareCount--;
      exchange.peer = peer;
      exchange.messageId = messageId;
      exchange.token0 = token0;
      exchange.token1 = token1;
      exchange.token2 = token2;
      exchange.confirmable = confirmable;
      exchange.seenAt = now;
      exchange.seq = this.#seq++;
      exchange.state = PENDING;
    }
    peer.exchanges.set(messageId, exchange);
    this.#queue(exchange).push(exchange);
    this.#size++;
    return NEW;
  }

  /**
   * Records the exact bytes sent in reply (ACK, RST or piggybacked response)
   * to the CON `messageId` from `peerKey`: later duplicates of it get
   * `{ status: "replay", reply }` with these bytes. Replacing an
   * earlier reply is allowed. For a NON it only marks the exchange as
   * handled (NON duplicates are always dropped). Does nothing when the
   * exchange is not remembered (forgotten, expired or evicted; one that
   * expired since the last call is swept, reply and all, by the next). A reply
   * larger than `maxReplyBytes` is not kept (its duplicates get
   * `"duplicate"`).
   *
   * @param peerKey The peer, as given to {@linkcode DedupFilter.check}.
   * @param messageId The message ID of the incoming message.
   * @param reply The datagram sent in reply. When it is a whole buffer of its
   * own (as `encode` returns) it is kept as is, not copied, so do not modify
   * it afterwards; a view into a larger buffer (such as a reused send buffer)
   * is copied.
   * @throws {TypeError} When an argument has the wrong type.
   * @throws {RangeError} When the message ID is not an integer from 0 to
   * 65535.
   *
   * @example Usage
   * ```ts
   * import { DedupFilter } from "@microcoap/dedup";
   * import { assertEquals } from "@std/assert";
   *
   * const filter = new DedupFilter();
   * const ping = new Uint8Array(0); // an empty CON has no token
   * assertEquals(filter.check("127.0.0.1:40000", 9, ping, true).status, "new");
   * const rst = new Uint8Array([0x70, 0x00, 0x00, 0x09]);
   * filter.setReply("127.0.0.1:40000", 9, rst);
   * const again = filter.check("127.0.0.1:40000", 9, ping, true);
   * assertEquals(again.status === "replay" && again.reply, rst);
   * ```
   */
  setReply(peerKey: string, messageId: number, reply: Uint8Array): void {
    validateCheckArguments("set reply", peerKey, messageId);
    if (!(reply instanceof Uint8Array)) {
      throw new TypeError(
        `Cannot set reply: reply is ${typeof reply}, expected a Uint8Array`,
      );
    }
    // No sweep here: check() sweeps on every message, and an exchange that
    // expired since is swept with the next one (a reply on it is harmless).
    const exchange = this.#peers.get(peerKey)?.exchanges.get(messageId);
    if (exchange === undefined) return;
    if (exchange.replyLength !== -1) this.#replies.drop(exchange);
    if (!exchange.confirmable || reply.byteLength > this.#maxReplyBytes) {
      exchange.state = NOT_REPLAYABLE;
      return;
    }
    // Copying costs more than the rest of setReply() (a typed array per
    // reply), so a whole-buffer array, as encode() returns, is kept as is.
    if (
      reply.byteOffset === 0 && reply.byteLength === reply.buffer.byteLength
    ) {
      exchange.reply = reply;
    } else this.#copy(reply, exchange);
    exchange.replyLength = reply.byteLength;
    exchange.state = REPLAYABLE;
    const replies = this.#replies;
    replies.push(exchange, reply.byteLength);
    // The new reply fits on its own, so this stops before reaching it.
    while (replies.bytes > this.#maxReplyBytes) {
      const oldest = replies.head!;
      replies.drop(oldest);
      oldest.state = NOT_REPLAYABLE;
    }
  }

  /**
   * Forgets one exchange, e.g. when handling it failed before any reply was
   * sent, so that a retransmission is handled afresh. Does nothing when it
   * is not remembered.
   *
   * @param peerKey The peer, as given to {@linkcode DedupFilter.check}.
   * @param messageId The message ID of the incoming message.
   * @throws {TypeError} When an argument has the wrong type.
   * @throws {RangeError} When the message ID is not an integer from 0 to
   * 65535.
   *
   * @example Usage
   * ```ts
   * import { DedupFilter } from "@microcoap/dedup";
   * import { assertEquals } from "@std/assert";
   *
   * const filter = new DedupFilter();
   * const token = new Uint8Array([5]);
   * filter.check("127.0.0.1:5683", 3, token, true);
   * filter.forget("127.0.0.1:5683", 3);
   * assertEquals(filter.size, 0);
   * assertEquals(filter.check("127.0.0.1:5683", 3, token, true).status, "new");
   * ```
   */
  forget(peerKey: string, messageId: number): void {
    validateCheckArguments("forget exchange", peerKey, messageId);
    const exchange = this.#peers.get(peerKey)?.exchanges.get(messageId);
    if (exchange !== undefined) this.#remove(exchange);
  }

  /**
   * Forgets every expired exchange now. Not needed for correctness (every
   * call sweeps), but it frees the memory of an idle filter.
   *
   * @returns How many exchanges were forgotten.
   *
   * @example Usage
   * ```ts
   * import { DedupFilter } from "@microcoap/dedup";
   * import { assertEquals } from "@std/assert";
   *
   * let now = 0;
   * const filter = new DedupFilter({ nonLifetime: 1_000, now: () => now });
   * filter.check("127.0.0.1:5683", 1, new Uint8Array(0), false);
   * now = 1_000;
   * assertEquals(filter.prune(), 1);
   * ```
   */
  prune(): number {
    const before = this.#size;
    this.#sweep(this.#now());
    return before - this.#size;
  }

  /**
   * The number of remembered exchanges (expired ones are swept first).
   *
   * @returns The number of remembered exchanges.
   *
   * @example Usage
   * ```ts
   * import { DedupFilter } from "@microcoap/dedup";
   * import { assertEquals } from "@std/assert";
   *
   * const filter = new DedupFilter({ maxEntries: 2 });
   * for (let id = 0; id < 5; id++) {
   *   filter.check("127.0.0.1:5683", id, new Uint8Array(0), true);
   * }
   * assertEquals(filter.size, 2);
   * ```
   */
  get size(): number {
    this.#sweep(this.#now());
    return this.#size;
  }

  /**
   * Forgets every exchange.
   *
   * @example Usage
   * ```ts
   * import { DedupFilter } from "@microcoap/dedup";
   * import { assertEquals } from "@std/assert";
   *
   * const filter = new DedupFilter();
   * filter.check("127.0.0.1:5683", 1, new Uint8Array(0), true);
   * filter.clear();
   * assertEquals(filter.size, 0);
   * ```
   */
  clear(): void {
    this.#con.clear();
    this.#non.clear();
    this.#replies.clear();
    this.#peers.clear();
    this.#size = 0;
    this.#spare = null;
    this.#spareCount = 0;
    this.#sparePeer = null;
    this.#sparePeerCount = 0;
    this.#chunk = undefined;
    this.#chunkView = undefined;
    this.#chunkUsed = REPLY_CHUNK;
  }

  #copy(reply: Uint8Array, exchange: Exchange): void {
    const length = reply.byteLength;
    if (length > REPLY_CHUNK / 16) {
      exchange.reply = reply.slice();
      return;
    }
    if (this.#chunk === undefined || this.#chunkUsed + length > REPLY_CHUNK) {
      this.#chunk = new ArrayBuffer(REPLY_CHUNK);
      this.#chunkView = new Uint8Array(this.#chunk);
      this.#chunkUsed = 0;
    }
    const at = this.#chunkUsed;
    const view = this.#chunkView!;
    for (let i = 0; i < length; i++) view[at + i] = reply[i]!;
    exchange.replyChunk = this.#chunk;
    exchange.replyOffset = at;
    this.#chunkUsed = at + length;
  }

  #addPeer(peerKey: string): Peer {
    let peer = this.#sparePeer;
    if (peer === null) peer = new Peer(peerKey);
    else {
      this.#sparePeer = peer.nextSpare;
      this.#sparePeerCount--;
      peer.nextSpare = null;
      peer.key = peerKey;
    }
    this.#peers.set(peerKey, peer);
    return peer;
  }

  #queue(exchange: Exchange): ExchangeQueue {
    return exchange.confirmable ? this.#con : this.#non;
  }

  #sweep(now: number): void {
    const con = this.#con;
    for (let head = con.head; head !== null; head = con.head) {
      if (now - head.seenAt < con.lifetime) break;
      this.#remove(head);
    }
    const non = this.#non;
    for (let head = non.head; head !== null; head = non.head) {
      if (now - head.seenAt < non.lifetime) break;
      this.#remove(head);
    }
  }

  #evictOldest(): void {
    const con = this.#con.head;
    const non = this.#non.head;
    const oldest = con === null
      ? non
      : non === null || con.seq < non.seq
      ? con
      : non;
    if (oldest !== null) this.#remove(oldest);
  }

  /** Unlinks from the queues but keeps the peer's map entry. */
  #detach(exchange: Exchange): void {
    this.#queue(exchange).unlink(exchange);
    if (exchange.replyLength !== -1) this.#replies.drop(exchange);
  }

  #remove(exchange: Exchange): void {
    this.#detach(exchange);
    const peer = exchange.peer;
    peer.exchanges.delete(exchange.messageId);
    if (peer.exchanges.size === 0) {
      this.#peers.delete(peer.key);
      if (this.#sparePeerCount < MAX_SPARES) {
        peer.key = "";
        peer.nextSpare = this.#sparePeer;
        this.#sparePeer = peer;
        this.#sparePeerCount++;
      }
    }
    this.#size--;
    if (this.#spareCount < MAX_SPARES) {
      exchange.peer = NO_PEER;
      exchange.next = this.#spare;
      this.#spare = exchange;
      this.#spareCount++;
    }
  }
}
