// Copyright 2026 the microcoap authors. MIT license.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  CoapCode,
  CoapOptionNumber,
  decodeUint,
  encode,
  getOption,
  getOptions,
  uriPath,
  uriQuery,
} from "@microcoap/codec";
import type { CoapMessage } from "@microcoap/codec";
import { CoapEndpoint } from "@microcoap/endpoint";
import { FakeClock, MemoryNetwork } from "@microcoap/transport";
import {
  CoapClient,
  CoapClosedError,
  CoapDnsError,
  CoapResetError,
  CoapTimeoutError,
} from "./mod.ts";
import type { CoapResponse } from "./mod.ts";
import {
  run,
  SERVER,
  SERVER_URL,
  settle,
  setup,
  str,
  text,
} from "./_test_helpers.ts";

const echo = ({ message }: { message: CoapMessage }) => ({
  code: CoapCode.CONTENT,
  payload: message.payload,
});

Deno.test("request() sends every method with its code", async () => {
  const t = setup(() => ({ code: CoapCode.CHANGED }));
  const c = t.client;
  const url = `${SERVER_URL}/x`;
  const calls: [string, Promise<CoapResponse>][] = [
    ["GET", c.get(url)],
    ["POST", c.post(url)],
    ["PUT", c.put(url)],
    ["DELETE", c.delete(url)],
    ["FETCH", c.fetch(url)],
    ["PATCH", c.patch(url)],
    ["IPATCH", c.ipatch(url)],
    ["request PUT", c.request(url, { method: "PUT" })],
    ["request 0.05", c.request(url, { method: 5 })],
    ["request default", c.request(url)],
  ];
  for (const [, call] of calls) {
    assertEquals((await run(t.clock, call)).code, CoapCode.CHANGED);
  }
  assertEquals(
    t.requests.map((r) => r.message.code),
    [1, 2, 3, 4, 5, 6, 7, 3, 5, 1],
  );
  await t.close();
});

Deno.test("request() rejects an unknown method or code with a typed error", async () => {
  const t = setup(echo);
  await assertRejects(
    () => t.client.request(SERVER_URL, { method: "BREW" as never }),
    TypeError,
    "BREW",
  );
  await assertRejects(
    () => t.client.request(SERVER_URL, { method: 0x45 }),
    RangeError,
  );
  await t.close();
});

Deno.test("request() sends the URL's path and query, then the query option, and no Uri-Host for an IP literal", async () => {
  const t = setup(echo);
  await run(
    t.clock,
    t.client.get(`${SERVER_URL}/a/b%20c?x=1&y`, {
      query: { level: 3, on: true, off: false, tags: ["p", "q"] },
    }),
  );
  await run(t.clock, t.client.get(`${SERVER_URL}/q`, { query: "?u=1&&v=%41" }));
  await run(
    t.clock,
    t.client.get(`${SERVER_URL}/q`, { query: new URLSearchParams("k=v&flag") }),
  );
  const [first, second, third] = t.requests.map((r) => r.message);
  assertEquals(uriPath(first!), ["a", "b c"]);
  assertEquals(uriQuery(first!), [
    "x=1",
    "y",
    "level=3",
    "on",
    "tags=p",
    "tags=q",
  ]);
  assertEquals(getOption(first!, CoapOptionNumber.URI_HOST), undefined);
  assertEquals(getOption(first!, CoapOptionNumber.URI_PORT), undefined);
  assertEquals(uriQuery(second!), ["u=1", "v=%41"]);
  assertEquals(uriQuery(third!), ["k=v", "flag"]);
  await t.close();
});

Deno.test("request() rejects a query record value that is not a string, number or boolean with a TypeError and sends nothing", async () => {
  // null went as "a=null" and an object as "a=[object Object]".
  const t = setup(echo);
  for (const value of [null, {}, [null], [["x"]], Symbol("s"), 1n]) {
    const query = { a: value } as unknown as Record<string, string>;
    const error = await assertRejects(
      () => t.client.get(`${SERVER_URL}/q`, { query }),
      TypeError,
    );
    assertStringIncludes(error.message, 'query value of "a"');
  }
  assertEquals(t.clientWire.length, 0);
  await t.close();
});

Deno.test("request() encodes string, JSON and byte payloads with the implied content format", async () => {
  const t = setup(echo);
  const url = `${SERVER_URL}/echo`;
  const textResponse = await run(
    t.clock,
    t.client.post(url, { payload: "héllo" }),
  );
  const jsonResponse = await run(
    t.clock,
    t.client.post(url, { payload: { a: [1, "b", null] } }),
  );
  const bytes = await run(
    t.clock,
    t.client.post(url, { payload: new Uint8Array([1, 2, 3]) }),
  );
  const named = await run(
    t.clock,
    t.client.put(url, {
      payload: "<a/>",
      contentFormat: "application/xml",
      accept: "json",
    }),
  );
  const numbered = await run(
    t.clock,
    t.client.put(url, { payload: [1], contentFormat: 110 }),
  );
  const none = await run(t.clock, t.client.get(url));
  assertEquals(textResponse.text(), "héllo");
  assertEquals(jsonResponse.json(), { a: [1, "b", null] });
  assertEquals(bytes.payload, new Uint8Array([1, 2, 3]));
  assertEquals(named.text(), "<a/>");
  assertEquals(none.payload.length, 0);
  const formats = t.requests.map((r) =>
    getOption(r.message, CoapOptionNumber.CONTENT_FORMAT)?.length === undefined
      ? undefined
      : decodeUint(getOption(r.message, CoapOptionNumber.CONTENT_FORMAT)!)
  );
  assertEquals(formats, [0, 50, undefined, 41, 110, undefined]);
  assertEquals(
    decodeUint(getOption(t.requests[3]!.message, CoapOptionNumber.ACCEPT)!),
    50,
  );
  assertEquals(numbered.json(), [1]);
  // JSON text labelled application/cbor would be garbage to the server.
  await assertRejects(
    () => t.client.put(url, { payload: [1], contentFormat: "cbor" }),
    TypeError,
    "is not JSON",
  );
  await assertRejects(
    () =>
      t.client.put(url, {
        payload: "x",
        contentFormat: "application/nonsense",
      }),
    RangeError,
  );
  await t.close();
});

Deno.test("request() adds typed and raw options in number order", async () => {
  const t = setup(echo);
  const tag = new Uint8Array([0xaa, 0xbb]);
  await run(
    t.clock,
    t.client.get(`${SERVER_URL}/r`, {
      etag: [tag, new Uint8Array([1])],
      ifMatch: tag,
      ifNoneMatch: true,
      observe: 0,
      options: [
        { number: 2048, value: "exp" },
        { number: 65000, value: 7 },
        { number: CoapOptionNumber.URI_QUERY, value: "raw=1" },
      ],
      query: "q=1",
    }),
  );
  await run(t.clock, t.client.put(`${SERVER_URL}/r`, { ifMatch: true }));
  const message = t.requests[0]!.message;
  const numbers = message.options.map((o) => o.number);
  assertEquals(numbers, [...numbers].sort((a, b) => a - b));
  assertEquals(getOptions(message, CoapOptionNumber.ETAG), [
    tag,
    new Uint8Array([1]),
  ]);
  assertEquals(getOption(message, CoapOptionNumber.IF_MATCH), tag);
  assertEquals(
    getOption(message, CoapOptionNumber.IF_NONE_MATCH),
    new Uint8Array(0),
  );
  assertEquals(getOption(message, CoapOptionNumber.OBSERVE), new Uint8Array(0));
  assertEquals(str(getOption(message, 2048)!), "exp");
  assertEquals(decodeUint(getOption(message, 65000)!), 7);
  assertEquals(uriQuery(message), ["q=1", "raw=1"]);
  assertEquals(
    getOption(t.requests[1]!.message, CoapOptionNumber.IF_MATCH),
    new Uint8Array(0),
  );
  await assertRejects(
    () =>
      t.client.get(SERVER_URL, {
        options: [{ number: CoapOptionNumber.URI_PATH, value: 5 }],
      }),
    TypeError,
  );
  await assertRejects(
    () => t.client.get(SERVER_URL, { etag: new Uint8Array(9) }),
    RangeError,
  );
  await t.close();
});

Deno.test("CoapResponse exposes code, type, options and typed getters", async () => {
  const t = setup(() => ({
    code: CoapCode.CREATED,
    options: [
      { number: CoapOptionNumber.ETAG, value: new Uint8Array([9]) },
      { number: CoapOptionNumber.OBSERVE, value: new Uint8Array([0x01, 0x02]) },
      { number: CoapOptionNumber.LOCATION_PATH, value: text("items") },
      { number: CoapOptionNumber.LOCATION_PATH, value: text("7") },
      { number: CoapOptionNumber.CONTENT_FORMAT, value: new Uint8Array([50]) },
      { number: CoapOptionNumber.MAX_AGE, value: new Uint8Array([30]) },
      { number: CoapOptionNumber.LOCATION_QUERY, value: text("v=2") },
      { number: CoapOptionNumber.SIZE2, value: new Uint8Array([4]) },
    ],
    payload: text('{"ok":true}'),
  }));
  const response = await run(t.clock, t.client.post(`${SERVER_URL}/items`));
  assertEquals(response.code, 0x41);
  assertEquals(response.codeText, "2.01");
  assertEquals(response.codeName, "CREATED");
  assert(response.ok);
  assertEquals(response.type, "ACK");
  assertEquals(response.etag, new Uint8Array([9]));
  assertEquals(response.observe, 0x0102);
  assertEquals(response.locationPath, ["items", "7"]);
  assertEquals(response.locationQuery, ["v=2"]);
  assertEquals(response.contentFormat, 50);
  assertEquals(response.maxAge, 30);
  assertEquals(response.size2, 4);
  assertEquals(response.json(), { ok: true });
  assertEquals(response.text(), '{"ok":true}');
  assertEquals(response.peer, SERVER);
  assertEquals(response.options.length, 8);
  const sent = t.clientWire[0]!.message;
  assertEquals(response.token, sent.token);
  assertEquals(response.messageId, sent.messageId);
  await t.close();
});

Deno.test("CoapResponse defaults Max-Age to 60 and reports 4.xx and 5.xx as not ok", async () => {
  const t = setup(({ message }) => ({
    code: uriPath(message)[0] === "gone"
      ? CoapCode.NOT_FOUND
      : CoapCode.INTERNAL_SERVER_ERROR,
  }));
  const notFound = await run(t.clock, t.client.get(`${SERVER_URL}/gone`));
  const failed = await run(t.clock, t.client.get(`${SERVER_URL}/x`));
  assertEquals([notFound.codeText, notFound.codeName, notFound.ok], [
    "4.04",
    "NOT_FOUND",
    false,
  ]);
  assertEquals([failed.codeText, failed.ok, failed.maxAge], [
    "5.00",
    false,
    60,
  ]);
  assertEquals(failed.etag, undefined);
  assertEquals(failed.observe, undefined);
  assertEquals(failed.contentFormat, undefined);
  assertEquals(failed.locationPath, []);
  await t.close();
});

Deno.test("request() rejects an unsupported scheme or a malformed URL with a TypeError naming it", async () => {
  const t = setup(echo);
  for (const scheme of ["coaps", "coap+tcp", "http"]) {
    const error = await assertRejects(
      () => t.client.get(`${scheme}://10.0.0.1/x`),
      TypeError,
    );
    assertStringIncludes(error.message, `"${scheme}"`);
  }
  await assertRejects(() => t.client.get("coap://10.0.0.1/x#frag"), TypeError);
  await assertRejects(() => t.client.get("not a url"), TypeError);
  await assertRejects(() => t.client.get("coap://10.0.0.1:70000/"), RangeError);
  await t.close();
});

Deno.test("request(), send(), ping(), observe() and multicast() reject port 0 with a RangeError and send nothing", async () => {
  // Port 0 is no destination (RFC 6335 §6): a datagram to it is never
  // answered, so the request only timed out after MAX_TRANSMIT_WAIT.
  const t = setup(echo);
  const url = "coap://10.0.0.1:0/x";
  for (
    const attempt of [
      (): Promise<unknown> => t.client.get(url),
      () => t.client.send(url),
      () => t.client.ping(url),
      () => t.client.observe(url).next(),
      () => t.client.multicast("coap://224.0.1.187:0/x").next(),
    ]
  ) {
    const outcome = await settle(t.clock, attempt(), 1000);
    assertInstanceOf(outcome.error, RangeError);
    assertStringIncludes((outcome.error as Error).message, "port 0");
  }
  assertEquals(t.clientWire.length, 0);
  await t.close();
});

Deno.test("request() accepts coap+udp URLs and URL objects", async () => {
  const t = setup(echo);
  await run(t.clock, t.client.get("coap+udp://10.0.0.1/a"));
  await run(t.clock, t.client.get(new URL("coap://10.0.0.1:5683/b")));
  assertEquals(t.requests.map((r) => uriPath(r.message)), [["a"], ["b"]]);
  await t.close();
});

Deno.test("request() resolves a host name once, sends Uri-Host, and maps DNS failure to CoapDnsError", async () => {
  const looked: string[] = [];
  const t = setup(echo, {
    client: {
      lookup: (hostname) => {
        looked.push(hostname);
        if (hostname === "nowhere.invalid") {
          return Promise.reject(
            Object.assign(new Error("getaddrinfo ENOTFOUND"), {
              code: "ENOTFOUND",
            }),
          );
        }
        return Promise.resolve({ address: "10.0.0.1", family: 4 });
      },
    },
  });
  const response = await run(
    t.clock,
    t.client.get("coap://Sensor.Example:5683/t"),
  );
  assertEquals(response.code, CoapCode.CONTENT);
  assertEquals(looked, ["sensor.example"]);
  assertEquals(
    str(getOption(t.requests[0]!.message, CoapOptionNumber.URI_HOST)!),
    "sensor.example",
  );
  const error = await assertRejects(
    () => t.client.get("coap://nowhere.invalid/"),
    CoapDnsError,
  );
  assertEquals(error.hostname, "nowhere.invalid");
  assertEquals(error.code, "ENOTFOUND");
  assertStringIncludes(error.message, "nowhere.invalid");
  await t.close();
});

Deno.test("request() rejects with CoapTimeoutError after MAX_TRANSMIT_WAIT when nobody answers", async () => {
  const t = setup(echo);
  const outcome = await settle(t.clock, t.client.get("coap://10.0.0.9/x"));
  assertInstanceOf(outcome.error, CoapTimeoutError);
  // random 0: 2 + 4 + 8 + 16 + 32 s of retransmission timeouts.
  assertEquals(t.clientWire.map((w) => w.at), [0, 2000, 6000, 14000, 30000]);
  await t.close();
});

Deno.test("request() honours the timeout option and the client's default timeout", async () => {
  const t = setup(undefined, { client: { timeout: 7000 } });
  let error: unknown;
  t.client.get("coap://10.0.0.9/x", { timeout: 3000 }).catch((e) => error = e);
  await t.clock.tick(2999);
  assertEquals(error, undefined);
  await t.clock.tick(1);
  assertInstanceOf(error, CoapTimeoutError);
  assertStringIncludes((error as Error).message, "3000 ms");
  let second: unknown;
  t.client.get("coap://10.0.0.9/y").catch((e) => second = e);
  await t.clock.tick(6999);
  assertEquals(second, undefined);
  await t.clock.tick(1);
  assertInstanceOf(second, CoapTimeoutError);
  await t.close();
});

Deno.test("request() rejects with the abort signal's reason and stops retransmitting", async () => {
  const t = setup(undefined);
  const controller = new AbortController();
  let error: unknown;
  t.client.get("coap://10.0.0.9/x", { signal: controller.signal }).catch((e) =>
    error = e
  );
  await t.clock.tick(2500);
  const reason = new Error("user gave up");
  controller.abort(reason);
  await t.clock.tick(0);
  assertEquals(error, reason);
  const sent = t.clientWire.length;
  await t.clock.tick(120_000);
  assertEquals(t.clientWire.length, sent);
  const aborted = AbortSignal.abort(new RangeError("already"));
  await assertRejects(
    () => t.client.get(SERVER_URL, { signal: aborted }),
    RangeError,
    "already",
  );
  await t.close();
});

Deno.test("request() rejects with CoapResetError when the server resets the request", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const raw = network.bind(SERVER);
  raw.listen({
    onDatagram(data, from) {
      const messageId = (data[2]! << 8) | data[3]!;
      raw.send(
        encode({
          type: "RST",
          code: 0,
          messageId,
          token: new Uint8Array(0),
          options: [],
          payload: new Uint8Array(0),
        }),
        from,
      );
    },
  });
  const client = new CoapClient({ transport: network.bind(), clock });
  const outcome = await settle(clock, client.get(`${SERVER_URL}/x`));
  assertInstanceOf(outcome.error, CoapResetError);
  await client.close();
  await raw.close();
});

Deno.test("request() takes a piggybacked response with another token as an acknowledgement only", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const raw = network.bind(SERVER);
  let separate: (() => void) | undefined;
  raw.listen({
    onDatagram(data, from) {
      if ((data[1]! & 0xe0) !== 0 || data[1] === 0) return; // not a request
      const messageId = (data[2]! << 8) | data[3]!;
      const token = data.slice(4, 4 + (data[0]! & 0x0f));
      raw.send(
        encode({
          type: "ACK",
          code: CoapCode.CONTENT,
          messageId,
          token: new Uint8Array([0xde, 0xad]),
          options: [],
          payload: text("not yours"),
        }),
        from,
      );
      separate = () =>
        raw.send(
          encode({
            type: "NON",
            code: CoapCode.CONTENT,
            messageId: messageId + 1,
            token,
            options: [],
            payload: text("yours"),
          }),
          from,
        );
    },
  });
  const client = new CoapClient({ transport: network.bind(), clock });
  let result: CoapResponse | undefined;
  const pending = client.get(`${SERVER_URL}/x`).then((r) => result = r);
  await clock.tick(10);
  assertEquals(result, undefined);
  separate!();
  await run(clock, pending);
  assertEquals(result?.text(), "yours");
  // Without a separate response, the request ends after EXCHANGE_LIFETIME.
  const outcome = await settle(clock, client.get(`${SERVER_URL}/y`));
  assertInstanceOf(outcome.error, CoapTimeoutError);
  await client.close();
  await raw.close();
});

Deno.test("request() sends NON when confirmable is false and takes a NON response", async () => {
  const t = setup(echo);
  const response = await run(
    t.clock,
    t.client.get(`${SERVER_URL}/n`, { confirmable: false }),
  );
  assertEquals(t.clientWire[0]!.message.type, "NON");
  assertEquals(response.type, "NON");
  assertEquals(response.code, CoapCode.CONTENT);
  await t.close();
});

Deno.test("a NON request with a critical option the server does not know fails at once with CoapResetError", async () => {
  const t = setup(echo);
  const started = t.clock.now();
  const outcome = await settle(
    t.clock,
    t.client.get(`${SERVER_URL}/x`, {
      confirmable: false,
      options: [{ number: 2049, value: 1 }],
    }),
  );
  assertInstanceOf(outcome.error, CoapResetError);
  assert(t.clock.now() - started < 1_000, "rejected by the RST, not a timeout");
  assertEquals(t.requests.length, 0);
  await t.close();
});

Deno.test("request() waits for a separate response", async () => {
  // The handler outlasts separateResponseDelay on the fake clock, so the
  // server must send an empty ACK first and the response later as a CON.
  const t: ReturnType<typeof setup> = setup(async () => {
    await new Promise<void>((resolve) => t.clock.setTimeout(resolve, 1_000));
    return { code: CoapCode.CONTENT, payload: text("late") };
  }, { server: { separateResponseDelay: 100 } });
  const response = await run(t.clock, t.client.get(`${SERVER_URL}/slow`));
  assertEquals(response.text(), "late");
  assertEquals(response.type, "CON");
  await t.close();
});

Deno.test("request() survives loss, duplication and reordering", async () => {
  const t = setup(echo, {
    seed: 7,
    conditions: {
      loss: 0.25,
      duplicate: 0.2,
      reorder: { probability: 0.3, delay: 300 },
      delay: { min: 1, max: 40 },
    },
  });
  for (let i = 0; i < 20; i++) {
    const response = await run(
      t.clock,
      t.client.post(`${SERVER_URL}/e`, { payload: `n${i}` }),
    );
    assertEquals(response.text(), `n${i}`);
  }
  assertEquals(t.requests.length, 20);
  const stats = t.network.stats;
  assert(
    stats.dropped > 5 && stats.duplicated > 3 && stats.reordered > 5,
    JSON.stringify(stats),
  );
  await t.close();
});

Deno.test("request() noResponse sends the option; suppressing every class is a TypeError pointing to send()", async () => {
  const t = setup(echo);
  await run(
    t.clock,
    t.client.get(`${SERVER_URL}/x`, { noResponse: ["2xx"] }).catch(() =>
      undefined
    ),
    400_000,
  );
  assertEquals(
    decodeUint(
      getOption(t.clientWire[0]!.message, CoapOptionNumber.NO_RESPONSE)!,
    ),
    2,
  );
  const error = await assertRejects(
    () => t.client.get(SERVER_URL, { noResponse: "all" }),
    TypeError,
  );
  assertStringIncludes(error.message, "send()");
  await assertRejects(
    () => t.client.get(SERVER_URL, { noResponse: 26 }),
    TypeError,
  );
  await assertRejects(
    () => t.client.get(SERVER_URL, { noResponse: ["3xx" as never] }),
    TypeError,
  );
  await assertRejects(
    () => t.client.get(SERVER_URL, { noResponse: 300 }),
    RangeError,
  );
  await t.close();
});

Deno.test("send() with every class suppressed resolves once a CON is acknowledged", async () => {
  const t = setup(() => ({ code: CoapCode.CHANGED }));
  const result = await run(
    t.clock,
    t.client.send(`${SERVER_URL}/log`, { method: "POST", payload: "x" }),
  );
  assertEquals(result, undefined);
  const sent = t.clientWire[0]!.message;
  assertEquals(sent.type, "CON");
  assertEquals(decodeUint(getOption(sent, CoapOptionNumber.NO_RESPONSE)!), 26);
  assertEquals(t.serverWire.map((w) => [w.message.type, w.message.code]), [[
    "ACK",
    0,
  ]]);
  assertEquals(t.requests.length, 1);
  await t.close();
});

Deno.test("send() with NON resolves at once without waiting for anything", async () => {
  const t = setup(() => ({ code: CoapCode.CHANGED }));
  let done = false;
  t.client.send(`${SERVER_URL}/log`, {
    method: "PUT",
    confirmable: false,
    noResponse: ["2xx", "4xx", "5xx"],
  })
    .then(() => done = true);
  await t.clock.tick(0);
  assert(done);
  await t.clock.tick(10);
  assertEquals(t.requests.length, 1);
  assertEquals(t.serverWire.length, 0);
  await t.close();
});

Deno.test("send() returns a response the server sends anyway, and rejects when a CON is never acknowledged", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  // A server that ignores No-Response: it piggybacks 2.04 on the ACK.
  const raw = network.bind(SERVER);
  raw.listen({
    onDatagram(data, from) {
      const messageId = (data[2]! << 8) | data[3]!;
      const token = data.slice(4, 4 + (data[0]! & 0x0f));
      raw.send(
        encode({
          type: "ACK",
          code: CoapCode.CHANGED,
          messageId,
          token,
          options: [],
          payload: text("done"),
        }),
        from,
      );
    },
  });
  const client = new CoapClient({ transport: network.bind(), clock });
  const response = await run(
    clock,
    client.send(`${SERVER_URL}/x`, { method: "POST" }),
  );
  assertEquals(response?.codeText, "2.04");
  assertEquals(response?.text(), "done");
  const outcome = await settle(clock, client.send("coap://10.0.0.9/x"));
  assertInstanceOf(outcome.error, CoapTimeoutError);
  await client.close();
  await raw.close();
});

Deno.test("send() does not return a piggybacked response with another token, nor repeat for its Echo", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  // The ACK acknowledges the request but carries another exchange's
  // response (RFC 7252 §5.3.2: the token must match).
  const raw = network.bind(SERVER);
  const seen: number[] = [];
  raw.listen({
    onDatagram(data, from) {
      const messageId = (data[2]! << 8) | data[3]!;
      seen.push(messageId);
      const token = data.slice(4, 4 + (data[0]! & 0x0f)).map((b) => b ^ 0xff);
      raw.send(
        encode({
          type: "ACK",
          code: seen.length === 1 ? CoapCode.CHANGED : CoapCode.UNAUTHORIZED,
          messageId,
          token,
          options: seen.length === 1
            ? []
            : [{ number: CoapOptionNumber.ECHO, value: text("e") }],
          payload: text("not yours"),
        }),
        from,
      );
    },
  });
  const client = new CoapClient({ transport: network.bind(), clock });
  const first = await settle(
    clock,
    client.send(`${SERVER_URL}/x`, { method: "POST" }),
  );
  assertEquals(first, { value: undefined });
  const second = await settle(
    clock,
    client.send(`${SERVER_URL}/x`, { method: "POST" }),
  );
  assertEquals(second, { value: undefined });
  assertEquals(seen.length, 2);
  await client.close();
  await raw.close();
});

Deno.test("send() with some classes wanted returns a wanted response and undefined after silence", async () => {
  const t = setup(({ message }) => ({
    code: uriPath(message)[0] === "ok" ? CoapCode.CHANGED : CoapCode.NOT_FOUND,
  }));
  const silent = await settle(
    t.clock,
    t.client.send(`${SERVER_URL}/ok`, {
      method: "PUT",
      noResponse: ["2xx"],
      responseWait: 1000,
    }),
  );
  assertEquals(silent, { value: undefined });
  const wanted = await run(
    t.clock,
    t.client.send(`${SERVER_URL}/missing`, {
      method: "PUT",
      noResponse: ["2xx"],
    }),
  );
  assertEquals(wanted?.codeText, "4.04");
  const nonSilent = await settle(
    t.clock,
    t.client.send(`${SERVER_URL}/ok`, {
      confirmable: false,
      noResponse: ["2xx"],
      responseWait: 1000,
    }),
  );
  assertEquals(nonSilent, { value: undefined });
  // Never acknowledged: a timeout, not silence.
  const lost = await settle(
    t.clock,
    t.client.send("coap://10.0.0.9/x", { noResponse: ["2xx"] }),
  );
  assertInstanceOf(lost.error, CoapTimeoutError);
  await assertRejects(
    () => t.client.send(`${SERVER_URL}/ok`, { payload: new Uint8Array(2000) }),
    RangeError,
  );
  await t.close();
});

Deno.test("ping() resolves with the round-trip time", async () => {
  const t = setup(echo, { conditions: { delay: 15 } });
  const rtt = await run(t.clock, t.client.ping(SERVER_URL));
  assertEquals(rtt, 30);
  const outcome = await settle(
    t.clock,
    t.client.ping("coap://10.0.0.9", { timeout: 1000 }),
  );
  assertInstanceOf(outcome.error, CoapTimeoutError);
  await t.close();
});

Deno.test("close() rejects pending and later requests with CoapClosedError and is idempotent", async () => {
  const t = setup(undefined);
  let error: unknown;
  t.client.get("coap://10.0.0.9/x").catch((e) => error = e);
  await t.clock.tick(100);
  await t.client.close();
  await t.clock.tick(0);
  assertInstanceOf(error, CoapClosedError);
  assert(t.client.closed);
  await assertRejects(() => t.client.get(SERVER_URL), CoapClosedError);
  await assertRejects(() => t.client.ping(SERVER_URL), CoapClosedError);
  await t.client.close();
  await t.close();
});

Deno.test("the client supports await using", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  let client: CoapClient;
  {
    await using c = new CoapClient({ transport: network.bind(), clock });
    client = c;
  }
  assert(client.closed);
});

Deno.test("the constructor validates its options", () => {
  const network = new MemoryNetwork();
  assertThrows(() => new CoapClient({ ackTimeout: 10 }), RangeError);
  assertThrows(() => new CoapClient({ tokenLength: 9 }), RangeError);
  assertThrows(() => new CoapClient({ timeout: -1 }), RangeError);
  assertThrows(() => new CoapClient({ blockSize: 100 }), RangeError);
  assertThrows(() => new CoapClient({ maxBodySize: -1 }), RangeError);
  assertThrows(
    () => new CoapClient({ transport: network.bind(), port: 1 }),
    TypeError,
  );
  const fast = new CoapClient({
    transport: network.bind(),
    ackTimeout: 10,
    force: true,
  });
  return fast.close();
});

Deno.test("the logger option sees what the client sends and receives", async () => {
  const seen: string[] = [];
  const t = setup(echo, {
    client: { logger: (event) => seen.push(event.kind) },
  });
  await run(t.clock, t.client.get(SERVER_URL));
  assertEquals(seen, ["sent", "received"]);
  await t.close();
});

Deno.test("tokenLength and randomBytes shape the tokens", async () => {
  let calls = 0;
  const t = setup(echo, {
    client: {
      tokenLength: 8,
      randomBytes: (n) => {
        calls++;
        return new Uint8Array(n).fill(calls);
      },
    },
  });
  await run(t.clock, t.client.get(SERVER_URL));
  assertEquals(t.clientWire[0]!.message.token, new Uint8Array(8).fill(1));
  await t.close();
});

Deno.test("request() to an IPv6 literal not in canonical form matches the response from the address (RFC 7252 §5.3.2)", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  // Transports report the source address in its canonical text form (RFC 5952).
  const server = new CoapEndpoint(
    network.bind({ hostname: "2001:db8::1", port: 5683 }),
    { clock, handler: () => ({ code: CoapCode.CONTENT, payload: text("ok") }) },
  );
  const client = new CoapClient({
    transport: network.bind({ hostname: "2001:db8::2" }),
    clock,
  });
  for (
    const host of ["2001:DB8:0:0:0:0:0:1", "2001:db8:0::0:1", "2001:0db8::01"]
  ) {
    const response = await run(clock, client.get(`coap://[${host}]/x`));
    assertEquals(response.codeText, "2.05");
    assertEquals(response.peer, { hostname: "2001:db8::1", port: 5683 });
  }
  await client.close();
  await server.close();
  network.close();
});
