// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertStrictEquals, assertThrows } from "@std/assert";
import { MAX_QUEUED, ReceiverSlot } from "./_receiver_slot.ts";
import { Collector } from "./_test_utils.ts";

const from = { hostname: "192.0.2.1", port: 5683 };

Deno.test("ReceiverSlot queues at most MAX_QUEUED datagrams before listen()", async () => {
  const slot = new ReceiverSlot();
  for (let i = 0; i < MAX_QUEUED + 5; i++) {
    slot.deliver(new Uint8Array([i]), from);
  }
  const collector = new Collector();
  slot.listen(collector);
  assertEquals(collector.datagrams, []); // Not re-entrantly.
  await Promise.resolve();
  assertEquals(
    collector.datagrams.map(({ data }) => data[0]),
    Array.from({ length: MAX_QUEUED }, (_, i) => i),
  );
});

Deno.test("ReceiverSlot delivers datagrams arriving during the hand-over after the queued ones", async () => {
  const slot = new ReceiverSlot();
  slot.deliver(new Uint8Array([1]), from);
  slot.deliver(new Uint8Array([2]), from);
  const collector = new Collector();
  slot.listen(collector);
  slot.deliver(new Uint8Array([3]), from);
  await Promise.resolve();
  slot.deliver(new Uint8Array([4]), from);
  assertEquals(collector.datagrams.map(({ data }) => data[0]), [1, 2, 3, 4]);
});

Deno.test("ReceiverSlot drops errors without a receiver and routes them with one", () => {
  const slot = new ReceiverSlot();
  slot.error(new Error("dropped"));
  const collector = new Collector();
  slot.listen(collector);
  const error = new Error("kept");
  slot.error(error);
  assertEquals(collector.errors.length, 1);
  assertStrictEquals(collector.errors[0], error);
  slot.listen({ onDatagram() {} }); // No onError: dropped.
  slot.error(new Error("dropped too"));
  assertEquals(collector.errors.length, 1);
});

Deno.test("ReceiverSlot after close() delivers nothing and ignores listen()", async () => {
  const slot = new ReceiverSlot();
  slot.deliver(new Uint8Array([1]), from);
  slot.close();
  const collector = new Collector();
  slot.listen(collector);
  slot.deliver(new Uint8Array([2]), from);
  slot.error(new Error("late"));
  await Promise.resolve();
  assertEquals(collector.datagrams, []);
  assertEquals(collector.errors, []);
  assertEquals(slot.closed, true);
});

Deno.test("ReceiverSlot.listen() rejects a receiver without onDatagram", () => {
  const slot = new ReceiverSlot();
  // @ts-expect-error: a wrong receiver at run time
  assertThrows(() => slot.listen({}), TypeError, "onDatagram");
  // @ts-expect-error: null at run time
  assertThrows(() => slot.listen(null), TypeError);
});

Deno.test("ReceiverSlot rethrows a receiver's exception asynchronously and keeps delivering", async () => {
  const uncaught: unknown[] = [];
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    uncaught.push(event.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    const slot = new ReceiverSlot();
    const seen: number[] = [];
    const bug = new Error("receiver bug");
    slot.listen({
      onDatagram(data) {
        seen.push(data[0]!);
        if (data[0] === 1) throw bug;
      },
    });
    slot.deliver(new Uint8Array([1]), from);
    slot.deliver(new Uint8Array([2]), from);
    assertEquals(seen, [1, 2]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assertEquals(uncaught, [bug]);
  } finally {
    globalThis.removeEventListener("error", onError);
  }
});
