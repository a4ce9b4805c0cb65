// Copyright 2026 the microcoap authors. MIT license.
// Driving a server without sockets, for benchmarks and flood tests: a
// transport whose datagrams the caller injects, and numbered requests from
// numbered peers.
import { encode } from "@microcoap/codec";
import type { CoapOption } from "@microcoap/codec";
import type {
  PeerAddress,
  Transport,
  TransportReceiver,
} from "@microcoap/transport";

/** A transport whose datagrams the caller injects and whose sends it counts. */
export class DirectTransport implements Transport {
  readonly localAddress: PeerAddress = { hostname: "127.0.0.1", port: 5683 };
  receiver: TransportReceiver | undefined;
  sent = 0;
  lastSent: Uint8Array | undefined;
  listen(receiver: TransportReceiver): void {
    this.receiver = receiver;
  }
  send(data: Uint8Array): void {
    this.sent++;
    this.lastSent = data;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

const text = new TextEncoder();

/** CON request number `id` (message ID and token from it) for /`path`. */
export function numberedRequest(
  id: number,
  path: string,
  options: CoapOption[] = [],
  payload: Uint8Array = new Uint8Array(0),
  code = 1,
): Uint8Array {
  return encode({
    type: "CON",
    code,
    messageId: id & 0xffff,
    token: new Uint8Array([id >>> 16, id >>> 8, id]),
    options: [{ number: 11, value: text.encode(path) }, ...options].sort((
      a,
      b,
    ) => a.number - b.number),
    payload,
  }).slice();
}

/** Peer number `i`: a distinct address for each of 2^24 peers. */
export function numberedPeer(i: number): PeerAddress {
  return {
    hostname: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`,
    port: 5683 + (i >>> 24),
  };
}
