// Copyright 2026 the microcoap authors. MIT license.
// Internals of DedupFilter: the remembered exchanges and the intrusive queues
// that keep them in arrival order (O(1) append, unlink and oldest-first
// sweep, no per-operation allocation).

/** Exchange states. */
export const PENDING = 0;
/** A reply was recorded and its bytes are kept for replay. */
export const REPLAYABLE = 1;
/** Replied (or a NON), but no bytes are kept: duplicates are dropped. */
export const NOT_REPLAYABLE = 2;

/** The replay result of one exchange. */
export interface Replay {
  readonly status: "replay";
  readonly reply: Uint8Array;
}

/** The exchanges remembered for one peer, by message ID. */
export class Peer {
  key: string;
  readonly exchanges: Map<number, Exchange> = new Map();
  /** Links spare peers kept for reuse. */
  nextSpare: Peer | null = null;

  constructor(key: string) {
    this.key = key;
  }
}

/**
 * One remembered (peer, message ID). The token is packed into three small
 * integers (bytes 0-2, bytes 3-5, length and bytes 6-7), all within V8's small
 * integer range, so remembering it allocates nothing and keeps no reference to
 * the received datagram.
 */
export class Exchange {
  peer: Peer;
  messageId: number;
  token0: number;
  token1: number;
  token2: number;
  confirmable: boolean;
  /** When it was first seen (the filter's clock). */
  seenAt: number;
  /** Arrival order across both queues; breaks ties between equal `seenAt`. */
  seq: number;
  state: number = PENDING;
  /** The reply bytes kept for replay (state REPLAYABLE). */
  /** The reply as given, when it was kept as is. */
  reply: Uint8Array | undefined = undefined;
  /** Or a copy in the filter's reply memory: no typed array per reply. */
  replyChunk: ArrayBuffer | undefined = undefined;
  replyOffset = 0;
  /** The reply's length; -1 while there is none. */
  replyLength = -1;
  /** The result for `reply`, made on the first duplicate (most get none). */
  replay: Replay | undefined = undefined;
  prev: Exchange | null = null;
  next: Exchange | null = null;
  replyPrev: Exchange | null = null;
  replyNext: Exchange | null = null;

  constructor(
    peer: Peer,
    messageId: number,
    token0: number,
    token1: number,
    token2: number,
    confirmable: boolean,
    seenAt: number,
    seq: number,
  ) {
    this.peer = peer;
    this.messageId = messageId;
    this.token0 = token0;
    this.token1 = token1;
    this.token2 = token2;
    this.confirmable = confirmable;
    this.seenAt = seenAt;
    this.seq = seq;
  }
}

/** Exchanges of one lifetime in arrival order (linked through prev/next). */
export class ExchangeQueue {
  readonly lifetime: number;
  head: Exchange | null = null;
  tail: Exchange | null = null;

  constructor(lifetime: number) {
    this.lifetime = lifetime;
  }

  push(exchange: Exchange): void {
    exchange.prev = this.tail;
    exchange.next = null;
    if (this.tail === null) this.head = exchange;
    else this.tail.next = exchange;
    this.tail = exchange;
  }

  unlink(exchange: Exchange): void {
    const { prev, next } = exchange;
    if (prev === null) this.head = next;
    else prev.next = next;
    if (next === null) this.tail = prev;
    else next.prev = prev;
    exchange.prev = null;
    exchange.next = null;
  }

  clear(): void {
    this.head = null;
    this.tail = null;
  }
}

/**
 * Exchanges that hold reply bytes, in the order their replies were recorded
 * (linked through replyPrev/replyNext), with the total bytes held.
 */
export class ReplyQueue {
  head: Exchange | null = null;
  tail: Exchange | null = null;
  bytes = 0;

  push(exchange: Exchange, byteLength: number): void {
    exchange.replyPrev = this.tail;
    exchange.replyNext = null;
    if (this.tail === null) this.head = exchange;
    else this.tail.replyNext = exchange;
    this.tail = exchange;
    this.bytes += byteLength;
  }

  /** Unlinks `exchange` (which must hold a reply) and drops its bytes. */
  drop(exchange: Exchange): void {
    const { replyPrev: prev, replyNext: next } = exchange;
    if (prev === null) this.head = next;
    else prev.replyNext = next;
    if (next === null) this.tail = prev;
    else next.replyPrev = prev;
    exchange.replyPrev = null;
    exchange.replyNext = null;
    this.bytes -= exchange.replyLength;
    exchange.reply = undefined;
    exchange.replyChunk = undefined;
    exchange.replyLength = -1;
    exchange.replay = undefined;
  }

  clear(): void {
    this.head = null;
    this.tail = null;
    this.bytes = 0;
  }
}
