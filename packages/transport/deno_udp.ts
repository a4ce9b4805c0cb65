// Copyright 2026 the microcoap authors. MIT license.
/**
 * UDP on Deno's native datagram API, `Deno.listenDatagram`, which Deno
 * offers only with `--unstable-net`. Elsewhere use `bindUdp` (`node:dgram`),
 * which needs no flag.
 *
 * @module
 */
import { formatAddress, normalizeHostname } from "./_address.ts";
import { checkSend } from "./_check_send.ts";
import { ReceiverSlot } from "./_receiver_slot.ts";
import { toTransportError } from "./_to_transport_error.ts";
import { checkMaxDatagramSize, oversized } from "./_datagram_size.ts";
import { checkBindOptions, checkBoolean } from "./_bind_options.ts";
import type { PeerAddress, Transport, TransportReceiver } from "./types.ts";

/**
 * The part of Deno's unstable `Deno.DatagramConn` this transport uses,
 * declared here so the code type-checks without the unstable type library.
 *
 * @example Usage
 * ```ts
 * import { DenoUdpTransport, type DenoDatagramConn } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * // A stand-in connection: records sends, receives nothing until closed.
 * const sent: number[][] = [];
 * let closed = () => {};
 * const conn: DenoDatagramConn = {
 *   addr: { transport: "udp", hostname: "127.0.0.1", port: 5683 },
 *   receive: () =>
 *     new Promise((_resolve, reject) => {
 *       closed = () => reject(Object.assign(new Error("closed"), { name: "BadResource" }));
 *     }),
 *   send: (p) => {
 *     sent.push([...p]);
 *     return Promise.resolve(p.length);
 *   },
 *   close: () => closed(),
 * };
 * await using transport = new DenoUdpTransport(conn);
 * assertEquals(transport.localAddress, { hostname: "127.0.0.1", port: 5683 });
 * transport.send(new Uint8Array([0x40, 0, 0, 1]), { hostname: "127.0.0.1", port: 5684 });
 * assertEquals(sent, [[0x40, 0, 0, 1]]);
 * ```
 */
export interface DenoDatagramConn {
  /** The bound address (`Deno.NetAddr` for UDP). */
  readonly addr: object;
  /** Resolves to the next datagram, read into `p`, and its sender. */
  receive(p?: Uint8Array): Promise<[Uint8Array, object]>;
  /** Sends a datagram; resolves to the number of bytes sent. */
  send(
    p: Uint8Array,
    addr: { transport: "udp"; hostname: string; port: number },
  ): Promise<number>;
  /** Closes the socket; pending receives reject. */
  close(): void;
  /** Joins an IPv4 multicast group on the interface with that address. */
  joinMulticastV4?(address: string, networkInterface: string): Promise<unknown>;
  /** Joins an IPv6 multicast group on the interface with that index. */
  joinMulticastV6?(address: string, networkInterface: number): Promise<unknown>;
}

type ListenDatagram = (options: {
  transport: "udp";
  hostname: string;
  port: number;
  reuseAddress: boolean;
  loopback: boolean;
}) => DenoDatagramConn;

function listenDatagram(): ListenDatagram | undefined {
  const deno = (globalThis as { Deno?: object }).Deno;
  if (deno === undefined) return undefined;
  const listen: unknown = Reflect.get(deno, "listenDatagram");
  return typeof listen === "function"
    ? (listen.bind(deno) as ListenDatagram)
    : undefined;
}

/**
 * Whether `Deno.listenDatagram` exists here (Deno run with
 * `--unstable-net`), so that {@linkcode bindDenoUdp} can work.
 *
 * @returns `true` when the native datagram API is available.
 *
 * @example Usage
 * ```ts
 * import { isDenoUdpAvailable } from "@microcoap/transport/deno-udp";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(isDenoUdpAvailable(), "listenDatagram" in Deno);
 * ```
 */
export function isDenoUdpAvailable(): boolean {
  return listenDatagram() !== undefined;
}

/**
 * Multicast settings for {@linkcode bindDenoUdp}.
 *
 * @example Usage
 * ```ts
 * import { bindDenoUdp, isDenoUdpAvailable, type DenoUdpMulticastOptions } from "@microcoap/transport";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * // All CoAP Nodes, joined on the loopback interface only.
 * const multicast: DenoUdpMulticastOptions = { groups: ["224.0.1.187"], interface: "127.0.0.1" };
 * if (isDenoUdpAvailable()) {
 *   await using transport = await bindDenoUdp({ hostname: "127.0.0.1", multicast });
 *   assertEquals(transport.localAddress.hostname, "127.0.0.1");
 * } else {
 *   await assertRejects(() => bindDenoUdp({ hostname: "127.0.0.1", multicast }), TypeError, "--unstable-net");
 * }
 * ```
 */
export interface DenoUdpMulticastOptions {
  /** Groups to join: IPv4 (`"224.0.1.187"`) or IPv6 (`"ff02::fd"`). */
  readonly groups: readonly string[];
  /**
   * For IPv4 groups: the address of the interface to join on.
   *
   * @default {"0.0.0.0"} the system's choice
   */
  readonly interface?: string;
  /**
   * For IPv6 groups: the index of the interface to join on.
   *
   * @default {0} the system's choice
   */
  readonly interfaceIndex?: number;
  /**
   * Whether multicast datagrams this socket sends are looped back to local
   * listeners.
   *
   * @default {false}
   */
  readonly loopback?: boolean;
}

/**
 * Options for {@linkcode DenoUdpTransport}.
 *
 * @example Usage
 * ```ts
 * import { DenoUdpTransport, type DenoUdpTransportOptions, isDenoUdpAvailable } from "@microcoap/transport/deno-udp";
 * import { assertEquals } from "@std/assert";
 *
 * const options: DenoUdpTransportOptions = { maxDatagramSize: 1500 };
 * if (isDenoUdpAvailable()) {
 *   // deno-lint-ignore no-explicit-any
 *   const conn = (Deno as any).listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
 *   await using transport = new DenoUdpTransport(conn, options);
 *   assertEquals(transport.maxDatagramSize, 1500);
 * }
 * ```
 */
export interface DenoUdpTransportOptions {
  /**
   * Datagrams longer than this many bytes (from 1 to 65,507) are dropped and
   * reported to the receiver's `onError` as a `TransportError` with code
   * `EMSGSIZE` (CoAP over UDP keeps messages near 1,152 bytes, RFC 7252
   * §4.6).
   *
   * @default {8192}
   */
  maxDatagramSize?: number;
}

/**
 * Options for {@linkcode bindDenoUdp}.
 *
 * @example Usage
 * ```ts
 * import { bindDenoUdp, isDenoUdpAvailable, type BindDenoUdpOptions } from "@microcoap/transport";
 * import { assertEquals, assertNotEquals, assertRejects } from "@std/assert";
 *
 * const options: BindDenoUdpOptions = { hostname: "127.0.0.1", port: 0 };
 * if (isDenoUdpAvailable()) {
 *   await using transport = await bindDenoUdp(options);
 *   assertEquals(transport.localAddress.hostname, "127.0.0.1");
 *   assertNotEquals(transport.localAddress.port, 0);
 * } else {
 *   await assertRejects(() => bindDenoUdp(options), TypeError, "--unstable-net");
 * }
 * ```
 */
export interface BindDenoUdpOptions extends DenoUdpTransportOptions {
  /**
   * The local address to bind (`"::"` binds every IPv6 and IPv4 address).
   *
   * @default {"0.0.0.0"}
   */
  hostname?: string;
  /**
   * The local port; 0 picks a free ephemeral port.
   *
   * @default {0}
   */
  port?: number;
  /**
   * Sets `SO_REUSEADDR`.
   *
   * @default {false}
   */
  reuseAddress?: boolean;
  /**
   * Multicast groups to join.
   *
   * @default {undefined} none
   */
  multicast?: DenoUdpMulticastOptions;
}

const RECEIVE_BUFFER = 65536;
const MAX_RECEIVE_FAILURES = 16;

function isClosedError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === "BadResource" || name === "Interrupted";
}

/**
 * A {@linkcode Transport} on a `Deno.DatagramConn`, normally made by
 * {@linkcode bindDenoUdp}. It behaves like `UdpTransport`: whole datagrams
 * up to `maxDatagramSize` bytes (read into a 64 KiB buffer, then copied to
 * an exact-size `Uint8Array` the
 * receiver owns), IPv4-mapped senders reported as IPv4, up to 32 datagrams
 * kept until the first `listen()`, fire-and-forget `send` whose failures go
 * to `onError` as a `TransportError`, sends after close ignored.
 *
 * @example Usage
 * ```ts
 * import { bindDenoUdp, isDenoUdpAvailable } from "@microcoap/transport/deno-udp";
 * import { assertEquals } from "@std/assert";
 *
 * if (isDenoUdpAvailable()) {
 *   await using a = await bindDenoUdp({ hostname: "127.0.0.1" });
 *   await using b = await bindDenoUdp({ hostname: "127.0.0.1" });
 *   const received = new Promise<Uint8Array>((resolve) =>
 *     b.listen({ onDatagram: (data) => resolve(data) })
 *   );
 *   a.send(new Uint8Array([1, 2]), b.localAddress);
 *   assertEquals(await received, new Uint8Array([1, 2]));
 * }
 * ```
 */
export class DenoUdpTransport implements Transport {
  #conn: DenoDatagramConn;
  #localAddress: PeerAddress;
  #slot = new ReceiverSlot();
  #receiving: Promise<void>;
  #closing: Promise<void> | undefined;
  #maxDatagramSize: number;

  /**
   * Takes over a bound datagram connection and starts receiving on it.
   *
   * @param conn The connection, from `Deno.listenDatagram({ transport: "udp" })`.
   * @param options The datagram size limit.
   * @throws {TypeError} When `conn` does not look like a UDP DatagramConn.
   * @throws {RangeError} When `maxDatagramSize` is not an integer from 1 to
   * 65507.
   */
  constructor(conn: DenoDatagramConn, options: DenoUdpTransportOptions = {}) {
    this.#maxDatagramSize = checkMaxDatagramSize(
      options?.maxDatagramSize,
      "create Deno UDP transport",
    );
    const addr = (conn as { addr?: { hostname?: unknown; port?: unknown } })
      ?.addr;
    if (
      typeof conn?.receive !== "function" || typeof conn.send !== "function" ||
      typeof addr?.hostname !== "string" || typeof addr.port !== "number"
    ) {
      throw new TypeError(
        "Cannot create Deno UDP transport: conn is not a bound UDP DatagramConn",
      );
    }
    this.#conn = conn;
    this.#localAddress = {
      hostname: normalizeHostname(addr.hostname),
      port: addr.port,
    };
    this.#receiving = this.#receive();
  }

  /**
   * The address the socket is bound to.
   *
   * @returns The local address.
   */
  get localAddress(): PeerAddress {
    return this.#localAddress;
  }

  /**
   * The longest datagram delivered; longer ones are dropped.
   *
   * @returns The limit in bytes.
   */
  get maxDatagramSize(): number {
    return this.#maxDatagramSize;
  }

  /**
   * Sets the receiver (replacing any earlier one). Does nothing after close.
   *
   * @param receiver Gets datagrams and errors.
   * @throws {TypeError} When `receiver` has no `onDatagram` method.
   */
  listen(receiver: TransportReceiver): void {
    this.#slot.listen(receiver);
  }

  /**
   * Sends one datagram, fire-and-forget; failures go to the receiver's
   * `onError` with the peer. Do not modify `data` afterwards. Does nothing
   * after close.
   *
   * @param data The datagram.
   * @param to The peer.
   * @throws {TypeError} When `data` is not a Uint8Array.
   */
  send(data: Uint8Array, to: PeerAddress): void {
    if (!checkSend(this.#slot, data, to)) return;
    try {
      this.#conn.send(data, {
        transport: "udp",
        hostname: to.hostname,
        port: to.port,
      }).then(undefined, (error) => this.#sendFailed(error, to));
    } catch (error) {
      this.#sendFailed(error, to);
    }
  }

  /**
   * Stops receiving and closes the socket. Safe to call more than once.
   *
   * @returns A promise that resolves when the receive loop has ended.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /**
   * Closes the socket, for `await using`.
   *
   * @returns A promise that resolves when closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.#slot.close();
    try {
      this.#conn.close();
    } catch {
      // Already closed by its owner.
    }
    await this.#receiving;
  }

  async #receive(): Promise<void> {
    const buffer = new Uint8Array(RECEIVE_BUFFER);
    let failures = 0;
    while (!this.#slot.closed) {
      let datagram: [Uint8Array, object];
      try {
        datagram = await this.#conn.receive(buffer);
      } catch (error) {
        if (this.#slot.closed) return;
        if (isClosedError(error)) break;
        this.#slot.error(
          toTransportError(
            error,
            `Cannot receive on UDP socket ${formatAddress(this.#localAddress)}`,
          ),
        );
        // A socket that only fails is broken: stop rather than spin.
        if (++failures >= MAX_RECEIVE_FAILURES) break;
        continue;
      }
      failures = 0;
      const [view, from] = datagram;
      const { hostname, port } = from as { hostname: string; port: number };
      const peer = { hostname: normalizeHostname(hostname), port };
      if (view.length > this.#maxDatagramSize) {
        this.#slot.error(oversized(peer, this.#maxDatagramSize));
      } else this.#slot.deliver(view.slice(), peer);
    }
    // The socket went away under us: behave as closed.
    this.#slot.close();
  }

  #sendFailed(error: unknown, to: PeerAddress): void {
    if (this.#slot.closed) return;
    this.#slot.error(
      toTransportError(
        error,
        `Cannot send datagram to ${formatAddress(to)}`,
        to,
      ),
    );
  }
}

/**
 * Binds a UDP socket with `Deno.listenDatagram` and wraps it as a
 * {@linkcode DenoUdpTransport}. Needs Deno with `--unstable-net`.
 *
 * @param options Where to bind, and socket options.
 * @returns The bound transport.
 * @throws {TypeError} When `Deno.listenDatagram` is unavailable (not Deno,
 * or no `--unstable-net`), or an option has the wrong type.
 * @throws {RangeError} When `port` is not an integer from 0 to 65535.
 * @throws {TransportError} When the socket cannot be bound (code
 * `"EADDRINUSE"`, `"EADDRNOTAVAIL"`, ...) or a group cannot be joined.
 *
 * @example Usage
 * ```ts
 * import { bindDenoUdp, isDenoUdpAvailable } from "@microcoap/transport/deno-udp";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * if (isDenoUdpAvailable()) {
 *   await using transport = await bindDenoUdp({ hostname: "::1" });
 *   assertEquals(transport.localAddress.hostname, "::1");
 * } else {
 *   await assertRejects(() => bindDenoUdp(), TypeError, "--unstable-net");
 * }
 * ```
 */
export async function bindDenoUdp(
  options: BindDenoUdpOptions = {},
): Promise<DenoUdpTransport> {
  const listen = listenDatagram();
  if (listen === undefined) {
    throw new TypeError(
      "Cannot bind Deno UDP socket: Deno.listenDatagram is not available, run Deno with --unstable-net or use bindUdp()",
    );
  }
  const what = "bind Deno UDP socket";
  checkBindOptions(options, what);
  const {
    hostname = "0.0.0.0",
    port = 0,
    reuseAddress = false,
    multicast,
  } = options;
  checkBoolean(reuseAddress, "reuseAddress", what);
  let conn: DenoDatagramConn;
  try {
    conn = listen({
      transport: "udp",
      hostname,
      port,
      reuseAddress,
      loopback: multicast?.loopback ?? false,
    });
  } catch (error) {
    throw toTransportError(
      error,
      `Cannot bind UDP socket to ${formatAddress({ hostname, port })}`,
    );
  }
  // The bind options are transport options too (maxDatagramSize).
  const transport = new DenoUdpTransport(conn, options);
  try {
    for (const group of multicast?.groups ?? []) {
      try {
        if (group.includes(":")) {
          await conn.joinMulticastV6!(group, multicast?.interfaceIndex ?? 0);
        } else {
          await conn.joinMulticastV4!(group, multicast?.interface ?? "0.0.0.0");
        }
      } catch (error) {
        throw toTransportError(
          error,
          `Cannot join multicast group ${group}`,
          undefined,
          "EINVAL",
        );
      }
    }
  } catch (error) {
    await transport.close();
    throw error;
  }
  return transport;
}
