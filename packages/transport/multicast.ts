// Copyright 2026 the microcoap authors. MIT license.
/**
 * Multicast over UDP for CoAP group communication (RFC 7252 §8): a transport
 * that tells which datagrams arrived by multicast, and the group addresses.
 *
 * @module
 */
import { equals } from "@std/bytes/equals";
import { isMulticastAddress as isGroup } from "./_address.ts";
import { ReceiverSlot } from "./_receiver_slot.ts";
import { bindUdp, type UdpMulticastOptions, type UdpTransport } from "./udp.ts";
import type { BindUdpOptions } from "./udp.ts";
import type {
  DatagramInfo,
  PeerAddress,
  Transport,
  TransportReceiver,
} from "./types.ts";

/**
 * "All CoAP Nodes", the IPv4 multicast group of RFC 7252 §12.8.
 *
 * @example Usage
 * ```ts
 * import { ALL_COAP_NODES_IPV4, isMulticastAddress } from "@microcoap/transport";
 * import { assert } from "@std/assert";
 *
 * assert(isMulticastAddress(ALL_COAP_NODES_IPV4));
 * ```
 */
export const ALL_COAP_NODES_IPV4 = "224.0.1.187";

/**
 * "All CoAP Nodes", the link-local IPv6 multicast group of RFC 7252 §12.8.
 *
 * @example Usage
 * ```ts
 * import { ALL_COAP_NODES_IPV6, isMulticastAddress } from "@microcoap/transport";
 * import { assert } from "@std/assert";
 *
 * assert(isMulticastAddress(ALL_COAP_NODES_IPV6));
 * ```
 */
export const ALL_COAP_NODES_IPV6 = "ff02::fd";

/**
 * Whether a numeric address is a multicast group: IPv4 224.0.0.0/4 or IPv6
 * ff00::/8 (a scope id such as `ff02::fd%eth0` is allowed).
 *
 * @param hostname A numeric address.
 * @returns `true` for a multicast address.
 *
 * @example Usage
 * ```ts
 * import { isMulticastAddress } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(isMulticastAddress("224.0.1.187"), true);
 * assertEquals(isMulticastAddress("ff05::fd"), true);
 * assertEquals(isMulticastAddress("127.0.0.1"), false);
 * assertEquals(isMulticastAddress("::1"), false);
 * ```
 */
export function isMulticastAddress(hostname: string): boolean {
  return isGroup(hostname);
}

/**
 * Options for {@linkcode bindMulticastUdp}: those of `bindUdp` with the
 * groups to receive.
 *
 * @example Usage
 * ```ts
 * import { bindMulticastUdp, type BindMulticastUdpOptions } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const options: BindMulticastUdpOptions = {
 *   hostname: "127.0.0.1",
 *   multicast: { groups: ["224.0.1.187"], interface: "127.0.0.1" },
 * };
 * await using transport = await bindMulticastUdp(options);
 * assertEquals(transport.groups, ["224.0.1.187"]);
 * ```
 */
export interface BindMulticastUdpOptions extends BindUdpOptions {
  /** The groups to join, on which interface, and how multicast is sent. */
  multicast: UdpMulticastOptions;
}

// How long a group datagram is remembered to recognise its copy on a
// wildcard unicast socket, and how many are kept.
const REMEMBER_MS = 2000;
const REMEMBER_MAX = 64;

interface Recent {
  readonly from: PeerAddress;
  readonly data: Uint8Array;
  readonly at: number;
}

/**
 * A UDP {@linkcode Transport} that receives multicast and says so: besides
 * its unicast socket it binds one socket per group, bound to the group
 * address itself on the unicast port, so that only datagrams sent to that
 * group reach it (`node:dgram` cannot report a datagram's destination
 * address). Those are delivered with `info.group` set; everything is sent
 * from the unicast socket, so responses come from the unicast address (RFC
 * 7252 §8.1).
 *
 * A unicast socket bound to a wildcard address (`0.0.0.0`, `::`) also gets
 * a copy of every group datagram. Then each unicast datagram is delivered
 * one timer turn late, and dropped when the same bytes from the same sender
 * arrived on a group socket. Bind a specific address to avoid that delay.
 * Made by {@linkcode bindMulticastUdp}.
 *
 * @example Usage
 * ```ts
 * import { bindMulticastUdp, bindUdp, type DatagramInfo } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * await using member = await bindMulticastUdp({
 *   hostname: "127.0.0.1",
 *   multicast: { groups: ["224.0.1.187"], interface: "127.0.0.1" },
 * });
 * await using sender = await bindUdp({
 *   hostname: "127.0.0.1",
 *   multicast: { groups: [], interface: "127.0.0.1", hops: 1 },
 * });
 * const info = new Promise<DatagramInfo | undefined>((resolve) =>
 *   member.listen({ onDatagram: (_data, _from, info) => resolve(info) })
 * );
 * sender.send(new Uint8Array([1]), { hostname: "224.0.1.187", port: member.localAddress.port });
 * assertEquals(await info, { group: "224.0.1.187" });
 * ```
 */
export class MulticastUdpTransport implements Transport {
  #unicast: UdpTransport;
  #members: readonly (readonly [string, UdpTransport])[];
  #slot = new ReceiverSlot();
  #wildcard: boolean;
  #recent: Recent[] = [];
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #closing: Promise<void> | undefined;

  /**
   * Wraps bound sockets; use {@linkcode bindMulticastUdp}.
   *
   * @param unicast The socket to send from and receive unicast on.
   * @param members One socket per group, bound to the group address.
   */
  constructor(
    unicast: UdpTransport,
    members: readonly (readonly [string, UdpTransport])[],
  ) {
    this.#unicast = unicast;
    this.#members = members;
    const host = unicast.localAddress.hostname;
    this.#wildcard = host === "0.0.0.0" || host === "::";
    const onError = (error: Error) => this.#slot.error(error);
    unicast.listen({
      onDatagram: (data, from) => this.#unicastDatagram(data, from),
      onError,
    });
    for (const [group, member] of members) {
      const info: DatagramInfo = { group };
      member.listen({
        onDatagram: (data, from) => {
          if (this.#wildcard) this.#remember(data, from);
          this.#slot.deliver(data, from, info);
        },
        onError,
      });
    }
  }

  /**
   * The unicast socket's address.
   *
   * @returns The local address.
   */
  get localAddress(): PeerAddress {
    return this.#unicast.localAddress;
  }

  /**
   * The groups joined.
   *
   * @returns The group addresses.
   */
  get groups(): string[] {
    return this.#members.map(([group]) => group);
  }

  /**
   * Sets the receiver (replacing any earlier one).
   *
   * @param receiver Gets datagrams, with `info.group` for multicast ones.
   * @throws {TypeError} When `receiver` has no `onDatagram` method.
   */
  listen(receiver: TransportReceiver): void {
    this.#slot.listen(receiver);
  }

  /**
   * Sends from the unicast socket (to a group too, with the multicast
   * interface, hops and loopback given at bind time).
   *
   * @param data The datagram.
   * @param to The destination.
   * @throws {TypeError} When `data` is not a Uint8Array.
   */
  send(data: Uint8Array, to: PeerAddress): void {
    this.#unicast.send(data, to);
  }

  /**
   * Closes every socket. Safe to call more than once.
   *
   * @returns A promise that resolves when they are closed.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#slot.close();
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      this.#recent = [];
      this.#closing = Promise.all([
        this.#unicast.close(),
        ...this.#members.map(([, member]) => member.close()),
      ]).then(() => {});
    }
    return this.#closing;
  }

  /**
   * Closes every socket, for `await using`.
   *
   * @returns A promise that resolves when they are closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #unicastDatagram(data: Uint8Array, from: PeerAddress): void {
    if (!this.#wildcard) {
      this.#slot.deliver(data, from);
      return;
    }
    // The kernel queues both copies of a group datagram at once, so by the
    // next timer turn the group socket has read its copy.
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#seenOnGroup(data, from)) this.#slot.deliver(data, from);
    }, 0);
    this.#timers.add(timer);
  }

  #remember(data: Uint8Array, from: PeerAddress): void {
    const now = Date.now();
    const recent = this.#recent;
    while (
      recent.length > 0 &&
      (recent.length >= REMEMBER_MAX || now - recent[0]!.at > REMEMBER_MS)
    ) recent.shift();
    recent.push({ from, data: data.slice(), at: now });
  }

  #seenOnGroup(data: Uint8Array, from: PeerAddress): boolean {
    const recent = this.#recent;
    for (let i = 0; i < recent.length; i++) {
      const entry = recent[i]!;
      if (
        entry.from.port === from.port &&
        entry.from.hostname === from.hostname && equals(entry.data, data)
      ) {
        recent.splice(i, 1);
        return true;
      }
    }
    return false;
  }
}

/**
 * Binds a UDP transport that receives the given multicast groups and tells
 * which datagrams came by multicast (see {@linkcode MulticastUdpTransport}).
 * The unicast socket is bound as `bindUdp` would (with `reuseAddr` on when
 * its address is a wildcard, so the group sockets can share its port); each
 * group socket binds the group address on the same port with `reuseAddr`,
 * so several servers on one host can be members. For an IPv6 group with a
 * link-local or interface-local scope, the scope of `multicast.interface`
 * (`"::%eth0"`) is added to the group's bind address.
 *
 * @param options As for `bindUdp`, with `multicast` required.
 * @returns The bound transport.
 * @throws {TypeError} When an option has the wrong type or a group is not a
 * multicast address.
 * @throws {TransportError} When a socket cannot be bound or a group joined.
 *
 * @example Two members of one group on one host
 * ```ts
 * import { bindMulticastUdp, bindUdp } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const multicast = { groups: ["224.0.1.187"], interface: "127.0.0.1" };
 * await using a = await bindMulticastUdp({ hostname: "127.0.0.1", multicast });
 * await using b = await bindMulticastUdp({ hostname: "127.0.0.2", port: a.localAddress.port, multicast });
 * await using sender = await bindUdp({ hostname: "127.0.0.1", multicast: { groups: [], interface: "127.0.0.1" } });
 * const got = (member: typeof a) =>
 *   new Promise<string>((resolve) => member.listen({ onDatagram: (_d, _f, info) => resolve(String(info?.group)) }));
 * const both = Promise.all([got(a), got(b)]);
 * sender.send(new Uint8Array([7]), { hostname: "224.0.1.187", port: a.localAddress.port });
 * assertEquals(await both, ["224.0.1.187", "224.0.1.187"]);
 * ```
 */
export async function bindMulticastUdp(
  options: BindMulticastUdpOptions,
): Promise<MulticastUdpTransport> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      "Cannot bind multicast UDP socket: options must be an object",
    );
  }
  const multicast = options.multicast;
  if (
    multicast === null || typeof multicast !== "object" ||
    !Array.isArray(multicast.groups)
  ) {
    throw new TypeError(
      "Cannot bind multicast UDP socket: multicast.groups must be an array of strings",
    );
  }
  for (const group of multicast.groups) {
    if (typeof group !== "string" || !isGroup(group)) {
      throw new TypeError(
        `Cannot bind multicast UDP socket: ${
          String(group)
        } is not a multicast address`,
      );
    }
  }
  const family = options.family ??
    (options.hostname?.includes(":") ? "IPv6" : "IPv4");
  const hostname = options.hostname ?? (family === "IPv6" ? "::" : "0.0.0.0");
  const wildcard = hostname === "0.0.0.0" || hostname === "::";
  const unicast = await bindUdp({
    ...options,
    hostname,
    family,
    reuseAddr: options.reuseAddr ?? wildcard,
    // The unicast socket sends (to groups too) but joins nothing itself.
    multicast: { ...multicast, groups: [] },
  });
  const members: [string, UdpTransport][] = [];
  try {
    const scope = multicast.interface?.includes("%")
      ? multicast.interface.slice(multicast.interface.indexOf("%"))
      : "";
    for (const group of multicast.groups) {
      const local = /^ff[0-9a-f][12]:/i.test(group) && !group.includes("%")
        ? group + scope
        : group;
      const member = await bindUdp({
        hostname: local,
        port: unicast.localAddress.port,
        family,
        reuseAddr: true,
        ...(family === "IPv6" ? { ipv6Only: true } : {}),
        ...(options.maxDatagramSize === undefined
          ? {}
          : { maxDatagramSize: options.maxDatagramSize }),
        multicast: {
          groups: [group],
          ...(multicast.interface === undefined
            ? {}
            : { interface: multicast.interface }),
        },
      });
      members.push([group, member]);
    }
  } catch (error) {
    await Promise.all([
      unicast.close(),
      ...members.map(([, member]) => member.close()),
    ]);
    throw error;
  }
  return new MulticastUdpTransport(unicast, members);
}
