// Copyright 2026 the microcoap authors. MIT license.
import { assert, assertEquals, assertRejects } from "@std/assert";
import {
  CoapCode,
  type CoapMessage,
  CoapOptionNumber,
  createOption,
  payloadText,
} from "@microcoap/codec";
import { CoapEndpoint } from "@microcoap/endpoint";
import { bindUdp, FakeClock, MemoryNetwork } from "@microcoap/transport";
import type { PeerAddress } from "@microcoap/transport";
import { CoapServer } from "./server.ts";
import {
  coapClient,
  freeUdpPort,
  hasLibcoap,
} from "../../test_util/libcoap.ts";

const GROUP = "224.0.1.187";
const wellKnownCore = [
  createOption(CoapOptionNumber.URI_PATH, ".well-known"),
  createOption(CoapOptionNumber.URI_PATH, "core"),
];

function memoryServers(clock: FakeClock, network: MemoryNetwork) {
  const groups: string[] = [];
  const servers = ["10.0.0.1", "10.0.0.2"].map((hostname, i) => {
    const server = new CoapServer({
      transport: network.bind({ hostname, port: 5683, groups: [GROUP] }),
      clock,
      random: () => 0.5,
    });
    server.get(i === 0 ? "/lamp" : "/sensor", (request) => {
      groups.push(String(request.group));
      return { payload: hostname };
    }, { rt: i === 0 ? "light" : "temperature" });
    return server;
  });
  return { servers, groups };
}

async function ask(
  clock: FakeClock,
  client: CoapEndpoint,
  options: CoapMessage["options"],
): Promise<string[]> {
  const answers: string[] = [];
  const done = client.multicast(
    { hostname: GROUP, port: 5683 },
    { code: CoapCode.GET, options },
    {
      onResponse: (response, peer: PeerAddress) =>
        answers.push(`${peer.hostname} ${payloadText(response.payload)}`),
    },
  );
  await clock.tick(7000);
  await done;
  return answers.sort();
}

Deno.test("CoapServer answers discovery by multicast; a filter that matches nothing gets no answer", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const { servers } = memoryServers(clock, network);
  for (const server of servers) await server.listen();
  await using client = new CoapEndpoint(network.bind(), { clock });
  assertEquals(await ask(clock, client, wellKnownCore), [
    '10.0.0.1 </lamp>;rt="light"',
    '10.0.0.2 </sensor>;rt="temperature"',
  ]);
  assertEquals(
    await ask(clock, client, [
      ...wellKnownCore,
      createOption(CoapOptionNumber.URI_QUERY, "rt=temperature"),
    ]),
    ['10.0.0.2 </sensor>;rt="temperature"'],
  );
  for (const server of servers) await server.close();
});

Deno.test("CoapServer does not answer a multicast request for a path it lacks; handlers see the group", async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  const { servers, groups } = memoryServers(clock, network);
  for (const server of servers) await server.listen();
  await using client = new CoapEndpoint(network.bind(), { clock });
  const lamp = [createOption(CoapOptionNumber.URI_PATH, "lamp")];
  assertEquals(await ask(clock, client, lamp), ["10.0.0.1 10.0.0.1"]);
  assertEquals(groups, [GROUP]);
  // By unicast, the same request is answered at once, and 4.04 too.
  const asked = client.request(servers[1]!.address!, {
    code: CoapCode.GET,
    options: lamp,
  });
  await clock.tick(0);
  const unicast = await asked;
  assertEquals(unicast.code, CoapCode.NOT_FOUND);
  for (const server of servers) await server.close();
});

Deno.test('CoapServer with multicast.responses "all" answers errors to a group', async () => {
  const clock = new FakeClock();
  using network = new MemoryNetwork({ clock });
  await using server = new CoapServer({
    transport: network.bind({
      hostname: "10.0.0.1",
      port: 5683,
      groups: [GROUP],
    }),
    clock,
    multicast: { groups: [GROUP], responses: "all", leisure: 100 },
  });
  await server.listen();
  await using client = new CoapEndpoint(network.bind(), { clock });
  const codes: number[] = [];
  const done = client.multicast({ hostname: GROUP, port: 5683 }, {
    code: CoapCode.GET,
    options: [createOption(CoapOptionNumber.URI_PATH, "missing")],
  }, { onResponse: (response) => codes.push(response.code), timeout: 100 });
  await clock.tick(100);
  await done;
  assertEquals(codes, [CoapCode.NOT_FOUND]);
});

Deno.test("CoapServer rejects a malformed multicast option at listen()", async () => {
  await using server = new CoapServer({
    hostname: "127.0.0.1",
    port: 0,
    // @ts-expect-error: wrong type on purpose
    multicast: { groups: GROUP },
  });
  await assertRejects(() => server.listen(), TypeError, "multicast.groups");
});

async function udpServer(hostname: string, port: number, name: string) {
  const server = new CoapServer({
    hostname,
    port,
    multicast: { groups: [GROUP], interface: "127.0.0.1", leisure: 50 },
  });
  server.get("/name", () => ({ payload: name }), { rt: "name" });
  await server.listen();
  return server;
}

Deno.test("two CoapServers on one host both answer a multicast request over UDP on the loopback interface", async () => {
  const port = await freeUdpPort();
  await using _a = await udpServer("127.0.0.1", port, "a");
  await using _b = await udpServer("127.0.0.2", port, "b");
  await using client = new CoapEndpoint(
    await bindUdp({
      hostname: "127.0.0.1",
      multicast: { groups: [], interface: "127.0.0.1", hops: 1 },
    }),
  );
  const answers: string[] = [];
  await client.multicast({ hostname: GROUP, port }, {
    code: CoapCode.GET,
    options: [createOption(CoapOptionNumber.URI_PATH, "name")],
  }, {
    timeout: 500,
    onResponse: (response, peer) =>
      answers.push(
        `${peer.hostname}:${peer.port} ${payloadText(response.payload)}`,
      ),
  });
  assertEquals(answers.sort(), [`127.0.0.1:${port} a`, `127.0.0.2:${port} b`]);
});

Deno.test({
  name: "libcoap's coap-client discovers a CoapServer through 224.0.1.187",
  ignore: !hasLibcoap,
  async fn() {
    const port = await freeUdpPort();
    await using server = await udpServer("127.0.0.1", port, "a");
    // -a 127.0.0.1 sends from the loopback interface (the route of a
    // multicast destination follows a bound source address on Linux).
    const run = await coapClient([
      "-a",
      "127.0.0.1",
      "-N",
      "-B",
      "1",
      "-m",
      "get",
      `coap://${GROUP}:${port}/.well-known/core`,
    ]);
    assert(server.address !== undefined);
    assertEquals(run.stdout.trim(), '</name>;rt="name"', run.stderr);
  },
});

Deno.test("a CoapServer on the wildcard address tells multicast requests from its copies on the unicast socket", async () => {
  const port = await freeUdpPort();
  await using server = await udpServer("0.0.0.0", port, "w");
  await using client = new CoapEndpoint(
    await bindUdp({
      hostname: "127.0.0.1",
      multicast: { groups: [], interface: "127.0.0.1" },
    }),
  );
  const path = (segment: string) => [
    createOption(CoapOptionNumber.URI_PATH, segment),
  ];
  const answers: string[] = [];
  // The wildcard socket gets a copy of each; taken for unicast, /missing
  // would be answered with 4.04.
  for (const segment of ["missing", "missing", "missing", "missing", "name"]) {
    await client.multicast({ hostname: GROUP, port }, {
      code: CoapCode.GET,
      options: path(segment),
    }, {
      timeout: 200,
      onResponse: (response) =>
        answers.push(`${response.code} ${payloadText(response.payload)}`),
    });
  }
  assertEquals(answers, [`${CoapCode.CONTENT} w`]);
  const unicast = await client.request({ hostname: "127.0.0.1", port }, {
    code: CoapCode.GET,
    options: path("missing"),
  });
  assertEquals(unicast.code, CoapCode.NOT_FOUND);
  assert(server.address !== undefined);
});
