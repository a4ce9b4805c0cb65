// Copyright 2026 the microcoap authors. MIT license.
// The real clock with ordinary (refed) timers, for work that must keep the
// process alive the way an open socket does: datagrams in flight on a
// MemoryNetwork, the poll loop of a custom socket.
import type { Clock, TimerHandle } from "./clock.ts";

export const refClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback: () => void, ms: number): TimerHandle =>
    setTimeout(callback, ms),
  clearTimeout: (handle: TimerHandle): void => clearTimeout(handle as number),
};

/**
 * Throws a TypeError naming what was being done unless `clock` has the
 * timer methods a transport schedules with.
 */
export function checkTimerClock(clock: Clock, what: string): void {
  if (
    clock === null || typeof clock !== "object" ||
    typeof clock.setTimeout !== "function" ||
    typeof clock.clearTimeout !== "function"
  ) {
    throw new TypeError(
      `Cannot ${what}: clock must have setTimeout and clearTimeout`,
    );
  }
}
