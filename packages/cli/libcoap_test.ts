// Copyright 2026 the microcoap authors. MIT license.
// The command against libcoap's coap-server-notls, and libcoap's
// coap-client-notls against `microcoap serve`.
import { assert, assertEquals, assertMatch } from "@std/assert";
import {
  coapClient,
  hasLibcoap,
  startLibcoapServer,
} from "../../test_util/libcoap.ts";
import { largeText } from "./serve.ts";
import { cli, serveOnFreePort } from "./_test_util.ts";

const ignore = !hasLibcoap;

Deno.test({
  name: "microcoap discovers, gets, puts, observes and pings coap-server-notls",
  ignore,
  async fn() {
    await using server = await startLibcoapServer();
    const discover = await cli(["discover", server.url]);
    assertEquals(discover.code, 0);
    assertMatch(discover.stdout, /^\/time +.*rt="ticks".* obs$/m);
    assertMatch(discover.stdout, /^\/example_data /m);

    const root = await cli(["get", `${server.url}/`]);
    assertEquals(root.code, 0);
    assertMatch(root.stdout, /libcoap/);

    const put = await cli([
      "put",
      "-p",
      "from microcoap",
      `${server.url}/example_data`,
    ]);
    assertEquals(put.code, 0);
    const get = await cli(["get", "--json", `${server.url}/example_data`]);
    assertEquals(JSON.parse(get.stdout).payload, "from microcoap");

    const observe = await cli([
      "observe",
      "--json",
      "--count",
      "2",
      `${server.url}/time`,
    ]);
    assertEquals(observe.code, 0);
    const lines = observe.stdout.trim().split("\n").map((line) =>
      JSON.parse(line)
    );
    assertEquals(lines.length, 2);
    assert(lines.every((line) => typeof line.observe === "number"));

    const ping = await cli(["ping", server.url]);
    assertEquals(ping.code, 0);

    const missing = await cli(["get", `${server.url}/missing`]);
    assertEquals(missing.code, 1);
  },
});

Deno.test({
  name: "microcoap uploads and downloads block-wise with coap-server-notls",
  ignore,
  async fn() {
    await using server = await startLibcoapServer();
    const body = largeText().slice(0, 3000);
    const put = await cli([
      "put",
      "--file",
      "-",
      "--content-format",
      "text",
      "--block-size",
      "256",
      `${server.url}/example_data`,
    ], { stdin: body });
    assertEquals([put.code, put.stderr], [0, ""]);
    const get = await cli([
      "get",
      "-v",
      "--block-size",
      "64",
      `${server.url}/example_data`,
    ]);
    assertEquals(get.code, 0);
    assertEquals(get.stdout, body);
    assertMatch(get.stderr, /Block2: 46\/last\/64/);
  },
});

Deno.test({
  name: "coap-client-notls gets, posts and observes microcoap serve",
  ignore,
  async fn() {
    await using serve = await serveOnFreePort({ timeInterval: 200 });
    const hello = await coapClient([
      "-B",
      "5",
      "-m",
      "get",
      `${serve.url}/hello`,
    ]);
    assertEquals([hello.code, hello.stdout.trim()], [0, "hello world"]);
    const large = await coapClient([
      "-B",
      "5",
      "-m",
      "get",
      `${serve.url}/large`,
    ]);
    assertEquals(large.stdout.trim(), largeText().trim());
    const echo = await coapClient([
      "-B",
      "5",
      "-m",
      "post",
      "-e",
      "echo me",
      `${serve.url}/echo`,
    ]);
    assertEquals(echo.stdout.trim(), "echo me");
    const discover = await coapClient([
      "-B",
      "5",
      "-m",
      "get",
      `${serve.url}/.well-known/core`,
    ]);
    assertMatch(discover.stdout, /<\/time>;.*obs/);
    const observe = await coapClient([
      "-B",
      "5",
      "-s",
      "1",
      `${serve.url}/time`,
    ]);
    const times = observe.stdout.match(/\d{4}-\d\d-\d\dT[0-9:.]+Z/g) ?? [];
    assert(times.length >= 2, observe.stdout);
  },
});

Deno.test({
  name:
    "coap-client-notls gets 4.12 from microcoap serve --dir for a conditional PUT that fails",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "microcoap_libcoap_" });
    try {
      await Deno.writeTextFile(`${dir}/a.txt`, "alpha");
      await using serve = await serveOnFreePort({ dir });
      const put = (args: string[]) =>
        coapClient(["-B", "5", "-m", "put", "-e", "new", ...args]);
      // -O 5: If-None-Match; -O 1: an empty If-Match.
      const exists = await put(["-O", "5", `${serve.url}/files/a.txt`]);
      assertMatch(exists.stdout + exists.stderr, /4\.12/);
      assertEquals(await Deno.readTextFile(`${dir}/a.txt`), "alpha");
      const missing = await put(["-O", "1,", `${serve.url}/files/b.txt`]);
      assertMatch(missing.stdout + missing.stderr, /4\.12/);
      // An If-Match value that is not the file's ETag.
      const stale = await put([
        "-O",
        "1,0xdeadbeef",
        `${serve.url}/files/a.txt`,
      ]);
      assertMatch(stale.stdout + stale.stderr, /4\.12/);
      assertEquals(await Deno.readTextFile(`${dir}/a.txt`), "alpha");
      const created = await put(["-O", "5", `${serve.url}/files/c.txt`]);
      assertEquals(created.code, 0);
      assertEquals(await Deno.readTextFile(`${dir}/c.txt`), "new");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
