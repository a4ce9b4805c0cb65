// Copyright 2026 the microcoap authors. MIT license.
// The receiver side every transport shares: the current receiver, a short
// queue for datagrams that arrive before `listen()`, and error routing.
import type { DatagramInfo, PeerAddress, TransportReceiver } from "./types.ts";

/** How many datagrams are kept while no receiver is set. */
export const MAX_QUEUED = 32;

/** Holds the receiver of one transport. */
export class ReceiverSlot {
  #receiver: TransportReceiver | undefined;
  #queue: [Uint8Array, PeerAddress, DatagramInfo | undefined][] = [];
  #flushing = false;
  #closed = false;

  /** Whether the transport has been closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sets the receiver; queued datagrams follow on a microtask, in order. */
  listen(receiver: TransportReceiver): void {
    if (this.#closed) return;
    if (
      receiver === null || typeof receiver !== "object" ||
      typeof receiver.onDatagram !== "function"
    ) {
      throw new TypeError(
        "Cannot listen: receiver must be an object with an onDatagram method",
      );
    }
    this.#receiver = receiver;
    if (this.#queue.length > 0 && !this.#flushing) {
      this.#flushing = true;
      queueMicrotask(() => this.#flush());
    }
  }

  /** Hands a datagram to the receiver, or queues it (bounded) until there is one. */
  deliver(data: Uint8Array, from: PeerAddress, info?: DatagramInfo): void {
    if (this.#closed) return;
    const receiver = this.#receiver;
    if (receiver !== undefined && this.#queue.length === 0) {
      try {
        if (info === undefined) receiver.onDatagram(data, from);
        else receiver.onDatagram(data, from, info);
      } catch (error) {
        rethrow(error);
      }
    } else if (this.#queue.length < MAX_QUEUED) {
      this.#queue.push([data, from, info]);
    }
  }

  /** Reports an error to the receiver; dropped without one. */
  error(error: Error): void {
    if (this.#closed) return;
    const onError = this.#receiver?.onError;
    if (onError === undefined) return;
    try {
      onError.call(this.#receiver, error);
    } catch (thrown) {
      rethrow(thrown);
    }
  }

  /** Detaches the receiver and forgets queued datagrams. */
  close(): void {
    this.#closed = true;
    this.#receiver = undefined;
    this.#queue = [];
  }

  #flush(): void {
    this.#flushing = false;
    while (this.#queue.length > 0 && this.#receiver !== undefined) {
      const [data, from, info] = this.#queue.shift()!;
      try {
        if (info === undefined) this.#receiver.onDatagram(data, from);
        else this.#receiver.onDatagram(data, from, info);
      } catch (error) {
        rethrow(error);
      }
    }
  }
}

// A receiver that throws has a bug; surface it as an uncaught error the way
// an event listener's would, without breaking the transport's receive path.
function rethrow(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
