// Copyright 2026 the microcoap authors. MIT license.
/**
 * Injectable time: the system clock, and a fake clock for deterministic tests.
 *
 * @module
 */

/**
 * A cancellable timer handle: whatever a {@linkcode Clock}'s `setTimeout`
 * returns, to be given back to its `clearTimeout`.
 *
 * @example Usage
 * ```ts
 * import { FakeClock, type TimerHandle } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * let fired = false;
 * const handle: TimerHandle = clock.setTimeout(() => fired = true, 100);
 * clock.clearTimeout(handle);
 * await clock.tick(100);
 * assertEquals(fired, false);
 * ```
 */
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
 * (retransmission timers of an idle endpoint must not block exit), so a
 * program, or a test, that waits only for such a timer ends early: Deno
 * reports "Promise resolution is still pending but the event loop has already
 * resolved". An open socket keeps the process alive.
 *
 * @example Usage
 * ```ts
 * import { systemClock } from "@microcoap/transport";
 * import { assert } from "@std/assert";
 *
 * let fired = false;
 * const handle = systemClock.setTimeout(() => fired = true, 10);
 * systemClock.clearTimeout(handle);
 * assert(!fired);
 * ```
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
 * the order they were set) during {@linkcode FakeClock.tick} and
 * {@linkcode FakeClock.runAll}. A delay that is negative or NaN counts as 0
 * and `Infinity` never falls due. Do not call `tick` or `runAll` while another
 * call is still running.
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
  // Live timers by handle; the heap may still hold cancelled ones (skipped).
  #timers = new Map<number, FakeTimer>();
  #heap: FakeTimer[] = [];

  /**
   * Constructs a new instance.
   *
   * @param start The starting time in milliseconds.
   * @throws {RangeError} When `start` is not a finite number.
   */
  constructor(start = 0) {
    if (!Number.isFinite(start)) {
      throw new RangeError(
        `Cannot create fake clock: start is ${start}, expected a finite number`,
      );
    }
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
   * @param ms After how many fake milliseconds (negative or NaN: 0).
   * @returns A handle for {@linkcode FakeClock.clearTimeout}.
   */
  setTimeout(callback: () => void, ms: number): TimerHandle {
    const seq = ++this.#seq;
    const timer = { at: this.#now + (ms > 0 ? ms : 0), seq, callback };
    this.#timers.set(seq, timer);
    heapPush(this.#heap, timer);
    return seq;
  }

  /**
   * Cancels a timer.
   *
   * @param handle The handle from {@linkcode FakeClock.setTimeout}.
   */
  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === "number") this.#timers.delete(handle);
  }

  /**
   * The number of timers not yet run or cancelled.
   *
   * @returns The count.
   */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, running every timer that falls due, in order.
   * Before the first timer, between timers and at the end it lets pending
   * promise callbacks run (it waits for a macrotask), so async code triggered
   * by one timer can set the next; timers set during the tick run in the same
   * tick when they fall due within it.
   *
   * @param ms How far to move, in milliseconds.
   * @returns A promise that resolves when time has moved and due timers ran.
   * @throws {RangeError} When `ms` is negative or not finite.
   */
  async tick(ms: number): Promise<void> {
    if (!(ms >= 0 && ms !== Infinity)) {
      throw new RangeError(
        `Cannot tick fake clock: ms is ${ms}, expected a finite number of at least 0`,
      );
    }
    const target = this.#now + ms;
    await flush();
    for (;;) {
      const next = this.#peek();
      if (!next || next.at > target) break;
      heapPop(this.#heap);
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
   * @returns A promise that resolves when no timers are left or the limit is reached.
   * @throws {RangeError} When `limit` is negative or not finite.
   */
  async runAll(limit = 24 * 3600_000): Promise<void> {
    if (!(limit >= 0 && limit !== Infinity)) {
      throw new RangeError(
        `Cannot run fake timers: limit is ${limit}, expected a finite number of at least 0`,
      );
    }
    await this.tick(0);
    const end = this.#now + limit;
    for (;;) {
      const next = this.#peek();
      if (!next || this.#now >= end) break;
      await this.tick(Math.min(next.at, end) - this.#now);
    }
  }

  #peek(): FakeTimer | undefined {
    const heap = this.#heap;
    // Drop cancelled timers from the top.
    while (heap.length > 0 && !this.#timers.has(heap[0]!.seq)) heapPop(heap);
    return heap[0];
  }
}

function before(a: FakeTimer, b: FakeTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

function heapPush(heap: FakeTimer[], timer: FakeTimer): void {
  let i = heap.push(timer) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(timer, heap[parent]!)) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = timer;
}

function heapPop(heap: FakeTimer[]): void {
  const last = heap.pop()!;
  if (heap.length === 0) return;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child = right < heap.length && before(heap[right]!, heap[left]!)
      ? right
      : left;
    if (!before(heap[child]!, last)) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = last;
}

// A macrotask without timer clamping (setTimeout(0) costs 1 to 4 ms per call
// once nested): every promise callback queued so far has run when it fires.
// A function rather than a constant chosen at load, so that bundles without
// FakeClock drop it.
function macrotask(callback: () => void): void {
  const global = globalThis as {
    setImmediate?: (callback: () => void) => void;
  };
  if (typeof global.setImmediate === "function") global.setImmediate(callback);
  else setTimeout(callback, 0);
}

function flush(): Promise<void> {
  return new Promise<void>((resolve) => macrotask(resolve));
}
