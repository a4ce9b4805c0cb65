// Copyright 2026 the microcoap authors. MIT license.
// Destinations spelled another way than transports report senders (IPv6
// zero compression, upper case, IPv4-mapped): responses still match, RFC
// 7252 §5.3.2 (matching is by endpoint, and an address has many spellings).
import { assert, assertEquals } from "@std/assert";
import { CoapCode } from "@microcoap/codec";
import type { CoapMessage } from "@microcoap/codec";
import { bindUdp, FakeClock, MemoryNetwork } from "@microcoap/transport";
import type { PeerAddress } from "@microcoap/transport";
import { CoapEndpoint } from "./mod.ts";
import type { IncomingRequest } from "./mod.ts";
import { hasIpv6Loopback } from "../../test_util/ipv6.ts";

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

function answering(calls: IncomingRequest[]) {
  return (request: IncomingRequest) => {
    calls.push(request);
    return { code: CoapCode.CONTENT, payload: text(request.peer.hostname) };
  };
}

Deno.test("request(), send() and ping() match answers to a destination spelled another way than its sender is reported", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const calls: IncomingRequest[] = [];
  await using six = new CoapEndpoint(network.bind({ hostname: "::1" }), {
    clock,
    handler: answering(calls),
  });
  await using four = new CoapEndpoint(
    network.bind({ hostname: "127.0.0.1" }),
    { clock, handler: answering(calls) },
  );
  await using client = new CoapEndpoint(
    network.bind({ hostname: "2001:db8::7" }),
    { clock },
  );
  const sent: PeerAddress[] = [];
  const spellings: [string, number][] = [
    ["0:0:0:0:0:0:0:1", six.localAddress.port],
    ["0:0::1", six.localAddress.port],
    ["::FFFF:127.0.0.1", four.localAddress.port],
    ["::ffff:7f00:1", four.localAddress.port],
  ];
  for (const [hostname, port] of spellings) {
    for (const confirmable of [true, false]) {
      const answer = client.request(
        { hostname, port },
        { code: CoapCode.GET },
        { confirmable, onSent: () => sent.push({ hostname, port }) },
      );
      await clock.runAll();
      const response = await answer;
      assertEquals(response.code, CoapCode.CONTENT, hostname);
      assertEquals(str(response.payload), "2001:db8::7");
    }
    // An unexpected CON response is answered with RST: matched by peer too.
    const reset = client.send({ hostname, port }, {
      type: "CON",
      code: CoapCode.CONTENT,
      token: new Uint8Array([1]),
    }).catch((error: Error) => error.name);
    await clock.runAll();
    assertEquals(await reset, "CoapResetError");
    const rtt = client.ping({ hostname, port });
    await clock.runAll();
    assert((await rtt) >= 0);
  }
  assertEquals(calls.length, 8);
  assertEquals(sent.length, 8);
});

Deno.test("sendMessage() hands the transport the destination as transports report it", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const transport = network.bind({ hostname: "::1" });
  const destinations: PeerAddress[] = [];
  const send = transport.send.bind(transport);
  transport.send = (data, to) => {
    destinations.push(to);
    send(data, to);
  };
  await using client = new CoapEndpoint(transport, { clock });
  const message: CoapMessage = {
    type: "NON",
    code: CoapCode.GET,
    messageId: 1,
    token: new Uint8Array(0),
    options: [],
    payload: new Uint8Array(0),
  };
  for (const hostname of ["::FFFF:127.0.0.1", "0:0::1", "10.0.0.1"]) {
    client.sendMessage({ hostname, port: 5683 }, message);
  }
  assertEquals(destinations, [
    { hostname: "127.0.0.1", port: 5683 },
    { hostname: "::1", port: 5683 },
    { hostname: "10.0.0.1", port: 5683 },
  ]);
});

Deno.test({
  name:
    "over UDP, requests to IPv6 spellings of a dual-stack server's address get their responses",
  ignore: !hasIpv6Loopback,
  async fn() {
    const calls: IncomingRequest[] = [];
    await using server = new CoapEndpoint(
      await bindUdp({ hostname: "::", port: 0 }),
      { handler: answering(calls) },
    );
    const { port } = server.localAddress;
    for (
      const [bind, targets] of [
        ["::", [
          "::1",
          "0:0::1",
          "0000:0000:0000:0000:0000:0000:0000:0001",
          "::ffff:127.0.0.1",
          "::FFFF:127.0.0.1",
          "::ffff:7f00:1",
          "127.0.0.1",
        ]],
        ["127.0.0.1", ["127.0.0.1", "::ffff:127.0.0.1"]],
        ["::1", ["::1", "0:0::1", "::1%lo"]],
      ] as const
    ) {
      await using client = new CoapEndpoint(
        await bindUdp({ hostname: bind, port: 0 }),
      );
      for (const hostname of targets) {
        const response = await client.request(
          { hostname, port },
          { code: CoapCode.GET },
          { signal: AbortSignal.timeout(10_000) },
        );
        assertEquals(response.code, CoapCode.CONTENT, hostname);
        assertEquals(
          str(response.payload),
          hostname.toLowerCase().includes("127") || hostname.includes("7f00")
            ? "127.0.0.1"
            : "::1",
          hostname,
        );
      }
    }
  },
});
