// Copyright 2026 the microcoap authors. MIT license.
/**
 * UDP over `node:dgram`: runs on Deno (with only `--allow-net`), Node 20+
 * and Bun.
 *
 * @module
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { formatAddress, isIpv4, normalizeHostname } from "./_address.ts";
import { checkSend } from "./_check_send.ts";
import { ReceiverSlot } from "./_receiver_slot.ts";
import { toTransportError } from "./_to_transport_error.ts";
import { checkMaxDatagramSize, oversized } from "./_datagram_size.ts";
import { badOption, checkBindOptions, checkBoolean } from "./_bind_options.ts";
import type { PeerAddress, Transport, TransportReceiver } from "./types.ts";

/**
 * Multicast settings for {@linkcode bindUdp}.
 *
 * @example Usage
 * ```ts
 * import { bindUdp, TransportError, type UdpMulticastOptions } from "@microcoap/transport";
 * import { assertThrows } from "@std/assert";
 *
 * // All CoAP Nodes, joined on the loopback interface only.
 * const multicast: UdpMulticastOptions = {
 *   groups: ["224.0.1.187"],
 *   interface: "127.0.0.1",
 *   hops: 1,
 * };
 * await using transport = await bindUdp({ hostname: "127.0.0.1", multicast });
 * // The group was joined at bind time, so it can be left once, not twice.
 * transport.leaveGroup("224.0.1.187", "127.0.0.1");
 * assertThrows(() => transport.leaveGroup("224.0.1.187", "127.0.0.1"), TransportError);
 * ```
 */
export interface UdpMulticastOptions {
  /**
   * Groups to join, for example `"224.0.1.187"` (All CoAP Nodes, IPv4) or
   * `"ff02::fd"` (link-local All CoAP Nodes, IPv6, on an IPv6 socket).
   */
  readonly groups: readonly string[];
  /**
   * The local interface to join on and to send multicast from: an IPv4
   * address of the interface (`"127.0.0.1"`), or for IPv6 an address with a
   * scope (`"::%eth0"`).
   *
   * @default {undefined} the system's choice
   */
  readonly interface?: string;
  /**
   * Whether multicast datagrams this socket sends are looped back to local
   * listeners.
   *
   * @default {undefined} the system default (on)
   */
  readonly loopback?: boolean;
  /**
   * The TTL (IPv4) or hop limit (IPv6) of multicast datagrams sent.
   *
   * @default {undefined} the system default (1)
   */
  readonly hops?: number;
}

/**
 * Options for {@linkcode UdpTransport}.
 *
 * @example Usage
 * ```ts
 * import { UdpTransport, type UdpTransportOptions } from "@microcoap/transport";
 * import { createSocket } from "node:dgram";
 * import { assertEquals } from "@std/assert";
 *
 * const socket = createSocket("udp4");
 * await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
 * const options: UdpTransportOptions = { maxDatagramSize: 1500 };
 * await using transport = new UdpTransport(socket, options);
 * assertEquals(transport.maxDatagramSize, 1500);
 * ```
 */
export interface UdpTransportOptions {
  /**
   * Datagrams longer than this many bytes (from 1 to 65,507) are dropped and
   * reported to the receiver's `onError` as a `TransportError` with code
   * `EMSGSIZE`. CoAP over UDP keeps messages near 1,152 bytes (RFC 7252
   * §4.6; block-wise transfers use at most 1,024-byte blocks), so the default
   * leaves ample room. On Deno, `node:dgram` reads every datagram into a
   * fresh buffer of about this size, so the limit also bounds that cost.
   *
   * @default {8192}
   */
  maxDatagramSize?: number;
}

/**
 * Options for {@linkcode bindUdp}.
 *
 * @example Usage
 * ```ts
 * import { bindUdp, type BindUdpOptions } from "@microcoap/transport";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 *
 * const options: BindUdpOptions = { hostname: "127.0.0.1", port: 0 };
 * await using transport = await bindUdp(options);
 * assertEquals(transport.family, "IPv4");
 * assertEquals(transport.localAddress.hostname, "127.0.0.1");
 * // Port 0 asked for a free ephemeral port.
 * assertNotEquals(transport.localAddress.port, 0);
 * ```
 */
export interface BindUdpOptions extends UdpTransportOptions {
  /**
   * The local address to bind: a numeric address (`"127.0.0.1"`, `"::1"`,
   * `"::"` for every IPv6 and, unless `ipv6Only`, IPv4 address) or a host
   * name, resolved once.
   *
   * @default {"0.0.0.0"} every IPv4 address ("::" when `family` is "IPv6")
   */
  hostname?: string;
  /**
   * The local port; 0 picks a free ephemeral port (see
   * {@linkcode UdpTransport.localAddress}). CoAP servers use 5683.
   *
   * @default {0}
   */
  port?: number;
  /**
   * The address family of the socket.
   *
   * @default {undefined} "IPv6" when `hostname` contains ":", else "IPv4"
   */
  family?: "IPv4" | "IPv6";
  /**
   * For IPv6 sockets: accept IPv6 only (no IPv4-mapped traffic on `"::"`).
   *
   * @default {false}
   */
  ipv6Only?: boolean;
  /**
   * Sets `SO_REUSEADDR`, so several sockets can bind the same address and
   * port (useful for multicast listeners).
   *
   * @default {false}
   */
  reuseAddr?: boolean;
  /**
   * Multicast groups to join.
   *
   * @default {undefined} none
   */
  multicast?: UdpMulticastOptions;
  /**
   * The socket receive buffer size (`SO_RCVBUF`) in bytes. Ignored on Deno,
   * whose `node:dgram` cannot set it (it would only change the size of the
   * buffer each datagram is read into, which `maxDatagramSize` sets).
   *
   * @default {undefined} the system default
   */
  receiveBufferSize?: number;
  /**
   * The socket send buffer size (`SO_SNDBUF`) in bytes.
   *
   * @default {undefined} the system default
   */
  sendBufferSize?: number;
}

const MAPPED_PREFIX = "::ffff:";
// Deno's node:dgram allocates a read buffer of the "receive buffer size"
// (64 KiB unless set) for every datagram; it never sets SO_RCVBUF.
// (Pure, so that bundles without UdpTransport drop it.)
const DENO_DGRAM =
  /* @__PURE__ */ (() =>
    typeof (globalThis as { Deno?: { version?: { deno?: unknown } } })
      .Deno?.version?.deno === "string")();

/**
 * A {@linkcode Transport} on a bound `node:dgram` socket, normally made by
 * {@linkcode bindUdp}.
 *
 * - Receiving: each datagram, whole (up to `maxDatagramSize` bytes; longer
 *   ones are dropped and reported as `EMSGSIZE`), goes to the receiver as a
 *   `Uint8Array` it owns: Node's per-message buffer is wrapped without a copy
 *   when the message fills it, and copied otherwise (Deno reads each
 *   datagram into a buffer of `maxDatagramSize` + 1 bytes). IPv4-mapped senders
 *   (`::ffff:1.2.3.4`) are reported as IPv4; IPv6 scope ids (`fe80::1%eth0`)
 *   are kept.
 * - Before the first {@linkcode UdpTransport.listen}, up to 32 datagrams are
 *   kept and then delivered in order; more are dropped.
 * - {@linkcode UdpTransport.send} is fire-and-forget and never throws for
 *   network conditions or bad addresses: those go to the receiver's
 *   `onError` as a `TransportError` with the peer. On an IPv6
 *   socket, IPv4 destinations are sent as IPv4-mapped addresses, so replies
 *   to reported IPv4 senders work. Sending after close does nothing.
 * - Socket errors never surface as unhandled `error` events.
 *
 * @example Usage
 * ```ts
 * import { bindUdp } from "@microcoap/transport/udp";
 * import { assertEquals } from "@std/assert";
 *
 * await using server = await bindUdp({ hostname: "127.0.0.1" });
 * await using client = await bindUdp({ hostname: "127.0.0.1" });
 * const received = new Promise<Uint8Array>((resolve) =>
 *   server.listen({ onDatagram: (data) => resolve(data) })
 * );
 * client.send(new Uint8Array([1, 2, 3]), server.localAddress);
 * assertEquals(await received, new Uint8Array([1, 2, 3]));
 * ```
 */
export class UdpTransport implements Transport {
  #socket: Socket;
  #ipv6: boolean;
  #localAddress: PeerAddress;
  #slot = new ReceiverSlot();
  #closing: Promise<void> | undefined;
  #maxDatagramSize: number;

  /**
   * Wraps a bound socket and takes it over: the transport listens to its
   * `message`, `error` and `close` events and closes it on
   * {@linkcode UdpTransport.close}.
   *
   * @param socket A bound `node:dgram` socket.
   * @param options The datagram size limit.
   * @throws {TypeError} When the socket is not bound.
   * @throws {RangeError} When `maxDatagramSize` is not an integer from 1 to
   * 65507.
   */
  constructor(socket: Socket, options: UdpTransportOptions = {}) {
    const max = checkMaxDatagramSize(
      options?.maxDatagramSize,
      "create UDP transport",
    );
    this.#maxDatagramSize = max;
    let address: { address: string; port: number; family: string | number };
    try {
      address = socket.address();
    } catch (cause) {
      throw new TypeError(
        "Cannot create UDP transport: the socket is not bound",
        { cause },
      );
    }
    this.#socket = socket;
    this.#ipv6 = address.family === "IPv6" || address.family === 6;
    this.#localAddress = {
      hostname: normalizeHostname(address.address),
      port: address.port,
    };
    if (DENO_DGRAM) {
      try {
        // One byte over the limit, so a longer datagram fills the buffer.
        // Deno doubles the size asked for on Linux (as the kernel does for
        // SO_RCVBUF), so ask for half and check what was set.
        socket.setRecvBufferSize(Math.ceil((max + 1) / 2));
        if (socket.getRecvBufferSize() < max + 1) {
          socket.setRecvBufferSize(max + 1);
        }
      } catch {
        // Keeps the runtime's default buffer; the length check still holds.
      }
    }
    socket.on("message", (message: Uint8Array, rinfo: RemoteInfo) => {
      if (message.byteLength > this.#maxDatagramSize) {
        const peer = {
          hostname: normalizeHostname(rinfo.address),
          port: rinfo.port,
        };
        this.#slot.error(oversized(peer, this.#maxDatagramSize));
        return;
      }
      const data = message.byteOffset === 0 &&
          message.byteLength === message.buffer.byteLength
        ? new Uint8Array(message.buffer, 0, message.byteLength)
        : new Uint8Array(message);
      this.#slot.deliver(data, {
        hostname: normalizeHostname(rinfo.address),
        port: rinfo.port,
      });
    });
    socket.on("error", (error: Error) => {
      this.#slot.error(
        toTransportError(
          error,
          `Socket error on ${formatAddress(this.#localAddress)}`,
        ),
      );
    });
    socket.on("close", () => {
      this.#slot.close();
      this.#closing ??= Promise.resolve();
    });
  }

  /**
   * The address the socket is bound to (the port chosen when 0 was asked).
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
   * The address family of the socket.
   *
   * @returns `"IPv4"` or `"IPv6"`.
   */
  get family(): "IPv4" | "IPv6" {
    return this.#ipv6 ? "IPv6" : "IPv4";
  }

  /**
   * Sets the receiver (replacing any earlier one). Datagrams kept while
   * there was none are delivered on a microtask. Does nothing after close.
   *
   * @param receiver Gets datagrams and errors.
   * @throws {TypeError} When `receiver` has no `onDatagram` method.
   */
  listen(receiver: TransportReceiver): void {
    this.#slot.listen(receiver);
  }

  /**
   * Sends one datagram. Returns at once; failures (a bad address, a datagram
   * too large, an unreachable network) go to the receiver's `onError` as a
   * `TransportError` with the peer. Do not modify `data`
   * afterwards: the runtime may read it later. Does nothing after close.
   *
   * @param data The datagram.
   * @param to The peer: a numeric address (a host name is resolved on every
   * send) and a port from 1 to 65535.
   * @throws {TypeError} When `data` is not a Uint8Array.
   */
  send(data: Uint8Array, to: PeerAddress): void {
    if (!checkSend(this.#slot, data, to)) return;
    let host = to.hostname;
    if (this.#ipv6 && isIpv4(host)) host = MAPPED_PREFIX + host;
    try {
      this.#socket.send(data, to.port, host, (error: Error | null) => {
        if (error) this.#sendFailed(error, to);
      });
    } catch (error) {
      this.#sendFailed(error, to);
    }
  }

  /**
   * Joins a multicast group.
   *
   * @param group The group address, for example `"224.0.1.187"`.
   * @param interfaceAddress The local interface (see
   * {@linkcode UdpMulticastOptions.interface}); the system's choice when
   * omitted.
   * @throws {TransportError} When the group cannot be joined (code
   * `"EINVAL"` for an address that is not a multicast group).
   */
  joinGroup(group: string, interfaceAddress?: string): void {
    try {
      this.#socket.addMembership(group, interfaceAddress);
    } catch (error) {
      throw toTransportError(
        error,
        `Cannot join multicast group ${group}`,
        undefined,
        "EINVAL",
      );
    }
  }

  /**
   * Leaves a multicast group joined before.
   *
   * @param group The group address.
   * @param interfaceAddress The interface it was joined on.
   * @throws {TransportError} When the group was not joined.
   */
  leaveGroup(group: string, interfaceAddress?: string): void {
    try {
      this.#socket.dropMembership(group, interfaceAddress);
    } catch (error) {
      throw toTransportError(
        error,
        `Cannot leave multicast group ${group}`,
        undefined,
        "EINVAL",
      );
    }
  }

  /**
   * Stops receiving and closes the socket. Safe to call more than once.
   *
   * @returns A promise that resolves when the socket is closed.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#slot.close();
      this.#closing = new Promise<void>((resolve) => {
        try {
          this.#socket.close(() => resolve());
        } catch {
          resolve(); // Already closed by its owner.
        }
      });
    }
    return this.#closing;
  }

  /**
   * Closes the socket, for `await using`.
   *
   * @returns A promise that resolves when the socket is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #sendFailed(error: unknown, to: PeerAddress): void {
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
 * Binds a UDP socket and wraps it as a {@linkcode UdpTransport}.
 *
 * @param options Where to bind, and socket options.
 * @returns The bound transport.
 * @throws {TypeError} When an option has the wrong type, or `family` is
 * "IPv4" with an IPv6 `hostname`.
 * @throws {RangeError} When `port` is not an integer from 0 to 65535 or a
 * buffer size or `hops` is not a positive integer.
 * @throws {TransportError} When the socket cannot be bound (code
 * `"EADDRINUSE"`, `"EADDRNOTAVAIL"`, `"EACCES"`, `"ENOTFOUND"`, ...), a
 * buffer size cannot be set or a multicast group cannot be joined.
 *
 * @example Bind an ephemeral port on the IPv6 loopback
 * ```ts
 * import { bindUdp } from "@microcoap/transport/udp";
 * import { assertEquals } from "@std/assert";
 *
 * await using transport = await bindUdp({ hostname: "::1" });
 * assertEquals(transport.family, "IPv6");
 * assertEquals(transport.localAddress.hostname, "::1");
 * ```
 *
 * @example A taken port rejects with a TransportError
 * ```ts
 * import { bindUdp, TransportError } from "@microcoap/transport";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * await using first = await bindUdp({ hostname: "127.0.0.1" });
 * const error = await assertRejects(
 *   () => bindUdp({ hostname: "127.0.0.1", port: first.localAddress.port }),
 *   TransportError,
 * );
 * assertEquals(error.code, "EADDRINUSE");
 * ```
 */
export async function bindUdp(
  options: BindUdpOptions = {},
): Promise<UdpTransport> {
  const settings = validateOptions(options);
  const { hostname, port, family } = settings;
  const socket = createSocket({
    type: family === "IPv6" ? "udp6" : "udp4",
    reuseAddr: options.reuseAddr ?? false,
    ...(family === "IPv6" ? { ipv6Only: options.ipv6Only ?? false } : {}),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        socket.off("listening", onListening);
        reject(error);
      };
      const onListening = () => {
        socket.off("error", onError);
        resolve();
      };
      socket.once("error", onError);
      socket.once("listening", onListening);
      socket.bind({ port, address: hostname });
    });
  } catch (error) {
    socket.on("error", () => {}); // Nothing may surface from the dead socket.
    try {
      socket.close();
    } catch {
      // Never bound: nothing to close.
    }
    throw toTransportError(
      error,
      `Cannot bind UDP socket to ${formatAddress({ hostname, port })}`,
    );
  }
  // The bind options are transport options too (maxDatagramSize).
  const transport = new UdpTransport(socket, options);
  try {
    configure(socket, transport, options);
  } catch (error) {
    await transport.close();
    throw error;
  }
  return transport;
}

interface Settings {
  hostname: string;
  port: number;
  family: "IPv4" | "IPv6";
}

function validateOptions(options: BindUdpOptions): Settings {
  const what = "bind UDP socket";
  checkBindOptions(options, what);
  const { hostname, port = 0, family } = options;
  if (family !== undefined && family !== "IPv4" && family !== "IPv6") {
    badOption(what, `family is "${family}", expected "IPv4" or "IPv6"`);
  }
  const resolved = family ?? (hostname?.includes(":") ? "IPv6" : "IPv4");
  if (resolved === "IPv4" && hostname?.includes(":")) {
    badOption(what, `hostname ${hostname} is not an IPv4 address`);
  }
  checkBoolean(options.ipv6Only, "ipv6Only", what);
  checkBoolean(options.reuseAddr, "reuseAddr", what);
  checkPositiveInteger(options.receiveBufferSize, "receiveBufferSize");
  checkPositiveInteger(options.sendBufferSize, "sendBufferSize");
  const multicast = options.multicast;
  if (multicast !== undefined) {
    if (
      multicast.interface !== undefined &&
      typeof multicast.interface !== "string"
    ) {
      badOption(what, "multicast.interface must be a string");
    }
    checkBoolean(multicast.loopback, "multicast.loopback", what);
    checkPositiveInteger(multicast.hops, "multicast.hops");
  }
  return {
    hostname: hostname ?? (resolved === "IPv6" ? "::" : "0.0.0.0"),
    port,
    family: resolved,
  };
}

function checkPositiveInteger(value: unknown, name: string): void {
  if (value === undefined) return;
  if (
    typeof value !== "number" || !(value >= 1) || Math.floor(value) !== value
  ) {
    throw new RangeError(
      `Cannot bind UDP socket: ${name} is ${value}, expected a positive integer`,
    );
  }
}

function configure(
  socket: Socket,
  transport: UdpTransport,
  options: BindUdpOptions,
): void {
  const where = formatAddress(transport.localAddress);
  const attempt = (what: string, action: () => void): void => {
    try {
      action();
    } catch (error) {
      throw toTransportError(
        error,
        `Cannot ${what} on UDP socket ${where}`,
        undefined,
        "EINVAL",
      );
    }
  };
  const { receiveBufferSize, sendBufferSize, multicast } = options;
  if (receiveBufferSize !== undefined && !DENO_DGRAM) {
    attempt(
      "set the receive buffer size",
      () => socket.setRecvBufferSize(receiveBufferSize),
    );
  }
  if (sendBufferSize !== undefined) {
    attempt(
      "set the send buffer size",
      () => socket.setSendBufferSize(sendBufferSize),
    );
  }
  if (multicast === undefined) return;
  const { groups, interface: iface, loopback, hops } = multicast;
  if (iface !== undefined) {
    attempt(
      "set the multicast interface",
      () => socket.setMulticastInterface(iface),
    );
  }
  if (loopback !== undefined) {
    attempt(
      "set multicast loopback",
      () => socket.setMulticastLoopback(loopback),
    );
  }
  if (hops !== undefined) {
    attempt("set the multicast TTL", () => socket.setMulticastTTL(hops));
  }
  for (const group of groups) transport.joinGroup(group, iface);
}
