// Copyright 2026 the microcoap authors. MIT license.
/**
 * Injectable time: the system clock, and a fake clock for deterministic tests.
 *
 * @module
 */

/** A cancellable timer handle. */
export type TimerHandle = unknown;

/**
 * What the reliability logic needs of time.
 *
 * @example Usage
 * ```ts
 * import { systemClock } from "@microcoap/transport";
 * import { assert } from "@std/assert";
 *
 * assert(systemClock.now() > 0);
 * ```
 */
export interface Clock {
  /** Milliseconds since an arbitrary fixed point. */
  now(): number;
  /** Runs `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; ignores handles already run or cancelled. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock. Its timers do not keep the process alive on their own
 * (retransmission timers of an idle endpoint must not block exit).
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(callback: () => void, ms: number): TimerHandle {
    const handle = setTimeout(callback, ms);
    // Deno and Node: timers are refed by default.
    if (typeof handle === "number") {
      (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno
        ?.unrefTimer?.(handle);
    } else (handle as { unref?(): void }).unref?.();
    return handle;
  },
  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle as number);
  },
};

interface FakeTimer {
  at: number;
  seq: number;
  callback: () => void;
}

/**
 * A clock that only moves when told to. Timers run in time order (ties in
 * the order they were set) during {@linkcode FakeClock.tick}.
 *
 * @example Usage
 * ```ts
 * import { FakeClock } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * const fired: number[] = [];
 * clock.setTimeout(() => fired.push(clock.now()), 2000);
 * await clock.tick(1999);
 * assertEquals(fired, []);
 * await clock.tick(1);
 * assertEquals(fired, [2000]);
 * ```
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Map<number, FakeTimer>();

  /**
   * Constructs a new instance.
   *
   * @param start The starting time in milliseconds.
   */
  constructor(start = 0) {
    this.#now = start;
  }

  /**
   * The current fake time.
   *
   * @returns Milliseconds.
   */
  now(): number {
    return this.#now;
  }

  /**
   * Schedules a callback.
   *
   * @param callback What to run.
   * @param ms After how many fake milliseconds.
   * @returns A handle for {@linkcode FakeClock.clearTimeout}.
   */
  setTimeout(callback: () => void, ms: number): TimerHandle {
    const seq = ++this.#seq;
    this.#timers.set(seq, { at: this.#now + Math.max(0, ms), seq, callback });
    return seq;
  }

  /**
   * Cancels a timer.
   *
   * @param handle The handle from {@linkcode FakeClock.setTimeout}.
   */
  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  /** The number of timers not yet run. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, running every timer that falls due, in order.
   * Between timers it lets pending promise callbacks run, so async code
   * triggered by one timer can set the next.
   *
   * @param ms How far to move, in milliseconds.
   */
  async tick(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flush();
    for (;;) {
      let next: FakeTimer | undefined;
      for (const timer of this.#timers.values()) {
        if (timer.at <= target && (!next || timer.at < next.at)) next = timer;
      }
      if (!next) break;
      this.#timers.delete(next.seq);
      this.#now = next.at;
      next.callback();
      await flush();
    }
    this.#now = target;
    await flush();
  }

  /**
   * Runs timers until none are left or `limit` ms have passed.
   *
   * @param limit The most fake time to let pass.
   */
  async runAll(limit = 24 * 3600_000): Promise<void> {
    await this.tick(0);
    const end = this.#now + limit;
    while (this.#timers.size > 0 && this.#now < end) {
      let soonest = Infinity;
      for (const timer of this.#timers.values()) {
        soonest = Math.min(soonest, timer.at);
      }
      await this.tick(Math.min(soonest, end) - this.#now);
    }
  }
}

async function flush(): Promise<void> {
  // Several turns: promise chains of a few hops settle before time moves on.
  for (let i = 0; i < 8; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
}
