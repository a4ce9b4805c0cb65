// Copyright 2026 the microcoap authors. MIT license.
// The server's list of observers (RFC 7641 §4.1) and the per-observer
// notification state: sequence numbers, the confirmable in flight, the
// 24-hour confirmable rule.
import type { CoapMessage, CoapOption } from "@microcoap/codec";
import type { PeerAddress, TimerHandle } from "@microcoap/transport";

/** The Observe option's range: 24 bits. */
export const OBSERVE_MODULUS = 0x1000000;

/** A confirmable notification must go out at least this often (RFC 7641 §4.5). */
export const CONFIRMABLE_INTERVAL = 24 * 3600_000;

/** Retransmission progress handed from a replaced confirmable notification to its successor. */
export interface CarriedRetransmission {
  attempt: number;
  timeout: number;
  due: number;
}

/** A notification waiting for the confirmable one in flight to end. */
export interface PendingNotification {
  readonly code: number;
  readonly options: readonly CoapOption[];
  readonly payload: Uint8Array;
  /** Whether it was asked for as confirmable. */
  readonly confirmable: boolean;
}

/** One registered observer. `R` is the server's route record. */
export interface Observer<R> {
  readonly key: string;
  readonly peer: PeerAddress;
  readonly token: Uint8Array;
  /** The registering request, re-run for each notification. */
  readonly request: CoapMessage;
  readonly params: Readonly<Record<string, string>>;
  readonly route: R;
  /** The largest block size exponent for notifications. */
  readonly szx: number;
  /** The last Observe value sent. */
  sequence: number;
  /** When the last confirmable notification (or the registration) went out. */
  lastConfirmable: number;
  /** Non-confirmable notifications sent since the last confirmable one. */
  nonInARow: number;
  /** Notifications requested so far, and the newest one sent (older results are dropped). */
  requested: number;
  sent: number;
  /** The confirmable notification in flight, if any. */
  inFlight: AbortController | undefined;
  /** The newest state waiting while a confirmable one is in flight. */
  pending: PendingNotification | undefined;
  /** Sends `pending` in place of the next retransmission. */
  replacement: TimerHandle | undefined;
  /** Shared with the endpoint so a replacement continues the backoff. */
  retransmission: CarriedRetransmission;
  /** Re-sends before Max-Age runs out. */
  refresh: TimerHandle | undefined;
  removed: boolean;
}

/** The next Observe value after `value` (24-bit wrap-around). */
export function nextSequence(value: number): number {
  return (value + 1) % OBSERVE_MODULUS;
}

/** A fresh carried-retransmission record (nothing sent yet). */
export function freshRetransmission(): CarriedRetransmission {
  return { attempt: -1, timeout: 0, due: 0 };
}

/** Observers by peer and token, bounded. */
export class ObserverRegistry<R> {
  #byKey = new Map<string, Observer<R>>();
  #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#byKey.size;
  }

  get(key: string): Observer<R> | undefined {
    return this.#byKey.get(key);
  }

  /** Whether a new registration (not replacing `key`) would exceed the bound. */
  full(key: string): boolean {
    return !this.#byKey.has(key) && this.#byKey.size >= this.#max;
  }

  set(observer: Observer<R>): void {
    this.#byKey.set(observer.key, observer);
  }

  /** Removes the observer if it is the one registered under its key. */
  delete(observer: Observer<R>): boolean {
    if (this.#byKey.get(observer.key) !== observer) return false;
    this.#byKey.delete(observer.key);
    return true;
  }

  values(): IterableIterator<Observer<R>> {
    return this.#byKey.values();
  }

  clear(): void {
    this.#byKey.clear();
  }
}
