// Copyright 2026 the microcoap authors. MIT license.
import type {
  PeerAddress,
  Transport,
  TransportReceiver,
} from "@microcoap/transport";

/** A transport whose datagrams the benchmark injects and whose sends it counts. */
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
