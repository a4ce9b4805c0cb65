// Copyright 2026 the microcoap authors. MIT license.
import { assert, assertEquals, assertRejects } from "@std/assert";
import { CoapCode } from "@microcoap/codec";
import { CoapEndpoint } from "@microcoap/endpoint";
import type { RequestHandler } from "@microcoap/endpoint";
import { CoapServer } from "@microcoap/server";
import { FakeClock, MemoryNetwork } from "@microcoap/transport";
import { CoapClient, type CoapResponse } from "./mod.ts";
import { freeUdpPort, hasLibcoap } from "../../test_util/libcoap.ts";

const GROUP = "224.0.1.187";
const text = (s: string) => new TextEncoder().encode(s);

function members(
  clock: FakeClock,
  network: MemoryNetwork,
  handler: (hostname: string) => RequestHandler,
) {
  return ["10.0.0.1", "10.0.0.2"].map((hostname, i) =>
    new CoapEndpoint(
      network.bind({ hostname, port: 5683, groups: [GROUP] }),
      { clock, random: () => (i + 1) / 4, handler: handler(hostname) },
    )
  );
}

async function collect(
  clock: FakeClock,
  responses: AsyncIterable<CoapResponse>,
  ms: number,
): Promise<string[]> {
  const seen: string[] = [];
  const done = (async () => {
    for await (const response of responses) {
      seen.push(
        `${response.peer.hostname} ${response.codeText} ${response.text()}`,
      );
    }
  })();
  await clock.tick(ms);
  await done;
  return seen;
}

Deno.test("CoapClient.multicast() yields every server's response with its address, then ends at the timeout", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const servers = members(clock, network, (hostname) => () => ({
    code: CoapCode.CONTENT,
    payload: text(hostname),
  }));
  await using client = new CoapClient({ transport: network.bind(), clock });
  assertEquals(
    await collect(clock, client.multicast(`coap://${GROUP}/name`), 7000),
    ["10.0.0.1 2.05 10.0.0.1", "10.0.0.2 2.05 10.0.0.2"],
  );
  // A shorter window misses the server that answers late in its leisure.
  assertEquals(
    await collect(
      clock,
      client.multicast(`coap://${GROUP}/name`, { timeout: 2000 }),
      2000,
    ),
    ["10.0.0.1 2.05 10.0.0.1"],
  );
  for (const server of servers) await server.close();
});

Deno.test("CoapClient.multicast() holds at most bufferSize responses for a reader that is away, dropping later ones", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  // 40 servers answer while nobody reads: only the first bufferSize wait.
  const servers = Array.from({ length: 40 }, (_, i) =>
    new CoapEndpoint(
      network.bind({
        hostname: `10.0.1.${i + 1}`,
        port: 5683,
        groups: [GROUP],
      }),
      {
        clock,
        random: () => (i + 1) / 64,
        multicastLeisure: 1000,
        handler: () => ({ code: CoapCode.CONTENT, payload: text(`s${i + 1}`) }),
      },
    ));
  await using client = new CoapClient({ transport: network.bind(), clock });
  const responses = client.multicast(`coap://${GROUP}/name`, {
    timeout: 2000,
    bufferSize: 5,
  });
  const first = responses.next();
  await clock.tick(3000);
  assertEquals((await first).value?.text(), "s1");
  const rest: string[] = [];
  for await (const response of responses) rest.push(response.text());
  assertEquals(rest, ["s2", "s3", "s4", "s5", "s6"]);
  await assertRejects(
    () => client.multicast(`coap://${GROUP}/name`, { bufferSize: 0 }).next(),
    RangeError,
  );
  for (const server of servers) await server.close();
});

Deno.test("CoapClient.multicast() sends other methods, payloads and No-Response, NON", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const seen: string[] = [];
  const servers = members(clock, network, (hostname) => ({ message }) => {
    seen.push(
      `${hostname} ${message.type} ${message.code} ${
        new TextDecoder().decode(message.payload)
      }`,
    );
    return { code: CoapCode.BAD_REQUEST };
  });
  await using client = new CoapClient({ transport: network.bind(), clock });
  // noResponse: [] (No-Response 0) asks for errors too.
  assertEquals(
    await collect(
      clock,
      client.multicast(`coap://${GROUP}/lamp`, {
        method: "PUT",
        payload: "on",
        noResponse: [],
      }),
      7000,
    ),
    ["10.0.0.1 4.00 ", "10.0.0.2 4.00 "],
  );
  assertEquals(seen.sort(), [
    `10.0.0.1 NON ${CoapCode.PUT} on`,
    `10.0.0.2 NON ${CoapCode.PUT} on`,
  ]);
  for (const server of servers) await server.close();
});

Deno.test("CoapClient.multicast() completes a block-wise response from its server by unicast", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  await using server = new CoapServer({
    transport: network.bind({
      hostname: "10.0.0.1",
      port: 5683,
      groups: [GROUP],
    }),
    clock,
    blockSize: 16,
  });
  const body = "0123456789".repeat(5);
  server.get("/large", () => ({ payload: body }));
  await server.listen();
  await using client = new CoapClient({ transport: network.bind(), clock });
  assertEquals(
    await collect(clock, client.multicast(`coap://${GROUP}/large`), 7000),
    [`10.0.0.1 2.05 ${body}`],
  );
});

Deno.test("CoapClient.multicast() ends when the loop is left, and rejects with the reason on abort", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const servers = members(clock, network, () => () => ({
    code: CoapCode.CONTENT,
    payload: text("x"),
  }));
  await using client = new CoapClient({ transport: network.bind(), clock });
  let count = 0;
  const first = (async () => {
    for await (const _ of client.multicast(`coap://${GROUP}/`)) {
      count++;
      break;
    }
  })();
  await clock.tick(7000);
  await first;
  assertEquals(count, 1);
  const controller = new AbortController();
  const aborted = (async () => {
    for await (
      const _ of client.multicast(`coap://${GROUP}/`, {
        signal: controller.signal,
      })
    ) {
      controller.abort(new Error("enough"));
    }
  })().catch((error) => error);
  await clock.tick(7000);
  assertEquals(String(await aborted), "Error: enough");
  for (const server of servers) await server.close();
});

Deno.test("CoapClient.multicast() rejects what a multicast request cannot be", async () => {
  await using client = new CoapClient({
    transport: new MemoryNetwork().bind(),
  });
  const first = (url: string, options = {}) =>
    client.multicast(url, options).next();
  await assertRejects(
    () => first("coap://10.0.0.1/"),
    TypeError,
    "not a multicast address; use request()",
  );
  await assertRejects(
    () => first(`coap://${GROUP}/`, { confirmable: true }),
    TypeError,
    "confirmable is not allowed",
  );
  await assertRejects(
    () =>
      first(`coap://${GROUP}/`, {
        options: [{ number: 4, value: new Uint8Array([1]) }],
      }),
    TypeError,
    "must not carry an ETag",
  );
});

Deno.test("CoapClient rejects a multicast URL in request(), send(), ping() and observe() with a TypeError", async () => {
  await using client = new CoapClient({
    transport: new MemoryNetwork().bind(),
  });
  const url = `coap://${GROUP}/lamp`;
  for (
    const attempt of [
      () => client.get(url),
      () => client.send(url),
      () => client.ping(url),
    ]
  ) {
    await assertRejects(
      attempt,
      TypeError,
      "is a multicast address; use multicast()",
    );
  }
  await assertRejects(
    async () => {
      for await (const _ of client.observe(url)) break;
    },
    TypeError,
    "use multicast()",
  );
});

Deno.test("CoapClient.multicast() over UDP on the loopback interface collects both servers' answers", async () => {
  const port = await freeUdpPort();
  const servers: CoapServer[] = [];
  for (const [hostname, name] of [["127.0.0.1", "a"], ["127.0.0.2", "b"]]) {
    const server = new CoapServer({
      hostname,
      port,
      multicast: { groups: [GROUP], interface: "127.0.0.1", leisure: 50 },
    });
    server.get("/name", () => ({ payload: name! }));
    await server.listen();
    servers.push(server);
  }
  await using client = new CoapClient({
    multicast: { interface: "127.0.0.1", hops: 1 },
  });
  const answers: string[] = [];
  for await (
    const response of client.multicast(`coap://${GROUP}:${port}/name`, {
      timeout: 500,
    })
  ) {
    answers.push(
      `${response.peer.hostname}:${response.peer.port} ${response.text()}`,
    );
  }
  assertEquals(answers.sort(), [`127.0.0.1:${port} a`, `127.0.0.2:${port} b`]);
  for (const server of servers) await server.close();
});

Deno.test({
  name:
    "CoapClient.multicast() discovers libcoap's coap-server through 224.0.1.187",
  ignore: !hasLibcoap,
  async fn() {
    const port = await freeUdpPort();
    // A wildcard address: a socket bound to 127.0.0.1 gets no group datagrams.
    const child = new Deno.Command("coap-server-notls", {
      args: ["-A", "0.0.0.0", "-p", String(port), "-g", GROUP, "-G", "lo"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await using client = new CoapClient({
        multicast: { interface: "127.0.0.1", hops: 1 },
        timeout: 1000,
      });
      for (let i = 0; i < 50; i++) {
        const up = await client.get(`coap://127.0.0.1:${port}/`).then(
          () => true,
          () => false,
        );
        if (up) break;
      }
      // libcoap answers within its 5 s leisure: stop at the first answer.
      let answer: CoapResponse | undefined;
      for await (
        const response of client.multicast(
          `coap://${GROUP}:${port}/.well-known/core`,
          { timeout: 6000 },
        )
      ) {
        answer = response;
        break;
      }
      assert(answer !== undefined);
      assertEquals(answer.peer, { hostname: "127.0.0.1", port });
      assertEquals(answer.codeText, "2.05");
      assert(answer.text().includes("</time>"), answer.text());
    } finally {
      child.kill("SIGTERM");
      await child.status;
    }
  },
});
