// Copyright 2026 the microcoap authors. MIT license.
// A transport wrapper that records what it sends. Only imported by *_test.ts
// files and the packages' _test_helpers.ts.
import { decode } from "@microcoap/codec";
import type { CoapMessage } from "@microcoap/codec";
import type {
  Clock,
  PeerAddress,
  Transport,
  TransportReceiver,
} from "@microcoap/transport";

/** One datagram sent through a tapped transport. */
export interface Sent {
  /** The clock's time when it was sent. */
  readonly at: number;
  /** Where it went. */
  readonly to: PeerAddress;
  /** The decoded message. */
  readonly message: CoapMessage;
  /** A copy of the bytes. */
  readonly bytes: Uint8Array;
}

/** Wraps a transport and records every datagram it sends in `log`. */
export function tap(
  transport: Transport,
  clock: Clock,
  log: Sent[],
): Transport {
  return {
    get localAddress() {
      return transport.localAddress;
    },
    listen: (receiver: TransportReceiver) => transport.listen(receiver),
    send(data: Uint8Array, to: PeerAddress) {
      log.push({
        at: clock.now(),
        to,
        message: decode(data),
        bytes: data.slice(),
      });
      transport.send(data, to);
    },
    close: () => transport.close(),
    [Symbol.asyncDispose]: () => transport.close(),
  };
}
