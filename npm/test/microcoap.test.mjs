// Copyright 2026 the microcoap authors. MIT license.
// Node's test runner against the built package (`node --test`), importing it
// by its own name. MICROCOAP_TEST_URL may name a server started elsewhere
// (the Deno test starts `microcoap serve` in Deno for it).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import process from "node:process";
import { test } from "node:test";
import assert from "node:assert/strict";
import * as microcoap from "microcoap";
import { CoapCode, decode, encode, parseUri } from "microcoap/codec";
import { bindDenoUdp, isDenoUdpAvailable } from "microcoap/transport";
import { CoapClient } from "microcoap/client";
import { CoapServer } from "microcoap/server";
import { createServeServer, runCli } from "microcoap/cli";

test("the codec encodes and decodes in Node", () => {
  const bytes = encode({
    type: "CON",
    code: CoapCode.GET,
    messageId: 7,
    token: new Uint8Array([1, 2]),
    options: parseUri("coap://127.0.0.1/a/b").options,
    payload: new Uint8Array(0),
  });
  const message = decode(bytes);
  assert.equal(message.messageId, 7);
  assert.deepEqual([...message.token], [1, 2]);
});

test("the facade exports the codec, the endpoint and Coap", () => {
  assert.equal(typeof microcoap.encode, "function");
  assert.equal(typeof microcoap.CoapEndpoint, "function");
  assert.equal(typeof microcoap.Coap, "function");
});

// Node 20.19+ and 22.12+ load ES modules with require() unless they use
// top-level await, so CommonJS code can use the package too.
test("every subpath loads with require() where Node can require ES modules", {
  skip: !process.features.require_module,
}, () => {
  const require = createRequire(import.meta.url);
  const { exports } = JSON.parse(
    readFileSync(require.resolve("microcoap/package.json"), "utf8"),
  );
  const failed = [];
  for (const key of Object.keys(exports)) {
    if (key === "./package.json") continue;
    const name = key === "." ? "microcoap" : `microcoap${key.slice(1)}`;
    try {
      require(name);
    } catch (error) {
      failed.push(`${name}: ${error.code ?? error.message}`);
    }
  }
  assert.deepEqual(failed, []);
  assert.equal(typeof require("microcoap/client").CoapClient, "function");
  assert.equal(typeof require("microcoap").CoapServer, "function");
});

test("the Deno-only UDP transport is unavailable in Node, and says so", async () => {
  assert.equal(isDenoUdpAvailable(), false);
  await assert.rejects(() => bindDenoUdp({ hostname: "127.0.0.1" }), TypeError);
});

test("a CoapServer run in Node answers a CoapClient", async () => {
  const server = new CoapServer({ hostname: "127.0.0.1", port: 0 });
  server.get(
    "/node",
    () => ({ payload: `hello from ${process.release.name}` }),
  );
  const { port } = await server.listen();
  const client = new CoapClient();
  try {
    const response = await client.get(`coap://127.0.0.1:${port}/node`);
    assert.equal(response.codeText, "2.05");
    assert.equal(response.text(), "hello from node");
  } finally {
    await client.close();
    await server.close();
  }
});

test("observe and block-wise transfers work in Node", async () => {
  const serve = createServeServer({ port: 0, timeInterval: 20 });
  const { port } = await serve.listen();
  const client = new CoapClient();
  try {
    const large = await client.get(`coap://127.0.0.1:${port}/large`);
    assert.equal(large.payload.length, 10_000);
    const times = [];
    for await (
      const notification of client.observe(`coap://127.0.0.1:${port}/time`)
    ) {
      times.push(notification.text());
      if (times.length === 2) break;
    }
    assert.match(times[1], /^\d{4}-\d\d-\d\dT/);
  } finally {
    await client.close();
    await serve.close();
  }
});

test("runCli works in Node", async () => {
  const serve = createServeServer({ port: 0 });
  const { port } = await serve.listen();
  let stdout = "";
  const decoder = new TextDecoder();
  try {
    const code = await runCli([
      "get",
      "--json",
      `coap://127.0.0.1:${port}/hello`,
    ], {
      stdout: { write: (bytes) => stdout += decoder.decode(bytes) },
      stderr: { write: () => {} },
    });
    assert.equal(code, 0);
    assert.equal(JSON.parse(stdout).payload, "hello world");
  } finally {
    await serve.close();
  }
});

async function bin(args) {
  const child = spawn(
    process.execPath,
    [new URL("../bin/microcoap.js", import.meta.url).pathname, ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => stdout += chunk);
  child.stderr.on("data", (chunk) => stderr += chunk);
  const [code] = await once(child, "close");
  return { code, stdout, stderr };
}

test("the microcoap bin runs in Node: requests, usage errors", async () => {
  const serve = createServeServer({ port: 0 });
  const { port } = await serve.listen();
  try {
    const hello = await bin(["get", `coap://127.0.0.1:${port}/hello`]);
    assert.deepEqual(hello, { code: 0, stdout: "hello world\n", stderr: "" });
    const cbor = await bin([
      "post",
      "-p",
      '{"n":1}',
      "--content-format",
      "cbor",
      `coap://127.0.0.1:${port}/echo`,
    ]);
    assert.equal(cbor.stdout, '{\n  "n": 1\n}\n');
    const missing = await bin(["get", `coap://127.0.0.1:${port}/missing`]);
    assert.equal(missing.code, 1);
    const usage = await bin(["get", "--bogus", "x"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^microcoap: Unknown option --bogus/);
  } finally {
    await serve.close();
  }
});

test("the microcoap bin serves in Node and stops on SIGINT", async () => {
  const child = spawn(
    process.execPath,
    [
      new URL("../bin/microcoap.js", import.meta.url).pathname,
      "serve",
      "--port",
      "0",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let banner = "";
  while (!banner.includes("\n")) {
    const [chunk] = await once(child.stdout, "data");
    banner += chunk;
  }
  const url = /coap:\/\/\S+/.exec(banner)[0];
  const client = new CoapClient();
  try {
    assert.equal((await client.get(`${url}/hello`)).text(), "hello world");
  } finally {
    await client.close();
  }
  child.kill("SIGINT");
  const [code] = await once(child, "close");
  assert.equal(code, 0);
});

test("the microcoap bin ends quietly when its reader goes away", async () => {
  const serve = createServeServer({ port: 0, timeInterval: 20 });
  const { port } = await serve.listen();
  try {
    const child = spawn(
      process.execPath,
      [
        new URL("../bin/microcoap.js", import.meta.url).pathname,
        "observe",
        `coap://127.0.0.1:${port}/time`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (chunk) => stderr += chunk);
    await once(child.stdout, "data");
    child.stdout.destroy();
    const [code] = await once(child, "close");
    assert.deepEqual({ code, stderr }, { code: 0, stderr: "" });
  } finally {
    await serve.close();
  }
});

test("a request reaches a server running elsewhere", {
  skip: !process.env.MICROCOAP_TEST_URL,
}, async () => {
  const client = new CoapClient();
  try {
    const response = await client.get(
      `${process.env.MICROCOAP_TEST_URL}/hello`,
    );
    assert.equal(response.text(), "hello world");
  } finally {
    await client.close();
  }
});
