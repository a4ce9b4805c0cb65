// Copyright 2026 the microcoap authors. MIT license.
// Amplification mitigation (RFC 7252 §11.3, RFC 9175 §2.4): `verifyPeers:
// "echo"` answers unverified peers' large responses with 4.01 and Echo.
import {
  assert,
  assertEquals,
  assertFalse,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import {
  CoapCode,
  CoapOptionNumber,
  decode,
  decodeBlock,
  encode,
  encodeBlock,
  getOption,
} from "@microcoap/codec";
import type { CoapMessage, CoapOption } from "@microcoap/codec";
import type { MemoryNetwork, PeerAddress } from "@microcoap/transport";
import { messageSize } from "./_amplification.ts";
import { CoapServer } from "./server.ts";
import type { CoapServerOptions } from "./server.ts";
import { setup, uri } from "./_test_helpers.ts";
import type { Harness } from "./_test_helpers.ts";

const ECHO = CoapOptionNumber.ECHO;
const BIG = new Uint8Array(4000).fill(0x61);

/** A peer on its own host that sends hand-made requests and keeps the raw replies. */
function peerAt(network: MemoryNetwork, hostname: string, port = 40000) {
  const transport = network.bind({ hostname, port });
  const received: { message: CoapMessage; size: number }[] = [];
  transport.listen({
    onDatagram: (data) =>
      received.push({ message: decode(data), size: data.length }),
  });
  return { address: transport.localAddress, transport, received };
}
type Peer = ReturnType<typeof peerAt>;

let nextId = 1;

interface Ask {
  code?: number;
  options?: CoapOption[];
  token?: Uint8Array;
  payload?: Uint8Array;
  echo?: Uint8Array;
  /** Send as if from this address (a spoofed source). */
  from?: PeerAddress;
  /** How long to let the clock run before looking at the reply, in ms. */
  wait?: number;
}

/** Sends one CON request to the server and returns its size and the reply. */
async function ask(
  h: Harness,
  peer: Peer,
  path: string,
  init: Ask = {},
): Promise<{ request: number; response: CoapMessage; size: number }> {
  const options = [...uri(path), ...(init.options ?? [])];
  if (init.echo) options.push({ number: ECHO, value: init.echo });
  const bytes = encode({
    type: "CON",
    code: init.code ?? CoapCode.GET,
    messageId: nextId++ & 0xffff,
    token: init.token ?? new Uint8Array(0),
    options,
    payload: init.payload ?? new Uint8Array(0),
  });
  const before = peer.received.length;
  if (init.from) h.network.inject(bytes, { from: init.from, to: h.address });
  else peer.transport.send(bytes, h.address);
  await h.clock.tick(init.wait ?? 0);
  const reply = peer.received[before];
  assert(reply !== undefined, "no reply");
  return { request: bytes.length, response: reply.message, size: reply.size };
}

function echoOf(message: CoapMessage): Uint8Array | undefined {
  return getOption(message, ECHO);
}

async function verifying(
  options: CoapServerOptions = {},
  routes: (server: CoapServer) => void = () => {},
): Promise<Harness & { handled: string[] }> {
  const handled: string[] = [];
  const h = await setup({ verifyPeers: "echo", ...options }, {}, (server) => {
    server.get("/big", () => {
      handled.push("GET /big");
      return { payload: BIG };
    });
    server.get("/small", () => ({ payload: "ok" }));
    routes(server);
  });
  return Object.assign(h, { handled });
}

Deno.test("verifyPeers: an unverified peer gets 4.01 with a fresh Echo option instead of a response over 3 times its request", async () => {
  const h = await verifying();
  const peer = peerAt(h.network, "10.0.0.7");
  const { request, response, size } = await ask(h, peer, "/big");
  assertEquals(response.code, CoapCode.UNAUTHORIZED);
  assertEquals(response.payload.length, 0);
  assertEquals(echoOf(response)?.length, 8);
  // 4 header bytes, Echo (2 + 8): small whatever the resource.
  assertEquals(size, 14);
  assert(size <= 3 * request, `${request} → ${size} bytes`);
  assertEquals(h.server.observers, 0);
  await peer.transport.close();
  await h.close();
});

Deno.test("verifyPeers: responses up to maxAmplification times the request pass, one byte more does not", async () => {
  let length = 0;
  const h = await verifying({}, (server) => {
    server.get("/sized", () => ({ payload: new Uint8Array(length) }));
  });
  const peer = peerAt(h.network, "10.0.0.7");
  const token = new Uint8Array([1, 2]);
  const request = encode({
    type: "CON",
    code: CoapCode.GET,
    messageId: 1,
    token,
    options: uri("/sized"),
    payload: new Uint8Array(0),
  }).length;
  // Response: 4 header bytes, the token, a payload marker and the payload.
  length = 3 * request - 4 - token.length - 1;
  const fits = await ask(h, peer, "/sized", { token });
  assertEquals(fits.response.code, CoapCode.CONTENT);
  assertEquals(fits.size, 3 * request);
  length++;
  const over = await ask(h, peer, "/sized", { token });
  assertEquals(over.response.code, CoapCode.UNAUTHORIZED);

  const small = await ask(h, peer, "/small");
  assertEquals(small.response.code, CoapCode.CONTENT);
  assertEquals(echoOf(small.response), undefined);
  // Small errors pass too.
  assertEquals(
    (await ask(h, peer, "/missing")).response.code,
    CoapCode.NOT_FOUND,
  );
  await peer.transport.close();
  await h.close();
});

Deno.test("verifyPeers: repeating the request with the Echo value verifies the host, for later requests from any of its ports too", async () => {
  const h = await verifying();
  const peer = peerAt(h.network, "10.0.0.7");
  const first = await ask(h, peer, "/big");
  const echo = echoOf(first.response)!;
  const second = await ask(h, peer, "/big", { echo });
  assertEquals(second.response.code, CoapCode.CONTENT);
  const block2 = decodeBlock(
    getOption(second.response, CoapOptionNumber.BLOCK2)!,
  );
  assertEquals(block2, { num: 0, more: true, szx: 6 });
  assertEquals(second.response.payload.length, 1024);
  // Later requests need no Echo; a new port of the same host neither.
  const later = await ask(h, peer, "/big", {
    options: [{
      number: CoapOptionNumber.BLOCK2,
      value: encodeBlock({ num: 1, more: false, szx: 6 }),
    }],
  });
  assertEquals(later.response.code, CoapCode.CONTENT);
  const otherPort = peerAt(h.network, "10.0.0.7", 40001);
  assertEquals(
    (await ask(h, otherPort, "/big")).response.code,
    CoapCode.CONTENT,
  );
  const events = h.events.map((event) => event.kind);
  assertEquals(events.filter((kind) => kind === "peer-challenged").length, 1);
  assertEquals(events.filter((kind) => kind === "peer-verified").length, 1);
  await peer.transport.close();
  await otherPort.transport.close();
  await h.close();
});

Deno.test("verifyPeers: a wrong Echo value gets 4.01 again, a stale one 4.01 with a new value", async () => {
  const h = await verifying();
  const peer = peerAt(h.network, "10.0.0.7");
  const echo = echoOf((await ask(h, peer, "/big")).response)!;
  const wrong = echo.map((byte) => byte ^ 1);
  const retry = await ask(h, peer, "/big", { echo: wrong });
  assertEquals(retry.response.code, CoapCode.UNAUTHORIZED);
  // The outstanding value is still fresh and still the one to send.
  assertEquals(echoOf(retry.response), echo);
  // An Echo value is fresh for EXCHANGE_LIFETIME (247 s).
  await h.clock.tick(247_000);
  const stale = await ask(h, peer, "/big", { echo });
  assertEquals(stale.response.code, CoapCode.UNAUTHORIZED);
  const renewed = echoOf(stale.response)!;
  assertNotEquals(renewed, echo);
  assertEquals(
    (await ask(h, peer, "/big", { echo: renewed })).response.code,
    CoapCode.CONTENT,
  );
  await peer.transport.close();
  await h.close();
});

Deno.test("verifyPeers: verification lasts verifiedPeerLifetime, and requests do not extend it", async () => {
  const h = await verifying({ verifiedPeerLifetime: 60_000 });
  const peer = peerAt(h.network, "10.0.0.7");
  const echo = echoOf((await ask(h, peer, "/big")).response)!;
  assertEquals(
    (await ask(h, peer, "/big", { echo })).response.code,
    CoapCode.CONTENT,
  );
  await h.clock.tick(59_000);
  assertEquals((await ask(h, peer, "/big")).response.code, CoapCode.CONTENT);
  await h.clock.tick(1_000);
  const again = await ask(h, peer, "/big");
  assertEquals(again.response.code, CoapCode.UNAUTHORIZED);
  // The used-up value does not verify again.
  assertEquals(
    (await ask(h, peer, "/big", { echo })).response.code,
    CoapCode.UNAUTHORIZED,
  );
  await peer.transport.close();
  await h.close();
});

Deno.test("verifyPeers: a spoofed source cannot use the Echo value sent to another host", async () => {
  const h = await verifying();
  const attacker = peerAt(h.network, "10.6.6.6");
  const victim = peerAt(h.network, "10.0.0.9", 5683);
  const own = echoOf((await ask(h, attacker, "/big")).response)!;
  // The attacker's value, sent with the victim's address: the victim gets
  // the small 4.01, not the resource.
  const spoofed = await ask(h, victim, "/big", {
    echo: own,
    from: victim.address,
  });
  assertEquals(spoofed.response.code, CoapCode.UNAUTHORIZED);
  assertEquals(spoofed.size, 14);
  const victimEcho = echoOf(spoofed.response)!;
  assertNotEquals(victimEcho, own);
  // Nor is the victim verified by the attacker's own (still valid) value.
  assertEquals(
    (await ask(h, victim, "/big", { from: victim.address })).response.code,
    CoapCode.UNAUTHORIZED,
  );
  // The attacker's value still verifies the attacker only.
  assertEquals(
    (await ask(h, attacker, "/big", { echo: own })).response.code,
    CoapCode.CONTENT,
  );
  assertEquals(
    (await ask(h, victim, "/big", { from: victim.address })).response.code,
    CoapCode.UNAUTHORIZED,
  );
  await attacker.transport.close();
  await victim.transport.close();
  await h.close();
});

Deno.test("verifyPeers: maxVerifiedPeers bounds the verified hosts and the outstanding Echo values, oldest first", async () => {
  const h = await verifying({ maxVerifiedPeers: 2 });
  const peers = ["10.0.0.1", "10.0.0.2", "10.0.0.3"].map((host) =>
    peerAt(h.network, host)
  );
  const echoes: Uint8Array[] = [];
  for (const peer of peers) {
    echoes.push(echoOf((await ask(h, peer, "/big")).response)!);
  }
  // Three challenges, room for two: the first host's value is forgotten.
  assertEquals(
    (await ask(h, peers[0]!, "/big", { echo: echoes[0] })).response.code,
    CoapCode.UNAUTHORIZED,
  );
  // (which issued the first host a new value, pushing out the second's)
  assertEquals(
    (await ask(h, peers[2]!, "/big", { echo: echoes[2] })).response.code,
    CoapCode.CONTENT,
  );
  assertEquals(
    (await ask(h, peers[1]!, "/big", { echo: echoes[1] })).response.code,
    CoapCode.UNAUTHORIZED,
  );
  // Verify all three in turn: only the last two stay verified.
  for (const peer of peers) {
    const echo = echoOf((await ask(h, peer, "/big")).response);
    if (echo) {
      assertEquals(
        (await ask(h, peer, "/big", { echo })).response.code,
        CoapCode.CONTENT,
      );
    }
  }
  const codes = [];
  for (const peer of peers) {
    codes.push((await ask(h, peer, "/big")).response.code);
  }
  assertEquals(codes, [
    CoapCode.UNAUTHORIZED,
    CoapCode.CONTENT,
    CoapCode.CONTENT,
  ]);
  for (const peer of peers) await peer.transport.close();
  await h.close();
});

Deno.test("verifyPeers: an observe registration from an unverified host gets 4.01 with Echo whatever its size, and registers with the Echo value", async () => {
  const h = await verifying({}, (server) => {
    server.get("/temp", () => ({ payload: "21" }), { observable: true });
  });
  const peer = peerAt(h.network, "10.0.0.7");
  const observe: CoapOption = {
    number: CoapOptionNumber.OBSERVE,
    value: new Uint8Array(0),
  };
  const token = new Uint8Array([7]);
  const first = await ask(h, peer, "/temp", { options: [observe], token });
  assertEquals(first.response.code, CoapCode.UNAUTHORIZED);
  assertEquals(h.server.observers, 0);
  // A plain GET of the same small resource passes.
  assertEquals(
    (await ask(h, peer, "/temp")).response.code,
    CoapCode.CONTENT,
  );
  const echo = echoOf(first.response)!;
  const second = await ask(h, peer, "/temp", {
    options: [observe],
    token,
    echo,
  });
  assertEquals(second.response.code, CoapCode.CONTENT);
  assert(getOption(second.response, CoapOptionNumber.OBSERVE) !== undefined);
  assertEquals(h.server.observers, 1);
  await peer.transport.close();
  await h.close();
});

Deno.test("verifyPeers: an unsafe method's handler runs once; its large response goes to an unverified host as a small first block", async () => {
  let runs = 0;
  const h = await verifying({}, (server) => {
    server.post("/items", () => {
      runs++;
      return { payload: BIG };
    });
    server.post("/fail", () => {
      runs++;
      return { code: CoapCode.BAD_REQUEST, payload: BIG.subarray(0, 200) };
    });
  });
  const peer = peerAt(h.network, "10.0.0.7");
  const first = await ask(h, peer, "/items", {
    code: CoapCode.POST,
    payload: new Uint8Array([1]),
  });
  assertEquals(first.response.code, CoapCode.CHANGED);
  assertEquals(runs, 1);
  const block = decodeBlock(
    getOption(first.response, CoapOptionNumber.BLOCK2)!,
  );
  assertEquals(block.num, 0);
  assert(block.more);
  assert(block.szx < 6, `szx ${block.szx}`);
  // As large a block as fits, down to 16 bytes.
  assert(
    first.size <= 3 * first.request || block.szx === 0,
    `${first.request} → ${first.size} bytes with szx ${block.szx}`,
  );
  // Further blocks come from the cache (no handler run): one that fits
  // passes, a larger one gets 4.01 with Echo.
  const blockAt = (num: number, szx: number) => [{
    number: CoapOptionNumber.BLOCK2,
    value: encodeBlock({ num, more: false, szx }),
  }];
  const next = await ask(h, peer, "/items", {
    code: CoapCode.POST,
    options: blockAt(1, block.szx),
  });
  assertEquals(next.response.code, CoapCode.CHANGED);
  assertEquals(
    next.response.payload,
    BIG.subarray(16 << block.szx, 32 << block.szx),
  );
  const large = await ask(h, peer, "/items", {
    code: CoapCode.POST,
    options: blockAt(1, 6),
  });
  assertEquals(large.response.code, CoapCode.UNAUTHORIZED);
  const served = await ask(h, peer, "/items", {
    code: CoapCode.POST,
    options: blockAt(1, 6),
    echo: echoOf(large.response)!,
  });
  assertEquals(served.response.code, CoapCode.CHANGED);
  assertEquals(served.response.payload, BIG.subarray(1024, 2048));
  assertEquals(runs, 1);

  // An error response's diagnostic payload is left out instead.
  const other = peerAt(h.network, "10.0.0.8");
  const failed = await ask(h, other, "/fail", { code: CoapCode.POST });
  assertEquals(failed.response.code, CoapCode.BAD_REQUEST);
  assertEquals(failed.response.payload.length, 0);
  assertEquals(runs, 2);
  await peer.transport.close();
  await other.transport.close();
  await h.close();
});

Deno.test("verifyPeers: a handler that answers later (a separate response) is bounded too", async () => {
  const h = await verifying({}, (server) => {
    server.get("/slow", async () => {
      await new Promise<void>((resolve) => h.clock.setTimeout(resolve, 1000));
      return { payload: BIG };
    });
  });
  const peer = peerAt(h.network, "10.0.0.7");
  await ask(h, peer, "/slow", { wait: 1000 });
  const responses = peer.received.map((r) => r.message);
  assertEquals(responses.map((m) => m.type), ["ACK", "CON"]);
  assertEquals(responses[0]!.code, CoapCode.EMPTY);
  assertEquals(responses[1]!.code, CoapCode.UNAUTHORIZED);
  assertEquals(echoOf(responses[1]!)?.length, 8);
  await peer.transport.close();
  await h.close();
});

Deno.test("verifyPeers: off by default, large responses and registrations go to any address and Echo is ignored", async () => {
  const h = await setup({}, {}, (server) => {
    server.get("/big", () => ({ payload: BIG }));
    server.get("/temp", () => ({ payload: "21" }), { observable: true });
  });
  const peer = peerAt(h.network, "10.0.0.7");
  const response = await ask(h, peer, "/big", {
    echo: new Uint8Array([1, 2, 3]),
  });
  assertEquals(response.response.code, CoapCode.CONTENT);
  assertEquals(response.response.payload.length, 1024);
  const observe = await ask(h, peer, "/temp", {
    options: [{ number: CoapOptionNumber.OBSERVE, value: new Uint8Array(0) }],
  });
  assertEquals(observe.response.code, CoapCode.CONTENT);
  assertEquals(h.server.observers, 1);
  assertFalse(h.events.some((event) => event.kind === "peer-challenged"));
  await peer.transport.close();
  await h.close();
});

Deno.test("verifyPeers: maxAmplification changes the limit", async () => {
  const h = await verifying({ maxAmplification: 200 });
  const peer = peerAt(h.network, "10.0.0.7");
  assertEquals((await ask(h, peer, "/big")).response.code, CoapCode.CONTENT);
  await peer.transport.close();
  await h.close();
});

Deno.test("CoapServer validates the amplification options", () => {
  assertThrows(
    () => new CoapServer({ verifyPeers: "yes" as "echo" }),
    TypeError,
    'verifyPeers is "yes"',
  );
  for (const value of [0.5, 0, -1, NaN, Infinity]) {
    assertThrows(
      () => new CoapServer({ maxAmplification: value }),
      RangeError,
      "maxAmplification",
    );
  }
  assertThrows(
    () => new CoapServer({ maxAmplification: "3" as unknown as number }),
    RangeError,
  );
  assertThrows(
    () => new CoapServer({ maxVerifiedPeers: 0 }),
    RangeError,
    "maxVerifiedPeers",
  );
  assertThrows(
    () => new CoapServer({ verifiedPeerLifetime: 1.5 }),
    RangeError,
    "verifiedPeerLifetime",
  );
  new CoapServer({ verifyPeers: false, maxAmplification: 1 });
});

Deno.test("messageSize() is the length encode() produces, options in any order", () => {
  const messages: CoapMessage[] = [
    {
      type: "CON",
      code: CoapCode.GET,
      messageId: 1,
      token: new Uint8Array(0),
      options: [],
      payload: new Uint8Array(0),
    },
    {
      type: "ACK",
      code: CoapCode.CONTENT,
      messageId: 2,
      token: new Uint8Array(8),
      options: [
        { number: 11, value: new Uint8Array(12) },
        { number: 11, value: new Uint8Array(13) },
        { number: 15, value: new Uint8Array(255) },
        { number: 252, value: new Uint8Array(8) },
        { number: 2000, value: new Uint8Array(300) },
      ],
      payload: new Uint8Array(5),
    },
  ];
  for (const message of messages) {
    assertEquals(
      messageSize(
        message.token.length,
        message.options,
        message.payload.length,
      ),
      encode(message).length,
    );
  }
  const options = messages[1]!.options;
  assertEquals(
    messageSize(8, [...options].reverse(), 5),
    encode(messages[1]!).length,
  );
});
