// Copyright 2026 the microcoap authors. MIT license.
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertInstanceOf,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { CoapCode, decode, encode } from "@microcoap/codec";
import type { CoapMessage } from "@microcoap/codec";
import { FakeClock, MemoryNetwork } from "@microcoap/transport";
import type { PeerAddress } from "@microcoap/transport";
import {
  CoapClosedError,
  CoapEndpoint,
  CoapResetError,
  CoapTimeoutError,
  maxTransmitWait,
} from "./mod.ts";
import type { CoapEndpointOptions, IncomingRequest } from "./mod.ts";
import { tap } from "../../test_util/tap.ts";
import type { Sent } from "../../test_util/tap.ts";

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

/** A raw peer: a transport with a queue of what it received. */
function rawPeer(network: MemoryNetwork) {
  const transport = network.bind();
  const received: {
    message: CoapMessage;
    from: PeerAddress;
    bytes: Uint8Array;
  }[] = [];
  transport.listen({
    onDatagram(data, from) {
      received.push({ message: decode(data), from, bytes: data.slice() });
    },
  });
  return { transport, received, address: transport.localAddress };
}

function setup(
  options: { seed?: number; clientOptions?: CoapEndpointOptions } = {},
) {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock, seed: options.seed ?? 1 });
  const clientLog: Sent[] = [];
  const serverLog: Sent[] = [];
  const calls: IncomingRequest[] = [];
  const server = new CoapEndpoint(tap(network.bind(), clock, serverLog), {
    clock,
    handler: (request) => {
      calls.push(request);
      return { code: CoapCode.CONTENT, payload: text("ok " + calls.length) };
    },
  });
  const client = new CoapEndpoint(tap(network.bind(), clock, clientLog), {
    clock,
    random: () => 0,
    ...options.clientOptions,
  });
  return { clock, network, client, server, clientLog, serverLog, calls };
}

async function settle<T>(
  clock: FakeClock,
  promise: Promise<T>,
  limit = 600_000,
) {
  let outcome: { value?: T; error?: unknown } | undefined;
  promise.then((value) => outcome = { value }, (error) => outcome = { error });
  for (let t = 0; t < limit && !outcome; t += 100) await clock.tick(100);
  return outcome;
}

Deno.test("request() gets a piggybacked response", async () => {
  const { client, server, clientLog, serverLog, clock } = setup();
  const response = await settle(
    clock,
    client.request(server.localAddress, { code: CoapCode.GET }),
  );
  assertEquals(str(response!.value!.payload), "ok 1");
  assertEquals(serverLog.length, 1);
  assertEquals(serverLog[0]!.message.type, "ACK");
  assertEquals(
    serverLog[0]!.message.messageId,
    clientLog[0]!.message.messageId,
  );
  assertEquals(serverLog[0]!.message.token, clientLog[0]!.message.token);
  assertEquals(clientLog[0]!.message.token.length, 4);
  await client.close();
  await server.close();
});

Deno.test("request() retransmits on the RFC 7252 schedule, then times out", async () => {
  for (const random of [0, 0.5, 0.999999]) {
    const initial = 2000 * (1 + random * 0.5); // in [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR]
    const clock = new FakeClock();
    const network = new MemoryNetwork({ clock });
    const log: Sent[] = [];
    const silent = rawPeer(network);
    const client = new CoapEndpoint(tap(network.bind(), clock, log), {
      clock,
      random: () => random,
    });
    const outcome = await settle(
      clock,
      client.request(silent.address, { code: CoapCode.GET }),
    );
    assertInstanceOf(outcome!.error, CoapTimeoutError);
    const expected = [0, 1, 3, 7, 15].map((k) => k * initial);
    assertEquals(log.length, expected.length);
    log.forEach((s, i) => assertAlmostEquals(s.at, expected[i]!, 1e-6));
    assertEquals(new Set(log.map((s) => s.message.messageId)).size, 1);
    assertEquals(silent.received.length, 5);
    await client.close();
    await silent.transport.close();
  }
});

Deno.test("request() rejects exactly after MAX_TRANSMIT_WAIT", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const silent = rawPeer(network);
  const client = new CoapEndpoint(network.bind(), { clock, random: () => 0 });
  let error: unknown;
  client.request(silent.address, { code: CoapCode.GET }).catch((e) =>
    error = e
  );
  await clock.tick(62_000 - 1);
  assertEquals(error, undefined);
  await clock.tick(1);
  assertInstanceOf(error, CoapTimeoutError);
  await client.close();
});

Deno.test("transmission parameters are validated and overridable", async () => {
  const network = new MemoryNetwork();
  assertThrows(
    () => new CoapEndpoint(network.bind(), { ackTimeout: 100 }),
    RangeError,
  );
  assertThrows(
    () => new CoapEndpoint(network.bind(), { ackRandomFactor: 0.5 }),
    RangeError,
  );
  assertThrows(
    () => new CoapEndpoint(network.bind(), { maxRetransmit: -1 }),
    RangeError,
  );
  assertThrows(
    () => new CoapEndpoint(network.bind(), { nstart: 0 }),
    RangeError,
  );
  assertThrows(
    () => new CoapEndpoint(network.bind(), { tokenLength: 9 }),
    RangeError,
  );
  const clock = new FakeClock();
  const log: Sent[] = [];
  const silent = rawPeer(network);
  const fast = new CoapEndpoint(tap(network.bind(), clock, log), {
    clock,
    ackTimeout: 100,
    ackRandomFactor: 1,
    maxRetransmit: 2,
    force: true,
  });
  const network2 = new MemoryNetwork({ clock });
  void network2;
  fast.request(silent.address, { code: CoapCode.GET }).catch(() => {});
  await clock.tick(10_000);
  assertEquals(log.map((s) => s.at), [0, 100, 300]);
  await fast.close();
});

Deno.test("every CON exchange completes or times out under 30% loss both ways", async () => {
  const { client, server, network, clock, calls } = setup({ seed: 7 });
  network.setDefault({ loss: 0.3 });
  const outcomes = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      settle(
        clock,
        client.request(server.localAddress, {
          code: CoapCode.GET,
          payload: text(String(i)),
        }),
        2_000_000,
      )),
  );
  let ok = 0;
  for (const outcome of outcomes) {
    assert(outcome, "an exchange hung");
    if (outcome.error !== undefined) {
      assertInstanceOf(outcome.error, CoapTimeoutError);
    } else ok++;
  }
  assert(ok > 30, `only ${ok} of 40 completed`);
  // Each request was handled at most once despite retransmissions.
  const handled = calls.map((c) => str(c.message.payload));
  assertEquals(new Set(handled).size, handled.length);
  await client.close();
  await server.close();
});

Deno.test("duplicated and reordered datagrams are handled once and replies replayed byte-identical", async () => {
  const { server, network, clock, calls, serverLog } = setup();
  const peer = rawPeer(network);
  const request = encode({
    type: "CON",
    code: CoapCode.GET,
    messageId: 0x1234,
    token: new Uint8Array([1, 2, 3]),
    options: [],
    payload: new Uint8Array(0),
  });
  for (let i = 0; i < 3; i++) peer.transport.send(request, server.localAddress);
  await clock.tick(10);
  assertEquals(calls.length, 1);
  assertEquals(peer.received.length, 3);
  for (const r of peer.received) assertEquals(r.bytes, peer.received[0]!.bytes);
  assertEquals(peer.received[0]!.message.type, "ACK");
  // A NON duplicate is dropped without a second response.
  const non = encode({
    type: "NON",
    code: CoapCode.GET,
    messageId: 0x2000,
    token: new Uint8Array([9]),
    options: [],
    payload: new Uint8Array(0),
  });
  peer.transport.send(non, server.localAddress);
  peer.transport.send(non, server.localAddress);
  await clock.tick(10);
  assertEquals(calls.length, 2);
  assertEquals(peer.received.length, 4);
  assertEquals(peer.received[3]!.message.type, "NON");
  // Same message ID, different token: a new exchange.
  const reused = encode({ ...decode(request), token: new Uint8Array([7]) });
  peer.transport.send(reused, server.localAddress);
  await clock.tick(10);
  assertEquals(calls.length, 3);
  assertEquals(peer.received[4]!.message.token, new Uint8Array([7]));
  assert(serverLog.length >= 3);
  await server.close();
  await peer.transport.close();
});

Deno.test("request() works over a network that duplicates and reorders", async () => {
  const { client, server, network, clock, calls } = setup({ seed: 3 });
  network.setDefault({
    duplicate: 0.5,
    reorder: { probability: 0.5, delay: 30 },
    delay: { min: 1, max: 50 },
  });
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      settle(
        clock,
        client.request(server.localAddress, {
          code: CoapCode.POST,
          payload: text(String(i)),
        }),
      )),
  );
  for (const r of results) assert(r?.value, "every request got a response");
  assertEquals(calls.length, 20);
  await client.close();
  await server.close();
});

Deno.test("a reply from another peer or with an unknown token is ignored, and a CON one gets RST", async () => {
  const { client, network, clock } = setup();
  const server = rawPeer(network);
  const spoofer = rawPeer(network);
  const pending = settle(
    clock,
    client.request(server.address, { code: CoapCode.GET }),
    5000,
  );
  await clock.tick(1);
  const request = server.received[0]!.message;
  // Spoofed piggybacked ACK and CON response from another address.
  spoofer.transport.send(
    encode({
      ...request,
      type: "ACK",
      code: CoapCode.CONTENT,
      payload: text("evil"),
    }),
    client.localAddress,
  );
  spoofer.transport.send(
    encode({
      ...request,
      type: "CON",
      messageId: 77,
      code: CoapCode.CONTENT,
      payload: text("evil"),
    }),
    client.localAddress,
  );
  // Right peer, wrong token.
  server.transport.send(
    encode({
      ...request,
      type: "CON",
      messageId: 78,
      token: new Uint8Array([0xee]),
      code: CoapCode.CONTENT,
    }),
    client.localAddress,
  );
  await clock.tick(1);
  assertEquals(
    spoofer.received.map((r) => [r.message.type, r.message.messageId]),
    [["RST", 77]],
  );
  assertEquals(server.received.at(-1)!.message.type, "RST");
  assertEquals(server.received.at(-1)!.message.messageId, 78);
  // The genuine response is delivered.
  server.transport.send(
    encode({
      ...request,
      type: "ACK",
      code: CoapCode.CONTENT,
      payload: text("good"),
    }),
    client.localAddress,
  );
  const outcome = await pending;
  assertEquals(str(outcome!.value!.payload), "good");
  await client.close();
  await server.transport.close();
  await spoofer.transport.close();
});

Deno.test("ping() resolves when the peer answers the empty CON with RST", async () => {
  const { client, server, clock, serverLog } = setup();
  const outcome = await settle(clock, client.ping(server.localAddress));
  assertEquals(typeof outcome!.value, "number");
  assertEquals(serverLog[0]!.message.type, "RST");
  assertEquals(serverLog[0]!.message.code, 0);
  const silent = rawPeer(new MemoryNetwork({ clock }));
  void silent;
  await client.close();
  await server.close();
});

Deno.test("a slow handler gets an empty ACK and a separate CON response, which the client ACKs", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const serverLog: Sent[] = [];
  const clientLog: Sent[] = [];
  const server = new CoapEndpoint(tap(network.bind(), clock, serverLog), {
    clock,
    handler: () =>
      new Promise((resolve) =>
        clock.setTimeout(
          () => resolve({ code: CoapCode.CONTENT, payload: text("late") }),
          5000,
        )
      ),
  });
  const client = new CoapEndpoint(tap(network.bind(), clock, clientLog), {
    clock,
  });
  const outcome = await settle(
    clock,
    client.request(server.localAddress, { code: CoapCode.GET }),
  );
  assertEquals(str(outcome!.value!.payload), "late");
  const [ack, separate] = serverLog;
  assertEquals(ack!.message.type, "ACK");
  assertEquals(ack!.message.code, 0);
  assertEquals(ack!.message.token.length, 0);
  assertEquals(ack!.at, 500);
  assertEquals(separate!.message.type, "CON");
  assertEquals(separate!.message.token, clientLog[0]!.message.token);
  assertNotEquals(separate!.message.messageId, clientLog[0]!.message.messageId);
  const clientAck = clientLog[1]!.message;
  assertEquals(clientAck.type, "ACK");
  assertEquals(clientAck.code, 0);
  assertEquals(clientAck.token.length, 0);
  assertEquals(clientAck.options.length, 0);
  assertEquals(clientAck.messageId, separate!.message.messageId);
  // The client did not retransmit after the empty ACK, the server stops after the client's ACK.
  await clock.tick(100_000);
  assertEquals(clientLog.length, 2);
  assertEquals(serverLog.length, 2);
  await client.close();
  await server.close();
});

Deno.test("NSTART 1 queues a second request to the same peer until the first is answered", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const server = rawPeer(network);
  const client = new CoapEndpoint(network.bind(), { clock });
  const first = settle(
    clock,
    client.request(server.address, { code: CoapCode.GET }),
    1000,
  );
  const second = settle(
    clock,
    client.request(server.address, { code: CoapCode.PUT }),
    1000,
  );
  await clock.tick(1);
  assertEquals(server.received.length, 1);
  const request = server.received[0]!.message;
  server.transport.send(
    encode({ ...request, type: "ACK", code: CoapCode.CONTENT }),
    client.localAddress,
  );
  await clock.tick(1);
  assertEquals(server.received.length, 2);
  assertEquals(server.received[1]!.message.code, CoapCode.PUT);
  assert((await first)!.value);
  const put = server.received[1]!.message;
  server.transport.send(
    encode({ ...put, type: "ACK", code: CoapCode.CHANGED }),
    client.localAddress,
  );
  assertEquals((await second)!.value!.code, CoapCode.CHANGED);
  await client.close();
  await server.transport.close();
});

Deno.test("NSTART 2 allows two outstanding requests; an empty ACK frees the slot", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const server = rawPeer(network);
  const client = new CoapEndpoint(network.bind(), { clock, nstart: 2 });
  for (let i = 0; i < 3; i++) {
    client.request(server.address, { code: CoapCode.GET }).catch(() => {});
  }
  await clock.tick(1);
  assertEquals(server.received.length, 2);
  server.transport.send(
    encode({
      ...server.received[0]!.message,
      type: "ACK",
      code: 0,
      token: new Uint8Array(0),
    }),
    client.localAddress,
  );
  await clock.tick(1);
  assertEquals(server.received.length, 3);
  await client.close();
  await server.transport.close();
});

Deno.test("requests without a handler get 4.04, NON requests a NON response", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const server = new CoapEndpoint(network.bind(), { clock });
  const peer = rawPeer(network);
  const base = {
    code: CoapCode.GET,
    token: new Uint8Array([5]),
    options: [],
    payload: new Uint8Array(0),
  };
  peer.transport.send(
    encode({ ...base, type: "CON", messageId: 1 }),
    server.localAddress,
  );
  peer.transport.send(
    encode({ ...base, type: "NON", messageId: 2 }),
    server.localAddress,
  );
  await clock.tick(1);
  assertEquals(
    peer.received.map((r) => [r.message.type, r.message.code]),
    [["ACK", CoapCode.NOT_FOUND], ["NON", CoapCode.NOT_FOUND]],
  );
  assertEquals(peer.received[1]!.message.token, new Uint8Array([5]));
  await server.close();
  await peer.transport.close();
});

Deno.test("malformed CON gets RST, other malformed messages are dropped, and serving goes on", async () => {
  const { server, network, clock, calls } = setup();
  const peer = rawPeer(network);
  // CON with token length 9.
  peer.transport.send(
    new Uint8Array([0x49, 1, 0, 42, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    server.localAddress,
  );
  // NON with nibble 15 in an option.
  peer.transport.send(
    new Uint8Array([0x50, 1, 0, 43, 0xf1, 0]),
    server.localAddress,
  );
  // Version 2 CON: silently ignored (§3).
  peer.transport.send(new Uint8Array([0x80, 1, 0, 44]), server.localAddress);
  // Too short.
  peer.transport.send(new Uint8Array([0x40]), server.localAddress);
  // Empty NON, reserved class 1 CON, request code in an ACK.
  peer.transport.send(new Uint8Array([0x50, 0, 0, 45]), server.localAddress);
  peer.transport.send(new Uint8Array([0x40, 0x21, 0, 46]), server.localAddress);
  peer.transport.send(new Uint8Array([0x60, 0x01, 0, 47]), server.localAddress);
  await clock.tick(1);
  assertEquals(
    peer.received.map((r) => [r.message.type, r.message.messageId]),
    [["RST", 42], ["RST", 46]],
  );
  assertEquals(calls.length, 0);
  peer.transport.send(
    encode({
      type: "CON",
      code: CoapCode.GET,
      messageId: 50,
      token: new Uint8Array(0),
      options: [],
      payload: new Uint8Array(0),
    }),
    server.localAddress,
  );
  await clock.tick(1);
  assertEquals(peer.received.at(-1)!.message.code, CoapCode.CONTENT);
  await server.close();
  await peer.transport.close();
});

Deno.test("an unrecognised critical option gets 4.02, an elective one is ignored", async () => {
  const { server, network, clock, calls } = setup();
  const peer = rawPeer(network);
  const base = {
    type: "CON" as const,
    code: CoapCode.GET,
    token: new Uint8Array(0),
    payload: new Uint8Array(0),
  };
  peer.transport.send(
    encode({
      ...base,
      messageId: 1,
      options: [{ number: 2049, value: new Uint8Array([1]) }],
    }),
    server.localAddress,
  );
  peer.transport.send(
    encode({
      ...base,
      messageId: 2,
      options: [{ number: 2048, value: new Uint8Array([1]) }],
    }),
    server.localAddress,
  );
  await clock.tick(1);
  assertEquals(peer.received.map((r) => r.message.code), [
    CoapCode.BAD_OPTION,
    CoapCode.CONTENT,
  ]);
  assertEquals(calls.length, 1);
  await server.close();
  await peer.transport.close();
});

Deno.test("a NON request with an unrecognised critical option is rejected with a RST (RFC 7252 §5.4.1, §4.3)", async () => {
  const { server, network, clock, calls } = setup();
  const peer = rawPeer(network);
  const request = encode({
    type: "NON",
    code: CoapCode.GET,
    messageId: 7,
    token: new Uint8Array([9]),
    options: [{ number: 2049, value: new Uint8Array([1]) }],
    payload: new Uint8Array(0),
  });
  peer.transport.send(request, server.localAddress);
  // A duplicate is dropped by the duplicate filter, not rejected again.
  peer.transport.send(request, server.localAddress);
  await clock.tick(1);
  assertEquals(
    peer.received.map((
      r,
    ) => [r.message.type, r.message.code, r.message.messageId]),
    [["RST", 0, 7]],
  );
  assertEquals(calls.length, 0);
  await server.close();
  await peer.transport.close();
});

Deno.test("a repeated or out-of-range critical option gets 4.02 like an unrecognised one (RFC 7252 §5.4.3, §5.4.5)", async () => {
  const { server, network, clock, calls } = setup();
  const peer = rawPeer(network);
  // Hand-built CON GETs (mid 1..): encode() refuses overlong values.
  const requests = [
    [0x40, 0x01, 0, 1, 0x31, 0x61, 0x01, 0x62], // Uri-Host "a", Uri-Host "b"
    [0x40, 0x01, 0, 2, 0x72, 0x16, 0x33, 0x02, 0x16, 0x33], // Uri-Port twice
    [0x40, 0x01, 0, 3, 0xd1, 0x04, 0x00, 0x01, 0x32], // Accept twice
    [0x40, 0x01, 0, 4, 0x50, 0x00], // If-None-Match twice
    [0x40, 0x01, 0, 5, 0x73, 0x00, 0x16, 0x33], // Uri-Port of 3 bytes
    [0x40, 0x01, 0, 6, 0x30], // an empty Uri-Host
    [0x40, 0x01, 0, 7, 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 9], // If-Match of 9 bytes
    [0x40, 0x01, 0, 8, 0xd3, 0x04, 0x00, 0x00, 0x32], // Accept of 3 bytes
    // Elective ones are ignored: Content-Format twice, Max-Age of 5 bytes.
    [0x40, 0x01, 0, 9, 0xc0, 0x01, 0x32, 0x25, 0, 0, 0, 0, 1],
    // Repeatable ones may repeat: Uri-Path twice, If-Match twice.
    [0x40, 0x01, 0, 10, 0x11, 0x01, 0x01, 0x02, 0xa1, 0x61, 0x01, 0x62],
  ];
  for (const bytes of requests) {
    peer.transport.send(new Uint8Array(bytes), server.localAddress);
  }
  await clock.tick(1);
  assertEquals(
    peer.received.map((r) => [r.message.messageId, r.message.code]),
    [
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((id) => [id, CoapCode.BAD_OPTION]),
      [9, CoapCode.CONTENT],
      [10, CoapCode.CONTENT],
    ],
  );
  assertEquals(calls.length, 2);
  await server.close();
  await peer.transport.close();
});

Deno.test("by default OSCORE, Q-Block1 and Q-Block2 are not recognised: 4.02 (RFC 8613 §2, RFC 9177 §4)", async () => {
  const { server, network, clock, calls } = setup();
  const peer = rawPeer(network);
  for (const [messageId, number] of [[1, 9], [2, 19], [3, 31]] as const) {
    peer.transport.send(
      encode({
        type: "CON",
        code: CoapCode.GET,
        messageId,
        token: new Uint8Array(0),
        options: [{ number, value: new Uint8Array([0]) }],
        payload: new Uint8Array(0),
      }),
      server.localAddress,
    );
  }
  await clock.tick(1);
  assertEquals(
    peer.received.map((r) => r.message.code),
    [CoapCode.BAD_OPTION, CoapCode.BAD_OPTION, CoapCode.BAD_OPTION],
  );
  assertEquals(calls.length, 0);
  await server.close();
  await peer.transport.close();
});

Deno.test("a piggybacked response with an unrecognised critical option is rejected (ignored) and the request retransmitted", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const server = rawPeer(network);
  const client = new CoapEndpoint(network.bind(), { clock });
  let settled: CoapMessage | undefined;
  client.request(server.address, { code: CoapCode.GET }).then((response) =>
    settled = response
  );
  await clock.tick(1);
  const request = server.received[0]!.message;
  // RFC 7252 §5.4.1: rejected; rejecting an ACK means ignoring it (§4.2).
  for (
    const options of [
      [{ number: 2049, value: new Uint8Array([1]) }],
      // Block2 twice: the second is unrecognised (§5.4.5).
      [
        { number: 23, value: new Uint8Array([0x02]) },
        { number: 23, value: new Uint8Array([0x12]) },
      ],
    ]
  ) {
    server.transport.send(
      encode({ ...request, type: "ACK", code: CoapCode.CONTENT, options }),
      client.localAddress,
    );
  }
  await clock.tick(1);
  assertEquals(settled, undefined);
  await clock.tick(3000);
  assertEquals(server.received.length, 2);
  assertEquals(server.received[1]!.message.messageId, request.messageId);
  server.transport.send(
    encode({ ...request, type: "ACK", code: CoapCode.CONTENT }),
    client.localAddress,
  );
  await clock.tick(1);
  assertEquals(settled?.code, CoapCode.CONTENT);
  await client.close();
  await server.transport.close();
});

Deno.test("a handler that throws or rejects gets 5.00 and the endpoint keeps serving", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const errors: unknown[] = [];
  let n = 0;
  const server = new CoapEndpoint(network.bind(), {
    clock,
    logger: (event) => {
      if (event.kind === "handler-error") errors.push(event.error);
    },
    handler: () => {
      n++;
      if (n === 1) throw new Error("sync boom");
      if (n === 2) return Promise.reject(new Error("async boom"));
      return { code: CoapCode.CONTENT };
    },
  });
  const client = new CoapEndpoint(network.bind(), { clock });
  const codes = [];
  for (let i = 0; i < 3; i++) {
    codes.push(
      (await settle(
        clock,
        client.request(server.localAddress, { code: CoapCode.GET }),
      ))!.value!
        .code,
    );
  }
  assertEquals(codes, [
    CoapCode.INTERNAL_SERVER_ERROR,
    CoapCode.INTERNAL_SERVER_ERROR,
    CoapCode.CONTENT,
  ]);
  assertEquals(errors.length, 2);
  await client.close();
  await server.close();
});

Deno.test("more pending requests than maxPendingRequests get 5.03", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const server = new CoapEndpoint(network.bind(), {
    clock,
    maxPendingRequests: 2,
    handler: () => new Promise(() => {}),
  });
  const peer = rawPeer(network);
  for (let i = 0; i < 3; i++) {
    peer.transport.send(
      encode({
        type: "NON",
        code: CoapCode.GET,
        messageId: i,
        token: new Uint8Array([i]),
        options: [],
        payload: new Uint8Array(0),
      }),
      server.localAddress,
    );
  }
  await clock.tick(1);
  assertEquals(peer.received.map((r) => r.message.code), [
    CoapCode.SERVICE_UNAVAILABLE,
  ]);
  await server.close();
  await peer.transport.close();
});

Deno.test("No-Response suppresses the chosen response classes (RFC 7967)", async () => {
  const { server, network, clock } = setup();
  const peer = rawPeer(network);
  const send = (type: "CON" | "NON", messageId: number, value: number[]) =>
    peer.transport.send(
      encode({
        type,
        code: CoapCode.GET,
        messageId,
        token: new Uint8Array([1]),
        options: [{ number: 258, value: new Uint8Array(value) }],
        payload: new Uint8Array(0),
      }),
      server.localAddress,
    );
  send("NON", 1, [2]); // suppress 2.xx: nothing
  send("CON", 2, [2]); // suppress 2.xx on CON: empty ACK
  send("NON", 3, [8]); // suppress 4.xx only: 2.05 sent
  send("NON", 4, []); // no suppression
  await clock.tick(1);
  assertEquals(
    peer.received.map((r) => [r.message.type, r.message.code]),
    [["ACK", 0], ["NON", CoapCode.CONTENT], ["NON", CoapCode.CONTENT]],
  );
  await server.close();
  await peer.transport.close();
});

Deno.test("abort stops retransmission and rejects with the signal's reason", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const silent = rawPeer(network);
  const client = new CoapEndpoint(network.bind(), { clock, random: () => 0 });
  const controller = new AbortController();
  const outcome = settle(
    clock,
    client.request(silent.address, { code: CoapCode.GET }, {
      signal: controller.signal,
    }),
  );
  await clock.tick(2500);
  controller.abort(new Error("stop"));
  assertEquals(((await outcome)!.error as Error).message, "stop");
  const before = silent.received.length;
  await clock.tick(100_000);
  assertEquals(silent.received.length, before);
  await client.close();
});

Deno.test("a reset request rejects with CoapResetError", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const server = rawPeer(network);
  const client = new CoapEndpoint(network.bind(), { clock });
  const outcome = settle(
    clock,
    client.request(server.address, { code: CoapCode.GET }),
  );
  await clock.tick(1);
  server.transport.send(
    encode({
      ...server.received[0]!.message,
      type: "RST",
      code: 0,
      token: new Uint8Array(0),
    }),
    client.localAddress,
  );
  assertInstanceOf((await outcome)!.error, CoapResetError);
  await client.close();
});

Deno.test("onResponse receives notifications until the signal aborts", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const server = rawPeer(network);
  const client = new CoapEndpoint(network.bind(), { clock });
  const seen: string[] = [];
  const controller = new AbortController();
  const first = client.request(server.address, { code: CoapCode.GET }, {
    signal: controller.signal,
    onResponse: (r) => seen.push(str(r.payload)),
  });
  await clock.tick(1);
  const request = server.received[0]!.message;
  server.transport.send(
    encode({
      ...request,
      type: "ACK",
      code: CoapCode.CONTENT,
      payload: text("a"),
    }),
    client.localAddress,
  );
  await clock.tick(1);
  assertEquals(str((await first).payload), "a");
  server.transport.send(
    encode({
      ...request,
      type: "CON",
      messageId: 900,
      code: CoapCode.CONTENT,
      payload: text("b"),
    }),
    client.localAddress,
  );
  server.transport.send(
    encode({
      ...request,
      type: "NON",
      messageId: 901,
      code: CoapCode.CONTENT,
      payload: text("c"),
    }),
    client.localAddress,
  );
  await clock.tick(1);
  assertEquals(seen, ["a", "b", "c"]);
  assertEquals(server.received.at(-1)!.message.type, "ACK");
  controller.abort();
  server.transport.send(
    encode({
      ...request,
      type: "CON",
      messageId: 902,
      code: CoapCode.CONTENT,
      payload: text("d"),
    }),
    client.localAddress,
  );
  await clock.tick(1);
  assertEquals(seen, ["a", "b", "c"]);
  assertEquals(server.received.at(-1)!.message.type, "RST");
  await client.close();
});

Deno.test("close() rejects open exchanges with CoapClosedError and later calls fail", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const silent = rawPeer(network);
  const client = new CoapEndpoint(network.bind(), { clock });
  const pending = client.request(silent.address, { code: CoapCode.GET });
  const queued = client.request(silent.address, { code: CoapCode.GET });
  await client.close();
  await assertRejects(() => pending, CoapClosedError);
  await assertRejects(() => queued, CoapClosedError);
  await assertRejects(
    () => client.request(silent.address, { code: 1 }),
    CoapClosedError,
  );
  await client.close();
  await clock.tick(1); // lets the network deliver what is in flight
  assertEquals(clock.pending, 0);
});

Deno.test("send() delivers a CON notification and resolves on the ACK", async () => {
  const { client, server, clock } = setup();
  const token = client.newToken(server.localAddress);
  const seen: CoapMessage[] = [];
  const controller = new AbortController();
  client.request(server.localAddress, { code: CoapCode.GET }, {
    token,
    signal: controller.signal,
    onResponse: (r) => seen.push(r),
  }).catch(() => {});
  await clock.tick(1);
  const ack = await settle(
    clock,
    server.send(client.localAddress, {
      type: "CON",
      code: CoapCode.CONTENT,
      token,
    }),
  );
  assertEquals(ack!.value!.type, "ACK");
  assertEquals(seen.length, 2);
  controller.abort();
  await client.close();
  await server.close();
});

Deno.test("send() with a shared retransmission state continues the backoff of the message it replaces", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const silent = rawPeer(network);
  const log: Sent[] = [];
  const server = new CoapEndpoint(tap(network.bind(), clock, log), {
    clock,
    random: () => 0,
  });
  const state = { attempt: -1, timeout: 0, due: 0 };
  const first = new AbortController();
  const old = server.send(silent.address, {
    type: "CON",
    code: CoapCode.CONTENT,
    payload: text("1"),
  }, {
    signal: first.signal,
    retransmission: state,
  }).catch((e) => e);
  await clock.tick(3000); // sent at 0, retransmitted at 2000
  first.abort(new Error("replaced"));
  assertEquals(((await old) as Error).message, "replaced");
  let outcome: unknown;
  server.send(silent.address, {
    type: "CON",
    code: CoapCode.CONTENT,
    payload: text("2"),
  }, {
    retransmission: state,
  }).catch((e) => outcome = e);
  await clock.tick(100_000);
  assertEquals(log.map((s) => [s.at, str(s.message.payload)]), [
    [0, "1"],
    [2000, "1"],
    [3000, "2"], // counts as the second retransmission: timeout 8 s
    [11000, "2"],
    [27000, "2"],
  ]);
  assertInstanceOf(outcome, CoapTimeoutError);
  assertEquals(new Set(log.map((s) => s.message.messageId)).size, 2);
  await server.close();
});

Deno.test("close() rejects an unacknowledged send() with CoapClosedError", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const silent = rawPeer(network);
  const server = new CoapEndpoint(network.bind(), { clock });
  const sent = server.send(silent.address, {
    type: "CON",
    code: CoapCode.CONTENT,
  });
  await clock.tick(1);
  await server.close();
  await assertRejects(() => sent, CoapClosedError);
  assertEquals(clock.pending, 0);
});

Deno.test("a repeated non-repeatable or wrong-length critical option gets 4.02 (RFC 7252 §5.4.3, §5.4.5)", async () => {
  const { server, network, clock, calls } = setup();
  const peer = rawPeer(network);
  const head = (messageId: number) => [0x40, CoapCode.GET, 0, messageId];
  const requests = [
    // Uri-Host twice: the second is treated as an unrecognised critical option.
    [...head(1), 0x31, 0x61, 0x01, 0x62],
    // Uri-Host with an empty value (1 to 255 bytes allowed).
    [...head(2), 0x30],
    // Accept with 3 bytes (at most 2 allowed).
    [...head(3), 0xd3, 0x04, 0, 0, 50],
    // If-None-Match with a value (it must be empty).
    [...head(4), 0x51, 0x01],
    // Content-Format (elective) twice: the second is ignored.
    [...head(5), 0xc1, 0x32, 0x01, 0x28],
    // Uri-Path (repeatable) twice.
    [...head(6), 0xb1, 0x61, 0x01, 0x62],
  ];
  for (const bytes of requests) {
    peer.transport.send(new Uint8Array(bytes), server.localAddress);
  }
  await clock.tick(1);
  assertEquals(
    peer.received.map((r) => [r.message.messageId, r.message.code]),
    [
      [1, CoapCode.BAD_OPTION],
      [2, CoapCode.BAD_OPTION],
      [3, CoapCode.BAD_OPTION],
      [4, CoapCode.BAD_OPTION],
      [5, CoapCode.CONTENT],
      [6, CoapCode.CONTENT],
    ],
  );
  assertEquals(calls.length, 2);
  await server.close();
  await peer.transport.close();
});

Deno.test("a piggybacked response with an unrecognised critical option is rejected: ignored (RFC 7252 §5.4.1)", async () => {
  const { client, network, clock } = setup();
  const server = rawPeer(network);
  const pending = settle(
    clock,
    client.request(server.address, { code: CoapCode.GET }),
  );
  await clock.tick(1);
  const request = server.received[0]!.message;
  server.transport.send(
    encode({
      ...request,
      type: "ACK",
      code: CoapCode.CONTENT,
      options: [{ number: 2049, value: new Uint8Array([1]) }],
      payload: text("bad"),
    }),
    client.localAddress,
  );
  await clock.tick(1);
  // Still unacknowledged: the request is retransmitted.
  await clock.tick(2000);
  assertEquals(server.received.length, 2);
  assertEquals(server.received[1]!.message.messageId, request.messageId);
  server.transport.send(
    encode({
      ...request,
      type: "ACK",
      code: CoapCode.CONTENT,
      payload: text("good"),
    }),
    client.localAddress,
  );
  const outcome = await pending;
  assertEquals(str(outcome!.value!.payload), "good");
  await client.close();
  await server.transport.close();
});

Deno.test("a No-Response option of the wrong length is ignored, not read (RFC 7252 §5.4.3)", async () => {
  const { server, network, clock, calls } = setup();
  const peer = rawPeer(network);
  // NON GET with No-Response [0x00, 0x1a]: 2 bytes, at most 1 allowed.
  peer.transport.send(
    new Uint8Array([0x50, CoapCode.GET, 0, 5, 0xd2, 0xf5, 0x00, 0x1a]),
    server.localAddress,
  );
  await clock.tick(1);
  assertEquals(calls.length, 1);
  assertEquals(
    peer.received.map((r) => [r.message.type, r.message.code]),
    [["NON", CoapCode.CONTENT]],
  );
  await server.close();
  await peer.transport.close();
});

Deno.test("elective options of the wrong length, and repeats of non-repeatable ones, are ignored (RFC 7252 §5.4.3, §5.4.5)", async () => {
  const { server, network, clock, calls } = setup();
  const peer = rawPeer(network);
  // Built by hand: encode() refuses the over-long value.
  const bytes = [
    0x41,
    CoapCode.PUT,
    0,
    9,
    1, // CON, token [1]
    0xb1,
    0x78, // Uri-Path "x"
    0x13,
    0,
    0,
    50, // Content-Format in 3 bytes: at most 2 allowed
    0x21,
    30, // Max-Age 30
    0x01,
    60, // Max-Age again: supernumerary
    0xd1,
    46 - 13,
    4, // Size1 4: fine, kept
    0xe4,
    (64940 - 269) >> 8,
    (64940 - 269) & 0xff,
    ...text("kept"), // option 65000: unregistered, the handler's to judge
    0xff,
    ...text("data"),
  ];
  peer.transport.send(new Uint8Array(bytes), server.localAddress);
  await clock.tick(1);
  assertEquals(calls.length, 1);
  assertEquals(
    calls[0]!.message.options.map((o) => [o.number, Array.from(o.value)]),
    [[11, [0x78]], [14, [30]], [60, [4]], [65000, Array.from(text("kept"))]],
  );
  assertEquals(
    peer.received.map((r) => [r.message.type, r.message.code]),
    [["ACK", CoapCode.CONTENT]],
  );
  await server.close();
  await peer.transport.close();
});

Deno.test("a retransmitted CON request whose handler is still running gets the empty ACK at once, and later copies get it again (RFC 7252 §4.5, §5.2.2)", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  let calls = 0;
  const server = new CoapEndpoint(network.bind(), {
    clock,
    separateResponseDelay: 5000,
    handler: () => {
      calls++;
      return new Promise((resolve) =>
        clock.setTimeout(() => resolve({ code: CoapCode.CONTENT }), 10_000)
      );
    },
  });
  const peer = rawPeer(network);
  const request = encode({
    type: "CON",
    code: CoapCode.GET,
    messageId: 0x1234,
    token: new Uint8Array([7]),
    options: [],
    payload: new Uint8Array(),
  });
  peer.transport.send(request, server.localAddress);
  await clock.tick(2000);
  assertEquals(peer.received.length, 0);
  // The client's first retransmission: its ACK is overdue, so send it now
  // instead of ignoring the copy until separateResponseDelay.
  peer.transport.send(request, server.localAddress);
  await clock.tick(1);
  assertEquals(peer.received.map((r) => [r.message.type, r.message.code]), [
    ["ACK", 0],
  ]);
  assertEquals(peer.received[0]!.message.messageId, 0x1234);
  // No second ACK when separateResponseDelay passes; a later copy gets it again.
  await clock.tick(4000);
  assertEquals(peer.received.length, 1);
  peer.transport.send(request, server.localAddress);
  await clock.tick(1);
  assertEquals(peer.received.length, 2);
  assertEquals(peer.received[1]!.bytes, peer.received[0]!.bytes);
  // The response comes separately, as CON, with the request's token.
  await clock.tick(4000);
  const response = peer.received[2]!.message;
  assertEquals([response.type, response.code], ["CON", CoapCode.CONTENT]);
  assertEquals(response.token, new Uint8Array([7]));
  assertEquals(calls, 1);
  await server.close();
  await peer.transport.close();
});

Deno.test("past maxPeers the least recently used peer's message ID sequence is forgotten, not a busy one's (RFC 7252 §4.4)", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const busy = rawPeer(network);
  const idle = rawPeer(network);
  const third = rawPeer(network);
  const endpoint = new CoapEndpoint(network.bind(), {
    clock,
    random: () => 0,
    maxPeers: 2,
  });
  const ids = (peer: ReturnType<typeof rawPeer>) =>
    peer.received.map((r) => r.message.messageId);
  const send = async (peer: ReturnType<typeof rawPeer>) => {
    await endpoint.send(peer.address, { type: "NON", code: CoapCode.GET });
    await clock.tick(1);
  };
  await send(busy); // busy: 0
  await send(idle); // idle: 0
  await send(busy); // busy: 1
  await send(third); // forgets idle, the least recently used
  await send(busy);
  // Restarting busy's sequence (at random() = 0) would reuse ID 0 within
  // EXCHANGE_LIFETIME, so the peer would take the message as a duplicate.
  assertEquals(ids(busy), [0, 1, 2]);
  await endpoint.close();
  for (const peer of [busy, idle, third]) await peer.transport.close();
});

Deno.test("a handler's answer with a code that is not a 2.xx, 4.xx or 5.xx response gets 5.00 instead (RFC 7252 §4.2, §5.2, §12.1)", async () => {
  // 0.00 with the request's token is a malformed Empty message, 0.01 in an
  // ACK is ignored by the client (§4.2), 3.xx, 6.xx and 7.xx are reserved.
  for (const code of [0, CoapCode.GET, 0x60, 0xc0, 0xe0]) {
    for (const type of ["CON", "NON"] as const) {
      const clock = new FakeClock();
      const network = new MemoryNetwork({ clock });
      const errors: unknown[] = [];
      const server = new CoapEndpoint(network.bind(), {
        clock,
        handler: () => ({ code }),
        logger: (event) => {
          if (event.kind === "handler-error") errors.push(event.error);
        },
      });
      const peer = network.bind();
      const got: Uint8Array[] = [];
      peer.listen({ onDatagram: (data) => got.push(data.slice()) });
      peer.send(
        encode({
          type,
          code: CoapCode.GET,
          messageId: 5,
          token: new Uint8Array([1]),
          options: [],
          payload: new Uint8Array(),
        }),
        server.localAddress,
      );
      await clock.tick(10);
      assertEquals(got.length, 1);
      const answer = decode(got[0]!);
      assertEquals(answer.type, type === "CON" ? "ACK" : "NON");
      assertEquals(answer.code, CoapCode.INTERNAL_SERVER_ERROR);
      assertEquals(answer.token, new Uint8Array([1]));
      assertEquals(errors.length, 1);
      assertInstanceOf(errors[0], RangeError);
      await server.close();
      await peer.close();
    }
  }
});

Deno.test("request() and multicast() take only request codes, send() no Empty message with a token, options or payload; nothing malformed goes out (RFC 7252 §4.1, §12.1)", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const peer = rawPeer(network);
  const endpoint = new CoapEndpoint(network.bind(), { clock });
  for (const code of [0, CoapCode.CONTENT, 0x20, 0xe0, 256, 1.5]) {
    await assertRejects(
      () => endpoint.request(peer.address, { code }),
      RangeError,
      "expected a request code",
    );
    await assertRejects(
      () =>
        endpoint.multicast({ hostname: "224.0.1.187", port: 5683 }, { code }, {
          onResponse: () => {},
        }),
      RangeError,
      "expected a request code",
    );
  }
  for (
    const init of [
      { token: new Uint8Array([1]) },
      { payload: new Uint8Array([1]) },
      { options: [{ number: 11, value: new Uint8Array([0x61]) }] },
    ]
  ) {
    await assertRejects(
      () => endpoint.send(peer.address, { type: "CON", code: 0, ...init }),
      RangeError,
      "an Empty message",
    );
  }
  await clock.tick(10);
  assertEquals(peer.received.length, 0);
  await endpoint.close();
  await peer.transport.close();
});

Deno.test("tokens stay unique per peer even when random draws repeat, and running out of them is a RangeError, not a hang (RFC 7252 §5.3.1)", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const peer = rawPeer(network);
  const other = rawPeer(network);
  // A generator that always draws the same bytes: each token must still be
  // one no open exchange with that peer uses.
  const endpoint = new CoapEndpoint(network.bind(), {
    clock,
    tokenLength: 1,
    randomBytes: (length) => new Uint8Array(length).fill(0xff),
  });
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < 256; i++) {
    pending.push(
      endpoint.request(peer.address, { code: CoapCode.GET }).catch(() => {}),
    );
  }
  await clock.tick(1);
  assertEquals(peer.received[0]!.message.token, new Uint8Array([0xff]));
  // All 256 one-byte tokens are taken with this peer, none with the other.
  await assertRejects(
    () => endpoint.request(peer.address, { code: CoapCode.GET }),
    RangeError,
    "token",
  );
  assertThrows(() => endpoint.newToken(peer.address), RangeError, "token");
  assertEquals(endpoint.newToken(other.address), new Uint8Array([0xff]));
  // Multicast requests, matched by token alone, get distinct ones too.
  const group = { hostname: "224.0.1.187", port: 5683 };
  const groupTokens: string[] = [];
  for (let i = 0; i < 3; i++) {
    pending.push(
      endpoint.multicast(group, { code: CoapCode.GET }, {
        onResponse: () => {},
        onSent: (message) => groupTokens.push(String(message.token)),
        timeout: 1000,
      }).catch(() => {}),
    );
  }
  assertEquals(new Set(groupTokens).size, 3);
  await endpoint.close();
  await Promise.all(pending);
  await peer.transport.close();
  await other.transport.close();
});

Deno.test("message layer corners: NON reset only by its peer, empty NON/ACK/RST ignored, CON response to NON and NON response to CON accepted (RFC 7252 §4.2, §4.3, §5.2.3)", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const server = rawPeer(network);
  const other = rawPeer(network);
  const log: Sent[] = [];
  const client = new CoapEndpoint(tap(network.bind(), clock, log), {
    clock,
    random: () => 0,
  });
  const raw = (m: Partial<CoapMessage>) =>
    encode({
      type: "CON",
      code: 0,
      messageId: 1,
      token: new Uint8Array(0),
      options: [],
      payload: new Uint8Array(0),
      ...m,
    });
  // A NON request: a RST from another peer is ignored, one from the server
  // ends it with CoapResetError.
  let reset: unknown = "pending";
  client.request(server.address, { code: CoapCode.GET }, {
    confirmable: false,
  }).then((value) => reset = value, (error) => reset = error);
  await clock.tick(1);
  const non = server.received[0]!.message;
  assertEquals(non.type, "NON");
  other.transport.send(
    raw({ type: "RST", messageId: non.messageId }),
    client.localAddress,
  );
  await clock.tick(1);
  assertEquals(reset, "pending");
  server.transport.send(
    raw({ type: "RST", messageId: non.messageId }),
    client.localAddress,
  );
  await clock.tick(1);
  assertInstanceOf(reset, CoapResetError);
  // Empty NON, ACK and RST for unknown message IDs: no answer.
  const sentBefore = log.length;
  for (const type of ["NON", "ACK", "RST"] as const) {
    server.transport.send(raw({ type, messageId: 999 }), client.localAddress);
  }
  await clock.tick(1);
  assertEquals(log.length, sentBefore);
  // A CON response to a NON request is accepted and ACKed, a copy ACKed again.
  const con = settle(
    clock,
    client.request(server.address, { code: CoapCode.GET }, {
      confirmable: false,
    }),
  );
  await clock.tick(1);
  const second = server.received.at(-1)!.message;
  const response = raw({
    type: "CON",
    code: CoapCode.CONTENT,
    messageId: 700,
    token: second.token,
  });
  server.transport.send(response, client.localAddress);
  server.transport.send(response, client.localAddress);
  assertEquals((await con)!.value!.type, "CON");
  const acks = server.received.slice(-2).map((r) => r.message);
  assertEquals(acks.map((m) => [m.type, m.code, m.messageId]), [
    ["ACK", 0, 700],
    ["ACK", 0, 700],
  ]);
  // A NON response to a CON request, before any ACK, ends retransmission.
  const nonAnswer = settle(
    clock,
    client.request(server.address, { code: CoapCode.GET }),
  );
  await clock.tick(1);
  const third = server.received.at(-1)!.message;
  assertEquals(third.type, "CON");
  server.transport.send(
    raw({
      type: "NON",
      code: CoapCode.CONTENT,
      messageId: 701,
      token: third.token,
    }),
    client.localAddress,
  );
  assertEquals((await nonAnswer)!.value!.type, "NON");
  const count = server.received.length;
  await clock.tick(100_000);
  assertEquals(server.received.length, count);
  await client.close();
  await server.transport.close();
  await other.transport.close();
});

Deno.test("a CON request or message to a multicast address is a TypeError and is not sent (RFC 7252 §8.1)", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const log: Sent[] = [];
  const endpoint = new CoapEndpoint(tap(network.bind(), clock, log), {
    clock,
  });
  for (const hostname of ["224.0.1.187", "ff02::fd", "FF05::FD"]) {
    const group = { hostname, port: 5683 };
    await assertRejects(
      () => endpoint.request(group, { code: CoapCode.GET }),
      TypeError,
      "multicast",
    );
    await assertRejects(
      () => endpoint.send(group, { type: "CON", code: CoapCode.CONTENT }),
      TypeError,
      "multicast",
    );
  }
  assertEquals(log.length, 0);
  await endpoint.close();
});

Deno.test("EXCHANGE_LIFETIME and NON_LIFETIME follow changed base parameters (RFC 7252 §4.8.2), and duplicates are recognised for exactly that long", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  let calls = 0;
  const server = new CoapEndpoint(network.bind(), {
    clock,
    ackTimeout: 1000,
    ackRandomFactor: 2,
    maxRetransmit: 2,
    handler: () => {
      calls++;
      return { code: CoapCode.CONTENT };
    },
  });
  // MAX_TRANSMIT_SPAN = 1000 * (2^2 - 1) * 2 = 6000; MAX_LATENCY = 100 s;
  // PROCESSING_DELAY = ACK_TIMEOUT.
  assertEquals(server.parameters.exchangeLifetime, 6000 + 200_000 + 1000);
  assertEquals(server.parameters.nonLifetime, 6000 + 100_000);
  assertEquals(maxTransmitWait(server.parameters), 1000 * (2 ** 3 - 1) * 2);
  const peer = rawPeer(network);
  const request = (type: "CON" | "NON", messageId: number) =>
    peer.transport.send(
      encode({
        type,
        code: CoapCode.GET,
        messageId,
        token: new Uint8Array([1]),
        options: [],
        payload: new Uint8Array(),
      }),
      server.localAddress,
    );
  request("CON", 1);
  request("NON", 2);
  await clock.tick(106_000 - 2);
  request("NON", 2); // a duplicate within NON_LIFETIME: ignored
  request("CON", 1); // within EXCHANGE_LIFETIME: the ACK is replayed
  await clock.tick(1);
  assertEquals(calls, 2);
  assertEquals(peer.received.length, 3);
  await clock.tick(2);
  request("NON", 2); // NON_LIFETIME over: a new message
  await clock.tick(207_000 - 106_001 - 2);
  request("CON", 1);
  await clock.tick(1);
  assertEquals(calls, 3);
  assertEquals(peer.received.length, 5);
  await clock.tick(2);
  request("CON", 1); // EXCHANGE_LIFETIME over: a new message
  await clock.tick(1);
  assertEquals(calls, 4);
  await server.close();
  await peer.transport.close();
});

Deno.test("separateResponseDelay must be a finite number of at least 0", () => {
  const network = new MemoryNetwork();
  for (const value of [-1, NaN, Infinity, "500" as unknown as number]) {
    assertThrows(
      () => new CoapEndpoint(network.bind(), { separateResponseDelay: value }),
      RangeError,
      "separateResponseDelay",
    );
  }
  // 0 acknowledges every request that a handler answers asynchronously at once.
  new CoapEndpoint(network.bind(), { separateResponseDelay: 0 }).close();
});
