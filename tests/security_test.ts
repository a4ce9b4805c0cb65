// Copyright 2026 the microcoap authors. MIT license.
// Security properties: response matching (RFC 7252 §5.3.2, RFC 9175 §4),
// token randomness, and how large a response an unverified peer can get
// for a small request (amplification, RFC 7252 §11.3, RFC 9175 §2.4), by
// default and with the server's verifyPeers: "echo".
import { assert, assertEquals, assertRejects } from "@std/assert";
import { CoapCode, decode, encode } from "@microcoap/codec";
import type { CoapMessage } from "@microcoap/codec";
import { CoapEndpoint, CoapTimeoutError } from "@microcoap/endpoint";
import { CoapClient } from "@microcoap/client";
import { CoapServer } from "@microcoap/server";
import type { CoapServerOptions } from "@microcoap/server";
import { FakeClock, MemoryNetwork } from "@microcoap/transport";
import type { PeerAddress, Transport } from "@microcoap/transport";

const text = new TextEncoder();
const SERVER: PeerAddress = { hostname: "10.0.0.1", port: 5683 };

/** A peer whose every datagram the test sees and whose answers it writes by hand. */
function rawPeer(network: MemoryNetwork, address: PeerAddress) {
  const transport: Transport = network.bind(address);
  const received: { message: CoapMessage; from: PeerAddress }[] = [];
  transport.listen({
    onDatagram: (data, from) => received.push({ message: decode(data), from }),
  });
  return { transport, received };
}

function settled(promise: Promise<unknown>): () => boolean {
  let done = false;
  promise.then(() => done = true, () => done = true);
  return () => done;
}

function reply(
  request: CoapMessage,
  init: Partial<CoapMessage> & Pick<CoapMessage, "type" | "code">,
): Uint8Array {
  return encode({
    messageId: request.messageId,
    token: request.token,
    options: [],
    payload: new Uint8Array(0),
    ...init,
  });
}

Deno.test("a response from another address than the request's is never delivered", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const server = rawPeer(network, SERVER);
  await using client = new CoapEndpoint(network.bind(), { clock });
  const pending = client.request(SERVER, { code: CoapCode.GET });
  const isSettled = settled(pending);
  await clock.tick(0);
  const request = server.received[0]!.message;
  // Same message ID and token, from other hosts and another port.
  for (
    const from of [
      { hostname: "10.0.0.66", port: 5683 },
      { hostname: "10.0.0.1", port: 5684 },
      { hostname: "::ffff:10.0.0.1", port: 5683 },
    ]
  ) {
    network.inject(
      reply(request, {
        type: "ACK",
        code: CoapCode.CONTENT,
        payload: text.encode("forged"),
      }),
      { from, to: client.localAddress },
    );
    network.inject(
      reply(request, {
        type: "CON",
        messageId: 999,
        code: CoapCode.CONTENT,
        payload: text.encode("forged"),
      }),
      { from, to: client.localAddress },
    );
  }
  await clock.tick(0);
  assert(!isSettled(), "a forged response settled the request");
  server.transport.send(
    reply(request, {
      type: "ACK",
      code: CoapCode.CONTENT,
      payload: text.encode("genuine"),
    }),
    client.localAddress,
  );
  await clock.tick(0);
  const response = await pending;
  assertEquals(new TextDecoder().decode(response.payload), "genuine");
  await server.transport.close();
});

Deno.test("a separate response with a wrong token is rejected with RST and not delivered", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const server = rawPeer(network, SERVER);
  await using client = new CoapEndpoint(network.bind(), { clock });
  const pending = client.request(SERVER, { code: CoapCode.GET });
  const isSettled = settled(pending);
  await clock.tick(0);
  const request = server.received[0]!.message;
  server.transport.send(
    reply(request, { type: "ACK", code: 0, token: new Uint8Array(0) }),
    client.localAddress,
  );
  const wrong = request.token.slice();
  wrong[0] = wrong[0]! ^ 0xff;
  server.transport.send(
    reply(request, {
      type: "CON",
      messageId: 77,
      code: CoapCode.CONTENT,
      token: wrong,
    }),
    client.localAddress,
  );
  await clock.tick(0);
  assert(!isSettled());
  const rst = server.received.find((r) => r.message.type === "RST");
  assertEquals(rst?.message.messageId, 77);
  server.transport.send(
    reply(request, {
      type: "CON",
      messageId: 78,
      code: CoapCode.CONTENT,
      payload: text.encode("right"),
    }),
    client.localAddress,
  );
  await clock.tick(0);
  const response = await pending;
  assertEquals(new TextDecoder().decode(response.payload), "right");
  await server.transport.close();
});

Deno.test("a piggybacked response with the right message ID but a wrong token is not delivered, and the request still settles", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const server = rawPeer(network, SERVER);
  await using client = new CoapEndpoint(network.bind(), { clock });
  const pending = client.request(SERVER, { code: CoapCode.GET });
  const isSettled = settled(pending);
  const outcome = pending.then(() => "resolved", (error) => error);
  await clock.tick(0);
  const request = server.received[0]!.message;
  const wrong = request.token.slice();
  wrong[0] = wrong[0]! ^ 0xff;
  server.transport.send(
    reply(request, { type: "ACK", code: CoapCode.CONTENT, token: wrong }),
    client.localAddress,
  );
  await clock.tick(0);
  assert(!isSettled(), "a response with a wrong token was delivered");
  // Nothing more comes: the request must not hang forever.
  await clock.tick(client.parameters.exchangeLifetime + 1);
  assert(isSettled(), "the request never settles");
  assert((await outcome) instanceof CoapTimeoutError);
  await server.transport.close();
});

Deno.test("tokens come from crypto.getRandomValues by default (endpoint and client)", async () => {
  const original = crypto.getRandomValues;
  let calls = 0;
  crypto.getRandomValues = function <T extends ArrayBufferView | null>(
    array: T,
  ): T {
    calls++;
    return original.call(crypto, array as Uint8Array) as unknown as T;
  };
  try {
    const clock = new FakeClock();
    const network = new MemoryNetwork({ clock });
    await using endpoint = new CoapEndpoint(network.bind(), { clock });
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const token = endpoint.newToken(SERVER);
      assertEquals(token.length, 4);
      seen.add(token.join(","));
    }
    assert(calls >= 10_000, `crypto.getRandomValues called ${calls} times`);
    // 10,000 draws of 32 random bits: a repeat is possible, a dozen is not.
    assert(seen.size > 9_990, `only ${seen.size} distinct tokens`);

    const server = rawPeer(network, SERVER);
    await using client = new CoapClient({
      transport: network.bind(),
      clock,
    });
    calls = 0;
    const pending = client.get("coap://10.0.0.1/x");
    await clock.tick(0);
    assert(calls > 0, "the client made a token without crypto.getRandomValues");
    const request = server.received[0]!.message;
    assert(request.token.length >= 1);
    server.transport.send(
      reply(request, { type: "ACK", code: CoapCode.CONTENT }),
      server.received[0]!.from,
    );
    await clock.tick(0);
    await pending.catch(() => {});
    await server.transport.close();
  } finally {
    crypto.getRandomValues = original;
  }
});

/** Sends one raw GET to a server and returns the request and response sizes. */
async function amplification(
  options: CoapServerOptions,
  path: string,
): Promise<{ request: number; response: number; code: number }> {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  await using server = new CoapServer({
    transport: network.bind(SERVER),
    clock,
    ...options,
  });
  server.get("/big", () => ({ payload: new Uint8Array(4000).fill(0x61) }));
  for (let i = 0; i < 40; i++) {
    server.get(`/resource-with-a-long-name-${i}`, () => ({ payload: "x" }), {
      rt: "example.sensor.with.a.long.resource.type",
      title: "A resource with a long title",
    });
  }
  await server.listen();
  const attacker = rawPeer(network, { hostname: "10.6.6.6", port: 5683 });
  const request = encode({
    type: "CON",
    code: CoapCode.GET,
    messageId: 1,
    token: new Uint8Array(0),
    options: path.split("/").filter((s) => s).map((segment) => ({
      number: 11,
      value: text.encode(segment),
    })),
    payload: new Uint8Array(0),
  });
  attacker.transport.send(request, SERVER);
  await clock.tick(0);
  const responses = attacker.received.map((r) => encode(r.message));
  assertEquals(responses.length, 1);
  await attacker.transport.close();
  return {
    request: request.length,
    response: responses[0]!.length,
    code: attacker.received[0]!.message.code,
  };
}

Deno.test("by default a small request from an unverified peer gets at most one block: the block size bounds amplification", async () => {
  // Without verifyPeers there is no address check (RFC 9175 §2.4): a large
  // resource is answered with its first Block2 block, so the block size is
  // the bound.
  for (const path of ["/big", "/.well-known/core"]) {
    const byDefault = await amplification({}, path);
    assertEquals(byDefault.code, CoapCode.CONTENT);
    assert(
      byDefault.response <= 1024 + 32,
      `${path}: ${byDefault.response} bytes`,
    );
    const small = await amplification({ blockSize: 64 }, path);
    assert(small.response <= 64 + 32, `${path}: ${small.response} bytes`);
    // 3× is the factor RFC 9175 §2.4 suggests without address verification.
    assert(
      small.response <= 3 * small.request + 64,
      `${path}: ${small.request} → ${small.response} bytes`,
    );
  }
});

Deno.test("by default a request from an unverified peer is amplified about 100-fold (verifyPeers is off for interoperability)", async () => {
  const { request, response } = await amplification({}, "/big");
  // Recorded so that a change (a lower default, Echo on by default) is noticed.
  assert(request <= 12, `request ${request} bytes`);
  assert(response >= 1024, `response ${response} bytes`);
  assert(response / request > 80);
});

Deno.test('with verifyPeers: "echo" an unverified peer gets at most 3 times its request (a 4.01 with Echo)', async () => {
  for (const path of ["/big", "/.well-known/core"]) {
    const { request, response, code } = await amplification(
      { verifyPeers: "echo" },
      path,
    );
    assertEquals(code, CoapCode.UNAUTHORIZED, path);
    assert(
      response <= 3 * request,
      `${path}: ${request} → ${response} bytes`,
    );
  }
  // The 4.01 itself is 14 bytes (with an empty token), whatever the factor.
  const strict = await amplification(
    { verifyPeers: "echo", maxAmplification: 1 },
    "/big",
  );
  assertEquals(strict.code, CoapCode.UNAUTHORIZED);
  assertEquals(strict.response, 14);
});

Deno.test('with verifyPeers: "echo" a flood of requests with a spoofed source sends the victim less than it sent, and a genuine client still gets the resource', async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  await using server = new CoapServer({
    transport: network.bind(SERVER),
    clock,
    verifyPeers: "echo",
  });
  server.get("/big", () => ({ payload: new Uint8Array(4000).fill(0x61) }));
  server.get("/obs", () => ({ payload: "1" }), { observable: true });
  await server.listen();
  const victim = rawPeer(network, { hostname: "10.9.9.9", port: 5683 });
  let sent = 0;
  for (let i = 0; i < 200; i++) {
    const path = i % 2 === 0 ? "big" : "obs";
    const request = encode({
      type: i % 3 === 0 ? "NON" : "CON",
      code: CoapCode.GET,
      messageId: i,
      token: new Uint8Array([i]),
      options: [
        ...(path === "obs" ? [{ number: 6, value: new Uint8Array(0) }] : []),
        { number: 11, value: text.encode(path) },
        // Guessed Echo values do not help.
        { number: 252, value: new Uint8Array(8).fill(i) },
      ],
      payload: new Uint8Array(0),
    });
    sent += request.length;
    network.inject(request, {
      from: victim.transport.localAddress,
      to: SERVER,
    });
  }
  await clock.tick(0);
  const received = victim.received.reduce(
    (n, r) => n + encode(r.message).length,
    0,
  );
  assertEquals(victim.received.length, 200);
  assert(
    victim.received.every((r) => r.message.code === CoapCode.UNAUTHORIZED),
  );
  assert(received <= sent, `${sent} bytes sent, ${received} received`);
  assertEquals(server.observers, 0);

  // A client that does receive what is sent to it proves it and gets the resource.
  await using client = new CoapClient({
    transport: network.bind({ hostname: "10.1.1.1" }),
    clock,
  });
  const pending = client.get("coap://10.0.0.1/big");
  await clock.tick(0);
  const response = await pending;
  assertEquals(response.payload.length, 4000);
  await victim.transport.close();
});

Deno.test("waiting requests are rejected, not left hanging, when a timeout is due (no response ever comes)", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const server = rawPeer(network, SERVER);
  await using client = new CoapEndpoint(network.bind(), { clock });
  const pending = client.request(SERVER, { code: CoapCode.GET });
  const rejected = assertRejects(() => pending, CoapTimeoutError);
  await clock.tick(0);
  // An empty ACK: the response will come separately, but never does.
  const request = server.received[0]!.message;
  server.transport.send(
    reply(request, { type: "ACK", code: 0, token: new Uint8Array(0) }),
    client.localAddress,
  );
  await clock.tick(client.parameters.exchangeLifetime + 1);
  await rejected;
  await server.transport.close();
});
