// Copyright 2026 the microcoap authors. MIT license.
// The message layer over real UDP on loopback, and against libcoap.
import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import { CoapCode, uriPath } from "@microcoap/codec";
import { bindUdp } from "@microcoap/transport";
import type {
  PeerAddress,
  Transport,
  TransportReceiver,
} from "@microcoap/transport";
import { CoapEndpoint, CoapTimeoutError } from "./mod.ts";
import type { IncomingRequest } from "./mod.ts";
import {
  coapClient,
  hasLibcoap,
  startLibcoapServer,
} from "../../test_util/libcoap.ts";

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

/** A tiny handler: /hello → "hello world", /slow → separate response, /echo → the payload. */
function handler(calls: IncomingRequest[]) {
  return (request: IncomingRequest) => {
    calls.push(request);
    const path = uriPath(request.message).join("/");
    if (path === "hello") {
      return { code: CoapCode.CONTENT, payload: text("hello world") };
    }
    if (path === "echo") {
      return { code: CoapCode.CHANGED, payload: request.message.payload };
    }
    if (path === "slow") {
      return new Promise<{ code: number; payload: Uint8Array }>((resolve) =>
        setTimeout(
          () => resolve({ code: CoapCode.CONTENT, payload: text("slow") }),
          300,
        )
      );
    }
    return { code: CoapCode.NOT_FOUND };
  };
}

const GET_HELLO = {
  code: CoapCode.GET,
  options: [{ number: 11, value: text("hello") }],
};

for (const hostname of ["127.0.0.1", "::1"]) {
  Deno.test(`endpoints exchange requests, pings and separate responses over UDP on ${hostname}`, async () => {
    const calls: IncomingRequest[] = [];
    await using server = new CoapEndpoint(await bindUdp({ hostname }), {
      handler: handler(calls),
      separateResponseDelay: 50,
    });
    await using client = new CoapEndpoint(await bindUdp({ hostname }));
    const response = await client.request(server.localAddress, GET_HELLO);
    assertEquals(str(response.payload), "hello world");
    assertEquals(response.type, "ACK");
    const non = await client.request(server.localAddress, GET_HELLO, {
      confirmable: false,
    });
    assertEquals(non.type, "NON");
    const slow = await client.request(server.localAddress, {
      code: CoapCode.GET,
      options: [{ number: 11, value: text("slow") }],
    });
    assertEquals(str(slow.payload), "slow");
    assertEquals(slow.type, "CON");
    assert((await client.ping(server.localAddress)) >= 0);
    assertEquals(calls.length, 3);
  });
}

Deno.test("a CON request to a closed port times out with CoapTimeoutError", async () => {
  const closed = await bindUdp({ hostname: "127.0.0.1" });
  const peer = closed.localAddress;
  await closed.close();
  await using client = new CoapEndpoint(
    await bindUdp({ hostname: "127.0.0.1" }),
    {
      ackTimeout: 20,
      ackRandomFactor: 1,
      maxRetransmit: 2,
      force: true,
    },
  );
  const error = await client.request(peer, GET_HELLO).catch((e) => e);
  assertInstanceOf(error, CoapTimeoutError);
});

/** Drops the first `n` datagrams the transport would send. */
function dropFirst(transport: Transport, n: number): Transport {
  let dropped = 0;
  return {
    get localAddress() {
      return transport.localAddress;
    },
    listen: (receiver: TransportReceiver) => transport.listen(receiver),
    send(data: Uint8Array, to: PeerAddress) {
      if (dropped++ < n) return;
      transport.send(data, to);
    },
    close: () => transport.close(),
    [Symbol.asyncDispose]: () => transport.close(),
  };
}

Deno.test({
  name:
    "libcoap's coap-client GETs from and pings the endpoint, and retransmits through loss",
  ignore: !hasLibcoap,
  async fn() {
    const calls: IncomingRequest[] = [];
    // The endpoint loses its first reply, so coap-client must retransmit and the
    // duplicate must be answered from the cache without running the handler again.
    await using server = new CoapEndpoint(
      dropFirst(await bindUdp({ hostname: "127.0.0.1" }), 1),
      {
        handler: handler(calls),
      },
    );
    const url = `coap://127.0.0.1:${server.localAddress.port}`;
    const lossy = await coapClient(["-B", "20", "-m", "get", `${url}/hello`]);
    assertEquals(lossy.stdout.trim(), "hello world");
    assertEquals(calls.length, 1);
    // coap-client's own loss option: its first datagram is never sent.
    const dropped = await coapClient([
      "-B",
      "20",
      "-l",
      "1",
      "-m",
      "put",
      "-e",
      "abc",
      `${url}/echo`,
    ]);
    assertEquals(dropped.stdout.trim(), "abc");
    const non = await coapClient([
      "-B",
      "5",
      "-N",
      "-m",
      "get",
      `${url}/hello`,
    ]);
    assertEquals(non.stdout.trim(), "hello world");
    const missing = await coapClient([
      "-B",
      "5",
      "-m",
      "get",
      `${url}/nothing`,
    ]);
    assert((missing.stdout + missing.stderr).includes("4.04"), missing.stderr);
    assertEquals(calls.length, 4);
  },
});

Deno.test({
  name: "the endpoint pings and GETs libcoap's coap-server on IPv4 and IPv6",
  ignore: !hasLibcoap,
  async fn() {
    for (const hostname of ["127.0.0.1", "::1"]) {
      await using libcoap = await startLibcoapServer({ hostname });
      await using client = new CoapEndpoint(await bindUdp({ hostname }));
      const peer = { hostname, port: libcoap.port };
      assert((await client.ping(peer)) >= 0);
      const response = await client.request(peer, {
        code: CoapCode.GET,
        options: [{ number: 11, value: text("time") }],
      });
      assertEquals(response.code, CoapCode.CONTENT);
      assert(response.payload.length > 0);
      const core = await client.request(peer, {
        code: CoapCode.GET,
        options: [
          { number: 11, value: text(".well-known") },
          { number: 11, value: text("core") },
        ],
      });
      assert(str(core.payload).includes("</time>"));
    }
  },
});

Deno.test({
  name:
    "libcoap's coap-client with 30% random loss gets every answer or gives up cleanly",
  ignore: !hasLibcoap,
  async fn() {
    const calls: IncomingRequest[] = [];
    await using server = new CoapEndpoint(
      await bindUdp({ hostname: "127.0.0.1" }),
      {
        handler: handler(calls),
      },
    );
    const url = `coap://127.0.0.1:${server.localAddress.port}/echo`;
    const runs = await Promise.all(
      ["a", "b", "c", "d"].map((p) =>
        coapClient(["-B", "30", "-l", "30%", "-m", "post", "-e", p, url])
      ),
    );
    let answered = 0;
    for (const [i, run] of runs.entries()) {
      if (run.code === 0 && run.stdout.trim() !== "") {
        assertEquals(run.stdout.trim(), "abcd"[i]);
        answered++;
      }
    }
    assert(answered >= 1, "at least one exchange completes through 30% loss");
    // Handled at most once each, whatever was retransmitted.
    const handled = calls.map((c) => str(c.message.payload));
    assertEquals(new Set(handled).size, handled.length);
  },
});
