// Copyright 2026 the microcoap authors. MIT license.
// Amplification mitigation (RFC 7252 §11.3, RFC 9175 §2.4): which peers have
// shown that they receive what is sent to their address, and the Echo values
// (RFC 9175 §2.2) that prove it.
import type { CoapOption } from "@microcoap/codec";
import type { Clock } from "@microcoap/transport";

/** The length of the Echo values this server makes (the option allows 1 to 40). */
export const ECHO_LENGTH = 8;

/**
 * The encoded size of a message (RFC 7252 §3) with a token of this length,
 * these options (in any order) and a payload of this length, without
 * encoding it.
 */
export function messageSize(
  tokenLength: number,
  options: readonly CoapOption[],
  payloadLength: number,
): number {
  let size = 4 + tokenLength + (payloadLength > 0 ? 1 + payloadLength : 0);
  let sorted = true;
  for (let i = 1; i < options.length; i++) {
    if (options[i]!.number < options[i - 1]!.number) {
      sorted = false;
      break;
    }
  }
  const list = sorted
    ? options
    : [...options].sort((a, b) => a.number - b.number);
  let previous = 0;
  for (const option of list) {
    const delta = option.number - previous;
    const length = option.value.length;
    size += 1 + extension(delta) + extension(length) + length;
    previous = option.number;
  }
  return size;
}

function extension(value: number): number {
  return value < 13 ? 0 : value < 269 ? 1 : 2;
}

/**
 * A map of at most `max` entries that expire `lifetime` ms after they were
 * set. With one lifetime for all, insertion order is expiry order, so both
 * sweeping and eviction (of the entry closest to expiring) look at the head.
 * Swept on use: no timers.
 */
class BoundedExpiringMap<V> {
  #entries = new Map<string, { value: V; expires: number }>();
  #clock: Clock;
  #lifetime: number;
  #max: number;

  constructor(clock: Clock, lifetime: number, max: number) {
    this.#clock = clock;
    this.#lifetime = lifetime;
    this.#max = max;
  }

  get size(): number {
    this.#sweep();
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires > this.#clock.now()) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#sweep();
    while (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, {
      value,
      expires: this.#clock.now() + this.#lifetime,
    });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  #sweep(): void {
    const now = this.#clock.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expires > now) break;
      this.#entries.delete(key);
    }
  }
}

/** Settings of a {@linkcode PeerVerifier}. */
export interface PeerVerifierOptions {
  readonly clock: Clock;
  /** Random bytes for Echo values (unpredictable: they are the proof). */
  readonly randomBytes: (length: number) => Uint8Array;
  /** The most verified peers remembered, and the most outstanding Echo values. */
  readonly maxPeers: number;
  /** How long an Echo value stays fresh, in ms. */
  readonly echoLifetime: number;
  /** How long a verified peer stays verified, in ms. */
  readonly verifiedLifetime: number;
}

/**
 * Tracks address verification per host: a peer is verified once it sends
 * back the Echo value that was sent to its address (it must have received
 * it), and stays verified for `verifiedLifetime`. Keyed by host address,
 * not port: what amplification harms is the host, and a client that binds a
 * new port for each request (as command-line tools do) need not prove the
 * same address again.
 */
export class PeerVerifier {
  #verified: BoundedExpiringMap<true>;
  #issued: BoundedExpiringMap<Uint8Array>;
  #randomBytes: (length: number) => Uint8Array;

  constructor(options: PeerVerifierOptions) {
    const { clock, maxPeers } = options;
    this.#verified = new BoundedExpiringMap(
      clock,
      options.verifiedLifetime,
      maxPeers,
    );
    this.#issued = new BoundedExpiringMap(
      clock,
      options.echoLifetime,
      maxPeers,
    );
    this.#randomBytes = options.randomBytes;
  }

  /** The number of verified hosts remembered. */
  get verifiedCount(): number {
    return this.#verified.size;
  }

  /** The number of outstanding (unexpired, unused) Echo values. */
  get pendingCount(): number {
    return this.#issued.size;
  }

  /**
   * Whether the host is verified, after taking a request's Echo value into
   * account: `"verified"` already, `"proved"` by this request's Echo value
   * (the fresh value issued to this host, used up now), else
   * `"unverified"` (another value or none changes nothing).
   */
  admit(
    host: string,
    echo: Uint8Array | undefined,
  ): "verified" | "proved" | "unverified" {
    // Activity alone never extends verification: a spoofer could keep it alive.
    if (this.#verified.get(host) !== undefined) return "verified";
    if (echo === undefined) return "unverified";
    const issued = this.#issued.get(host);
    if (issued === undefined || !sameBytes(issued, echo)) return "unverified";
    this.#issued.delete(host);
    this.#verified.set(host, true);
    return "proved";
  }

  /**
   * The Echo value to challenge the host with: its outstanding one while
   * fresh (so that requests in flight at once can all be repeated with it),
   * else a new one.
   */
  challenge(host: string): Uint8Array {
    const issued = this.#issued.get(host);
    if (issued !== undefined) return issued;
    const value = new Uint8Array(ECHO_LENGTH);
    value.set(this.#randomBytes(ECHO_LENGTH).subarray(0, ECHO_LENGTH));
    this.#issued.set(host, value);
    return value;
  }

  /** Forgets every peer and Echo value. */
  clear(): void {
    this.#verified.clear();
    this.#issued.clear();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
