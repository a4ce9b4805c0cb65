// Copyright 2026 the microcoap authors. MIT license.
/**
 * The datagram transport interface every CoAP endpoint runs on.
 *
 * @module
 */

/**
 * A peer's (or our own) transport address. For IP transports `hostname` is a
 * numeric IPv4 or IPv6 address (IPv6 without brackets; IPv4-mapped IPv6
 * addresses are reported in their IPv4 form).
 *
 * @example Usage
 * ```ts
 * import type { PeerAddress } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const peer: PeerAddress = { hostname: "::1", port: 5683 };
 * assertEquals(peer.port, 5683);
 * ```
 */
export interface PeerAddress {
  /** The numeric address (or another transport's name for the peer). */
  readonly hostname: string;
  /** The port. */
  readonly port: number;
}

/**
 * What a transport knows about how a datagram arrived, beyond its sender.
 *
 * @example Usage
 * ```ts
 * import { FakeClock, MemoryNetwork, type DatagramInfo } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * const member = network.bind({ port: 5683, groups: ["224.0.1.187"] });
 * const infos: (DatagramInfo | undefined)[] = [];
 * member.listen({ onDatagram: (_data, _from, info) => infos.push(info) });
 * const sender = network.bind();
 * sender.send(new Uint8Array([1]), { hostname: "224.0.1.187", port: 5683 });
 * sender.send(new Uint8Array([2]), member.localAddress);
 * await clock.tick(0);
 * assertEquals(infos, [{ group: "224.0.1.187" }, undefined]);
 * ```
 */
export interface DatagramInfo {
  /**
   * The multicast group the datagram was sent to, when it arrived by
   * multicast; absent for unicast datagrams.
   */
  readonly group?: string;
}

/**
 * Receives what a transport delivers.
 *
 * @example Usage
 * ```ts
 * import type { TransportReceiver } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const seen: number[] = [];
 * const receiver: TransportReceiver = {
 *   onDatagram(data) {
 *     seen.push(data.length);
 *   },
 * };
 * receiver.onDatagram(new Uint8Array(4), { hostname: "127.0.0.1", port: 5683 });
 * assertEquals(seen, [4]);
 * ```
 */
export interface TransportReceiver {
  /**
   * Called once per received datagram. `data` belongs to the receiver (the
   * transport never reuses it). `info` is given by transports that know
   * more, such as the multicast group a datagram was sent to.
   */
  onDatagram(data: Uint8Array, from: PeerAddress, info?: DatagramInfo): void;
  /**
   * Called for socket errors (send failures, ICMP unreachable where the
   * platform reports it). Without it, errors are dropped.
   */
  onError?(error: Error): void;
}

/**
 * A datagram transport: sends bytes to peers and delivers received datagrams
 * with their sender's address. Implementations in this package: UDP
 * (`bindUdp`, `bindDenoUdp`), the in-memory `MemoryNetwork` and the custom
 * socket adapter (`socketAdapter`). They share these behaviours: datagrams
 * that arrive before the first `listen()` are kept (up to 32) and delivered
 * once it is called; `send` after `close()` does nothing; closing is
 * idempotent.
 *
 * @example Usage
 * ```ts
 * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
 * import type { PeerAddress, Transport } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * const network = new MemoryNetwork({ clock });
 * const a: Transport = network.bind();
 * const b: Transport = network.bind();
 * const senders: PeerAddress[] = [];
 * b.listen({ onDatagram: (_data, from) => senders.push(from) });
 * a.send(new Uint8Array([0x40, 0, 0, 1]), b.localAddress);
 * await clock.tick(0);
 * assertEquals(senders, [a.localAddress]);
 * await a.close();
 * await b.close();
 * ```
 */
export interface Transport extends AsyncDisposable {
  /** The local address the transport is bound to. */
  readonly localAddress: PeerAddress;
  /**
   * Sets the receiver for incoming datagrams (one at a time; replaces any
   * earlier). Throws a TypeError when `receiver` has no `onDatagram` method.
   */
  listen(receiver: TransportReceiver): void;
  /**
   * Sends one datagram, fire-and-forget. Never throws for network conditions
   * or bad addresses: failures go to the receiver's `onError` (as a
   * `TransportError` with the peer). Throws a TypeError only when `data` is
   * not a Uint8Array. Do not modify `data` afterwards: a transport may read
   * it after `send` returns.
   */
  send(data: Uint8Array, to: PeerAddress): void;
  /** Stops receiving and releases the socket. Safe to call more than once. */
  close(): Promise<void>;
}
