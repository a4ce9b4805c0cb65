// Copyright 2026 the microcoap authors. MIT license.
import {
  assert,
  assertEquals,
  assertLessOrEqual,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { DedupFilter, type DedupFilterOptions } from "@microcoap/dedup";

const PEER = "127.0.0.1:5683";
const OTHER = "[::1]:5683";
const TOKEN = new Uint8Array([0xde, 0xad]);

/** A filter on a fake clock that moves only when the test says so. */
function setup(
  options: DedupFilterOptions = {},
): { filter: DedupFilter; clock: { now: number } } {
  const clock = { now: 1_000 };
  const filter = new DedupFilter({ ...options, now: () => clock.now });
  return { filter, clock };
}

function status(result: { status: string }): string {
  return result.status;
}

Deno.test("check() reports a first CON as new and a retransmission as pending", () => {
  const { filter } = setup();
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "new");
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "pending");
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "pending");
  assertEquals(filter.size, 1);
});

Deno.test("check() replays the exact reply bytes for a duplicate CON", () => {
  const { filter } = setup();
  filter.check(PEER, 0x7d34, TOKEN, true);
  const reply = new Uint8Array([
    0x62,
    0x45,
    0x7d,
    0x34,
    0xde,
    0xad,
    0xff,
    0x32,
  ]);
  filter.setReply(PEER, 0x7d34, reply);
  const first = filter.check(PEER, 0x7d34, TOKEN, true);
  assert(first.status === "replay");
  assertEquals(first.reply, reply);
  // A whole-buffer array (as encode() returns) is kept, not copied.
  assertStrictEquals(first.reply, reply);
  // The replay result is made once and reused.
  assertStrictEquals(filter.check(PEER, 0x7d34, TOKEN, true), first);
});

Deno.test("setReply() copies a reply that is a view into a larger buffer", () => {
  const { filter } = setup();
  filter.check(PEER, 1, TOKEN, true);
  const sendBuffer = new Uint8Array(1_500);
  sendBuffer.set([0x60, 0x45, 0x00, 0x01, 0xde, 0xad], 100);
  filter.setReply(PEER, 1, sendBuffer.subarray(100, 106));
  // The send buffer is reused for the next datagram.
  sendBuffer.fill(0xee);
  const result = filter.check(PEER, 1, TOKEN, true);
  assert(result.status === "replay");
  assertEquals(
    result.reply,
    new Uint8Array([0x60, 0x45, 0x00, 0x01, 0xde, 0xad]),
  );
  // A copy in the filter's own reply memory, not a view of the send buffer.
  assert(result.reply.buffer !== sendBuffer.buffer);
  assertEquals(result.reply.byteLength, 6);
});

Deno.test("setReply() keeps copied view replies intact across many of them, long ones and replacements", () => {
  const { filter } = setup();
  const sendBuffer = new Uint8Array(8_192);
  const replyOf = (id: number, length: number): Uint8Array => {
    for (let i = 0; i < length; i++) sendBuffer[16 + i] = (id * 7 + i) & 0xff;
    return sendBuffer.subarray(16, 16 + length);
  };
  const lengthOf = (id: number): number => id === 77 ? 5_000 : 4 + (id % 40);
  // 30,000 peers x one reply: far more than one chunk of reply memory.
  for (let id = 0; id < 30_000; id++) {
    const peer = `10.0.${id >> 8}.${id & 255}:5683`;
    filter.check(peer, id & 0xffff, TOKEN, true);
    filter.setReply(peer, id & 0xffff, replyOf(id, lengthOf(id)));
  }
  // Replaced replies replay the newest.
  filter.setReply("10.0.0.5:5683", 5, replyOf(99_999, 9));
  sendBuffer.fill(0);
  for (const id of [0, 1, 5, 77, 4_095, 16_384, 29_999]) {
    const peer = `10.0.${id >> 8}.${id & 255}:5683`;
    const result = filter.check(peer, id & 0xffff, TOKEN, true);
    assert(result.status === "replay", `${id}`);
    const expected = id === 5 ? 99_999 : id;
    const length = id === 5 ? 9 : lengthOf(id);
    assertEquals(result.reply.length, length, `${id}`);
    for (let i = 0; i < length; i++) {
      if (result.reply[i] !== ((expected * 7 + i) & 0xff)) {
        throw new Error(`reply ${id} differs at byte ${i}`);
      }
    }
  }
});

Deno.test("check() replays the RST sent for a duplicated empty CON (ping)", () => {
  const { filter } = setup();
  const empty = new Uint8Array(0);
  assertEquals(status(filter.check(PEER, 9, empty, true)), "new");
  const rst = new Uint8Array([0x70, 0x00, 0x00, 0x09]);
  filter.setReply(PEER, 9, rst);
  assertEquals(filter.check(PEER, 9, empty, true), {
    status: "replay",
    reply: rst,
  });
});

Deno.test("check() replays the latest reply when setReply() is called twice", () => {
  const { filter } = setup();
  filter.check(PEER, 2, TOKEN, true);
  filter.setReply(PEER, 2, new Uint8Array([0x60, 0x00, 0x00, 0x02]));
  const response = new Uint8Array([0x60, 0x45, 0x00, 0x02]);
  filter.setReply(PEER, 2, response);
  assertEquals(filter.check(PEER, 2, TOKEN, true), {
    status: "replay",
    reply: response,
  });
});

Deno.test("check() reports a duplicate NON as duplicate, before and after setReply()", () => {
  const { filter } = setup();
  assertEquals(status(filter.check(PEER, 5, TOKEN, false)), "new");
  assertEquals(status(filter.check(PEER, 5, TOKEN, false)), "duplicate");
  filter.setReply(PEER, 5, new Uint8Array([0x50, 0x45, 0x00, 0x05]));
  assertEquals(status(filter.check(PEER, 5, TOKEN, false)), "duplicate");
});

Deno.test("check() treats the same ID with a different token as a new exchange", () => {
  const { filter } = setup();
  filter.check(PEER, 3, new Uint8Array([1]), true);
  filter.setReply(PEER, 3, new Uint8Array([0x60, 0x45, 0x00, 0x03, 1]));
  assertEquals(status(filter.check(PEER, 3, new Uint8Array([2]), true)), "new");
  // The old entry was replaced: the new exchange is pending, with no stale reply.
  assertEquals(
    status(filter.check(PEER, 3, new Uint8Array([2]), true)),
    "pending",
  );
  // And the original token is now a new exchange again.
  assertEquals(status(filter.check(PEER, 3, new Uint8Array([1]), true)), "new");
  assertEquals(filter.size, 1);
});

Deno.test("check() tells apart tokens differing only in length, position or any byte", () => {
  const { filter } = setup();
  const tokens = [
    [],
    [0],
    [0, 0],
    [0, 0, 0, 0, 0, 0, 0, 0],
    [1, 2, 3, 4, 5, 6, 7, 8],
    [1, 2, 3, 4, 5, 6, 7, 9],
    [1, 2, 3, 4, 5, 6, 8, 8],
    [1, 2, 3, 4, 6, 6, 7, 8],
    [1, 2, 3, 5, 5, 6, 7, 8],
    [2, 2, 3, 4, 5, 6, 7, 8],
    [1, 2, 3, 4, 5, 6, 7],
    [0, 1, 2, 3, 4, 5, 6, 7],
    [255, 255, 255, 255, 255, 255, 255, 255],
    [255, 255, 255, 255, 255, 255, 255],
  ].map((bytes) => new Uint8Array(bytes));
  for (let i = 0; i < tokens.length; i++) {
    // Each token replaces the previous one under the same ID.
    assertEquals(status(filter.check(PEER, 4, tokens[i]!, true)), "new");
    assertEquals(status(filter.check(PEER, 4, tokens[i]!, true)), "pending");
  }
});

Deno.test("check() compares the token's value, not the array it came in", () => {
  const { filter } = setup();
  const datagram = new Uint8Array([0x42, 0x01, 0, 7, 0xaa, 0xbb, 0xcc]);
  filter.check(PEER, 7, datagram.subarray(4, 6), true);
  // The receive buffer is reused for another datagram.
  datagram.set([0x11, 0x22], 4);
  assertEquals(
    status(filter.check(PEER, 7, new Uint8Array([0xaa, 0xbb]), true)),
    "pending",
  );
});

Deno.test("check() treats the same ID and token with a different type as a new exchange", () => {
  const { filter } = setup();
  filter.check(PEER, 8, TOKEN, true);
  assertEquals(status(filter.check(PEER, 8, TOKEN, false)), "new");
  assertEquals(status(filter.check(PEER, 8, TOKEN, false)), "duplicate");
  assertEquals(filter.size, 1);
});

Deno.test("check() keeps exchanges of different peers and IDs apart", () => {
  const { filter } = setup();
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "new");
  assertEquals(status(filter.check(OTHER, 1, TOKEN, true)), "new");
  assertEquals(status(filter.check(PEER, 2, TOKEN, true)), "new");
  filter.setReply(OTHER, 1, new Uint8Array([1]));
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "pending");
  assertEquals(status(filter.check(OTHER, 1, TOKEN, true)), "replay");
  assertEquals(filter.size, 3);
});

Deno.test("check() accepts message IDs 0 and 65535", () => {
  const { filter } = setup();
  assertEquals(status(filter.check(PEER, 0, TOKEN, true)), "new");
  assertEquals(status(filter.check(PEER, 65535, TOKEN, true)), "new");
  assertEquals(status(filter.check(PEER, 0, TOKEN, true)), "pending");
  assertEquals(status(filter.check(PEER, 65535, TOKEN, true)), "pending");
});

Deno.test("check() forgets a CON exactly EXCHANGE_LIFETIME after it arrived", () => {
  const { filter, clock } = setup();
  filter.check(PEER, 1, TOKEN, true);
  filter.setReply(PEER, 1, new Uint8Array([0x60, 0, 0, 1]));
  clock.now += 247_000 - 1;
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "replay");
  clock.now += 1;
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "new");
});

Deno.test("check() forgets a NON exactly NON_LIFETIME after it arrived", () => {
  const { filter, clock } = setup();
  filter.check(PEER, 1, TOKEN, false);
  clock.now += 145_000 - 1;
  assertEquals(status(filter.check(PEER, 1, TOKEN, false)), "duplicate");
  clock.now += 1;
  assertEquals(status(filter.check(PEER, 1, TOKEN, false)), "new");
});

Deno.test("check() expires CON and NON on their own lifetimes when interleaved", () => {
  const { filter, clock } = setup({ exchangeLifetime: 300, nonLifetime: 100 });
  filter.check(PEER, 1, TOKEN, true); // t=0, CON, until 300
  clock.now += 50;
  filter.check(PEER, 2, TOKEN, false); // t=50, NON, until 150
  clock.now += 10;
  filter.check(PEER, 3, TOKEN, true); // t=60, CON, until 360
  clock.now += 10;
  filter.check(PEER, 4, TOKEN, false); // t=70, NON, until 170
  assertEquals(filter.size, 4);
  clock.now = 1_000 + 149;
  assertEquals(filter.size, 4);
  clock.now = 1_000 + 150; // NON 2 goes although CON 1, older, stays
  assertEquals(filter.size, 3);
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "pending");
  clock.now = 1_000 + 170;
  assertEquals(filter.size, 2);
  clock.now = 1_000 + 299;
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "pending");
  clock.now = 1_000 + 300;
  assertEquals(filter.prune(), 1);
  assertEquals(status(filter.check(PEER, 3, TOKEN, true)), "pending");
  clock.now = 1_000 + 360;
  assertEquals(filter.size, 0);
});

Deno.test("check() does not extend the lifetime when a duplicate arrives", () => {
  const { filter, clock } = setup({ exchangeLifetime: 1_000 });
  filter.check(PEER, 1, TOKEN, true);
  clock.now += 900;
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "pending");
  clock.now += 100;
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "new");
});

Deno.test("check() restarts the lifetime of a replaced exchange", () => {
  const { filter, clock } = setup({ exchangeLifetime: 1_000 });
  filter.check(PEER, 1, new Uint8Array([1]), true);
  clock.now += 600;
  filter.check(PEER, 1, new Uint8Array([2]), true);
  clock.now += 600; // 1200 after the first, 600 after the replacement
  assertEquals(
    status(filter.check(PEER, 1, new Uint8Array([2]), true)),
    "pending",
  );
  clock.now += 400;
  assertEquals(status(filter.check(PEER, 1, new Uint8Array([2]), true)), "new");
});

Deno.test("check() with a zero lifetime remembers nothing", () => {
  const { filter } = setup({ exchangeLifetime: 0, nonLifetime: 0 });
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "new");
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "new");
  assertEquals(status(filter.check(PEER, 2, TOKEN, false)), "new");
  assertEquals(status(filter.check(PEER, 2, TOKEN, false)), "new");
  assertEquals(filter.size, 0);
});

Deno.test("check() treats an expired exchange as new even when the clock went backwards", () => {
  const { filter, clock } = setup({ exchangeLifetime: 100 });
  filter.check(PEER, 1, TOKEN, true); // t=1000
  clock.now = 500;
  filter.check(PEER, 2, TOKEN, true); // t=500, queued behind the one of t=1000
  clock.now = 1_050; // ID 2 expired, but the sweep stops at ID 1
  assertEquals(status(filter.check(PEER, 2, TOKEN, true)), "new");
});

Deno.test("check() evicts the oldest exchange first, CON and NON alike", () => {
  const { filter } = setup({ maxEntries: 3 });
  filter.check(PEER, 1, TOKEN, true);
  filter.check(PEER, 2, TOKEN, false);
  filter.check(OTHER, 3, TOKEN, true);
  assertEquals(filter.size, 3);
  filter.check(PEER, 4, TOKEN, false); // evicts 1 (CON)
  assertEquals(filter.size, 3);
  assertEquals(status(filter.check(PEER, 2, TOKEN, false)), "duplicate");
  assertEquals(status(filter.check(OTHER, 3, TOKEN, true)), "pending");
  assertEquals(status(filter.check(PEER, 4, TOKEN, false)), "duplicate");
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "new"); // evicts 2
  assertEquals(status(filter.check(OTHER, 3, TOKEN, true)), "pending");
  assertEquals(status(filter.check(PEER, 2, TOKEN, false)), "new"); // evicts 3
  assertEquals(status(filter.check(PEER, 4, TOKEN, false)), "duplicate");
  assertEquals(status(filter.check(OTHER, 3, TOKEN, true)), "new"); // evicts 4
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "pending");
  assertEquals(filter.size, 3);
});

Deno.test("check() orders a replaced exchange as the newest for eviction", () => {
  const { filter } = setup({ maxEntries: 2 });
  filter.check(PEER, 1, new Uint8Array([1]), true);
  filter.check(PEER, 2, TOKEN, true);
  filter.check(PEER, 1, new Uint8Array([2]), true); // replaces: now newest
  filter.check(PEER, 3, TOKEN, true); // evicts 2
  assertEquals(
    status(filter.check(PEER, 1, new Uint8Array([2]), true)),
    "pending",
  );
  assertEquals(status(filter.check(PEER, 2, TOKEN, true)), "new");
});

Deno.test("check() remembers a new exchange of a peer whose last one was just evicted", () => {
  const { filter } = setup({ maxEntries: 1 });
  filter.check(PEER, 1, TOKEN, true);
  assertEquals(status(filter.check(PEER, 2, TOKEN, true)), "new");
  assertEquals(status(filter.check(PEER, 2, TOKEN, true)), "pending");
  filter.setReply(PEER, 2, new Uint8Array([7]));
  assertEquals(status(filter.check(PEER, 2, TOKEN, true)), "replay");
  assertEquals(filter.size, 1);
});

Deno.test("check() never holds more than maxEntries exchanges", () => {
  const { filter, clock } = setup({ maxEntries: 50 });
  for (let i = 0; i < 1_000; i++) {
    clock.now += i % 3; // equal timestamps too
    filter.check(`10.0.0.${i % 7}:5683`, i % 300, TOKEN, i % 2 === 0);
    assertLessOrEqual(filter.size, 50);
  }
  assertEquals(filter.size, 50);
});

Deno.test("setReply() drops the oldest replies beyond maxReplyBytes, keeping the exchanges", () => {
  const { filter } = setup({ maxReplyBytes: 10 });
  for (let id = 1; id <= 3; id++) {
    filter.check(PEER, id, TOKEN, true);
    filter.setReply(PEER, id, new Uint8Array(4).fill(id));
  }
  // 12 bytes > 10: the reply of 1 went; 1 is still remembered, so dropped.
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "duplicate");
  assertEquals(filter.check(PEER, 2, TOKEN, true), {
    status: "replay",
    reply: new Uint8Array([2, 2, 2, 2]),
  });
  assertEquals(filter.check(PEER, 3, TOKEN, true), {
    status: "replay",
    reply: new Uint8Array([3, 3, 3, 3]),
  });
  // A reply larger than the whole budget is not kept, and drops nothing.
  filter.check(PEER, 4, TOKEN, true);
  filter.setReply(PEER, 4, new Uint8Array(11));
  assertEquals(status(filter.check(PEER, 4, TOKEN, true)), "duplicate");
  assertEquals(status(filter.check(PEER, 2, TOKEN, true)), "replay");
  // Forgetting an exchange returns its bytes to the budget.
  filter.forget(PEER, 2);
  filter.check(PEER, 5, TOKEN, true);
  filter.setReply(PEER, 5, new Uint8Array(6));
  assertEquals(status(filter.check(PEER, 3, TOKEN, true)), "replay");
  assertEquals(status(filter.check(PEER, 5, TOKEN, true)), "replay");
});

Deno.test("setReply() returns the bytes of expired and replaced replies to the budget", () => {
  const { filter, clock } = setup({ maxReplyBytes: 8, exchangeLifetime: 100 });
  filter.check(PEER, 1, TOKEN, true);
  filter.setReply(PEER, 1, new Uint8Array(8));
  filter.check(PEER, 1, new Uint8Array([9]), true); // replaced
  filter.setReply(PEER, 1, new Uint8Array(8));
  filter.check(PEER, 2, TOKEN, true);
  clock.now += 100; // both expire
  filter.check(PEER, 3, TOKEN, true);
  filter.setReply(PEER, 3, new Uint8Array(8));
  assertEquals(status(filter.check(PEER, 3, TOKEN, true)), "replay");
  // clear() too.
  filter.clear();
  filter.check(PEER, 4, TOKEN, true);
  filter.setReply(PEER, 4, new Uint8Array(8));
  assertEquals(status(filter.check(PEER, 4, TOKEN, true)), "replay");
});

Deno.test("setReply() does nothing for an exchange not remembered", () => {
  const { filter, clock } = setup({ exchangeLifetime: 100 });
  filter.setReply(PEER, 1, new Uint8Array([1]));
  assertEquals(filter.size, 0);
  filter.check(PEER, 2, TOKEN, true);
  clock.now += 100;
  filter.setReply(PEER, 2, new Uint8Array([1])); // expired meanwhile
  assertEquals(filter.size, 0);
  assertEquals(status(filter.check(PEER, 2, TOKEN, true)), "new");
});

Deno.test("forget() lets a retransmission be handled afresh", () => {
  const { filter } = setup();
  filter.check(PEER, 1, TOKEN, true);
  filter.check(OTHER, 1, TOKEN, true);
  filter.forget(PEER, 1);
  filter.forget(PEER, 99); // unknown: ignored
  filter.forget("nobody", 1);
  assertEquals(filter.size, 1);
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "new");
  assertEquals(status(filter.check(OTHER, 1, TOKEN, true)), "pending");
});

Deno.test("clear() forgets every exchange", () => {
  const { filter } = setup();
  for (let id = 0; id < 10; id++) {
    filter.check(PEER, id, TOKEN, id % 2 === 0);
    filter.setReply(PEER, id, new Uint8Array([id]));
  }
  filter.clear();
  assertEquals(filter.size, 0);
  assertEquals(filter.prune(), 0);
  for (let id = 0; id < 10; id++) {
    assertEquals(status(filter.check(PEER, id, TOKEN, id % 2 === 0)), "new");
  }
  assertEquals(filter.size, 10);
});

Deno.test("DedupFilter uses performance.now() by default", () => {
  const filter = new DedupFilter({ exchangeLifetime: 60_000 });
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "new");
  assertEquals(status(filter.check(PEER, 1, TOKEN, true)), "pending");
});

Deno.test("DedupFilter shares the new, pending and duplicate result objects", () => {
  const { filter } = setup();
  const a = filter.check(PEER, 1, TOKEN, true);
  const b = filter.check(PEER, 2, TOKEN, false);
  assertStrictEquals(a, b);
  assert(Object.isFrozen(a));
  assertStrictEquals(
    filter.check(PEER, 1, TOKEN, true),
    filter.check(PEER, 1, TOKEN, true),
  );
  assertStrictEquals(
    filter.check(PEER, 2, TOKEN, false),
    filter.check(PEER, 2, TOKEN, false),
  );
});

Deno.test("new DedupFilter() rejects invalid options", () => {
  for (const value of [-1, -0.5, NaN, Infinity, -Infinity]) {
    assertThrows(
      () => new DedupFilter({ exchangeLifetime: value }),
      RangeError,
      "exchangeLifetime",
    );
    assertThrows(
      () => new DedupFilter({ nonLifetime: value }),
      RangeError,
      "nonLifetime",
    );
  }
  for (const value of [0, -1, 1.5, NaN, Infinity]) {
    assertThrows(
      () => new DedupFilter({ maxEntries: value }),
      RangeError,
      "maxEntries",
    );
  }
  for (const value of [-1, NaN]) {
    assertThrows(
      () => new DedupFilter({ maxReplyBytes: value }),
      RangeError,
      "maxReplyBytes",
    );
  }
  const bad = (options: unknown) => () =>
    new DedupFilter(options as DedupFilterOptions);
  assertThrows(bad({ exchangeLifetime: "1" }), TypeError, "exchangeLifetime");
  assertThrows(bad({ nonLifetime: null }), TypeError, "nonLifetime");
  assertThrows(bad({ maxEntries: 10n }), TypeError, "maxEntries");
  assertThrows(bad({ maxReplyBytes: "1" }), TypeError, "maxReplyBytes");
  assertThrows(bad({ now: 5 }), TypeError, "now");
  assertThrows(bad(null), TypeError, "options");
  assertThrows(bad(7), TypeError, "options");
  assertThrows(
    () => new DedupFilter({ maxEntries: 0 }),
    RangeError,
    "Cannot create dedup filter: maxEntries is 0, expected an integer of at least 1",
  );
  // Boundaries that are allowed.
  new DedupFilter({ exchangeLifetime: 0, nonLifetime: 0, maxEntries: 1 });
  new DedupFilter({ maxReplyBytes: 0 });
  new DedupFilter({ maxReplyBytes: Infinity });
});

Deno.test("check(), setReply() and forget() reject bad arguments with typed errors", () => {
  const { filter } = setup();
  const call = (fn: (f: DedupFilter) => unknown) => () => fn(filter);
  const any = filter as unknown as {
    check(...args: unknown[]): unknown;
    setReply(...args: unknown[]): unknown;
    forget(...args: unknown[]): unknown;
  };
  for (const id of [-1, 65536, 1.5, NaN, Infinity]) {
    assertThrows(call((f) => f.check(PEER, id, TOKEN, true)), RangeError);
    assertThrows(call((f) => f.setReply(PEER, id, TOKEN)), RangeError);
    assertThrows(call((f) => f.forget(PEER, id)), RangeError);
  }
  assertThrows(
    call((f) => f.check(PEER, 1, new Uint8Array(9), true)),
    RangeError,
    "Cannot check message: token length is 9, at most 8 allowed",
  );
  assertThrows(() => any.check(5683, 1, TOKEN, true), TypeError, "peer key");
  assertThrows(() => any.check(PEER, "1", TOKEN, true), TypeError);
  assertThrows(() => any.check(PEER, 1, [1, 2], true), TypeError, "token");
  assertThrows(() => any.check(PEER, 1, TOKEN, 1), TypeError, "confirmable");
  assertThrows(() => any.setReply(PEER, 1, "ack"), TypeError, "reply");
  assertThrows(() => any.setReply(undefined, 1, TOKEN), TypeError);
  assertThrows(() => any.forget(PEER, undefined), TypeError);
  assertEquals(filter.size, 0);
});

/** Runs a full GC when the runtime lets us; tells whether it did. */
async function collectGarbage(): Promise<boolean> {
  try {
    const v8 = await import("node:v8");
    const vm = await import("node:vm");
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    gc();
    gc();
    return true;
  } catch {
    return false;
  }
}

Deno.test("check() stays within maxEntries and flat memory under 1,000,000 distinct (peer, ID) pairs", async () => {
  const { filter } = setup(); // defaults: maxEntries 100,000; time stands still
  const maxEntries = 100_000;
  const pairs = 1_000_000;
  // 250,000 peers with 4 message IDs each, so that peers come and go too.
  const peerOf = (i: number) =>
    `10.${(i >>> 18) & 255}.${(i >>> 10) & 255}.${(i >>> 2) & 255}:5683`;
  const idOf = (i: number) => (i * 7919) & 0xffff;
  const exact = await collectGarbage();
  const before = Deno.memoryUsage().heapUsed;
  let heapWhenFull = 0;
  for (let i = 0; i < pairs; i++) {
    const peer = peerOf(i);
    const id = idOf(i);
    if (status(filter.check(peer, id, TOKEN, (i & 1) === 0)) !== "new") {
      throw new Error(`Flood message ${i} was not new`);
    }
    // A fresh reply array each time, as encode() makes them.
    if ((i & 3) === 0) filter.setReply(peer, id, new Uint8Array(16));
    if (filter.size > maxEntries) {
      throw new Error(`Size ${filter.size} over ${maxEntries} at message ${i}`);
    }
    if (i === 2 * maxEntries) {
      await collectGarbage();
      heapWhenFull = Deno.memoryUsage().heapUsed;
    }
  }
  assertEquals(filter.size, maxEntries);
  await collectGarbage();
  const after = Deno.memoryUsage().heapUsed;
  // Measured about 300 bytes per entry here (a peer for every 4, a reply
  // array for every 4). An unbounded filter would need some 300 MB for the
  // 1,000,000. Without a forced GC, garbage not yet collected needs a wider
  // margin.
  assertLessOrEqual(after - before, maxEntries * (exact ? 640 : 2_048));
  // Flat: the last 800,000 messages did not add to what 100,000 took.
  assertLessOrEqual(after - heapWhenFull, maxEntries * (exact ? 64 : 1_024));
  // The newest are the ones remembered.
  const last = pairs - 1;
  assertEquals(
    status(filter.check(peerOf(last), idOf(last), TOKEN, false)),
    "duplicate",
  );
  const first = pairs - maxEntries;
  assertEquals(
    status(filter.check(peerOf(first), idOf(first), TOKEN, true)),
    "replay", // every fourth got a reply
  );
  assertEquals(
    status(filter.check(peerOf(first - 1), idOf(first - 1), TOKEN, false)),
    "new",
  );
  filter.clear();
});
