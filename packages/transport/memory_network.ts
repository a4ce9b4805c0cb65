// Copyright 2026 the microcoap authors. MIT license.
/**
 * An in-memory network of datagram endpoints for deterministic tests: loss,
 * duplication, reordering and delay per link from a seeded generator,
 * delivery through an injectable {@linkcode Clock}.
 *
 * @module
 */
import type { Clock, TimerHandle } from "./clock.ts";
import {
  checkDestination,
  formatAddress,
  isMulticastAddress,
} from "./_address.ts";
import { canonicalHostname } from "./canonical_hostname.ts";
import { mulberry32 } from "./_mulberry32.ts";
import { ReceiverSlot } from "./_receiver_slot.ts";
import { checkTimerClock, refClock } from "./_ref_clock.ts";
import { badDestination } from "./_to_transport_error.ts";
import { TransportError } from "./transport_error.ts";
import type {
  DatagramInfo,
  PeerAddress,
  Transport,
  TransportReceiver,
} from "./types.ts";

/**
 * A delay drawn uniformly from `min` to `max` milliseconds.
 *
 * @example Usage
 * ```ts
 * import { FakeClock, MemoryNetwork, type DelayRange } from "@microcoap/transport";
 * import { assert } from "@std/assert";
 *
 * const clock = new FakeClock();
 * const delay: DelayRange = { min: 5, max: 15 };
 * using network = new MemoryNetwork({ clock, defaults: { delay } });
 * const a = network.bind();
 * const b = network.bind();
 * const arrivals: number[] = [];
 * b.listen({ onDatagram: () => arrivals.push(clock.now()) });
 * for (let i = 0; i < 10; i++) a.send(new Uint8Array([i]), b.localAddress);
 * await clock.tick(15);
 * assert(arrivals.length === 10 && arrivals.every((at) => at >= 5 && at <= 15));
 * ```
 */
export interface DelayRange {
  /** The shortest delay in milliseconds. */
  readonly min: number;
  /** The longest delay in milliseconds (at least `min`). */
  readonly max: number;
}

/**
 * How a link reorders datagrams.
 *
 * @example Usage
 * ```ts
 * import { FakeClock, MemoryNetwork, type ReorderConditions } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * const a = network.bind();
 * const b = network.bind();
 * const received: number[] = [];
 * b.listen({ onDatagram: (data) => received.push(data[0]!) });
 * // Hold back the first datagram by 10 ms, then send the second on a perfect link.
 * const reorder: ReorderConditions = { probability: 1, delay: 10 };
 * network.setLink(a.localAddress, b.localAddress, { reorder });
 * a.send(new Uint8Array([1]), b.localAddress);
 * network.setLink(a.localAddress, b.localAddress, undefined);
 * a.send(new Uint8Array([2]), b.localAddress);
 * await clock.tick(10);
 * assertEquals(received, [2, 1]);
 * assertEquals(network.stats.reordered, 1);
 * ```
 */
export interface ReorderConditions {
  /** The probability, from 0 to 1, that a datagram is held back. */
  readonly probability: number;
  /**
   * How many milliseconds a held-back datagram is delayed on top of the
   * link delay, so that datagrams sent after it overtake it.
   */
  readonly delay: number;
}

/**
 * What a link does to the datagrams sent over it. Each datagram is decided
 * on when it is sent: lost (probability `loss`), otherwise delivered once or,
 * with probability `duplicate`, twice; each copy gets its own delay from
 * `delay`, plus the `reorder` delay with its probability.
 *
 * @example Usage
 * ```ts
 * import { FakeClock, MemoryNetwork, type LinkConditions } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * const a = network.bind();
 * const b = network.bind();
 * const arrivals: number[] = [];
 * b.listen({ onDatagram: () => arrivals.push(clock.now()) });
 * const conditions: LinkConditions = { duplicate: 1, delay: 20 };
 * network.setLink(a.localAddress, b.localAddress, conditions);
 * a.send(new Uint8Array([1]), b.localAddress);
 * await clock.tick(20);
 * assertEquals(arrivals, [20, 20]);
 * assertEquals(network.stats.duplicated, 1);
 * ```
 */
export interface LinkConditions {
  /**
   * The probability, from 0 to 1, that a datagram is lost.
   *
   * @default {0}
   */
  readonly loss?: number;
  /**
   * The probability, from 0 to 1, that a datagram arrives twice.
   *
   * @default {0}
   */
  readonly duplicate?: number;
  /**
   * Holding some datagrams back so later ones overtake them.
   *
   * @default {undefined} none
   */
  readonly reorder?: ReorderConditions;
  /**
   * The delivery delay in milliseconds: a fixed number or a range.
   *
   * @default {0}
   */
  readonly delay?: number | DelayRange;
}

/**
 * Options for {@linkcode MemoryNetwork}.
 *
 * @example Usage
 * ```ts
 * import { FakeClock, MemoryNetwork, type MemoryNetworkOptions } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const options: MemoryNetworkOptions = {
 *   clock: new FakeClock(),
 *   seed: 3,
 *   defaults: { loss: 1 },
 * };
 * using network = new MemoryNetwork(options);
 * assertEquals(network.clock, options.clock);
 * const a = network.bind();
 * const b = network.bind();
 * a.send(new Uint8Array([1]), b.localAddress);
 * assertEquals(network.stats.dropped, 1);
 * ```
 */
export interface MemoryNetworkOptions {
  /**
   * The clock deliveries are scheduled on. With a {@linkcode FakeClock},
   * nothing arrives until the test moves it (`await clock.tick(0)` delivers
   * datagrams without delay).
   *
   * @default {undefined} the real clock, with timers that keep the process
   * alive while datagrams are in flight
   */
  clock?: Clock;
  /**
   * The seed of the generator that decides loss, duplication, reordering and
   * delays. The same seed and the same sends give the same outcome.
   *
   * @default {1}
   */
  seed?: number;
  /**
   * Whether a datagram that arrives where no endpoint is bound is reported
   * to its sender's `onError` as a {@linkcode TransportError} coded
   * `"ECONNREFUSED"` (like ICMP port unreachable), rather than dropped
   * silently.
   *
   * @default {false}
   */
  reportUnreachable?: boolean;
  /**
   * The conditions of every link without its own.
   *
   * @default {{}} a perfect link
   */
  defaults?: LinkConditions;
}

/**
 * Options for {@linkcode MemoryNetwork.bind}.
 *
 * @example Usage
 * ```ts
 * import { MemoryNetwork, type MemoryBindOptions } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * using network = new MemoryNetwork();
 * const options: MemoryBindOptions = { hostname: "10.0.0.1", port: 5683 };
 * assertEquals(network.bind(options).localAddress, { hostname: "10.0.0.1", port: 5683 });
 * // Without a port, the next free one from 49152 up.
 * assertEquals(network.bind().localAddress, { hostname: "127.0.0.1", port: 49152 });
 * ```
 */
export interface MemoryBindOptions {
  /**
   * The endpoint's host name; any non-empty string (nothing is resolved).
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The port; 0 takes the next free one from 49152 up.
   *
   * @default {0}
   */
  port?: number;
  /**
   * Multicast groups the endpoint joins: a datagram sent to one of these
   * addresses and the endpoint's port reaches it (and every other member on
   * that port, each over its own link) with the group in the receiver's
   * `info`. Any non-empty string works as a group name here; an address
   * such as `"224.0.1.187"` or `"ff02::fd"` is a group even without members.
   *
   * @default {[]}
   */
  groups?: readonly string[];
}

/**
 * Options for {@linkcode MemoryNetwork.inject}.
 *
 * @example Usage
 * ```ts
 * import { FakeClock, MemoryNetwork, type InjectOptions } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * const server = network.bind({ port: 5683 });
 * const arrivals: number[] = [];
 * server.listen({ onDatagram: () => arrivals.push(clock.now()) });
 * const options: InjectOptions = {
 *   from: { hostname: "192.0.2.66", port: 1234 },
 *   to: server.localAddress,
 *   delay: 50,
 * };
 * network.inject(new Uint8Array([0x50, 0, 0, 1]), options);
 * await clock.tick(50);
 * assertEquals(arrivals, [50]);
 * ```
 */
export interface InjectOptions {
  /** The sender to claim; it need not be bound. */
  from: PeerAddress;
  /** The endpoint to deliver to. */
  to: PeerAddress;
  /**
   * Milliseconds until delivery.
   *
   * @default {0}
   */
  delay?: number;
}

/**
 * Counts of what happened to datagrams, in total or on one link.
 *
 * @example Usage
 * ```ts
 * import { FakeClock, MemoryNetwork, type MemoryNetworkStats } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * const a = network.bind();
 * const b = network.bind();
 * a.send(new Uint8Array([1]), b.localAddress);
 * a.send(new Uint8Array([2]), { hostname: "127.0.0.1", port: 9 });
 * await clock.tick(0);
 * const stats: MemoryNetworkStats = network.stats;
 * assertEquals([stats.sent, stats.delivered, stats.undeliverable], [2, 1, 1]);
 * ```
 */
export interface MemoryNetworkStats {
  /** Datagrams sent by endpoints (bad destinations and oversize ones not counted). */
  sent: number;
  /** Datagrams put on the network by {@linkcode MemoryNetwork.inject}. */
  injected: number;
  /** Copies handed to a receiving endpoint (duplicates count twice). */
  delivered: number;
  /** Datagrams lost: by `loss`, a partition or `dropAll`. */
  dropped: number;
  /** Datagrams that were sent twice. */
  duplicated: number;
  /** Copies held back by `reorder`. */
  reordered: number;
  /** Copies that arrived where no endpoint was bound. */
  undeliverable: number;
}

interface Resolved {
  loss: number;
  duplicate: number;
  min: number;
  max: number;
  reorderProbability: number;
  reorderDelay: number;
}

interface Flight {
  handle: TimerHandle;
}

const PERFECT: Resolved = {
  loss: 0,
  duplicate: 0,
  min: 0,
  max: 0,
  reorderProbability: 0,
  reorderDelay: 0,
};
const FIRST_EPHEMERAL = 49152;
const MAX_DATAGRAM = 65507;

// Spelling-independent, as the kernel compares binary addresses.
function key(address: PeerAddress): string {
  return `${canonicalHostname(address.hostname)} ${address.port}`;
}

function zeroStats(): MemoryNetworkStats {
  return {
    sent: 0,
    injected: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
    undeliverable: 0,
  };
}

class MemoryTransport implements Transport {
  readonly localAddress: PeerAddress;
  groups: ReadonlySet<string> = new Set();
  readonly slot: ReceiverSlot = new ReceiverSlot();
  #transmit: (
    sender: MemoryTransport,
    data: Uint8Array,
    to: PeerAddress,
  ) => void;
  #release: (transport: MemoryTransport) => void;

  constructor(
    localAddress: PeerAddress,
    transmit: (
      sender: MemoryTransport,
      data: Uint8Array,
      to: PeerAddress,
    ) => void,
    release: (transport: MemoryTransport) => void,
  ) {
    this.localAddress = localAddress;
    this.#transmit = transmit;
    this.#release = release;
  }

  listen(receiver: TransportReceiver): void {
    this.slot.listen(receiver);
  }

  send(data: Uint8Array, to: PeerAddress): void {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError("Cannot send datagram: data must be a Uint8Array");
    }
    if (this.slot.closed) return;
    this.#transmit(this, data, to);
  }

  close(): Promise<void> {
    if (!this.slot.closed) {
      this.slot.close();
      this.#release(this);
    }
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * An in-memory network of datagram endpoints. {@linkcode MemoryNetwork.bind}
 * gives {@linkcode Transport}s that behave like UDP sockets: datagrams are
 * copied when sent (the sender may reuse its buffer, every receiver gets its
 * own copy), delivered through the clock (never synchronously, even without
 * delay; ties arrive in the order sent), and may be lost, duplicated,
 * reordered or delayed per link. Loss, partitions and `dropAll` are decided
 * at send time: datagrams already in flight still arrive. Datagrams that
 * reach an address with no endpoint are dropped (or reported, see
 * {@linkcode MemoryNetworkOptions.reportUnreachable}). Like UDP, an endpoint
 * keeps up to 32 datagrams that arrive before its first `listen()`, a send
 * over 65,507 bytes fails with `"EMSGSIZE"`, and a bad destination fails
 * with `"EINVAL"`, both reported to the sender's `onError`.
 *
 * @example Usage
 * ```ts
 * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock, seed: 7 });
 * const client = network.bind();
 * const server = network.bind({ hostname: "10.0.0.2", port: 5683 });
 * network.setLink(client.localAddress, server.localAddress, {
 *   delay: { min: 10, max: 20 },
 * });
 * const arrived: number[] = [];
 * server.listen({ onDatagram: () => arrived.push(clock.now()) });
 * client.send(new Uint8Array([1]), { hostname: "10.0.0.2", port: 5683 });
 * await clock.tick(9);
 * assertEquals(arrived, []);
 * await clock.tick(11);
 * assertEquals(arrived.length, 1);
 * assertEquals(network.stats.delivered, 1);
 * ```
 *
 * @example Loss is decided by the seed
 * ```ts
 * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * async function lost(seed: number): Promise<number> {
 *   const clock = new FakeClock();
 *   using network = new MemoryNetwork({ clock, seed, defaults: { loss: 0.5 } });
 *   const a = network.bind();
 *   const b = network.bind();
 *   for (let i = 0; i < 100; i++) a.send(new Uint8Array([i]), b.localAddress);
 *   await clock.tick(0);
 *   return network.stats.dropped;
 * }
 * assertEquals(await lost(42), await lost(42));
 * ```
 */
export class MemoryNetwork implements Disposable {
  #clock: Clock;
  #random: () => number;
  #reportUnreachable: boolean;
  #default: Resolved;
  #links = new Map<string, Resolved>();
  #partitions = new Set<string>();
  #dropAll = false;
  #endpoints = new Map<string, MemoryTransport>();
  #groups = new Set<string>();
  #flights = new Set<Flight>();
  #stats = zeroStats();
  #linkStats = new Map<string, MemoryNetworkStats>();
  #nextPort = FIRST_EPHEMERAL;

  /**
   * Constructs a new instance.
   *
   * @param options The clock, seed, default link conditions and whether
   * unreachable destinations are reported.
   * @throws {TypeError} When an option has the wrong type.
   * @throws {RangeError} When `seed` is not finite or a condition is out of
   * range.
   */
  constructor(options: MemoryNetworkOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(
        "Cannot create memory network: options must be an object",
      );
    }
    const { clock = refClock, seed = 1, reportUnreachable = false } = options;
    checkTimerClock(clock, "create memory network");
    if (typeof seed !== "number" || !Number.isFinite(seed)) {
      throw new RangeError(
        `Cannot create memory network: seed is ${seed}, expected a finite number`,
      );
    }
    if (typeof reportUnreachable !== "boolean") {
      throw new TypeError(
        "Cannot create memory network: reportUnreachable must be a boolean",
      );
    }
    this.#clock = clock;
    this.#random = mulberry32(seed);
    this.#reportUnreachable = reportUnreachable;
    this.#default = options.defaults === undefined
      ? PERFECT
      : resolve(options.defaults);
  }

  /**
   * The clock deliveries run on.
   *
   * @returns The clock.
   */
  get clock(): Clock {
    return this.#clock;
  }

  /**
   * Creates an endpoint.
   *
   * @param options The address to take.
   * @returns A transport bound to that address; `close()` frees it.
   * @throws {TypeError} When `hostname` is not a non-empty string.
   * @throws {RangeError} When `port` is not an integer from 0 to 65535.
   * @throws {TransportError} When the address is taken (code
   * `"EADDRINUSE"`), or no ephemeral port is free.
   *
   * @example Usage
   * ```ts
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { assertEquals } from "@std/assert";
   *
   * using network = new MemoryNetwork();
   * assertEquals(network.bind().localAddress, { hostname: "127.0.0.1", port: 49152 });
   * assertEquals(network.bind({ hostname: "server", port: 5683 }).localAddress.port, 5683);
   * ```
   */
  bind(options: MemoryBindOptions = {}): Transport {
    const { hostname = "127.0.0.1", port = 0, groups = [] } = options ?? {};
    if (
      !Array.isArray(groups) ||
      !groups.every((group) => typeof group === "string" && group !== "")
    ) {
      throw new TypeError(
        "Cannot bind memory endpoint: groups must be an array of non-empty strings",
      );
    }
    if (typeof hostname !== "string" || hostname === "") {
      throw new TypeError(
        "Cannot bind memory endpoint: hostname must be a non-empty string",
      );
    }
    if (
      typeof port !== "number" || !(port >= 0 && port <= 65535) ||
      Math.floor(port) !== port
    ) {
      throw new RangeError(
        `Cannot bind memory endpoint: port is ${port}, expected an integer from 0 to 65535`,
      );
    }
    const chosen = port === 0 ? this.#ephemeralPort(hostname) : port;
    const address = Object.freeze({
      hostname: canonicalHostname(hostname),
      port: chosen,
    });
    if (this.#endpoints.has(key(address))) {
      throw new TransportError(
        `Cannot bind memory endpoint to ${
          formatAddress(address)
        }: address already in use (EADDRINUSE)`,
        { code: "EADDRINUSE" },
      );
    }
    const transport = new MemoryTransport(
      address,
      (sender, data, to) => this.#transmit(sender, data, to),
      (closed) => {
        const at = key(closed.localAddress);
        if (this.#endpoints.get(at) === closed) this.#endpoints.delete(at);
      },
    );
    transport.groups = new Set(groups);
    for (const group of groups) this.#groups.add(group);
    this.#endpoints.set(key(address), transport);
    return transport;
  }

  /**
   * Sets the conditions of every link without its own.
   *
   * @param conditions The new default conditions.
   * @throws {TypeError} When a field has the wrong type.
   * @throws {RangeError} When a probability is outside 0 to 1 or a delay is
   * negative, not finite, or `min` exceeds `max`.
   */
  setDefault(conditions: LinkConditions): void {
    this.#default = resolve(conditions);
  }

  /**
   * Sets (or with `undefined`, clears) the conditions of one direction of a
   * link. They replace the defaults entirely: fields left out are 0.
   *
   * @param from The sending endpoint's address.
   * @param to The receiving endpoint's address.
   * @param conditions The conditions, or `undefined` to use the defaults.
   * @throws {TypeError} When a field has the wrong type.
   * @throws {RangeError} When a value is out of range.
   *
   * @example Usage
   * ```ts
   * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
   * import { assertEquals } from "@std/assert";
   *
   * const clock = new FakeClock();
   * using network = new MemoryNetwork({ clock });
   * const a = network.bind();
   * const b = network.bind();
   * network.setLink(a.localAddress, b.localAddress, { loss: 1 });
   * a.send(new Uint8Array([1]), b.localAddress);
   * b.send(new Uint8Array([2]), a.localAddress);
   * await clock.tick(0);
   * assertEquals(network.linkStats(a.localAddress, b.localAddress).dropped, 1);
   * assertEquals(network.linkStats(b.localAddress, a.localAddress).delivered, 1);
   * ```
   */
  setLink(
    from: PeerAddress,
    to: PeerAddress,
    conditions: LinkConditions | undefined,
  ): void {
    const link = linkKey(from, to);
    if (conditions === undefined) this.#links.delete(link);
    else this.#links.set(link, resolve(conditions));
  }

  /**
   * Cuts both directions between two endpoints until
   * {@linkcode MemoryNetwork.heal}: datagrams sent between them are dropped.
   *
   * @param a One endpoint's address.
   * @param b The other's.
   */
  partition(a: PeerAddress, b: PeerAddress): void {
    this.#partitions.add(pairKey(a, b));
  }

  /**
   * Ends a partition between two endpoints, or with no arguments every
   * partition.
   *
   * @param a One endpoint's address.
   * @param b The other's.
   */
  heal(a?: PeerAddress, b?: PeerAddress): void {
    if (a === undefined || b === undefined) this.#partitions.clear();
    else this.#partitions.delete(pairKey(a, b));
  }

  /**
   * Whether every datagram sent is dropped (the whole network is down).
   *
   * @returns The switch.
   */
  get dropAll(): boolean {
    return this.#dropAll;
  }

  /**
   * Turns dropping every datagram sent on or off.
   *
   * @param value Whether to drop everything.
   */
  set dropAll(value: boolean) {
    this.#dropAll = Boolean(value);
  }

  /**
   * Puts a datagram on the network as if `from` had sent it (spoofing):
   * no link conditions, partitions or `dropAll` apply. The data is copied.
   *
   * @param data The datagram.
   * @param options The claimed sender, the destination and a delay.
   * @throws {TypeError} When `data` is not a Uint8Array or an address is
   * malformed.
   * @throws {RangeError} When `delay` is negative or not finite.
   *
   * @example Usage
   * ```ts
   * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
   * import type { PeerAddress } from "@microcoap/transport";
   * import { assertEquals } from "@std/assert";
   *
   * const clock = new FakeClock();
   * using network = new MemoryNetwork({ clock });
   * const server = network.bind({ port: 5683 });
   * const senders: PeerAddress[] = [];
   * server.listen({ onDatagram: (_data, from) => senders.push(from) });
   * network.inject(new Uint8Array([0x40, 0, 0, 1]), {
   *   from: { hostname: "192.0.2.66", port: 1234 },
   *   to: server.localAddress,
   * });
   * await clock.tick(0);
   * assertEquals(senders, [{ hostname: "192.0.2.66", port: 1234 }]);
   * ```
   */
  inject(data: Uint8Array, options: InjectOptions): void {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError("Cannot inject datagram: data must be a Uint8Array");
    }
    const { from, to, delay = 0 } = options ?? {};
    for (const [name, address] of [["from", from], ["to", to]] as const) {
      const problem = checkDestination(address);
      if (problem !== undefined) {
        throw new TypeError(`Cannot inject datagram: ${name} ${problem}`);
      }
    }
    if (typeof delay !== "number" || !(delay >= 0 && delay < Infinity)) {
      throw new RangeError(
        `Cannot inject datagram: delay is ${delay}, expected a finite number of at least 0`,
      );
    }
    const source = copyAddress(from);
    const destination = copyAddress(to);
    const link = this.#countersOf(source, destination);
    this.#stats.injected++;
    link.injected++;
    this.#schedule(data.slice(), source, destination, delay, link);
  }

  /**
   * Totals over every link.
   *
   * @returns A snapshot of the counters.
   */
  get stats(): MemoryNetworkStats {
    return { ...this.#stats };
  }

  /**
   * The counters of one direction of a link.
   *
   * @param from The sender's address.
   * @param to The receiver's address.
   * @returns A snapshot of the counters (all 0 for an unused link).
   */
  linkStats(from: PeerAddress, to: PeerAddress): MemoryNetworkStats {
    const stats = this.#linkStats.get(linkKey(from, to));
    return stats === undefined ? zeroStats() : { ...stats };
  }

  /**
   * How many datagram copies are scheduled but not yet arrived.
   *
   * @returns The count.
   */
  get inFlight(): number {
    return this.#flights.size;
  }

  /**
   * Cancels every datagram in flight and closes every endpoint. The network
   * can be used again afterwards; the counters are kept.
   */
  close(): void {
    for (const flight of this.#flights) this.#clock.clearTimeout(flight.handle);
    this.#flights.clear();
    for (const endpoint of [...this.#endpoints.values()]) endpoint.close();
  }

  /** Calls {@linkcode MemoryNetwork.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #ephemeralPort(hostname: string): number {
    const span = 65536 - FIRST_EPHEMERAL;
    for (let tries = 0; tries < span; tries++) {
      const port = this.#nextPort;
      this.#nextPort = port === 65535 ? FIRST_EPHEMERAL : port + 1;
      if (!this.#endpoints.has(key({ hostname, port }))) return port;
    }
    throw new TransportError(
      `Cannot bind memory endpoint on ${hostname}: no ephemeral port is free (EADDRINUSE)`,
      { code: "EADDRINUSE" },
    );
  }

  #countersOf(from: PeerAddress, to: PeerAddress): MemoryNetworkStats {
    const link = linkKey(from, to);
    let stats = this.#linkStats.get(link);
    if (stats === undefined) {
      stats = zeroStats();
      this.#linkStats.set(link, stats);
    }
    return stats;
  }

  #transmit(sender: MemoryTransport, data: Uint8Array, to: PeerAddress): void {
    const problem = checkDestination(to);
    if (problem !== undefined) {
      sender.slot.error(badDestination(to, problem));
      return;
    }
    if (data.length > MAX_DATAGRAM) {
      sender.slot.error(
        new TransportError(
          `Cannot send datagram to ${
            formatAddress(to)
          }: ${data.length} bytes, at most ${MAX_DATAGRAM} allowed (EMSGSIZE)`,
          { code: "EMSGSIZE", peer: to },
        ),
      );
      return;
    }
    const from = sender.localAddress;
    this.#stats.sent++;
    if (this.#groups.has(to.hostname) || isMulticastAddress(to.hostname)) {
      // Multicast: a copy over each member's own link, never back to the sender.
      const info = { group: to.hostname };
      let members = 0;
      for (const member of [...this.#endpoints.values()]) {
        if (
          member !== sender && member.localAddress.port === to.port &&
          member.groups.has(to.hostname)
        ) {
          members++;
          this.#route(data, from, member.localAddress, info);
        }
      }
      if (members === 0) {
        this.#stats.undeliverable++;
        this.#countersOf(from, to).undeliverable++;
      }
      return;
    }
    this.#route(data, from, copyAddress(to), undefined);
  }

  #route(
    data: Uint8Array,
    from: PeerAddress,
    destination: PeerAddress,
    info: DatagramInfo | undefined,
  ): void {
    const link = this.#countersOf(from, destination);
    const stats = this.#stats;
    link.sent++;
    if (this.#dropAll || this.#partitions.has(pairKey(from, destination))) {
      stats.dropped++;
      link.dropped++;
      return;
    }
    const conditions = this.#links.get(linkKey(from, destination)) ??
      this.#default;
    const random = this.#random;
    if (conditions.loss > 0 && random() < conditions.loss) {
      stats.dropped++;
      link.dropped++;
      return;
    }
    let copies = 1;
    if (conditions.duplicate > 0 && random() < conditions.duplicate) {
      copies = 2;
      stats.duplicated++;
      link.duplicated++;
    }
    for (let i = 0; i < copies; i++) {
      const { min, max } = conditions;
      let delay = max > min ? min + random() * (max - min) : min;
      if (
        conditions.reorderProbability > 0 &&
        random() < conditions.reorderProbability
      ) {
        delay += conditions.reorderDelay;
        stats.reordered++;
        link.reordered++;
      }
      this.#schedule(data.slice(), from, destination, delay, link, info);
    }
  }

  #schedule(
    data: Uint8Array,
    from: PeerAddress,
    to: PeerAddress,
    delay: number,
    link: MemoryNetworkStats,
    info?: DatagramInfo,
  ): void {
    const flight: Flight = { handle: undefined };
    this.#flights.add(flight);
    flight.handle = this.#clock.setTimeout(() => {
      if (!this.#flights.delete(flight)) return; // Cancelled by close().
      this.#arrive(data, from, to, link, info);
    }, delay);
  }

  #arrive(
    data: Uint8Array,
    from: PeerAddress,
    to: PeerAddress,
    link: MemoryNetworkStats,
    info: DatagramInfo | undefined,
  ): void {
    const endpoint = this.#endpoints.get(key(to));
    if (
      endpoint === undefined ||
      (info?.group !== undefined && !endpoint.groups.has(info.group))
    ) {
      this.#stats.undeliverable++;
      link.undeliverable++;
      if (this.#reportUnreachable && info === undefined) {
        this.#endpoints.get(key(from))?.slot.error(
          new TransportError(
            `Cannot send datagram to ${
              formatAddress(to)
            }: connection refused (port unreachable) (ECONNREFUSED)`,
            { code: "ECONNREFUSED", peer: to },
          ),
        );
      }
      return;
    }
    this.#stats.delivered++;
    link.delivered++;
    endpoint.slot.deliver(
      data,
      { hostname: from.hostname, port: from.port },
      info,
    );
  }
}

function copyAddress(address: PeerAddress): PeerAddress {
  return { hostname: address.hostname, port: address.port };
}

function linkKey(from: PeerAddress, to: PeerAddress): string {
  return `${key(from)}\n${key(to)}`;
}

function pairKey(a: PeerAddress, b: PeerAddress): string {
  const [first, second] = [key(a), key(b)].sort();
  return `${first}\n${second}`;
}

function probability(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot set link conditions: ${name} must be a number`,
    );
  }
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(
      `Cannot set link conditions: ${name} is ${value}, expected a probability from 0 to 1`,
    );
  }
  return value;
}

function milliseconds(value: unknown, name: string): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot set link conditions: ${name} must be a number`,
    );
  }
  if (!(value >= 0 && value < Infinity)) {
    throw new RangeError(
      `Cannot set link conditions: ${name} is ${value}, expected a finite number of at least 0`,
    );
  }
  return value;
}

function resolve(conditions: LinkConditions): Resolved {
  if (conditions === null || typeof conditions !== "object") {
    throw new TypeError(
      "Cannot set link conditions: conditions must be an object",
    );
  }
  const loss = probability(conditions.loss, "loss");
  const duplicate = probability(conditions.duplicate, "duplicate");
  let min = 0;
  let max = 0;
  const delay = conditions.delay;
  if (typeof delay === "number") {
    min = max = milliseconds(delay, "delay");
  } else if (delay !== undefined) {
    if (delay === null || typeof delay !== "object") {
      throw new TypeError(
        "Cannot set link conditions: delay must be a number or { min, max }",
      );
    }
    min = milliseconds(delay.min, "delay.min");
    max = milliseconds(delay.max, "delay.max");
    if (min > max) {
      throw new RangeError(
        `Cannot set link conditions: delay.min is ${min}, more than delay.max ${max}`,
      );
    }
  }
  let reorderProbability = 0;
  let reorderDelay = 0;
  const reorder = conditions.reorder;
  if (reorder !== undefined) {
    if (reorder === null || typeof reorder !== "object") {
      throw new TypeError(
        "Cannot set link conditions: reorder must be { probability, delay }",
      );
    }
    reorderProbability = probability(
      reorder.probability,
      "reorder.probability",
    );
    reorderDelay = milliseconds(reorder.delay, "reorder.delay");
  }
  return { loss, duplicate, min, max, reorderProbability, reorderDelay };
}
