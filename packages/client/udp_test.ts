// Copyright 2026 the microcoap authors. MIT license.
// End to end over real UDP sockets on 127.0.0.1 and ::1, against a
// CoapEndpoint server.
import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  CoapCode,
  CoapOptionNumber,
  encodeObserve,
  getOption,
  uriPath,
} from "@microcoap/codec";
import type { CoapMessage } from "@microcoap/codec";
import { CoapEndpoint } from "@microcoap/endpoint";
import type { IncomingRequest } from "@microcoap/endpoint";
import { bindUdp } from "@microcoap/transport";
import type { PeerAddress } from "@microcoap/transport";
import { CoapClient, CoapClosedError, CoapDnsError } from "./mod.ts";
import { body, serveBlock, str, text } from "./_test_helpers.ts";

interface UdpServer {
  endpoint: CoapEndpoint;
  requests: IncomingRequest[];
  url: string;
  close(): Promise<void>;
}

async function udpServer(
  hostname: string,
  handler: (
    request: IncomingRequest,
  ) => ReturnType<NonNullable<CoapEndpoint["handler"]>>,
  port = 0,
): Promise<UdpServer> {
  const requests: IncomingRequest[] = [];
  const endpoint = new CoapEndpoint(await bindUdp({ hostname, port }), {
    handler: (request) => {
      requests.push(request);
      return handler(request);
    },
  });
  const { port: bound } = endpoint.localAddress;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    endpoint,
    requests,
    url: `coap://${host}:${bound}`,
    close: () => endpoint.close(),
  };
}

const big = body(5000, 3);

function resources({ message }: IncomingRequest) {
  const path = uriPath(message).join("/");
  if (path === "big") {
    return serveBlock(message, { body: () => big, maxSize: 256 });
  }
  if (path === "echo") {
    return { code: CoapCode.CONTENT, payload: message.payload };
  }
  return { code: CoapCode.CONTENT, payload: text(`hello ${path}`) };
}

for (const hostname of ["127.0.0.1", "::1"]) {
  Deno.test(`requests over UDP to ${hostname}: GET, PUT, block-wise GET, ping`, async () => {
    const server = await udpServer(hostname, resources);
    const client = new CoapClient({ timeout: 10_000 });
    try {
      const hello = await client.get(`${server.url}/a`);
      assertEquals(hello.text(), "hello a");
      assertEquals(hello.peer, server.endpoint.localAddress);
      assertEquals(server.requests[0]!.peer.hostname, hostname);
      const echoed = await client.put(`${server.url}/echo`, {
        payload: big.subarray(0, 1000),
      });
      assertEquals(echoed.payload, big.subarray(0, 1000));
      const got = await client.get(`${server.url}/big`);
      assertEquals(got.payload, big);
      assert((await client.ping(server.url)) >= 0);
    } finally {
      await client.close();
      await server.close();
    }
  });
}

Deno.test("one client talks to IPv4 and IPv6 servers, one socket per family, both closed by close()", async () => {
  const v4 = await udpServer("127.0.0.1", resources);
  const v6 = await udpServer("::1", resources);
  const client = new CoapClient({ timeout: 10_000 });
  try {
    assertEquals((await client.get(`${v4.url}/four`)).text(), "hello four");
    assertEquals((await client.get(`${v6.url}/six`)).text(), "hello six");
    assertEquals((await client.get(`${v4.url}/again`)).text(), "hello again");
    assertEquals((await client.get(`${v6.url}/again`)).text(), "hello again");
    // Each family's requests come from one socket.
    const v4Ports = new Set(v4.requests.map((r) => r.peer.port));
    const v6Ports = new Set(v6.requests.map((r) => r.peer.port));
    assertEquals(v4Ports.size, 1);
    assertEquals(v6Ports.size, 1);
    assertEquals(v4.requests[0]!.peer.hostname, "127.0.0.1");
    assertEquals(v6.requests[0]!.peer.hostname, "::1");
  } finally {
    await client.close();
  }
  await assertRejects(() => client.get(`${v4.url}/x`), CoapClosedError);
  await v4.close();
  await v6.close();
});

Deno.test("an IPv4-mapped IPv6 literal (coap://[::ffff:127.0.0.1]/) reaches the IPv4 server and its response matches", async () => {
  const server = await udpServer("127.0.0.1", resources);
  const client = new CoapClient({ timeout: 5_000 });
  try {
    const { port } = server.endpoint.localAddress;
    const response = await client.get(`coap://[::ffff:127.0.0.1]:${port}/m`);
    assertEquals(response.text(), "hello m");
    assertEquals(response.peer, { hostname: "127.0.0.1", port });
    // An IP literal is not a Uri-Host (RFC 7252 §6.4 step 5).
    assertEquals(
      getOption(server.requests[0]!.message, CoapOptionNumber.URI_HOST),
      undefined,
    );
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("the client binds the given hostname and port", async () => {
  const server = await udpServer("127.0.0.1", resources);
  // A free port for the client.
  const probe = await bindUdp({ hostname: "127.0.0.1" });
  const port = probe.localAddress.port;
  await probe.close();
  const client = new CoapClient({
    hostname: "127.0.0.1",
    port,
    timeout: 10_000,
  });
  try {
    await client.get(`${server.url}/x`);
    assertEquals(server.requests[0]!.peer, { hostname: "127.0.0.1", port });
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("localhost resolves with the system resolver and is sent as Uri-Host", async () => {
  // Listen on both loopback addresses with one port, whichever localhost is.
  const v4 = await udpServer("127.0.0.1", resources);
  const port = v4.endpoint.localAddress.port;
  let v6: UdpServer | undefined;
  try {
    v6 = await udpServer("::1", resources, port);
  } catch {
    v6 = undefined; // The port is taken on ::1; localhost must then be 127.0.0.1 here.
  }
  const client = new CoapClient({ timeout: 10_000 });
  try {
    const response = await client.get(`coap://localhost:${port}/named`);
    assertEquals(response.text(), "hello named");
    const request = [...v4.requests, ...(v6?.requests ?? [])][0]!;
    assertEquals(
      str(getOption(request.message, CoapOptionNumber.URI_HOST)!),
      "localhost",
    );
    await using failing = new CoapClient({
      lookup: () => Promise.reject(new Error("no")),
    });
    await assertRejects(() => failing.get("coap://x.test/"), CoapDnsError);
  } finally {
    await client.close();
    await v4.close();
    await v6?.close();
  }
});

Deno.test("observe over UDP on ::1: notifications, then cancel() deregisters", async () => {
  let registration: { token: Uint8Array; peer: PeerAddress } | undefined;
  let deregistered: CoapMessage | undefined;
  let notified: () => void = () => {};
  const registered = new Promise<void>((resolve) => notified = resolve);
  const server = await udpServer("::1", ({ message, peer }) => {
    const observe = getOption(message, CoapOptionNumber.OBSERVE);
    if (observe?.length === 0) {
      registration = { token: message.token, peer };
      notified();
      return {
        code: CoapCode.CONTENT,
        options: [{
          number: CoapOptionNumber.OBSERVE,
          value: encodeObserve(1),
        }],
        payload: text("n1"),
      };
    }
    deregistered = message;
    return { code: CoapCode.CONTENT, payload: text("plain") };
  });
  const client = new CoapClient({ timeout: 10_000 });
  try {
    const observation = client.observe(`${server.url}/obs`);
    const texts: string[] = [];
    const first = await observation.next();
    texts.push(first.value!.text());
    await registered;
    for (let sequence = 2; sequence <= 3; sequence++) {
      await server.endpoint.send(registration!.peer, {
        type: "CON",
        code: CoapCode.CONTENT,
        token: registration!.token,
        options: [{
          number: CoapOptionNumber.OBSERVE,
          value: encodeObserve(sequence),
        }],
        payload: text(`n${sequence}`),
      });
      texts.push((await observation.next()).value!.text());
    }
    assertEquals(texts, ["n1", "n2", "n3"]);
    await observation.cancel();
    assertEquals(deregistered?.token, registration!.token);
    assertEquals(
      getOption(deregistered!, CoapOptionNumber.OBSERVE),
      new Uint8Array([1]),
    );
  } finally {
    await client.close();
    await server.close();
  }
});
