// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { CoapCode, decode, encode } from "@microcoap/codec";
import type { CoapMessage, CoapType } from "@microcoap/codec";
import { FakeClock, MemoryNetwork } from "@microcoap/transport";
import type { PeerAddress } from "@microcoap/transport";
import { CoapClosedError, CoapEndpoint } from "./mod.ts";
import type {
  CoapEndpointOptions,
  IncomingRequest,
  ResponseInit,
} from "./mod.ts";

const GROUP = "224.0.1.187";
const TO_GROUP = { hostname: GROUP, port: 5683 };
const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

/** A raw peer that records what it receives and can send any message. */
function rawPeer(network: MemoryNetwork, hostname = "10.0.0.9") {
  const transport = network.bind({ hostname });
  const received: { message: CoapMessage; from: PeerAddress }[] = [];
  transport.listen({
    onDatagram: (data, from) => received.push({ message: decode(data), from }),
  });
  const send = (
    to: PeerAddress,
    fields: Partial<CoapMessage> & { type: CoapType; code: number },
  ) =>
    transport.send(
      encode({
        messageId: 0x1234,
        token: new Uint8Array([0xab]),
        options: [],
        payload: new Uint8Array(0),
        ...fields,
      }),
      to,
    );
  return { transport, received, send, address: transport.localAddress };
}

function member(
  network: MemoryNetwork,
  clock: FakeClock,
  hostname: string,
  respond: (request: IncomingRequest) => ResponseInit | undefined,
  options: CoapEndpointOptions = {},
) {
  const calls: IncomingRequest[] = [];
  const endpoint = new CoapEndpoint(
    network.bind({ hostname, port: 5683, groups: [GROUP] }),
    {
      clock,
      handler: (request) => {
        calls.push(request);
        return respond(request);
      },
      ...options,
    },
  );
  return { endpoint, calls };
}

const content = (payload: string): ResponseInit => ({
  code: CoapCode.CONTENT,
  payload: text(payload),
});

Deno.test("a request to a group is answered NON, unicast, at a random moment within the leisure", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const server = member(network, clock, "10.0.0.1", () => content("hi"), {
    random: () => 0.25,
  });
  const peer = rawPeer(network);
  peer.send(TO_GROUP, { type: "NON", code: CoapCode.GET });
  await clock.tick(0);
  assertEquals(server.calls.length, 1);
  assertEquals(server.calls[0]!.group, GROUP);
  await clock.tick(1249);
  assertEquals(peer.received, []);
  await clock.tick(1);
  assertEquals(peer.received.length, 1);
  const { message, from } = peer.received[0]!;
  assertEquals(from, server.endpoint.localAddress);
  assertEquals(message.type, "NON");
  assertEquals(message.code, CoapCode.CONTENT);
  assertEquals(message.token, new Uint8Array([0xab]));
  assertEquals(str(message.payload), "hi");
  // A retransmission of the request (same message ID) is a duplicate.
  peer.send(TO_GROUP, { type: "NON", code: CoapCode.GET });
  await clock.tick(5000);
  assertEquals(server.calls.length, 1);
  assertEquals(peer.received.length, 1);
  await server.endpoint.close();
});

Deno.test("multicastLeisure sets the window; a slower handler is answered as soon as it finishes", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const server = new CoapEndpoint(
    network.bind({ hostname: "10.0.0.1", port: 5683, groups: [GROUP] }),
    {
      clock,
      random: () => 0.5,
      multicastLeisure: 1000,
      handler: async ({ message }) => {
        if (str(message.payload) === "slow") {
          await new Promise<void>((resolve) =>
            clock.setTimeout(() => resolve(), 800)
          );
        }
        return content("done");
      },
    },
  );
  const peer = rawPeer(network);
  const arrivals: number[] = [];
  peer.transport.listen({ onDatagram: () => arrivals.push(clock.now()) });
  peer.send(TO_GROUP, { type: "NON", code: CoapCode.GET });
  await clock.tick(1000);
  peer.send(TO_GROUP, {
    type: "NON",
    code: CoapCode.GET,
    messageId: 2,
    payload: text("slow"),
  });
  await clock.tick(1000);
  assertEquals(arrivals, [500, 1800]);
  await server.close();
});

Deno.test("nothing that comes to a group gets RST: CON, pings, malformed messages, responses, unknown critical options", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const server = member(network, clock, "10.0.0.1", () => content("x"));
  const peer = rawPeer(network);
  peer.send(TO_GROUP, { type: "CON", code: CoapCode.GET, messageId: 1 });
  peer.send(TO_GROUP, {
    type: "CON",
    code: CoapCode.EMPTY,
    messageId: 2,
    token: new Uint8Array(0),
  });
  peer.send(TO_GROUP, { type: "NON", code: CoapCode.CONTENT, messageId: 3 });
  peer.send(TO_GROUP, { type: "CON", code: CoapCode.CONTENT, messageId: 4 });
  peer.send(TO_GROUP, {
    type: "NON",
    code: CoapCode.GET,
    messageId: 5,
    options: [{ number: 9999, value: new Uint8Array(0) }],
  });
  peer.transport.send(new Uint8Array([0x40, 0x01, 0, 6, 0xff]), TO_GROUP);
  await clock.tick(10_000);
  assertEquals(server.calls, []);
  assertEquals(peer.received, []);
  await server.endpoint.close();
});

Deno.test("errors and empty responses to a group request are not sent by default", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  let answer: ResponseInit | undefined = { code: CoapCode.NOT_FOUND };
  const server = member(network, clock, "10.0.0.1", () => answer);
  const noHandler = new CoapEndpoint(
    network.bind({ hostname: "10.0.0.2", port: 5683, groups: [GROUP] }),
    { clock },
  );
  const peer = rawPeer(network);
  let id = 0;
  const ask = async () => {
    peer.send(TO_GROUP, { type: "NON", code: CoapCode.GET, messageId: ++id });
    await clock.tick(5000);
  };
  await ask();
  answer = { code: CoapCode.CONTENT };
  await ask();
  answer = { code: CoapCode.CHANGED };
  await ask();
  answer = undefined;
  await ask();
  assertEquals(server.calls.length, 4);
  assertEquals(peer.received, []);
  answer = content("useful");
  await ask();
  assertEquals(peer.received.map(({ message }) => str(message.payload)), [
    "useful",
  ]);
  await server.endpoint.close();
  await noHandler.close();
});

Deno.test("multicastResponses widens what is answered; a No-Response option decides for every class", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const success = member(
    network,
    clock,
    "10.0.0.1",
    () => ({ code: CoapCode.CHANGED }),
    {
      multicastResponses: "success",
    },
  );
  const all = member(
    network,
    clock,
    "10.0.0.2",
    () => ({ code: CoapCode.BAD_REQUEST }),
    {
      multicastResponses: "all",
    },
  );
  const useful = member(
    network,
    clock,
    "10.0.0.3",
    () => ({ code: CoapCode.NOT_FOUND }),
  );
  const peer = rawPeer(network);
  peer.send(TO_GROUP, { type: "NON", code: CoapCode.PUT, messageId: 1 });
  await clock.tick(5000);
  const codes = () =>
    peer.received.map(({ message, from }) => `${from.hostname} ${message.code}`)
      .sort();
  assertEquals(codes(), [
    `10.0.0.1 ${CoapCode.CHANGED}`,
    `10.0.0.2 ${CoapCode.BAD_REQUEST}`,
  ]);
  peer.received.length = 0;
  // No-Response 0: interested in every response, errors included.
  peer.send(TO_GROUP, {
    type: "NON",
    code: CoapCode.PUT,
    messageId: 2,
    options: [{ number: 258, value: new Uint8Array(0) }],
  });
  await clock.tick(5000);
  assertEquals(codes(), [
    `10.0.0.1 ${CoapCode.CHANGED}`,
    `10.0.0.2 ${CoapCode.BAD_REQUEST}`,
    `10.0.0.3 ${CoapCode.NOT_FOUND}`,
  ]);
  peer.received.length = 0;
  // No-Response 2: not interested in 2.xx.
  peer.send(TO_GROUP, {
    type: "NON",
    code: CoapCode.PUT,
    messageId: 3,
    options: [{ number: 258, value: new Uint8Array([2]) }],
  });
  await clock.tick(5000);
  assertEquals(codes(), [
    `10.0.0.2 ${CoapCode.BAD_REQUEST}`,
    `10.0.0.3 ${CoapCode.NOT_FOUND}`,
  ]);
  for (const server of [success, all, useful]) await server.endpoint.close();
});

Deno.test("multicast() collects responses from every server, matched by token from any source", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const servers = ["10.0.0.1", "10.0.0.2", "10.0.0.3"].map((hostname, i) =>
    member(network, clock, hostname, () => content(hostname), {
      random: () => i / 4,
    })
  );
  const sent: CoapMessage[] = [];
  await using client = new CoapEndpoint(network.bind(), { clock });
  const got: [string, string, number][] = [];
  const done = client.multicast(TO_GROUP, { code: CoapCode.GET }, {
    onSent: (message) => sent.push(message),
    onResponse: (response, peer) =>
      got.push([peer.hostname, str(response.payload), clock.now()]),
    timeout: 6000,
  });
  await clock.tick(6000);
  await done;
  assertEquals(sent.map((message) => message.type), ["NON"]);
  assertEquals(got, [
    ["10.0.0.1", "10.0.0.1", 0],
    ["10.0.0.2", "10.0.0.2", 1250],
    ["10.0.0.3", "10.0.0.3", 2500],
  ]);
  for (const server of servers) await server.endpoint.close();
});

Deno.test("multicast() acknowledges a CON response and drops a server's duplicates", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const serverTransport = network.bind({
    hostname: "10.0.0.1",
    port: 5683,
    groups: [GROUP],
  });
  const requests: CoapMessage[] = [];
  const acks: CoapMessage[] = [];
  serverTransport.listen({
    onDatagram: (data) => {
      const message = decode(data);
      if (message.type === "ACK") acks.push(message);
      else requests.push(message);
    },
  });
  await using client = new CoapEndpoint(network.bind(), { clock });
  const got: string[] = [];
  const done = client.multicast(TO_GROUP, { code: CoapCode.GET }, {
    onResponse: (response) =>
      got.push(`${response.type} ${str(response.payload)}`),
    timeout: 1000,
  });
  await clock.tick(0);
  assertEquals(requests.length, 1);
  const token = requests[0]!.token;
  const respond = (type: CoapType, messageId: number, payload: string) =>
    serverTransport.send(
      encode({
        type,
        code: CoapCode.CONTENT,
        messageId,
        token,
        options: [],
        payload: text(payload),
      }),
      client.localAddress,
    );
  respond("CON", 7, "a");
  respond("CON", 7, "a"); // retransmission
  respond("NON", 8, "b");
  respond("NON", 8, "b"); // duplicate
  await clock.tick(1000);
  await done;
  assertEquals(got, ["CON a", "NON b"]);
  assertEquals(acks.map((ack) => ack.messageId), [7, 7]);
});

Deno.test("multicast() ends on abort, and on close with CoapClosedError", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const client = new CoapEndpoint(network.bind(), { clock });
  const controller = new AbortController();
  const aborted = client.multicast(TO_GROUP, { code: CoapCode.GET }, {
    onResponse: () => {},
    signal: controller.signal,
  });
  controller.abort(new Error("enough"));
  await assertRejects(() => aborted, Error, "enough");
  const closed = client.multicast(TO_GROUP, { code: CoapCode.GET }, {
    onResponse: () => {},
  }).catch((error) => error);
  await client.close();
  assertInstanceOf(await closed, CoapClosedError);
  await assertRejects(
    () =>
      client.multicast(TO_GROUP, { code: CoapCode.GET }, {
        onResponse: () => {},
      }),
    CoapClosedError,
  );
});

Deno.test("multicast() does not take the message ID of a CON still in flight to any peer", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  // Every peer's message ID sequence starts at 0 (random: () => 0).
  await using client = new CoapEndpoint(network.bind(), {
    clock,
    random: () => 0,
  });
  const unanswered = client.request({ hostname: "10.0.0.5", port: 5683 }, {
    code: CoapCode.GET,
  })
    .catch(() => {});
  const sent: CoapMessage[] = [];
  const done = client.multicast(TO_GROUP, { code: CoapCode.GET }, {
    onResponse: () => {},
    onSent: (message) => sent.push(message),
    timeout: 10,
  });
  await clock.tick(10);
  await done;
  assertEquals(sent[0]!.messageId, 1);
  await client.close();
  await unanswered;
});

Deno.test("an endpoint without a handler answers a group request with 4.04 only when errors are asked for", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  await using _server = new CoapEndpoint(
    network.bind({ hostname: "10.0.0.1", port: 5683, groups: [GROUP] }),
    { clock, multicastResponses: "all", multicastLeisure: 0 },
  );
  const peer = rawPeer(network);
  peer.send(TO_GROUP, { type: "NON", code: CoapCode.GET });
  await clock.tick(0);
  assertEquals(
    peer.received.map(({ message }) => [message.type, message.code]),
    [["NON", CoapCode.NOT_FOUND]],
  );
});
