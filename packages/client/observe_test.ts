// Copyright 2026 the microcoap authors. MIT license.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
} from "@std/assert";
import {
  CoapCode,
  CoapOptionNumber,
  decodeObserve,
  encodeObserve,
  encodeUint,
  getOption,
} from "@microcoap/codec";
import type { CoapMessage, CoapOption } from "@microcoap/codec";
import type { ResponseInit } from "@microcoap/endpoint";
import type { PeerAddress } from "@microcoap/transport";
import { CoapClosedError, CoapResetError, CoapTimeoutError } from "./mod.ts";
import type { CoapObservation, CoapResponse } from "./mod.ts";
import {
  block2Of,
  body,
  run,
  serveBlock,
  SERVER_URL,
  settle,
  setup,
  sorted,
  str,
  text,
} from "./_test_helpers.ts";
import type { Setup, SetupOptions } from "./_test_helpers.ts";

const URL = `${SERVER_URL}/obs`;

function observeValue(message: CoapMessage): number | undefined {
  const value = getOption(message, CoapOptionNumber.OBSERVE);
  return value === undefined ? undefined : decodeObserve(value);
}

interface Registration {
  readonly token: Uint8Array;
  readonly peer: PeerAddress;
  readonly message: CoapMessage;
}

interface ObserveServer extends Setup {
  registrations: Registration[];
  deregistrations: Registration[];
  plain: CoapMessage[];
  /** Sends a notification to the latest registration. */
  notify(sequence: number | undefined, payload: string | Uint8Array, options?: {
    type?: "CON" | "NON";
    code?: number;
    extra?: CoapOption[];
  }): Promise<CoapMessage | undefined>;
}

/** A server whose /obs answers Observe 0 with `first()` and keeps the registration. */
function observeServer(
  first: (message: CoapMessage) => ResponseInit = () => ({
    code: CoapCode.CONTENT,
    options: [{ number: CoapOptionNumber.OBSERVE, value: encodeObserve(1) }],
    payload: text("v1"),
  }),
  options: SetupOptions = {},
): ObserveServer {
  const registrations: Registration[] = [];
  const deregistrations: Registration[] = [];
  const plain: CoapMessage[] = [];
  const t = setup(({ message, peer }) => {
    const observe = observeValue(message);
    if (observe === 0) {
      registrations.push({ token: message.token, peer, message });
      return first(message);
    }
    if (observe === 1) {
      deregistrations.push({ token: message.token, peer, message });
      return { code: CoapCode.CONTENT, payload: text("bye") };
    }
    plain.push(message);
    return first(message);
  }, options);
  return Object.assign(t, {
    registrations,
    deregistrations,
    plain,
    notify(
      sequence: number | undefined,
      payload: string | Uint8Array,
      notifyOptions: {
        type?: "CON" | "NON";
        code?: number;
        extra?: CoapOption[];
      } = {},
    ) {
      const registration = registrations.at(-1)!;
      const list: CoapOption[] = [...(notifyOptions.extra ?? [])];
      if (sequence !== undefined) {
        list.push({
          number: CoapOptionNumber.OBSERVE,
          value: encodeObserve(sequence),
        });
      }
      return t.server.send(registration.peer, {
        type: notifyOptions.type ?? "NON",
        code: notifyOptions.code ?? CoapCode.CONTENT,
        token: registration.token,
        options: sorted(list),
        payload: typeof payload === "string" ? text(payload) : payload,
      });
    },
  });
}

async function take(
  t: Setup,
  observation: CoapObservation,
): Promise<CoapResponse> {
  const result = await run(t.clock, observation.next());
  assert(!result.done, "the observation ended");
  return result.value;
}

async function drain(
  t: Setup,
  observation: CoapObservation,
  count: number,
): Promise<string[]> {
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    texts.push((await take(t, observation)).text());
  }
  return texts;
}

Deno.test("observe() yields the first response, then notifications in order, and cancel() deregisters", async () => {
  const t = observeServer();
  const observation = t.client.observe(URL);
  const first = await take(t, observation);
  assertEquals(first.text(), "v1");
  assertEquals(first.observe, 1);
  const registration = t.registrations[0]!;
  assertEquals(observeValue(registration.message), 0);
  assertEquals(registration.message.code, CoapCode.GET);
  await t.notify(2, "v2");
  await run(t.clock, t.notify(3, "v3", { type: "CON" }));
  assertEquals(await drain(t, observation, 2), ["v2", "v3"]);
  await run(t.clock, observation.cancel());
  assert(observation.ended);
  // The deregistration: GET with Observe 1 and the same token.
  assertEquals(t.deregistrations.length, 1);
  assertEquals(t.deregistrations[0]!.token, registration.token);
  assertEquals(t.deregistrations[0]!.message.code, CoapCode.GET);
  // The token is forgotten: a further CON notification is rejected with RST.
  const after = await settle(t.clock, t.notify(4, "v4", { type: "CON" }));
  assertInstanceOf(after.error, CoapResetError);
  assertEquals(await run(t.clock, observation.next()), {
    value: undefined,
    done: true,
  });
  await t.close();
});

Deno.test("observe() drops notifications older than the newest one", async () => {
  const t = observeServer();
  const observation = t.client.observe(URL);
  await take(t, observation);
  for (const sequence of [5, 7, 6, 7, 3, 8]) {
    await t.notify(sequence, `s${sequence}`);
  }
  await t.clock.tick(0);
  assertEquals(await drain(t, observation, 3), ["s5", "s7", "s8"]);
  await run(t.clock, observation.return!());
  await t.close();
});

Deno.test("observe() orders sequence numbers across the 2^24 wrap", async () => {
  const t = observeServer(() => ({
    code: CoapCode.CONTENT,
    options: [{
      number: CoapOptionNumber.OBSERVE,
      value: encodeObserve(0xfffffe),
    }],
    payload: text("start"),
  }));
  const observation = t.client.observe(URL);
  assertEquals((await take(t, observation)).observe, 0xfffffe);
  for (const sequence of [0xffffff, 0, 1, 0xfffff0, 0xfffffe, 2, 0x800001]) {
    await t.notify(sequence, `s${sequence}`);
  }
  await t.clock.tick(0);
  // 0x800001 - 2 is 2^23 - 1 ahead: newer. 0xfffff0 and 0xfffffe are behind 1.
  assertEquals(await drain(t, observation, 5), [
    `s${0xffffff}`,
    "s0",
    "s1",
    "s2",
    `s${0x800001}`,
  ]);
  // 0x800001 + 2^23 is exactly half way round: not newer.
  await t.notify((0x800001 + 0x800000) % 0x1000000, "half");
  await t.notify(0x800002, "next");
  assertEquals(await drain(t, observation, 1), ["next"]);
  await run(t.clock, observation.cancel());
  await t.close();
});

Deno.test("observe() takes an older sequence number after 128 seconds (RFC 7641 §3.4)", async () => {
  const t = observeServer(() => ({
    code: CoapCode.CONTENT,
    options: [{ number: CoapOptionNumber.OBSERVE, value: encodeObserve(100) }],
    payload: text("100"),
  }));
  const observation = t.client.observe(URL);
  await take(t, observation);
  await t.notify(50, "50 early");
  await t.clock.tick(128_000);
  await t.notify(49, "49 at 128 s");
  await t.clock.tick(1);
  await t.notify(40, "40 after 128 s");
  await t.notify(39, "39 right after");
  await t.notify(41, "41");
  await t.clock.tick(0);
  assertEquals(await drain(t, observation, 2), ["40 after 128 s", "41"]);
  await run(t.clock, observation.cancel());
  await t.close();
});

Deno.test("observe() of a resource that is not observable yields the response and ends without deregistering", async () => {
  const t = observeServer(() => ({
    code: CoapCode.CONTENT,
    payload: text("plain"),
  }));
  const texts: string[] = [];
  const loop = (async () => {
    for await (const response of t.client.observe(URL)) {
      texts.push(response.text());
    }
  })();
  await run(t.clock, loop);
  assertEquals(texts, ["plain"]);
  await t.clock.tick(10_000);
  assertEquals(t.deregistrations.length, 0);
  // A 4.04 answer is a response too.
  const missing = observeServer(() => ({ code: CoapCode.NOT_FOUND }));
  const observation = missing.client.observe(URL);
  assertEquals((await take(missing, observation)).codeText, "4.04");
  assertEquals(await run(missing.clock, observation.next()), {
    value: undefined,
    done: true,
  });
  await t.close();
  await missing.close();
});

Deno.test("observe() ends when a notification comes without Observe (the server ended it)", async () => {
  const t = observeServer();
  const observation = t.client.observe(URL);
  await take(t, observation);
  await t.notify(2, "v2");
  await run(
    t.clock,
    t.notify(undefined, "gone", { code: CoapCode.NOT_FOUND, type: "CON" }),
  );
  const last = await drain(t, observation, 2);
  assertEquals(last, ["v2", "gone"]);
  assertEquals(await run(t.clock, observation.next()), {
    value: undefined,
    done: true,
  });
  assertEquals(t.deregistrations.length, 0);
  await t.close();
});

Deno.test("leaving a for await loop early deregisters", async () => {
  const t = observeServer();
  const seen: string[] = [];
  const loop = (async () => {
    for await (const response of t.client.observe(URL)) {
      seen.push(response.text());
      if (seen.length === 2) break;
    }
  })();
  await t.clock.tick(0);
  await t.notify(2, "v2");
  await run(t.clock, loop);
  await t.clock.tick(100);
  assertEquals(seen, ["v1", "v2"]);
  assertEquals(t.deregistrations.length, 1);
  assertEquals(t.deregistrations[0]!.token, t.registrations[0]!.token);
  await t.close();
});

Deno.test("aborting the signal deregisters and rejects the iteration with the reason", async () => {
  const t = observeServer();
  const controller = new AbortController();
  const observation = t.client.observe(URL, { signal: controller.signal });
  await take(t, observation);
  const waiting = observation.next();
  const reason = new Error("stop");
  controller.abort(reason);
  await assertRejects(() => waiting, Error, "stop");
  await t.clock.tick(100);
  assertEquals(t.deregistrations.length, 1);
  assertEquals(await observation.next(), { value: undefined, done: true });
  const early = t.client.observe(URL, {
    signal: AbortSignal.abort(new RangeError("before")),
  });
  await assertRejects(() => early.next(), RangeError, "before");
  await t.close();
});

Deno.test("observe() never lets a notification overtake a first response that is completed block-wise", async () => {
  const big = body(100, 1);
  const t = observeServer((message) => {
    const response = serveBlock(message, {
      body: () => big,
      maxSize: 32,
      options: observeValue(message) === 0
        ? [{ number: CoapOptionNumber.OBSERVE, value: encodeObserve(1) }]
        : [],
    });
    if (observeValue(message) === 0) {
      // The next notification leaves right behind the first response.
      queueMicrotask(() => {
        t.notify(2, "small").catch(() => {});
      });
    }
    return response;
  });
  const observation = t.client.observe(URL);
  const first = await take(t, observation);
  assertEquals(first.payload, big);
  assertEquals(first.observe, 1);
  assertEquals((await take(t, observation)).text(), "small");
  // The remaining blocks were fetched with GET, Block2 num > 0 and no Observe.
  assertEquals(t.plain.length, 3);
  for (const [i, message] of t.plain.entries()) {
    assertEquals(message.code, CoapCode.GET);
    assertEquals(observeValue(message), undefined);
    assertEquals(block2Of(message)?.num, i + 1);
  }
  await run(t.clock, observation.cancel());
  await t.close();
});

Deno.test("observe() completes a notification that carries Block2 before yielding it", async () => {
  let version = body(40, 0);
  const t = observeServer((message) =>
    serveBlock(message, {
      body: () => version,
      maxSize: 16,
      options: observeValue(message) === 0
        ? [{ number: CoapOptionNumber.OBSERVE, value: encodeObserve(1) }]
        : [],
    })
  );
  const observation = t.client.observe(URL);
  assertEquals((await take(t, observation)).payload, version);
  version = body(70, 9);
  await t.notify(2, version.subarray(0, 16), {
    extra: [
      { number: CoapOptionNumber.BLOCK2, value: encodeUint((0 << 4) | 8 | 0) },
      { number: CoapOptionNumber.SIZE2, value: encodeUint(70) },
    ],
  });
  const notification = await take(t, observation);
  assertEquals(notification.payload, version);
  assertEquals(notification.observe, 2);
  await run(t.clock, observation.cancel());
  await t.close();
});

Deno.test("observe() keeps at most bufferSize responses for a slow consumer, dropping the oldest", async () => {
  const t = observeServer();
  const observation = t.client.observe(URL, { bufferSize: 3 });
  await t.clock.tick(0);
  for (let sequence = 2; sequence <= 6; sequence++) {
    await t.notify(sequence, `v${sequence}`);
  }
  await t.clock.tick(0);
  assertEquals(await drain(t, observation, 3), ["v4", "v5", "v6"]);
  await t.notify(7, "v7");
  assertEquals(await drain(t, observation, 1), ["v7"]);
  await run(t.clock, observation.cancel());
  await t.close();
});

Deno.test("observe() holds at most bufferSize notifications while one is completed block-wise, dropping the oldest", async () => {
  // Block fetches are slow; a flood of block-wise notifications arrives
  // meanwhile. Only the newest bufferSize of them are completed: not one
  // fetch per stale notification, and no queue that grows with the flood.
  const rest = text("-rest-of-the-body");
  const t = observeServer((message) => {
    if (observeValue(message) === 0) {
      return {
        code: CoapCode.CONTENT,
        options: [{
          number: CoapOptionNumber.OBSERVE,
          value: encodeObserve(1),
        }],
        payload: text("v1"),
      };
    }
    return new Promise<ResponseInit>((resolve) =>
      t.clock.setTimeout(() =>
        resolve({
          code: CoapCode.CONTENT,
          options: [{
            number: CoapOptionNumber.BLOCK2,
            value: encodeUint((1 << 4) | 0),
          }],
          payload: rest,
        }), 1000)
    ) as unknown as ResponseInit;
  });
  const observation = t.client.observe(URL, { bufferSize: 3 });
  assertEquals((await take(t, observation)).text(), "v1");
  const blockOf = (sequence: number) => text(`v${sequence}`.padEnd(16, "."));
  for (let sequence = 2; sequence <= 102; sequence++) {
    await t.notify(sequence, blockOf(sequence), {
      extra: [{
        number: CoapOptionNumber.BLOCK2,
        value: encodeUint((0 << 4) | 8 | 0),
      }],
    });
  }
  await t.clock.tick(20_000);
  assertEquals(t.plain.length, 4);
  const texts = await drain(t, observation, 3);
  assertEquals(
    texts,
    [100, 101, 102].map((n) => `v${n}`.padEnd(16, ".") + "-rest-of-the-body"),
  );
  await run(t.clock, observation.cancel());
  await t.close();
});

Deno.test("observe() registers again after Max-Age plus the margin of silence when reregister is on", async () => {
  let sequence = 1;
  const t = observeServer(() => ({
    code: CoapCode.CONTENT,
    options: [
      { number: CoapOptionNumber.OBSERVE, value: encodeObserve(sequence) },
      { number: CoapOptionNumber.MAX_AGE, value: encodeUint(10) },
    ],
    payload: text(`r${sequence}`),
  }));
  const observation = t.client.observe(URL, {
    reregister: true,
    reregisterMargin: 2000,
  });
  await take(t, observation);
  // Notifications within Max-Age keep the registration.
  for (let i = 0; i < 3; i++) {
    await t.clock.tick(9000);
    await t.notify(++sequence, `n${sequence}`, {
      extra: [{ number: CoapOptionNumber.MAX_AGE, value: encodeUint(10) }],
    });
  }
  await t.clock.tick(0);
  assertEquals(t.registrations.length, 1);
  assertEquals(await drain(t, observation, 3), ["n2", "n3", "n4"]);
  // Then silence: at 10 s + 2 s the client registers again, with the same token.
  await t.clock.tick(11_999);
  assertEquals(t.registrations.length, 1);
  await t.clock.tick(1);
  assertEquals(t.registrations.length, 2);
  assertEquals(t.registrations[1]!.token, t.registrations[0]!.token);
  assertEquals((await take(t, observation)).text(), "r4");
  // Notifications still arrive on the token.
  await t.notify(++sequence, "after");
  assertEquals(await drain(t, observation, 1), ["after"]);
  await run(t.clock, observation.cancel());
  await t.close();
});

Deno.test("observe() without reregister stays silent through long silence", async () => {
  const t = observeServer();
  const observation = t.client.observe(URL);
  await take(t, observation);
  await t.clock.tick(600_000);
  assertEquals(t.registrations.length, 1);
  await t.notify(2, "late");
  assertEquals(await drain(t, observation, 1), ["late"]);
  await run(t.clock, observation.cancel());
  await t.close();
});

Deno.test("observe() reports a registration that times out or is refused", async () => {
  const t = observeServer();
  const silent = t.client.observe("coap://10.0.0.9/obs");
  const outcome = await settle(t.clock, silent.next());
  assertInstanceOf(outcome.error, CoapTimeoutError);
  assert(silent.ended);
  const bounded = t.client.observe("coap://10.0.0.9/obs", { timeout: 5000 });
  let error: unknown;
  bounded.next().catch((e) => error = e);
  await t.clock.tick(4999);
  assertEquals(error, undefined);
  await t.clock.tick(1);
  assertInstanceOf(error, CoapTimeoutError);
  await t.close();
});

Deno.test("observe() reports bad input through the iteration", async () => {
  const t = observeServer();
  await assertRejects(
    () => t.client.observe("http://10.0.0.1/x").next(),
    TypeError,
    "http",
  );
  await assertRejects(
    () => t.client.observe(URL, { bufferSize: 0 }).next(),
    RangeError,
  );
  await assertRejects(
    () => t.client.observe(URL, { method: "POST" as never }).next(),
    TypeError,
  );
  await assertRejects(
    () => t.client.observe(URL, { reregisterMargin: -1 }).next(),
    RangeError,
  );
  await t.close();
});

Deno.test("close() ends running observations with CoapClosedError", async () => {
  const t = observeServer();
  const observation = t.client.observe(URL);
  await take(t, observation);
  const waiting = observation.next();
  await t.client.close();
  await assertRejects(() => waiting, CoapClosedError);
  const late = t.client.observe(URL);
  await assertRejects(() => late.next(), CoapClosedError);
  await t.close();
});

Deno.test("observe() with FETCH sends the payload in registration, block fetches and deregistration", async () => {
  const t = observeServer();
  const observation = t.client.observe(URL, {
    method: "FETCH",
    payload: { q: 1 },
  });
  await take(t, observation);
  await run(t.clock, observation.cancel());
  for (
    const message of [
      t.registrations[0]!.message,
      t.deregistrations[0]!.message,
    ]
  ) {
    assertEquals(message.code, CoapCode.FETCH);
    assertEquals(str(message.payload), '{"q":1}');
  }
  await t.close();
});

Deno.test("observe() yields only ever newer states under loss, duplication and reordering", async () => {
  const t = observeServer(undefined, {
    seed: 5,
    conditions: {
      loss: 0.1,
      duplicate: 0.2,
      reorder: { probability: 0.4, delay: 300 },
      delay: { min: 1, max: 50 },
    },
  });
  const observation = t.client.observe(URL, { bufferSize: 100 });
  await take(t, observation);
  const values: number[] = [];
  const loop = (async () => {
    for await (const response of observation) {
      values.push(Number(response.text()));
    }
  })();
  const sends: Promise<unknown>[] = [];
  for (let sequence = 2; sequence <= 40; sequence++) {
    sends.push(
      t.notify(sequence, `${sequence}`, { type: "CON" }).catch(() => {}),
    );
    await t.clock.tick(20);
  }
  await run(t.clock, Promise.all(sends));
  await t.clock.tick(5000);
  assert(values.length > 10, `only ${values.length} notifications`);
  for (let i = 1; i < values.length; i++) {
    assert(values[i]! > values[i - 1]!, values.join());
  }
  assertEquals(values.at(-1), 40);
  assert(t.network.stats.reordered > 0);
  await run(t.clock, observation.cancel());
  await loop;
  await t.close();
});

Deno.test("leaving a for await loop resolves only once the deregistration is over", async () => {
  const t = observeServer();
  const observation = t.client.observe(URL);
  const loop = (async () => {
    for await (const _ of observation) break;
  })();
  let left = false;
  loop.then(() => left = true);
  // Whether the loop had already been left when the server got the GET with Observe 1.
  let leftBeforeDeregistration: boolean | undefined;
  const push = t.deregistrations.push.bind(t.deregistrations);
  t.deregistrations.push = (...items) => {
    leftBeforeDeregistration = left;
    return push(...items);
  };
  await run(t.clock, loop);
  assertEquals(t.registrations.length, 1);
  assertEquals(t.deregistrations.length, 1);
  assertEquals(leftBeforeDeregistration, false);
  assertEquals(t.deregistrations[0]!.token, t.registrations[0]!.token);
  await t.close();
});

Deno.test("observe() ends on a non-2.xx response even when it carries Observe (RFC 7641 §3.2, as node-coap sends them)", async () => {
  // The first response: 4.04 with Observe, as node-coap answers.
  const refused = observeServer(() => ({
    code: CoapCode.NOT_FOUND,
    options: [{ number: CoapOptionNumber.OBSERVE, value: encodeObserve(1) }],
    payload: text("nope"),
  }));
  const first = refused.client.observe(URL);
  const response = await take(refused, first);
  assertEquals([response.code, response.text()], [CoapCode.NOT_FOUND, "nope"]);
  assertEquals(await run(refused.clock, first.next()), {
    value: undefined,
    done: true,
  });
  assert(first.ended);
  await refused.close();

  // A later notification: 5.03 with a newer Observe value.
  const t = observeServer();
  const observation = t.client.observe(URL);
  await take(t, observation);
  await run(
    t.clock,
    t.notify(2, "down", { code: CoapCode.SERVICE_UNAVAILABLE, type: "CON" }),
  );
  const last = await take(t, observation);
  assertEquals([last.code, last.text()], [
    CoapCode.SERVICE_UNAVAILABLE,
    "down",
  ]);
  assertEquals(await run(t.clock, observation.next()), {
    value: undefined,
    done: true,
  });
  assertEquals(t.deregistrations.length, 0);
  await t.close();
});

Deno.test("observe() with reregister registers again at most once a second when Max-Age is 0 and the margin 0", async () => {
  let sequence = 1;
  const t = observeServer(() => ({
    code: CoapCode.CONTENT,
    options: [
      { number: CoapOptionNumber.OBSERVE, value: encodeObserve(sequence++) },
      { number: CoapOptionNumber.MAX_AGE, value: encodeUint(0) },
    ],
    payload: text("now"),
  }));
  const observation = t.client.observe(URL, {
    reregister: true,
    reregisterMargin: 0,
    bufferSize: 1,
  });
  await take(t, observation);
  for (let i = 0; i < 100 && t.registrations.length < 1000; i++) {
    await t.clock.tick(100);
  }
  // 10 s of a representation that is always stale: one registration a second.
  assert(
    t.registrations.length <= 11,
    `${t.registrations.length} registrations`,
  );
  assert(
    t.registrations.length >= 10,
    `${t.registrations.length} registrations`,
  );
  await run(t.clock, observation.cancel());
  await t.close();
});
