// Copyright 2026 the microcoap authors. MIT license.
// Runs every example the way the README says: `deno run -N examples/<name>.ts`.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { freeUdpPort } from "../test_util/libcoap.ts";

const root = new URL("..", import.meta.url);

async function run(name: string, args: string[] = []) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-N", `examples/${name}`, ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** Starts a long-running example and waits for its "listening" line. */
async function start(name: string, args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-N", `examples/${name}`, ...args],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!output.includes("listening")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${name} exited early: ${output}`);
    output += value;
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return output;
      output += value;
    }
  })();
  return { child, output: () => rest };
}

Deno.test("examples/demo.ts runs the tour and exits 0", async () => {
  const { code, stdout, stderr } = await run("demo.ts");
  assertEquals(code, 0, stderr);
  for (
    const line of [
      "GET     /hello               → 2.05 CONTENT hello world",
      "PUT     /things/lamp         → 2.04 CHANGED",
      "POST    /things              → 2.01 CREATED",
      "DELETE  /things/fan          → 2.02 DELETED",
      "GET     /nowhere             → 4.04 NOT_FOUND",
      "1000 bytes in 64-byte blocks",
      "notification 2: 22.5 °C",
      "done",
    ]
  ) assertStringIncludes(stdout, line);
});

Deno.test("examples/json.ts creates, patches and reads a JSON document", async () => {
  const { code, stdout, stderr } = await run("json.ts");
  assertEquals(code, 0, stderr);
  assertStringIncludes(stdout, "POST /docs → 2.01, at /docs/1");
  assertStringIncludes(stdout, "celsius: 22");
  assertStringIncludes(stdout, "4.15 UNSUPPORTED_CONTENT_FORMAT");
});

Deno.test("examples/client.ts gets from examples/server.ts", async () => {
  const port = await freeUdpPort();
  const server = await start("server.ts", [String(port), "20"]);
  try {
    const hello = await run("client.ts", [
      `coap://127.0.0.1:${port}/hello/deno`,
    ]);
    assertEquals(hello.code, 0, hello.stderr);
    assertEquals(hello.stdout, "2.05 CONTENT\nhello deno\n");
  } finally {
    server.child.kill("SIGINT");
    await server.child.status;
    await server.output();
  }
});

Deno.test("microCoAPy's README client and server examples, ported, talk to each other", async () => {
  const port = await freeUdpPort();
  const server = await start("microcoapy_server.ts", [String(port), "20"]);
  try {
    const client = await run("microcoapy_client.ts", [
      "127.0.0.1",
      String(port),
    ]);
    assertEquals(client.code, 0, client.stderr);
    assertStringIncludes(
      client.stdout,
      "Message received: type: ACK, method: 2.05",
    );
    assertStringIncludes(client.stdout, "payload: bytearray(b'222')");
    assertStringIncludes(client.stdout, "Message payload:  222");
    const sent = /\[GET\] Sent bytes:\s+(\d+)/.exec(client.stdout);
    assert(sent && Number(sent[1]) > 0, client.stdout);
  } finally {
    server.child.kill("SIGTERM");
    await server.child.status;
    const output = await server.output();
    assertStringIncludes(
      output,
      "Measure-current request received:  type: CON, method: 0.01",
    );
  }
});

Deno.test("examples/multicast.ts discovers two servers with one multicast request", async () => {
  const port = await freeUdpPort();
  const { code, stdout, stderr } = await run("multicast.ts", [String(port)]);
  assertEquals(code, 0, stderr);
  assertEquals(stdout.trim().split("\n"), [
    `127.0.0.1:${port} </room>;rt="room" → kitchen`,
    `127.0.0.2:${port} </room>;rt="room" → hall`,
  ]);
});
