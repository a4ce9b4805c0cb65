// Copyright 2026 the microcoap authors. MIT license.
import {
  assert,
  assertEquals,
  assertFalse,
  assertStringIncludes,
} from "@std/assert";
import { CoapCode, decode, encode } from "@microcoap/codec";
import { CoapEndpoint } from "@microcoap/endpoint";
import { bindUdp } from "@microcoap/transport";
import type { CustomSocket, CustomSocketAddress } from "@microcoap/transport";
import {
  Coap,
  COAP_CONTENT_FORMAT,
  COAP_CONTENT_TYPE,
  COAP_METHOD,
  COAP_OPTION_NUMBER,
  COAP_RESPONSE_CODE,
  COAP_TYPE,
  CoapPacket,
} from "./mod.ts";
import { coapClient, hasLibcoap } from "../../test_util/libcoap.ts";
import { hasIpv6Loopback } from "../../test_util/ipv6.ts";

const str = (b: Uint8Array) => new TextDecoder().decode(b);
const text = (s: string) => new TextEncoder().encode(s);

Deno.test("constants keep microCoAPy's names and values, misspellings included", () => {
  assertEquals(COAP_TYPE, {
    COAP_CON: 0,
    COAP_NONCON: 1,
    COAP_ACK: 2,
    COAP_RESET: 3,
  });
  assertEquals(COAP_METHOD.COAP_GET, 1);
  assertEquals(COAP_METHOD.COAP_DELETE, 4);
  assertEquals(COAP_RESPONSE_CODE.COAP_CONTENT, 69);
  assertEquals(COAP_RESPONSE_CODE.COAP_NOT_FOUNT, 132);
  assertEquals(COAP_RESPONSE_CODE.COAP_NOT_FOUND, 132);
  assertEquals(COAP_RESPONSE_CODE.COAP_METHOD_NOT_ALLOWD, 133);
  assertEquals(COAP_RESPONSE_CODE.COAP_SERVICE_UNAVALIABLE, 163);
  assertEquals(COAP_RESPONSE_CODE.COAP_PROXYING_NOT_SUPPORTED, 165);
  // Every name is CoapCode's, less the prefix and the misspellings.
  const typos: Record<string, string> = {
    NOT_FOUNT: "NOT_FOUND",
    METHOD_NOT_ALLOWD: "METHOD_NOT_ALLOWED",
    SERVICE_UNAVALIABLE: "SERVICE_UNAVAILABLE",
  };
  for (const [name, code] of Object.entries(COAP_RESPONSE_CODE)) {
    const bare = name.slice("COAP_".length);
    assertEquals(
      code,
      CoapCode[(typos[bare] ?? bare) as keyof typeof CoapCode],
      name,
    );
  }
  assertEquals(COAP_OPTION_NUMBER.COAP_E_TAG, 4);
  assertEquals(COAP_OPTION_NUMBER.COAP_PROXY_SCHEME, 39);
  assertEquals(COAP_CONTENT_FORMAT.COAP_NONE, -1);
  assertEquals(COAP_CONTENT_FORMAT.COAP_APPLICATION_CBOR, 60);
  assertEquals(COAP_CONTENT_TYPE, COAP_CONTENT_FORMAT);
});

Deno.test("CoapPacket prints in microCoAPy's format and splits paths and queries", () => {
  const packet = new CoapPacket();
  packet.type = COAP_TYPE.COAP_ACK;
  packet.method = COAP_RESPONSE_CODE.COAP_CONTENT;
  packet.messageid = 4242;
  packet.payload = new Uint8Array([0x32, 0x27, 0x0a, 0xff]);
  assertEquals(
    packet.toString(),
    "type: ACK, method: 2.05, messageid: 4242, payload: bytearray(b'2\\'\\n\\xff')",
  );
  packet.payload = new Uint8Array(0);
  assertStringIncludes(packet.toString(), "payload: None");
  const request = new CoapPacket();
  request.setUriPath("/led//turn%20on/?state=1&x=y");
  assertEquals(
    request.options.map((o) => [o.number, str(o.buffer)]),
    [[11, "led"], [11, "turn on"], [15, "state=1"], [15, "x=y"]],
  );
  request.code = 3;
  assertEquals(request.method, 3);
});

async function pair() {
  const server = new Coap({ separateResponseDelay: 50 });
  const client = new Coap();
  await server.start(0, "127.0.0.1");
  await client.start(0, "127.0.0.1");
  const received: { packet: CoapPacket; sender: [string, number] }[] = [];
  client.responseCallback = (packet, sender) =>
    received.push({ packet, sender });
  return { server, client, received };
}

Deno.test("get/put/post reach a request callback, and sendResponse piggybacks the answer", async () => {
  const { server, client, received } = await pair();
  const seen: string[] = [];
  server.addIncomingRequestCallback("current/measure", (packet, ip, port) => {
    seen.push(`${packet.method} ${str(packet.payload)} ${ip}`);
    server.sendResponse(
      ip,
      port,
      packet.messageid,
      "222",
      COAP_RESPONSE_CODE.COAP_CONTENT,
      COAP_CONTENT_FORMAT.COAP_TEXT_PLAIN,
      packet.token,
    );
  });
  try {
    const messageId = await client.get(
      "127.0.0.1",
      server.port,
      "current/measure",
    );
    assert(messageId > 0);
    assert(await server.poll(2000));
    assert(await client.poll(2000));
    const [{ packet, sender }] = received as [typeof received[0]];
    assertEquals(packet.type, COAP_TYPE.COAP_ACK);
    assertEquals(packet.method, COAP_RESPONSE_CODE.COAP_CONTENT);
    assertEquals(packet.messageid, messageId);
    assertEquals(packet.content_format, 0);
    assertEquals(str(packet.payload), "222");
    assertEquals(sender, ["127.0.0.1", server.port]);

    await client.put(
      "127.0.0.1",
      server.port,
      "current/measure",
      "on",
      null,
      0,
    );
    assert(await server.poll(2000));
    assert(await client.poll(2000));
    await client.postNonConf("127.0.0.1", server.port, "current/measure", "x");
    assert(await server.poll(2000));
    assert(await client.poll(2000));
    assertEquals(received[2]!.packet.type, COAP_TYPE.COAP_NONCON);
    assertEquals(seen, ["1  127.0.0.1", "3 on 127.0.0.1", "2 x 127.0.0.1"]);
  } finally {
    await client.stop();
    await server.stop();
  }
});

Deno.test("unknown paths get 4.04 even when the server has a responseCallback", async () => {
  const { server, client, received } = await pair();
  server.responseCallback = () => {
    throw new Error("requests must not reach the response callback");
  };
  try {
    await client.get("127.0.0.1", server.port, "nothing/here");
    assert(await client.poll(2000));
    assertEquals(received[0]!.packet.method, COAP_RESPONSE_CODE.COAP_NOT_FOUND);
    assertFalse(await server.poll(50));
  } finally {
    await client.stop();
    await server.stop();
  }
});

Deno.test("a late sendResponse becomes a separate response, acknowledged with an empty ACK", async () => {
  const { server, client, received } = await pair();
  const lines: string[] = [];
  client.debug = true;
  const clientWithLog = new Coap({ debug: true, log: (l) => lines.push(l) });
  await clientWithLog.start(0, "127.0.0.1");
  clientWithLog.responseCallback = (packet, sender) =>
    received.push({ packet, sender });
  server.addIncomingRequestCallback("slow", async (packet, ip, port) => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.sendResponse(
      ip,
      port,
      packet.messageid,
      "late",
      69,
      -1,
      packet.token,
    );
  });
  try {
    await clientWithLog.get("127.0.0.1", server.port, "slow");
    assert(await server.poll(2000));
    assert(await clientWithLog.poll(2000));
    assertEquals(str(received[0]!.packet.payload), "late");
    assertEquals(received[0]!.packet.type, COAP_TYPE.COAP_CON);
    // The client's debug log shows the empty ACK for the separate response.
    assert(
      lines.some((l) =>
        l.includes("Packet sent") && l.includes("type: ACK, method: 0.00")
      ),
      lines.join("\n"),
    );
  } finally {
    await clientWithLog.stop();
    await client.stop();
    await server.stop();
  }
});

Deno.test("a callback that sends no response still gets the CON acknowledged", async () => {
  const server = new Coap();
  await server.start(0, "127.0.0.1");
  server.addIncomingRequestCallback("quiet", () => {});
  await using raw = await bindUdp({ hostname: "127.0.0.1" });
  const replies: Uint8Array[] = [];
  raw.listen({ onDatagram: (data) => replies.push(data) });
  try {
    raw.send(
      encode({
        type: "CON",
        code: CoapCode.GET,
        messageId: 99,
        token: new Uint8Array([1]),
        options: [{ number: 11, value: text("quiet") }],
        payload: new Uint8Array(0),
      }),
      { hostname: "127.0.0.1", port: server.port },
    );
    assert(await server.poll(2000));
    for (let i = 0; i < 100 && replies.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const ack = decode(replies[0]!);
    assertEquals([ack.type, ack.code, ack.messageId, ack.token.length], [
      "ACK",
      0,
      99,
      0,
    ]);
  } finally {
    await server.stop();
  }
});

Deno.test("loop() handles one packet per call; non-blocking loop() returns false when idle", async () => {
  const { server, client } = await pair();
  let calls = 0;
  server.addIncomingRequestCallback("a", (packet, ip, port) => {
    calls++;
    server.sendResponse(ip, port, packet.messageid, null, 69, -1, packet.token);
  });
  try {
    assertFalse(await server.loop(false));
    const other = await bindUdp({ hostname: "127.0.0.1" });
    const second = new CoapEndpoint(other);
    const answers = Promise.all([
      client.get("127.0.0.1", server.port, "a"),
      second.request({ hostname: "127.0.0.1", port: server.port }, {
        code: 1,
        options: [{ number: 11, value: text("a") }],
      }),
    ]);
    assert(await server.loop(true));
    assertEquals(calls, 1);
    assert(await server.loop(true));
    assertEquals(calls, 2);
    await answers;
    await second.close();
  } finally {
    await client.stop();
    await server.stop();
  }
});

/** Two microCoAPy-style sockets wired to each other in memory. */
function socketPair(): [CustomSocket, CustomSocket] {
  const queues: [Uint8Array, CustomSocketAddress][][] = [[], []];
  const addresses: CustomSocketAddress[] = [["10.0.0.1", 5683], [
    "10.0.0.2",
    5683,
  ]];
  const make = (me: 0 | 1): CustomSocket => ({
    sendto(bytes, address) {
      const to = address[0] === addresses[0]![0] ? 0 : 1;
      queues[to]!.push([bytes.slice(), addresses[me]!]);
      return bytes.length;
    },
    recvfrom: () => queues[me]!.shift() ?? null,
    setblocking: () => {},
    getsockname: () => addresses[me]!,
  });
  return [make(0), make(1)];
}

Deno.test("setCustomSocket carries requests and responses over a custom socket", async () => {
  const [a, b] = socketPair();
  const server = new Coap();
  const client = new Coap();
  server.setCustomSocket(a);
  client.setCustomSocket(b);
  const received: CoapPacket[] = [];
  client.responseCallback = (packet) => received.push(packet);
  server.addIncomingRequestCallback("current/measure", (packet, ip, port) => {
    server.sendResponse(
      ip,
      port,
      packet.messageid,
      "222",
      69,
      -1,
      packet.token,
    );
  });
  try {
    assert(await client.get("10.0.0.1", 5683, "current/measure") > 0);
    assert(await server.poll(2000));
    assert(await client.poll(2000));
    assertEquals(str(received[0]!.payload), "222");
  } finally {
    await client.stop();
    await server.stop();
  }
});

Deno.test({
  name: "libcoap's coap-client talks to a Coap server",
  ignore: !hasLibcoap,
  async fn() {
    const server = new Coap();
    await server.start(0, "127.0.0.1");
    server.addIncomingRequestCallback("current/measure", (packet, ip, port) => {
      server.sendResponse(
        ip,
        port,
        packet.messageid,
        "222",
        69,
        0,
        packet.token,
      );
    });
    let serving = true;
    const loop = (async () => {
      while (serving) await server.poll(100);
    })();
    try {
      const url = `coap://127.0.0.1:${server.port}`;
      const run = await coapClient([
        "-B",
        "5",
        "-m",
        "get",
        `${url}/current/measure`,
      ]);
      assertEquals(run.stdout.trim(), "222");
      const non = await coapClient([
        "-B",
        "5",
        "-N",
        "-m",
        "get",
        `${url}/current/measure`,
      ]);
      assertEquals(non.stdout.trim(), "222");
      const missing = await coapClient([
        "-B",
        "5",
        "-m",
        "get",
        `${url}/other`,
      ]);
      assertStringIncludes(missing.stdout + missing.stderr, "4.04");
    } finally {
      serving = false;
      await loop;
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "a Coap server refuses a block-wise upload from coap-client with 4.02 instead of passing on its first block",
  ignore: !hasLibcoap,
  async fn() {
    const server = new Coap();
    await server.start(0, "127.0.0.1");
    const payloads: string[] = [];
    server.addIncomingRequestCallback("store", (packet, ip, port) => {
      payloads.push(str(packet.payload));
      server.sendResponse(
        ip,
        port,
        packet.messageid,
        "ok",
        68,
        0,
        packet.token,
      );
    });
    let serving = true;
    const loop = (async () => {
      while (serving) await server.poll(100);
    })();
    try {
      const url = `coap://127.0.0.1:${server.port}/store`;
      const body = "0123456789abcdef".repeat(4);
      // Block1 is critical (RFC 7959 §2.2): a callback gets one datagram's
      // payload, so the body would arrive cut at the first block.
      const blocks = await coapClient(
        ["-B", "5", "-m", "put", "-b", "16", "-e", body, url],
      );
      assertStringIncludes(blocks.stdout + blocks.stderr, "4.02");
      assertEquals(payloads, []);
      const whole = await coapClient(["-B", "5", "-m", "put", "-e", body, url]);
      assertEquals(whole.stdout.trim(), "ok");
      assertEquals(payloads, [body]);
    } finally {
      serving = false;
      await loop;
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "requests to IPv6 spellings of a dual-stack server's address get their responses, reported from the address the socket saw",
  ignore: !hasIpv6Loopback,
  async fn() {
    const server = new Coap();
    const client = new Coap();
    await server.start(0, "::");
    await client.start(0, "::");
    const received: [string, number][] = [];
    client.responseCallback = (_packet, sender) => received.push(sender);
    const seen: string[] = [];
    server.addIncomingRequestCallback("m", (packet, ip, port) => {
      seen.push(ip);
      server.sendResponse(
        ip,
        port,
        packet.messageid,
        "ok",
        69,
        -1,
        packet.token,
      );
    });
    try {
      for (
        const ip of [
          "::1",
          "0:0:0:0:0:0:0:1",
          "::FFFF:127.0.0.1",
          "127.0.0.1",
        ]
      ) {
        assert(await client.get(ip, server.port, "m") > 0, ip);
        assert(await server.poll(2000), ip);
        assert(await client.poll(2000), ip);
      }
      assertEquals(seen, ["::1", "::1", "127.0.0.1", "127.0.0.1"]);
      assertEquals(received, [
        ["::1", server.port],
        ["::1", server.port],
        ["127.0.0.1", server.port],
        ["127.0.0.1", server.port],
      ]);
    } finally {
      await client.stop();
      await server.stop();
    }
  },
});
