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
   * transport never reuses it).
   */
  onDatagram(data: Uint8Array, from: PeerAddress): void;
  /**
   * Called for socket errors (send failures, ICMP unreachable where the
   * platform reports it). Without it, errors are dropped.
   */
  onError?(error: Error): void;
}

/**
 * A datagram transport: sends bytes to peers and delivers received datagrams
 * with their sender's address. Closing is idempotent.
 *
 * @example Usage
 * ```ts
 * import { FakeClock } from "@microcoap/transport";
 * import type { Transport } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * const a: Transport = network.bind();
 * await a.close();
 * assertEquals(typeof a.localAddress.port, "number");
 * ```
 */
export interface Transport extends AsyncDisposable {
  /** The local address the transport is bound to. */
  readonly localAddress: PeerAddress;
  /** Sets the receiver for incoming datagrams (one at a time; replaces any earlier). */
  listen(receiver: TransportReceiver): void;
  /**
   * Sends one datagram. Never throws for network conditions: failures go to
   * the receiver's `onError`.
   */
  send(data: Uint8Array, to: PeerAddress): void;
  /** Stops receiving and releases the socket. Safe to call more than once. */
  close(): Promise<void>;
}
