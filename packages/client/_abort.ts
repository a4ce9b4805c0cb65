// Copyright 2026 the microcoap authors. MIT license.
// Abort signal helpers.
import type { Clock, TimerHandle } from "@microcoap/transport";
import { CoapTimeoutError } from "@microcoap/endpoint";

/** Rejects with the signal's reason as soon as it aborts, else settles like `promise`. */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal,
): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** A signal that aborts with the caller's signal, or with a timeout error after `timeout` ms. */
export interface Deadline {
  /** The combined signal. */
  readonly signal: AbortSignal;
  /** Stops the timer and unlinks from the caller's signal. */
  dispose(): void;
}

/** Links the caller's signal and an overall timeout into one signal. */
export function deadline(
  clock: Clock,
  signal: AbortSignal | undefined,
  timeout: number | undefined,
  what: string,
): Deadline {
  const controller = new AbortController();
  let timer: TimerHandle | undefined;
  const onAbort = () => controller.abort(signal!.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener("abort", onAbort, { once: true });
  if (timeout !== undefined && !controller.signal.aborted) {
    timer = clock.setTimeout(() => {
      timer = undefined;
      controller.abort(
        new CoapTimeoutError(`${what}: no answer within ${timeout} ms`),
      );
    }, timeout);
  }
  return {
    signal: controller.signal,
    dispose() {
      signal?.removeEventListener("abort", onAbort);
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** Checks a timeout option: a positive number of ms, or `undefined`. */
export function checkTimeout(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !(value > 0)) {
    throw new RangeError(
      `Cannot use ${what}: ${value} is not a positive number of ms`,
    );
  }
  return value;
}
