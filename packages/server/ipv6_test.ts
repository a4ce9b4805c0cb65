// Copyright 2026 the microcoap authors. MIT license.
// A server on ::1 and on the dual-stack ::, reached over 127.0.0.1, ::1 and
// ::ffff:127.0.0.1: what a user on an IPv6-first network meets.
import { assertEquals } from "@std/assert";
import { createSocket } from "node:dgram";
import { CoapCode, decode, encode } from "@microcoap/codec";
import { CoapClient } from "@microcoap/client";
import { CoapServer } from "./mod.ts";
import type { CoapServerOptions } from "./mod.ts";
import { hasIpv6Loopback } from "../../test_util/ipv6.ts";

const big = "x".repeat(3000);

async function serve(options: CoapServerOptions) {
  const peers: string[] = [];
  const verified: string[] = [];
  const server = new CoapServer({
    logger: (event) => {
      if (event.kind === "peer-verified") {
        verified.push(event.peer?.hostname ?? "");
      }
    },
    port: 0,
    nativeUdp: false,
    separateResponseDelay: 20,
    discovery: true,
    ...options,
  } as CoapServerOptions);
  server.get("/hello", (request) => {
    peers.push(request.peer.hostname);
    return { payload: request.peer.hostname };
  });
  server.get("/big", () => ({ payload: big }));
  server.put("/up", (request) => ({ payload: `${request.payload.length}` }));
  server.get("/slow", async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { payload: "late" };
  });
  const clock = server.get("/obs", () => ({ payload: "0" }), {
    observable: true,
  });
  const { port } = await server.listen();
  return { server, port, peers, clock, verified };
}

for (
  const [label, options, targets] of [
    ["::1", { hostname: "::1" }, [["[::1]", "::1"]]],
    ["::", { hostname: "::" }, [
      ["[::1]", "::1"],
      ["127.0.0.1", "127.0.0.1"],
      ["[::ffff:127.0.0.1]", "127.0.0.1"],
    ]],
    ["ipv6: true", { ipv6: true }, [
      ["[::1]", "::1"],
      ["127.0.0.1", "127.0.0.1"],
    ]],
    ["::, verifyPeers", { hostname: "::", verifyPeers: "echo" }, [
      ["[::1]", "::1"],
      ["127.0.0.1", "127.0.0.1"],
    ]],
  ] as const
) {
  Deno.test({
    name:
      `a server on ${label} serves GET, Block2, Block1, separate responses, discovery and observe to each peer`,
    ignore: !hasIpv6Loopback,
    async fn() {
      const { server, port, peers, clock, verified } = await serve(
        options as CoapServerOptions,
      );
      await using _server = server;
      await using client = new CoapClient({ timeout: 10_000 });
      for (const [host, sender] of targets) {
        const base = `coap://${host}:${port}`;
        assertEquals((await client.get(`${base}/hello`)).text(), sender);
        assertEquals((await client.get(`${base}/big`)).text(), big);
        assertEquals(
          (await client.put(`${base}/up`, { payload: big })).text(),
          "3000",
        );
        assertEquals((await client.get(`${base}/slow`)).text(), "late");
        const core = (await client.get(`${base}/.well-known/core`)).text();
        assertEquals(core.includes("</obs>;obs"), true, core);
        const seen: string[] = [];
        for await (const response of client.observe(`${base}/obs`)) {
          seen.push(response.text());
          if (seen.length === 2) break;
          assertEquals(clock.notify({ payload: sender }), 1);
        }
        assertEquals(seen, ["0", sender]);
      }
      assertEquals(peers, targets.map(([, sender]) => sender));
      // With Echo (RFC 9175), each host proved its address once, the large
      // response to it being held back until then.
      assertEquals(
        verified,
        "verifyPeers" in options ? targets.map(([, sender]) => sender) : [],
      );
    },
  });
}

Deno.test({
  name:
    "a retransmission from an IPv6 peer is answered from the duplicate cache, the handler running once",
  ignore: !hasIpv6Loopback,
  async fn() {
    const { server, port, peers } = await serve({ hostname: "::" });
    await using _server = server;
    const socket = createSocket({ type: "udp6", ipv6Only: true });
    await new Promise<void>((resolve) => socket.bind(0, "::1", resolve));
    const replies: Uint8Array[] = [];
    let wake = () => {};
    socket.on("message", (data: Uint8Array) => {
      replies.push(new Uint8Array(data));
      wake();
    });
    try {
      const request = encode({
        type: "CON",
        code: CoapCode.GET,
        messageId: 0x1234,
        token: new Uint8Array([7]),
        options: [{ number: 11, value: new TextEncoder().encode("hello") }],
        payload: new Uint8Array(0),
      });
      // The same datagram to two spellings of the server's address.
      for (const hostname of ["::1", "0:0:0:0:0:0:0:1"]) {
        const arrived = new Promise<void>((resolve) => wake = resolve);
        socket.send(request, port, hostname);
        await arrived;
      }
      assertEquals(peers, ["::1"]);
      assertEquals(replies.length, 2);
      assertEquals(replies[1], replies[0]);
      assertEquals(decode(replies[0]!).messageId, 0x1234);
    } finally {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
  },
});
