// Copyright 2026 the microcoap authors. MIT license.
// The Echo option on the client side (RFC 9175 §2.3): a 4.01 with Echo is
// answered by repeating the request once with the value, transparently.
import { assert, assertEquals } from "@std/assert";
import {
  CoapCode,
  CoapOptionNumber,
  decodeObserve,
  encodeBlock,
  encodeObserve,
  getOption,
} from "@microcoap/codec";
import type { CoapMessage } from "@microcoap/codec";
import type { ResponseInit } from "@microcoap/endpoint";
import {
  block1Of,
  block2Of,
  body,
  run,
  serveBlock,
  SERVER_URL,
  setup,
  str,
  text,
} from "./_test_helpers.ts";

const ECHO = CoapOptionNumber.ECHO;
const VALUE = new Uint8Array([0xec, 0x40, 1, 2, 3, 4, 5, 6]);

function challenge(value: Uint8Array = VALUE): ResponseInit {
  return { code: CoapCode.UNAUTHORIZED, options: [{ number: ECHO, value }] };
}

function echoOf(message: CoapMessage): Uint8Array | undefined {
  return getOption(message, ECHO);
}

Deno.test("request() repeats a request answered with 4.01 and Echo once, with the Echo value, and returns the second response", async () => {
  const t = setup(({ message }) =>
    echoOf(message) === undefined ? challenge() : {
      code: CoapCode.CONTENT,
      payload: text(`hello ${str(message.payload)}`),
    }
  );
  const response = await run(
    t.clock,
    t.client.post(`${SERVER_URL}/greet`, { payload: "you", query: "x=1" }),
  );
  assertEquals(response.codeText, "2.05");
  assertEquals(response.text(), "hello you");
  assertEquals(t.requests.length, 2);
  const [first, second] = t.requests.map((r) => r.message);
  assertEquals(echoOf(first!), undefined);
  assertEquals(echoOf(second!), VALUE);
  // The same request otherwise: method, options, payload.
  assertEquals(second!.code, CoapCode.POST);
  assertEquals(
    second!.options.filter((o) => o.number !== ECHO),
    first!.options,
  );
  assertEquals(second!.payload, first!.payload);
  assertEquals(second!.token, first!.token);
  await t.close();
});

Deno.test("request() repeats once only: a server that keeps answering 4.01 with Echo gets two requests and the caller the 4.01", async () => {
  let n = 0;
  const t = setup(() => challenge(new Uint8Array([++n])));
  const response = await run(t.clock, t.client.get(`${SERVER_URL}/x`));
  assertEquals(response.codeText, "4.01");
  // The second 4.01, with the second value.
  assertEquals(getOption(response, ECHO), new Uint8Array([2]));
  assertEquals(t.requests.length, 2);
  assertEquals(echoOf(t.requests[1]!.message), new Uint8Array([1]));
  await t.close();
});

Deno.test("request() returns a 4.01 without Echo as it is", async () => {
  const t = setup(() => ({ code: CoapCode.UNAUTHORIZED }));
  const response = await run(t.clock, t.client.get(`${SERVER_URL}/x`));
  assertEquals(response.codeText, "4.01");
  assertEquals(t.requests.length, 1);
  await t.close();
});

Deno.test("request() does not repeat for an Echo option on another response code", async () => {
  const t = setup(() => ({
    code: CoapCode.CONTENT,
    options: [{ number: ECHO, value: VALUE }],
    payload: text("fresh"),
  }));
  const response = await run(t.clock, t.client.get(`${SERVER_URL}/x`));
  assertEquals(response.text(), "fresh");
  assertEquals(t.requests.length, 1);
  await t.close();
});

Deno.test("get() of a block-wise resource repeats the one block answered with 4.01 and Echo", async () => {
  const whole = body(3000);
  const t = setup(({ message }) => {
    const block = block2Of(message);
    if (block?.num === 1 && echoOf(message) === undefined) return challenge();
    return serveBlock(message, { body: () => whole });
  });
  const response = await run(t.clock, t.client.get(`${SERVER_URL}/big`));
  assertEquals(response.payload, whole);
  const nums = t.requests.map((r) => [
    block2Of(r.message)?.num ?? 0,
    echoOf(r.message) !== undefined,
  ]);
  assertEquals(nums, [[0, false], [1, false], [1, true], [2, false]]);
  await t.close();
});

Deno.test("get() repeats the first request with Echo and then fetches the other blocks without it", async () => {
  const whole = body(2500);
  let verified = false;
  const t = setup(({ message }) => {
    if (!verified && echoOf(message) === undefined) return challenge();
    verified = true;
    return serveBlock(message, { body: () => whole });
  });
  const response = await run(t.clock, t.client.get(`${SERVER_URL}/big`));
  assertEquals(response.payload, whole);
  assertEquals(
    t.requests.map((r) => echoOf(r.message) !== undefined),
    [false, true, false, false],
  );
  await t.close();
});

Deno.test("put() of a Block1 upload repeats the block answered with 4.01 and Echo", async () => {
  const whole = body(2100);
  const parts: Uint8Array[] = [];
  let asked = false;
  const t = setup(({ message }) => {
    const block = block1Of(message)!;
    if (block.num === 1 && !asked) {
      asked = true;
      return challenge();
    }
    parts.push(message.payload);
    const echoBlock = {
      number: CoapOptionNumber.BLOCK1,
      value: encodeBlock(block),
    };
    return block.more
      ? { code: CoapCode.CONTINUE, options: [echoBlock] }
      : { code: CoapCode.CHANGED, options: [echoBlock] };
  });
  const response = await run(
    t.clock,
    t.client.put(`${SERVER_URL}/file`, { payload: whole }),
  );
  assertEquals(response.codeText, "2.04");
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  assertEquals(joined, whole);
  assertEquals(
    t.requests.map((
      r,
    ) => [block1Of(r.message)!.num, echoOf(r.message)?.length ?? 0]),
    [[0, 0], [1, 0], [1, 8], [2, 0]],
  );
  await t.close();
});

Deno.test("send() with some responses wanted repeats a 4.01 with Echo once", async () => {
  const t = setup(({ message }) =>
    echoOf(message) === undefined ? challenge() : { code: CoapCode.CHANGED }
  );
  const response = await run(
    t.clock,
    t.client.send(`${SERVER_URL}/log`, {
      method: "POST",
      payload: "x",
      noResponse: ["5xx"],
    }),
  );
  assertEquals(response?.codeText, "2.04");
  assertEquals(t.requests.length, 2);
  await t.close();
});

Deno.test("observe() registers again, once, with the Echo value of a 4.01 and then yields notifications", async () => {
  const registrations: CoapMessage[] = [];
  const t = setup(({ message }) => {
    const observe = getOption(message, CoapOptionNumber.OBSERVE);
    if (observe !== undefined && decodeObserve(observe) === 0) {
      registrations.push(message);
      if (echoOf(message) === undefined) return challenge();
      return {
        code: CoapCode.CONTENT,
        options: [{
          number: CoapOptionNumber.OBSERVE,
          value: encodeObserve(5),
        }],
        payload: text("v1"),
      };
    }
    return { code: CoapCode.CONTENT, payload: text("bye") };
  });
  const observation = t.client.observe(`${SERVER_URL}/obs`);
  const first = await run(t.clock, observation.next());
  assert(!first.done);
  assertEquals(first.value.text(), "v1");
  assertEquals(registrations.length, 2);
  assertEquals(echoOf(registrations[1]!), VALUE);
  assertEquals(registrations[1]!.token, registrations[0]!.token);
  // A notification on the registration's token arrives.
  await t.server.send(t.requests[0]!.peer, {
    type: "NON",
    code: CoapCode.CONTENT,
    token: registrations[1]!.token,
    options: [{ number: CoapOptionNumber.OBSERVE, value: encodeObserve(6) }],
    payload: text("v2"),
  });
  const second = await run(t.clock, observation.next());
  assert(!second.done);
  assertEquals(second.value.text(), "v2");
  await run(t.clock, observation.cancel());
  await t.close();
});

Deno.test("observe() does not loop when the server keeps answering the registration with 4.01 and Echo", async () => {
  // (It stops asking after a few, so that a client that loops fails fast.)
  let n = 0;
  const t = setup(() =>
    ++n <= 5 ? challenge() : { code: CoapCode.CONTENT, payload: text("x") }
  );
  const observation = t.client.observe(`${SERVER_URL}/obs`);
  const first = await run(t.clock, observation.next());
  assert(!first.done);
  assertEquals(first.value.codeText, "4.01");
  const end = await run(t.clock, observation.next());
  assert(end.done);
  assertEquals(t.requests.length, 2);
  await t.close();
});
