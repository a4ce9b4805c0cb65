// Copyright 2026 the microcoap authors. MIT license.
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { FakeClock, systemClock } from "./clock.ts";

Deno.test("FakeClock starts at the given time and only moves on tick()", async () => {
  const clock = new FakeClock(500);
  assertEquals(clock.now(), 500);
  await clock.tick(0);
  assertEquals(clock.now(), 500);
  await clock.tick(250);
  assertEquals(clock.now(), 750);
});

Deno.test("FakeClock rejects a non-finite start", () => {
  assertThrows(() => new FakeClock(NaN), RangeError);
  assertThrows(() => new FakeClock(Infinity), RangeError);
});

Deno.test("FakeClock.tick() runs due timers in time order at their own time", async () => {
  const clock = new FakeClock();
  const fired: [string, number][] = [];
  clock.setTimeout(() => fired.push(["c", clock.now()]), 30);
  clock.setTimeout(() => fired.push(["a", clock.now()]), 10);
  clock.setTimeout(() => fired.push(["b", clock.now()]), 20);
  clock.setTimeout(() => fired.push(["late", clock.now()]), 31);
  await clock.tick(30);
  assertEquals(fired, [["a", 10], ["b", 20], ["c", 30]]);
  assertEquals(clock.pending, 1);
  await clock.tick(1);
  assertEquals(fired.at(-1), ["late", 31]);
  assertEquals(clock.pending, 0);
});

Deno.test("FakeClock runs timers due at the same time in the order they were set", async () => {
  const clock = new FakeClock();
  const fired: number[] = [];
  for (let i = 0; i < 20; i++) clock.setTimeout(() => fired.push(i), 5);
  clock.setTimeout(() => fired.push(-1), 4);
  await clock.tick(5);
  assertEquals(fired, [-1, ...Array.from({ length: 20 }, (_, i) => i)]);
});

Deno.test("FakeClock.clearTimeout() cancels a timer and ignores unknown handles", async () => {
  const clock = new FakeClock();
  const fired: string[] = [];
  const a = clock.setTimeout(() => fired.push("a"), 10);
  clock.setTimeout(() => fired.push("b"), 10);
  clock.clearTimeout(a);
  clock.clearTimeout(a);
  clock.clearTimeout(12345);
  clock.clearTimeout(undefined);
  assertEquals(clock.pending, 1);
  await clock.tick(10);
  assertEquals(fired, ["b"]);
});

Deno.test("FakeClock.clearTimeout() inside a callback cancels a timer due at the same time", async () => {
  const clock = new FakeClock();
  const fired: string[] = [];
  const handles: unknown[] = [];
  clock.setTimeout(() => {
    fired.push("first");
    clock.clearTimeout(handles[0]);
  }, 10);
  handles.push(clock.setTimeout(() => fired.push("second"), 10));
  await clock.tick(100);
  assertEquals(fired, ["first"]);
});

Deno.test("FakeClock runs timers set during a tick when they fall due within it", async () => {
  const clock = new FakeClock();
  const fired: [string, number][] = [];
  clock.setTimeout(() => {
    fired.push(["outer", clock.now()]);
    clock.setTimeout(() => fired.push(["nested", clock.now()]), 5);
    clock.setTimeout(() => fired.push(["zero", clock.now()]), 0);
    clock.setTimeout(() => fired.push(["beyond", clock.now()]), 50);
  }, 10);
  clock.setTimeout(() => fired.push(["other", clock.now()]), 12);
  await clock.tick(20);
  assertEquals(fired, [["outer", 10], ["zero", 10], ["other", 12], [
    "nested",
    15,
  ]]);
  assertEquals(clock.now(), 20);
  assertEquals(clock.pending, 1);
});

Deno.test("FakeClock lets async code triggered by a timer set the next one", async () => {
  const clock = new FakeClock();
  const fired: number[] = [];
  async function step(n: number): Promise<void> {
    fired.push(clock.now());
    // A chain of promise hops before the next timer is set.
    for (let i = 0; i < 50; i++) await Promise.resolve();
    if (n > 0) clock.setTimeout(() => step(n - 1), 100);
  }
  clock.setTimeout(() => step(3), 100);
  await clock.tick(1000);
  assertEquals(fired, [100, 200, 300, 400]);
});

Deno.test("FakeClock treats negative and NaN delays as 0 and Infinity as never", async () => {
  const clock = new FakeClock();
  const fired: string[] = [];
  clock.setTimeout(() => fired.push("negative"), -5);
  clock.setTimeout(() => fired.push("nan"), NaN);
  clock.setTimeout(() => fired.push("never"), Infinity);
  await clock.tick(0);
  assertEquals(fired, ["negative", "nan"]);
  await clock.runAll(1000);
  assertEquals(fired, ["negative", "nan"]);
  assertEquals(clock.now(), 1000);
});

Deno.test("FakeClock.tick() rejects a negative or non-finite step", async () => {
  const clock = new FakeClock();
  await assertRejects(() => clock.tick(-1), RangeError);
  await assertRejects(() => clock.tick(NaN), RangeError);
  await assertRejects(() => clock.tick(Infinity), RangeError);
  await assertRejects(() => clock.runAll(-1), RangeError);
  assertEquals(clock.now(), 0);
});

Deno.test("FakeClock.runAll() runs chains of timers until none are left", async () => {
  const clock = new FakeClock();
  const fired: number[] = [];
  let n = 0;
  function again(): void {
    fired.push(clock.now());
    if (++n < 5) clock.setTimeout(again, 1000 * n);
  }
  clock.setTimeout(again, 0);
  await clock.runAll();
  assertEquals(fired, [0, 1000, 3000, 6000, 10000]);
  assertEquals(clock.pending, 0);
  assertEquals(clock.now(), 10000);
});

Deno.test("FakeClock.runAll() stops at the limit and leaves later timers pending", async () => {
  const clock = new FakeClock();
  const fired: number[] = [];
  clock.setTimeout(() => fired.push(clock.now()), 100);
  clock.setTimeout(() => fired.push(clock.now()), 250);
  clock.setTimeout(() => fired.push(clock.now()), 251);
  await clock.runAll(250);
  assertEquals(fired, [100, 250]);
  assertEquals(clock.now(), 250);
  assertEquals(clock.pending, 1);
});

Deno.test("FakeClock handles thousands of timers quickly", async () => {
  const clock = new FakeClock();
  let count = 0;
  let last = -1;
  let ordered = true;
  for (let i = 0; i < 5000; i++) {
    const at = (i * 7919) % 5000;
    clock.setTimeout(() => {
      count++;
      if (clock.now() < last) ordered = false;
      last = clock.now();
    }, at);
  }
  const started = performance.now();
  await clock.runAll();
  assertEquals(count, 5000);
  assert(ordered);
  // Generous: the point is that no timer waits for a clamped real timeout.
  assert(performance.now() - started < 5000);
});

Deno.test("systemClock.setTimeout() runs callbacks and clearTimeout() cancels them", async () => {
  const fired: string[] = [];
  const cancelled = systemClock.setTimeout(() => fired.push("cancelled"), 1);
  systemClock.clearTimeout(cancelled);
  // The real timer is unrefed, so keep the event loop busy with a refed one.
  await new Promise<void>((resolve) => {
    systemClock.setTimeout(() => fired.push("ran"), 1);
    setTimeout(resolve, 20);
  });
  assertEquals(fired, ["ran"]);
  const before = systemClock.now();
  assert(systemClock.now() >= before);
});
