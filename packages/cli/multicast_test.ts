// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertStringIncludes } from "@std/assert";
import { createServeServer } from "./serve.ts";
import type { ServeServer } from "./serve.ts";
import { cli } from "./_test_util.ts";
import { freeUdpPort } from "../../test_util/libcoap.ts";

const GROUP = "224.0.1.187";

async function twoServers(): Promise<{ port: number; servers: ServeServer[] }> {
  const port = await freeUdpPort();
  const servers: ServeServer[] = [];
  for (const hostname of ["127.0.0.1", "127.0.0.2"]) {
    const server = createServeServer({
      hostname,
      port,
      multicast: { groups: [GROUP], interface: "127.0.0.1", leisure: 50 },
    });
    await server.listen();
    servers.push(server);
  }
  return { port, servers };
}

Deno.test("microcoap discover with a multicast URL prints every server's resources under its address", async () => {
  const { port, servers } = await twoServers();
  try {
    const run = await cli([
      "discover",
      `coap://${GROUP}:${port}?rt=time`,
      "--interface",
      "127.0.0.1",
      "--timeout",
      "0.5",
    ]);
    assertEquals(run.code, 0, run.stderr);
    const blocks = run.stdout.trim().split("\n\n").sort();
    assertEquals(blocks, [
      `coap://127.0.0.1:${port} 2.05 Content\n/time  rt="time" ct=0 title="Current time" obs`,
      `coap://127.0.0.2:${port} 2.05 Content\n/time  rt="time" ct=0 title="Current time" obs`,
    ]);
  } finally {
    for (const server of servers) await server.close();
  }
});

Deno.test("microcoap get with a multicast URL prints JSON lines with each server's address; silence is exit 3", async () => {
  const { port, servers } = await twoServers();
  try {
    const run = await cli([
      "get",
      `coap://${GROUP}:${port}/hello`,
      "--interface",
      "127.0.0.1",
      "--timeout",
      "0.5",
      "--json",
    ]);
    assertEquals(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assertEquals(
      lines.map(({ from, code, payload }) => `${from} ${code} ${payload}`)
        .sort(),
      [
        `coap://127.0.0.1:${port} 2.05 hello world`,
        `coap://127.0.0.2:${port} 2.05 hello world`,
      ],
    );
    // 4.04 is not sent to a group: nobody answers.
    const missing = await cli([
      "get",
      `coap://${GROUP}:${port}/missing`,
      "--interface",
      "127.0.0.1",
      "--timeout",
      "0.3",
    ]);
    assertEquals(missing.code, 3);
    assertStringIncludes(missing.stderr, "answered");
  } finally {
    for (const server of servers) await server.close();
  }
});

Deno.test("microcoap rejects ping and observe of a group, and a --group that is not a multicast address", async () => {
  for (const command of ["ping", "observe"]) {
    const run = await cli([command, `coap://${GROUP}/time`]);
    assertEquals(run.code, 2);
    assertStringIncludes(
      run.stderr,
      `needs one server, not the multicast group ${GROUP}`,
    );
  }
  const run = await cli(["serve", "--group", "10.0.0.1"]);
  assertEquals(run.code, 2);
  assertStringIncludes(run.stderr, 'Option --group is "10.0.0.1"');
});
