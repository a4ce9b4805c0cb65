// Copyright 2026 the microcoap authors. MIT license.
import { assert, assertEquals } from "@std/assert";
import {
  CoapCode,
  CoapOptionNumber,
  decodeBlock,
  encodeBlock,
  encodeUint,
  getOption,
  getUintOption,
  isObserveNewer,
} from "@microcoap/codec";
import type { CoapMessage, CoapOption } from "@microcoap/codec";
import type { CoapResource } from "./server.ts";
import { rawPeer, setup, str, uri } from "./_test_helpers.ts";
import type { Harness, RawPeer } from "./_test_helpers.ts";

const OBSERVE = CoapOptionNumber.OBSERVE;
const observeOpt = (value: number): CoapOption => ({
  number: OBSERVE,
  value: encodeUint(value),
});
const DAY = 24 * 3600_000;

/** Registers with a CoapEndpoint client; collects every response. */
async function observe(
  h: Harness,
  path: string,
  token = new Uint8Array([0xab, 1]),
) {
  const responses: CoapMessage[] = [];
  const controller = new AbortController();
  const first = await h.settle(
    h.client.request(h.address, {
      code: CoapCode.GET,
      options: [...uri(path), observeOpt(0)],
    }, {
      token,
      signal: controller.signal,
      onResponse: (response) => responses.push(response),
    }),
  );
  return { first, responses, stop: () => controller.abort() };
}

/** Registers from a raw peer; returns the registration response. */
async function rawRegister(
  h: Harness,
  peer: RawPeer,
  path: string,
  token: Uint8Array,
) {
  peer.send(h.address, {
    type: "CON",
    code: CoapCode.GET,
    messageId: 1,
    token,
    options: [...uri(path), observeOpt(0)],
  });
  await h.clock.tick(0);
  return peer.received.shift()!;
}

function counterRoute(
  options: { confirmable?: boolean; maxAge?: number } = {},
) {
  let count = 0;
  let resource: CoapResource | undefined;
  return {
    install(server: Harness["server"]) {
      resource = server.get("/count", () => ({
        payload: `n=${++count}`,
        ...(options.maxAge !== undefined ? { maxAge: options.maxAge } : {}),
      }), {
        observable: true,
        ...(options.confirmable ? { confirmable: true } : {}),
      });
    },
    get resource() {
      return resource!;
    },
  };
}

Deno.test("observe: GET with Observe 0 registers and notify() re-runs the handler per observer", async () => {
  const route = counterRoute();
  const h = await setup({}, {}, (server) => route.install(server));
  try {
    const { first, responses } = await observe(h, "/count");
    assertEquals(first.code, CoapCode.CONTENT);
    assertEquals(str(first.payload), "n=1");
    const start = getUintOption(first, OBSERVE)!;
    assert(start !== undefined);
    assertEquals(h.server.observers, 1);
    assertEquals(route.resource.observers, 1);

    assertEquals(route.resource.notify(), 1);
    await h.clock.tick(0);
    assertEquals(route.resource.notify(), 1);
    await h.clock.tick(0);
    assertEquals(responses.length, 3);
    const [, second, third] = responses;
    assertEquals(str(second!.payload), "n=2");
    assertEquals(str(third!.payload), "n=3");
    assertEquals(second!.type, "NON");
    assertEquals(second!.token, new Uint8Array([0xab, 1]));
    assertEquals(getUintOption(second!, OBSERVE), (start + 1) % 0x1000000);
    assertEquals(getUintOption(third!, OBSERVE), (start + 2) % 0x1000000);
    assert(
      h.events.some((event) =>
        event.kind === "observer-added" && event.path === "/count"
      ),
    );
  } finally {
    await h.close();
  }
});

Deno.test("observe: notify(response) sends the given description and filter picks observers", async () => {
  const h = await setup();
  const resource = h.server.get(
    "/s/:id",
    (r) => ({ payload: `sensor ${r.params.id}` }),
    {
      observable: true,
    },
  );
  try {
    const a = await observe(h, "/s/a", new Uint8Array([1]));
    const b = await observe(h, "/s/b", new Uint8Array([2]));
    assertEquals(resource.observers, 2);
    assertEquals(resource.notify({ payload: { v: 7 } }), 2);
    await h.clock.tick(0);
    assertEquals(str(a.responses[1]!.payload), '{"v":7}');
    assertEquals(
      getUintOption(a.responses[1]!, CoapOptionNumber.CONTENT_FORMAT),
      50,
    );
    assertEquals(str(b.responses[1]!.payload), '{"v":7}');
    assertEquals(
      resource.notify(undefined, { filter: (r) => r.params.id === "b" }),
      1,
    );
    await h.clock.tick(0);
    assertEquals(a.responses.length, 2);
    assertEquals(str(b.responses[2]!.payload), "sensor b");
  } finally {
    await h.close();
  }
});

Deno.test("observe: no registration for a non-observable route, a non-2.xx answer or past maxObservers", async () => {
  const h = await setup({ maxObservers: 2 }, {}, (server) => {
    server.get("/plain", () => ({ payload: "p" }));
    server.get("/fail", () => ({ code: CoapCode.NOT_FOUND }), {
      observable: true,
    });
    server.get("/obs", () => ({ payload: "o" }), { observable: true });
  });
  try {
    const plain = await observe(h, "/plain", new Uint8Array([1]));
    assertEquals(getOption(plain.first, OBSERVE), undefined);
    const fail = await observe(h, "/fail", new Uint8Array([2]));
    assertEquals(fail.first.code, CoapCode.NOT_FOUND);
    assertEquals(getOption(fail.first, OBSERVE), undefined);
    assertEquals(h.server.observers, 0);
    const registered = [];
    for (const token of [3, 4]) {
      const ok = await observe(h, "/obs", new Uint8Array([token]));
      assert(getOption(ok.first, OBSERVE) !== undefined);
      registered.push(ok);
    }
    const over = await observe(h, "/obs", new Uint8Array([5]));
    assertEquals(over.first.code, CoapCode.CONTENT);
    assertEquals(str(over.first.payload), "o");
    assertEquals(getOption(over.first, OBSERVE), undefined);
    assertEquals(h.server.observers, 2);
    // Re-registering with a known token replaces the entry, even when full.
    registered[0]!.stop();
    const again = await observe(h, "/obs", new Uint8Array([3]));
    assert(getOption(again.first, OBSERVE) !== undefined);
    assertEquals(h.server.observers, 2);
  } finally {
    await h.close();
  }
});

Deno.test("observe: Observe 1 and a plain GET with the same token deregister", async () => {
  const route = counterRoute();
  const h = await setup({}, {}, (server) => route.install(server));
  try {
    const token = new Uint8Array([9, 9]);
    const first = await observe(h, "/count", token);
    assertEquals(route.resource.observers, 1);
    first.stop();
    const off = await h.request(CoapCode.GET, "/count", {
      options: [observeOpt(1)],
      token,
    });
    assertEquals(off.code, CoapCode.CONTENT);
    assertEquals(getOption(off, OBSERVE), undefined);
    assertEquals(route.resource.observers, 0);

    const second = await observe(h, "/count", token);
    assertEquals(route.resource.observers, 1);
    second.stop();
    const other = await h.request(CoapCode.GET, "/count", {
      token: new Uint8Array([1]),
    });
    assertEquals(other.code, CoapCode.CONTENT);
    assertEquals(route.resource.observers, 1); // another token: unaffected
    await h.request(CoapCode.GET, "/count", { token });
    assertEquals(route.resource.observers, 0);
    assertEquals(route.resource.notify(), 0);
    assert(h.events.some((event) => event.kind === "observer-removed"));
  } finally {
    await h.close();
  }
});

Deno.test("observe: RST to a NON or a CON notification deregisters", async () => {
  const route = counterRoute();
  const h = await setup({}, {}, (server) => route.install(server));
  const peer = rawPeer(h.network);
  try {
    await rawRegister(h, peer, "/count", new Uint8Array([1]));
    assertEquals(route.resource.observers, 1);
    route.resource.notify();
    await h.clock.tick(0);
    const non = peer.received.shift()!;
    assertEquals(non.type, "NON");
    peer.send(h.address, { type: "RST", code: 0, messageId: non.messageId });
    await h.clock.tick(0);
    assertEquals(route.resource.observers, 0);

    await rawRegister(h, peer, "/count", new Uint8Array([2]));
    route.resource.notify(undefined, { confirmable: true });
    await h.clock.tick(0);
    const con = peer.received.shift()!;
    assertEquals(con.type, "CON");
    peer.send(h.address, { type: "RST", code: 0, messageId: con.messageId });
    await h.clock.tick(0);
    assertEquals(route.resource.observers, 0);
    assertEquals(
      h.events.filter((event) => event.kind === "observer-removed").map((
        event,
      ) => event.reason),
      ["reset", "reset"],
    );
  } finally {
    await peer.close();
    await h.close();
  }
});

Deno.test("observe: a CON notification that times out deregisters", async () => {
  const route = counterRoute({ confirmable: true });
  const h = await setup({}, {}, (server) => route.install(server));
  const peer = rawPeer(h.network);
  try {
    await rawRegister(h, peer, "/count", new Uint8Array([1]));
    route.resource.notify();
    await h.clock.tick(0);
    assertEquals(peer.received.length, 1);
    await h.clock.tick(100_000);
    assertEquals(peer.received.length, 5); // MAX_RETRANSMIT = 4 retransmissions
    assert(
      peer.received.every((m) =>
        m.type === "CON" && m.messageId === peer.received[0]!.messageId
      ),
    );
    assertEquals(route.resource.observers, 0);
    assertEquals(
      h.events.find((event) => event.kind === "observer-removed")?.reason,
      "timeout",
    );
  } finally {
    await peer.close();
    await h.close();
  }
});

Deno.test("observe: notifications are NON, with a CON at least every 24 hours and on request", async () => {
  const route = counterRoute();
  const h = await setup({}, {}, (server) => route.install(server));
  try {
    const { responses } = await observe(h, "/count");
    const types = () =>
      h.serverLog.filter((sent) => getOption(sent.message, OBSERVE)).map((s) =>
        s.message.type
      );
    route.resource.notify();
    await h.clock.tick(0);
    await h.clock.tick(DAY - 1000);
    route.resource.notify();
    await h.clock.tick(0);
    await h.clock.tick(1000);
    route.resource.notify();
    await h.clock.tick(0);
    route.resource.notify();
    await h.clock.tick(0);
    route.resource.notify(undefined, { confirmable: true });
    await h.clock.tick(0);
    assertEquals(types(), ["ACK", "NON", "NON", "CON", "NON", "CON"]);
    assertEquals(responses.length, 6);
    // The CON was acknowledged by the client.
    assertEquals(
      h.clientLog.filter((sent) => sent.message.type === "ACK").length,
      2,
    );
    assertEquals(route.resource.observers, 1);
  } finally {
    await h.close();
  }
});

Deno.test("observe: after maxNonNotifications NONs the next is CON, so an observer that has gone away is removed", async () => {
  const route = counterRoute();
  const h = await setup(
    { maxNonNotifications: 3, random: () => 0 },
    {},
    (server) => route.install(server),
  );
  const peer = rawPeer(h.network);
  try {
    const registration = await rawRegister(
      h,
      peer,
      "/count",
      new Uint8Array([7]),
    );
    assertEquals(registration.code, CoapCode.CONTENT);
    for (let i = 0; i < 4; i++) {
      route.resource.notify();
      await h.clock.tick(0);
    }
    // The peer never answers: three NONs, then a CON.
    assertEquals(peer.received.map((m) => m.type), [
      "NON",
      "NON",
      "NON",
      "CON",
    ]);
    assertEquals(route.resource.observers, 1);
    // Unacknowledged through its retransmissions (2+4+8+16+32 s, random 0):
    // the observer is gone.
    await h.clock.tick(63_000);
    assertEquals(route.resource.observers, 0);
    assertEquals(peer.received.filter((m) => m.type === "CON").length, 5);
  } finally {
    await h.close();
    await peer.close();
  }
});

Deno.test("observe: a newer state replaces an unacknowledged CON notification at its next retransmission and continues its backoff", async () => {
  const route = counterRoute({ confirmable: true });
  const h = await setup(
    { random: () => 0 },
    {},
    (server) => route.install(server),
  );
  const peer = rawPeer(h.network);
  try {
    const registration = await rawRegister(
      h,
      peer,
      "/count",
      new Uint8Array([1]),
    );
    const start = getUintOption(registration, OBSERVE)!;
    const at: number[] = [];
    const seen: CoapMessage[] = [];
    // Records each datagram with the time it arrived.
    const step = async (ms: number) => {
      for (let i = 0; i <= ms; i++) {
        await h.clock.tick(i === 0 ? 0 : 1);
        for (const m of peer.received.splice(0)) {
          seen.push(m);
          at.push(h.clock.now());
        }
      }
    };
    route.resource.notify(); // n=2 at t=0, timeout 2 s
    await step(0);
    await step(2000); // retransmission 1 at 2 s, timeout now 4 s
    await step(500);
    route.resource.notify(); // n=3 at 2.5 s waits for the retransmission slot at 6 s
    await step(3498);
    assertEquals(seen.map((m) => str(m.payload)), ["n=2", "n=2"]);
    await step(1);
    assertEquals(seen.map((m) => str(m.payload)), ["n=2", "n=2", "n=3"]);
    assertEquals(at, [0, 2000, 5999]);
    assertEquals(seen[0]!.messageId, seen[1]!.messageId);
    assert(seen[2]!.messageId !== seen[0]!.messageId);
    assertEquals(getUintOption(seen[2]!, OBSERVE), (start + 2) % 0x1000000);
    await step(8000);
    assertEquals(at.at(-1), 13_999); // the newest state is retransmitted, 8 s later
    assertEquals(str(seen.at(-1)!.payload), "n=3");
    // Acknowledging it ends the chain; the next notification starts afresh.
    peer.send(h.address, {
      type: "ACK",
      code: 0,
      messageId: seen.at(-1)!.messageId,
    });
    await h.clock.tick(0);
    route.resource.notify();
    await step(1999);
    assertEquals(seen.length, 5);
    await step(1);
    assertEquals(seen.length, 6);
    assertEquals(at.at(-1)! - at.at(-2)!, 2000);
    assertEquals(route.resource.observers, 1);
  } finally {
    await peer.close();
    await h.close();
  }
});

Deno.test("observe: replacing CON notifications never keeps a silent observer alive", async () => {
  const route = counterRoute({ confirmable: true });
  const h = await setup(
    { random: () => 0 },
    {},
    (server) => route.install(server),
  );
  const peer = rawPeer(h.network);
  try {
    await rawRegister(h, peer, "/count", new Uint8Array([1]));
    // A new state every second; the client never answers.
    for (let t = 0; t < 120 && route.resource.observers > 0; t++) {
      route.resource.notify();
      await h.clock.tick(1000);
    }
    assertEquals(route.resource.observers, 0);
    // 2 + 4 + 8 + 16 + 32 s of backoff at most, however often the state changes.
    assert(h.clock.now() <= 62_000, `removed after ${h.clock.now()} ms`);
  } finally {
    await peer.close();
    await h.close();
  }
});

Deno.test("observe: a non-2.xx notification ends the observation", async () => {
  const route = counterRoute();
  const h = await setup({}, {}, (server) => route.install(server));
  try {
    const { responses } = await observe(h, "/count");
    route.resource.notify({
      code: CoapCode.SERVICE_UNAVAILABLE,
      payload: "bye",
    });
    await h.clock.tick(0);
    assertEquals(responses[1]!.code, CoapCode.SERVICE_UNAVAILABLE);
    assertEquals(getOption(responses[1]!, OBSERVE), undefined);
    assertEquals(route.resource.observers, 0);
  } finally {
    await h.close();
  }
});

Deno.test("observe: a handler that throws during notify ends the observation with 5.00", async () => {
  let fail = false;
  const h = await setup();
  const resource = h.server.get("/x", () => {
    if (fail) throw new Error("sensor gone");
    return { payload: "ok" };
  }, { observable: true });
  try {
    const { responses } = await observe(h, "/x");
    fail = true;
    resource.notify();
    await h.clock.tick(0);
    assertEquals(responses[1]!.code, CoapCode.INTERNAL_SERVER_ERROR);
    assertEquals(resource.observers, 0);
    assert(h.events.some((event) => event.kind === "handler-error"));
  } finally {
    await h.close();
  }
});

Deno.test("observe: slow handler results older than a sent notification are dropped", async () => {
  const delays = [0, 5000, 0];
  let n = 0;
  const h = await setup();
  const resource = h.server.get("/slow", async () => {
    const mine = ++n;
    const delay = delays[mine - 1] ?? 0;
    if (delay > 0) {
      await new Promise<void>((resolve) => h.clock.setTimeout(resolve, delay));
    }
    return { payload: `v${mine}` };
  }, { observable: true });
  try {
    const { responses } = await observe(h, "/slow");
    resource.notify(); // v2, slow
    resource.notify(); // v3, quick
    await h.clock.tick(10_000);
    assertEquals(responses.map((r) => str(r.payload)), ["v1", "v3"]);
  } finally {
    await h.close();
  }
});

Deno.test("observe: the sequence number wraps past 2^24 and stays newer", async () => {
  const route = counterRoute();
  const h = await setup(
    { random: () => (0x1000000 - 2) / 0x1000000 },
    {},
    (s) => route.install(s),
  );
  try {
    const { responses } = await observe(h, "/count");
    for (let i = 0; i < 3; i++) {
      route.resource.notify();
      await h.clock.tick(0);
    }
    const values = responses.map((r) => getUintOption(r, OBSERVE)!);
    assertEquals(values, [0xfffffe, 0xffffff, 0, 1]);
    for (let i = 1; i < values.length; i++) {
      assert(isObserveNewer(values[i - 1]!, values[i]!));
    }
  } finally {
    await h.close();
  }
});

Deno.test("observe: Max-Age is sent and the observer is refreshed before it runs out", async () => {
  const route = counterRoute({ maxAge: 10 });
  const h = await setup({}, {}, (server) => route.install(server));
  try {
    const { first, responses } = await observe(h, "/count");
    assertEquals(getUintOption(first, CoapOptionNumber.MAX_AGE), 10);
    await h.clock.tick(8999);
    assertEquals(responses.length, 1);
    await h.clock.tick(1);
    assertEquals(responses.length, 2);
    assertEquals(str(responses[1]!.payload), "n=2");
    assertEquals(getUintOption(responses[1]!, CoapOptionNumber.MAX_AGE), 10);
    // A notification in between restarts the countdown.
    await h.clock.tick(5000);
    route.resource.notify();
    await h.clock.tick(8999);
    assertEquals(responses.length, 3);
    await h.clock.tick(1);
    assertEquals(responses.length, 4);
  } finally {
    await h.close();
  }
});

Deno.test("observe: a notification larger than a block goes as its first block", async () => {
  const body = "0123456789abcdef".repeat(10); // 160 bytes
  const h = await setup({ blockSize: 64 });
  const resource = h.server.get("/big", () => ({ payload: body }), {
    observable: true,
  });
  try {
    const { first, responses } = await observe(h, "/big");
    assertEquals(decodeBlock(getOption(first, CoapOptionNumber.BLOCK2)!), {
      num: 0,
      more: true,
      szx: 2,
    });
    resource.notify();
    await h.clock.tick(0);
    const note = responses[1]!;
    assertEquals(note.payload.length, 64);
    assertEquals(
      decodeBlock(getOption(note, CoapOptionNumber.BLOCK2)!).more,
      true,
    );
    assertEquals(getUintOption(note, CoapOptionNumber.SIZE2), 160);
    assert(getOption(note, OBSERVE) !== undefined);
    const etag = getOption(note, CoapOptionNumber.ETAG)!;
    // The rest comes with plain GETs (another token), which leave the observation alone.
    let text = str(note.payload);
    for (let num = 1; num < 3; num++) {
      const block = await h.request(CoapCode.GET, "/big", {
        options: [{
          number: CoapOptionNumber.BLOCK2,
          value: encodeBlock({ num, more: false, szx: 2 }),
        }],
      });
      assertEquals(getOption(block, CoapOptionNumber.ETAG), etag);
      assertEquals(getOption(block, OBSERVE), undefined);
      text += str(block.payload);
    }
    assertEquals(text, body);
    assertEquals(resource.observers, 1);
  } finally {
    await h.close();
  }
});

Deno.test("observe: the rest of a large FETCH notification comes with FETCHes without the body, without Observe", async () => {
  let n = 0;
  const h = await setup({ blockSize: 64 });
  const resource = h.server.fetch(
    "/query",
    (request) => ({
      payload: `${str(request.payload)}:${n}:`.padEnd(160, "x"),
    }),
    { observable: true },
  );
  const fetchRest = async (note: CoapMessage) => {
    let text = str(note.payload);
    for (let num = 1; num < 3; num++) {
      // As libcoap asks: another token, no Observe, no body.
      const block = await h.request(CoapCode.FETCH, "/query", {
        options: [{
          number: CoapOptionNumber.BLOCK2,
          value: encodeBlock({ num, more: false, szx: 2 }),
        }],
      });
      assertEquals(block.code, CoapCode.CONTENT);
      assertEquals(getOption(block, OBSERVE), undefined);
      assertEquals(
        getOption(block, CoapOptionNumber.ETAG),
        getOption(note, CoapOptionNumber.ETAG),
      );
      text += str(block.payload);
    }
    return text;
  };
  try {
    const responses: CoapMessage[] = [];
    const controller = new AbortController();
    const first = await h.settle(
      h.client.request(h.address, {
        code: CoapCode.FETCH,
        options: [...uri("/query"), observeOpt(0)],
        payload: new TextEncoder().encode("q"),
      }, {
        signal: controller.signal,
        onResponse: (response) => responses.push(response),
      }),
    );
    assert(getOption(first, OBSERVE) !== undefined);
    assertEquals(await fetchRest(first), "q:0:".padEnd(160, "x"));
    n = 1;
    resource.notify();
    await h.clock.tick(0);
    assertEquals(await fetchRest(responses[1]!), "q:1:".padEnd(160, "x"));
    assertEquals(resource.observers, 1);
    controller.abort();
  } finally {
    await h.close();
  }
});

Deno.test("observe: close() ends observations and stops their timers", async () => {
  const route = counterRoute({ maxAge: 5 });
  const h = await setup({}, {}, (server) => route.install(server));
  const { responses } = await observe(h, "/count");
  await h.server.close();
  assertEquals(h.server.observers, 0);
  assertEquals(route.resource.notify(), 0);
  await h.clock.tick(60_000);
  assertEquals(responses.length, 1);
  await h.close();
});

Deno.test("observe: confirmable notifications get through loss and duplication", async () => {
  const route = counterRoute({ confirmable: true });
  const h = await setup({}, {}, (server) => route.install(server));
  try {
    const { responses } = await observe(h, "/count");
    h.network.setDefault({
      loss: 0.25,
      duplicate: 0.25,
      delay: { min: 1, max: 30 },
    });
    for (let i = 0; i < 10; i++) {
      route.resource.notify();
      // Wait for this one to be acknowledged before the next state.
      for (let t = 0; t < 100 && responses.length < i + 2; t++) {
        await h.clock.tick(1000);
      }
      await h.clock.tick(60_000);
    }
    const payloads = responses.map((r) => str(r.payload));
    assertEquals(payloads, Array.from({ length: 11 }, (_, i) => `n=${i + 1}`));
    assertEquals(route.resource.observers, 1);
    assert(h.network.stats.dropped > 0);
  } finally {
    await h.close();
  }
});

Deno.test("observe: a re-registration keeps the Observe sequence increasing (RFC 7641 §4.4)", async () => {
  const route = counterRoute();
  // The same initial value every time: a fresh sequence would repeat it.
  const h = await setup(
    { random: () => 0.5 },
    {},
    (server) => route.install(server),
  );
  const peer = rawPeer(h.network);
  try {
    const token = new Uint8Array([7, 7]);
    const first = await rawRegister(h, peer, "/count", token);
    assertEquals(first.code, CoapCode.CONTENT);
    route.resource.notify();
    await h.clock.tick(0);
    const notification = peer.received.shift()!;
    const before = getUintOption(notification, OBSERVE)!;
    // Registers again with the same token (RFC 7641 §3.3.1).
    peer.send(h.address, {
      type: "CON",
      code: CoapCode.GET,
      messageId: 2,
      token,
      options: [...uri("/count"), observeOpt(0)],
    });
    await h.clock.tick(0);
    const again = peer.received.shift()!;
    assertEquals(again.code, CoapCode.CONTENT);
    assertEquals(route.resource.observers, 1);
    assert(isObserveNewer(before, getUintOption(again, OBSERVE)!));
  } finally {
    await peer.close();
    await h.close();
  }
});

Deno.test("observe: removing the resource tells its observers 4.04, which ends the observation (RFC 7641 §3.2)", async () => {
  const route = counterRoute();
  const h = await setup({}, {}, (server) => route.install(server));
  try {
    const { responses } = await observe(h, "/count");
    route.resource.remove();
    await h.clock.tick(0);
    assertEquals(responses.length, 2);
    assertEquals(responses[1]!.code, CoapCode.NOT_FOUND);
    assertEquals(getOption(responses[1]!, OBSERVE), undefined);
    assertEquals(route.resource.observers, 0);
    assertEquals(h.server.observers, 0);
  } finally {
    await h.close();
  }
});

Deno.test("observe: a re-registration answered with an error ends the observation (RFC 7641 §3.2)", async () => {
  let fail = false;
  const h = await setup({}, {}, (server) =>
    server.get(
      "/x",
      () => fail ? { code: CoapCode.NOT_FOUND } : { payload: "here" },
      { observable: true },
    ));
  try {
    const token = new Uint8Array([5, 5]);
    const first = await observe(h, "/x", token);
    assertEquals(h.server.observers, 1);
    first.stop();
    fail = true;
    const again = await h.request(CoapCode.GET, "/x", {
      options: [observeOpt(0)],
      token,
    });
    assertEquals(again.code, CoapCode.NOT_FOUND);
    assertEquals(h.server.observers, 0);
  } finally {
    await h.close();
  }
});

Deno.test("observe: CON notifications faster than the round trip wait for the acknowledgement and never run out of retransmissions (RFC 7641 §4.5.1, §4.5.2)", async () => {
  const route = counterRoute({ confirmable: true });
  const h = await setup({}, {}, (server) => route.install(server));
  try {
    const { responses } = await observe(h, "/count");
    // 150 ms each way: a round trip of 300 ms, a new state every 100 ms.
    h.network.setDefault({ delay: 150 });
    for (let t = 0; t < 60_000; t += 100) {
      route.resource.notify();
      await h.clock.tick(100);
    }
    await h.clock.tick(1000);
    // The client acknowledged everything: the observation goes on.
    assertEquals(route.resource.observers, 1);
    assertEquals(str(responses.at(-1)!.payload), "n=601");
    // At most one CON notification per round trip (plus the last one).
    const notifications = h.serverLog.filter((sent) =>
      sent.message.type === "CON" && sent.message.code === CoapCode.CONTENT
    );
    assert(
      notifications.length <= 60_000 / 300 + 1,
      `${notifications.length} notifications`,
    );
    for (let i = 1; i < notifications.length; i++) {
      assert(notifications[i]!.at - notifications[i - 1]!.at >= 300);
    }
  } finally {
    await h.close();
  }
});

Deno.test("observe: a burst of notify() while a CON is unacknowledged sends only the newest state, in the next retransmission's place or on the ACK", async () => {
  const route = counterRoute({ confirmable: true });
  const h = await setup(
    { random: () => 0 },
    {},
    (server) => route.install(server),
  );
  const peer = rawPeer(h.network);
  try {
    await rawRegister(h, peer, "/count", new Uint8Array([1]));
    route.resource.notify(); // n=2 at t=0, timeout 2 s
    await h.clock.tick(0);
    for (let i = 0; i < 10; i++) route.resource.notify(); // n=3 .. n=12
    await h.clock.tick(0);
    assertEquals(peer.received.map((m) => str(m.payload)), ["n=2"]);
    // In place of the retransmission at 2 s: the newest state, with the backoff continued.
    await h.clock.tick(1999);
    const second = peer.received.splice(0);
    assertEquals(second.map((m) => str(m.payload)), ["n=2", "n=12"]);
    await h.clock.tick(3999); // timeout now 4 s: nothing new yet
    assertEquals(peer.received.length, 0);
    await h.clock.tick(2);
    assertEquals(peer.received.map((m) => str(m.payload)), ["n=12"]);
    // Another burst, then the ACK: the newest state goes at once.
    route.resource.notify();
    route.resource.notify(); // n=14
    await h.clock.tick(0);
    assertEquals(peer.received.length, 1);
    peer.send(h.address, {
      type: "ACK",
      code: 0,
      messageId: peer.received[0]!.messageId,
    });
    await h.clock.tick(0);
    assertEquals(str(peer.received.at(-1)!.payload), "n=14");
    assertEquals(peer.received.length, 2);
    // A fresh exchange: its first retransmission comes 2 s later.
    await h.clock.tick(1999);
    assertEquals(peer.received.length, 2);
    await h.clock.tick(1);
    assertEquals(peer.received.length, 3);
    assertEquals(route.resource.observers, 1);
  } finally {
    await peer.close();
    await h.close();
  }
});

Deno.test("observe: a notification in a Content-Format the registration's Accept excludes is 4.06, which ends that observation (RFC 7641 §4.2)", async () => {
  const h = await setup();
  const resource = h.server.get("/v", () => ({ payload: { v: 1 } }), {
    observable: true,
  });
  try {
    const plain = await observe(h, "/v", new Uint8Array([1]));
    const json = await h.settle(
      h.client.request(h.address, {
        code: CoapCode.GET,
        options: [...uri("/v"), observeOpt(0), {
          number: CoapOptionNumber.ACCEPT,
          value: encodeUint(50),
        }],
      }, { token: new Uint8Array([2]), onResponse: () => {} }),
    );
    assertEquals(json.code, CoapCode.CONTENT);
    assertEquals(resource.observers, 2);
    const jsonNotifications: CoapMessage[] = [];
    // The application sends text/plain to every observer.
    const sent = h.serverLog.length;
    assertEquals(resource.notify({ payload: "one" }), 2);
    await h.clock.tick(0);
    for (const { message } of h.serverLog.slice(sent)) {
      if (message.token[0] === 2) jsonNotifications.push(message);
    }
    assertEquals(str(plain.responses[1]!.payload), "one");
    // As a GET with Accept: 50 would be answered now: 4.06, the end of it.
    assertEquals(jsonNotifications.map((m) => m.code), [
      CoapCode.NOT_ACCEPTABLE,
    ]);
    assertEquals(getOption(jsonNotifications[0]!, OBSERVE), undefined);
    assertEquals(resource.observers, 1);
  } finally {
    await h.close();
  }
});
