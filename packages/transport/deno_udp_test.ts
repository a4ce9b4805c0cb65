// Copyright 2026 the microcoap authors. MIT license.
// Deno.listenDatagram exists only with --unstable-net. The tests of the
// transport itself run when it does; without it (as in `deno task test`) one
// test runs this file again in a `deno test --unstable-net` subprocess, so
// the native transport is exercised on every run.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import {
  bindDenoUdp,
  DenoUdpTransport,
  isDenoUdpAvailable,
} from "./deno_udp.ts";
import { TransportError } from "./transport_error.ts";
import { bindUdp } from "./udp.ts";
import { assertRoundTrip, bytes, Collector } from "./_test_utils.ts";

const available = "listenDatagram" in Deno;

/** How many tests below need Deno.listenDatagram (counted as registered). */
let nativeTests = 0;

function native(name: string, fn: () => Promise<void>): void {
  nativeTests++;
  Deno.test({ name, ignore: !available, fn });
}

Deno.test("isDenoUdpAvailable() tells whether Deno.listenDatagram exists", () => {
  assertEquals(isDenoUdpAvailable(), available);
});

Deno.test({
  name:
    "bindDenoUdp() rejects with a TypeError naming --unstable-net when the API is missing",
  ignore: available,
  async fn() {
    await assertRejects(
      () => bindDenoUdp({ hostname: "127.0.0.1" }),
      TypeError,
      "--unstable-net",
    );
  },
});

Deno.test({
  name: "DenoUdpTransport tests pass in a deno test --unstable-net subprocess",
  ignore: available,
  async fn() {
    const config = new URL("../../deno.test.json", import.meta.url);
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "test",
        "-A",
        "--unstable-net",
        "--config",
        config.pathname,
        new URL(import.meta.url).pathname,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout) +
      new TextDecoder().decode(output.stderr);
    assert(output.success, text);
    // Every native test ran; only this test and the missing-API one were skipped.
    assertMatch(
      text,
      new RegExp(`ok \| ${nativeTests + 1} passed \| 0 failed \| 2 ignored`),
    );
  },
});

for (const hostname of ["127.0.0.1", "::1"]) {
  native(
    `DenoUdpTransport sends and receives both ways on ${hostname}`,
    async () => {
      await using a = await bindDenoUdp({ hostname });
      await using b = await bindDenoUdp({ hostname });
      assertEquals(a.localAddress.hostname, hostname);
      assert(a.localAddress.port > 0);
      await assertRoundTrip(a, b);
    },
  );
}

native(
  "DenoUdpTransport with maxDatagramSize 65507 delivers a 60,000-byte datagram whole, in a buffer the receiver owns",
  async () => {
    await using a = await bindDenoUdp({ hostname: "127.0.0.1" });
    await using b = await bindDenoUdp({
      hostname: "127.0.0.1",
      maxDatagramSize: 65_507,
    });
    const atB = new Collector();
    b.listen(atB);
    const big = new Uint8Array(60_000).map((_, i) => (i * 7) & 255);
    a.send(big, b.localAddress);
    a.send(bytes("small"), b.localAddress);
    await atB.until(() => atB.datagrams.length === 2);
    const received = atB.datagrams.map(({ data }) => data);
    const large = received.find((data) => data.length === 60_000)!;
    assertEquals(large, big);
    for (const data of received) {
      assertEquals(data.buffer.byteLength, data.length);
    }
  },
);

native(
  "DenoUdpTransport drops datagrams longer than maxDatagramSize (default 8192) as EMSGSIZE",
  async () => {
    await using a = await bindDenoUdp({ hostname: "127.0.0.1" });
    await using b = await bindDenoUdp({ hostname: "127.0.0.1" });
    await using c = await bindDenoUdp({
      hostname: "127.0.0.1",
      maxDatagramSize: 100,
    });
    assertEquals([b.maxDatagramSize, c.maxDatagramSize], [8192, 100]);
    for (const [transport, max] of [[b, 8192], [c, 100]] as const) {
      const collector = new Collector();
      transport.listen(collector);
      const fits = new Uint8Array(max).fill(3);
      a.send(new Uint8Array(max + 1), transport.localAddress);
      a.send(fits, transport.localAddress);
      await collector.until(() =>
        collector.datagrams.length === 1 && collector.errors.length === 1
      );
      assertEquals(collector.datagrams[0]!.data, fits);
      const error = collector.errors[0]!;
      assertInstanceOf(error, TransportError);
      assertEquals(error.code, "EMSGSIZE");
      assertEquals(error.peer, a.localAddress);
    }
    await assertRejects(
      () => bindDenoUdp({ hostname: "127.0.0.1", maxDatagramSize: 0 }),
      RangeError,
    );
  },
);

native(
  "DenoUdpTransport on :: reports IPv4 peers as IPv4 and replies to them",
  async () => {
    await using server = await bindDenoUdp({ hostname: "::" });
    await using client = await bindUdp({ hostname: "127.0.0.1" });
    const atServer = new Collector();
    const atClient = new Collector();
    server.listen(atServer);
    client.listen(atClient);
    client.send(bytes("v4"), {
      hostname: "127.0.0.1",
      port: server.localAddress.port,
    });
    await atServer.until(() => atServer.datagrams.length === 1);
    assertEquals(atServer.datagrams[0]!.from, client.localAddress);
    server.send(bytes("back"), atServer.datagrams[0]!.from);
    await atClient.until(() => atClient.datagrams.length === 1);
    assertEquals(atClient.texts, ["back"]);
  },
);

native(
  "bindDenoUdp() rejects a taken port with a TransportError coded EADDRINUSE",
  async () => {
    await using first = await bindDenoUdp({ hostname: "127.0.0.1" });
    const error = await assertRejects(
      () =>
        bindDenoUdp({ hostname: "127.0.0.1", port: first.localAddress.port }),
      TransportError,
    );
    assertEquals(error.code, "EADDRINUSE");
    await assertRejects(() => bindDenoUdp({ port: 70000 }), RangeError);
    await assertRejects(() => bindDenoUdp({ hostname: "" }), TypeError);
  },
);

native(
  "DenoUdpTransport.close() is idempotent and later sends do nothing",
  async () => {
    const transport = await bindDenoUdp({ hostname: "127.0.0.1" });
    const collector = new Collector();
    transport.listen(collector);
    const closing = transport.close();
    assertStrictEquals(transport.close(), closing);
    await closing;
    await transport[Symbol.asyncDispose]();
    transport.send(bytes("late"), { hostname: "127.0.0.1", port: 9 });
    await new Promise((resolve) => setTimeout(resolve, 0));
    assertEquals(collector.errors, []);
  },
);

native(
  "DenoUdpTransport reports bad destinations and oversize datagrams to onError",
  async () => {
    await using transport = await bindDenoUdp({ hostname: "127.0.0.1" });
    const collector = new Collector();
    transport.listen(collector);
    transport.send(bytes("x"), { hostname: "127.0.0.1", port: 70000 });
    transport.send(bytes("x"), { hostname: "127.0.0.1", port: 0 });
    transport.send(new Uint8Array(70_000), { hostname: "127.0.0.1", port: 9 });
    transport.send(bytes("x"), { hostname: "::1", port: 9 });
    await collector.until(() => collector.errors.length === 4);
    const codes = collector.errors.map((error) =>
      (error as TransportError).code
    );
    assertEquals(codes.slice(0, 2), ["EINVAL", "EINVAL"]);
    assertEquals(codes.slice(2).sort(), ["EAFNOSUPPORT", "EMSGSIZE"]);
    for (const error of collector.errors) {
      assertInstanceOf(error, TransportError);
      assert(error.peer !== undefined);
    }
  },
);

native("DenoUdpTransport sending to a closed port never crashes", async () => {
  const gone = await bindDenoUdp({ hostname: "127.0.0.1" });
  const port = gone.localAddress.port;
  await gone.close();
  await using a = await bindDenoUdp({ hostname: "127.0.0.1" });
  await using b = await bindDenoUdp({ hostname: "127.0.0.1" });
  const atA = new Collector();
  const atB = new Collector();
  a.listen(atA);
  b.listen(atB);
  a.send(bytes("void"), { hostname: "127.0.0.1", port });
  a.send(bytes("alive"), b.localAddress);
  await atB.until(() => atB.datagrams.length === 1);
  for (const error of atA.errors) assertInstanceOf(error, TransportError);
});

native(
  "DenoUdpTransport receives multicast joined on the loopback interface",
  async () => {
    await using listener = await bindDenoUdp({
      hostname: "0.0.0.0",
      reuseAddress: true,
      multicast: { groups: ["224.0.1.187"], interface: "127.0.0.1" },
    });
    await using sender = await bindUdp({
      hostname: "127.0.0.1",
      multicast: { groups: [], interface: "127.0.0.1" },
    });
    const collector = new Collector();
    listener.listen(collector);
    sender.send(bytes("all"), {
      hostname: "224.0.1.187",
      port: listener.localAddress.port,
    });
    await collector.until(() => collector.datagrams.length === 1);
    assertEquals(collector.texts, ["all"]);
    await assertRejects(
      () =>
        bindDenoUdp({
          hostname: "0.0.0.0",
          multicast: { groups: ["192.0.2.1"], interface: "127.0.0.1" },
        }),
      TransportError,
      "Cannot join multicast group 192.0.2.1",
    );
  },
);

native(
  "new DenoUdpTransport() rejects something that is not a DatagramConn",
  () => {
    let threw = false;
    try {
      // @ts-expect-error: not a connection at run time
      new DenoUdpTransport({});
    } catch (error) {
      threw = error instanceof TypeError;
    }
    assert(threw);
    return Promise.resolve();
  },
);
