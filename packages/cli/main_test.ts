// Copyright 2026 the microcoap authors. MIT license.
// The command as a real process: `deno run -N packages/cli/main.ts ...`.
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "@std/assert";
import { main } from "./main.ts";
import { udpPeer } from "./_test_util.ts";

const MAIN = new URL("./main.ts", import.meta.url).href;
const decoder = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function microcoap(args: string[], stdin?: string): Promise<Run> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-N", MAIN, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** `microcoap serve` in a child process, up once it printed its address. */
async function serveProcess(args: string[] = []) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-N", "-R", "-W", MAIN, "serve", "--port", "0", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let banner = "";
  while (!banner.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    banner += value;
  }
  const url = /coap:\/\/\S+/.exec(banner)?.[0];
  const stderr = new Response(child.stderr).text();
  return {
    url: url ?? "",
    banner,
    async stop(signal: Deno.Signal = "SIGINT") {
      child.kill(signal);
      const status = await child.status;
      await reader.cancel();
      return { code: status.code, stderr: await stderr };
    },
  };
}

Deno.test("main() returns the exit code of a command", async () => {
  assertEquals(await main(["--version"]), 0);
});

Deno.test("the microcoap process serves, answers requests, and stops on SIGINT", async () => {
  const server = await serveProcess();
  try {
    assertMatch(server.url, /^coap:\/\/127\.0\.0\.1:\d+$/);
    const hello = await microcoap(["get", `${server.url}/hello`]);
    assertEquals(hello, { code: 0, stdout: "hello world\n", stderr: "" });

    const echo = await microcoap([
      "put",
      "--json",
      "--file",
      "-",
      "--content-format",
      "json",
      `${server.url}/echo`,
    ], '{"from":"stdin"}');
    assertEquals(echo.code, 0);
    assertEquals(JSON.parse(echo.stdout).payload, { from: "stdin" });

    const large = await microcoap(["get", `${server.url}/large`]);
    assertEquals([large.code, large.stdout.length, large.stderr], [
      0,
      10_000,
      "",
    ]);

    const observe = await microcoap([
      "observe",
      "--count",
      "2",
      `${server.url}/time`,
    ]);
    assertEquals(observe.code, 0);
    assertEquals(observe.stdout.trim().split("\n").length, 2);

    // A reader that goes away (`| head -1`) ends observe quietly.
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-N", MAIN, "observe", `${server.url}/time`],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read();
    await reader.cancel();
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
    ]);
    assertEquals([status.code, stderr], [0, ""]);

    const missing = await microcoap(["get", `${server.url}/missing`]);
    assertEquals([missing.code, missing.stdout, missing.stderr], [
      1,
      "",
      "microcoap: 4.04 Not Found\n",
    ]);
  } finally {
    const stopped = await server.stop("SIGINT");
    assertEquals(stopped, { code: 0, stderr: "microcoap: stopped\n" });
  }
});

Deno.test("serve --verify-peers answers an unverified client with 4.01 and Echo, and microcoap get repeats with it", async () => {
  const server = await serveProcess(["--verify-peers", "--verbose"]);
  let stderr = "";
  try {
    const large = await microcoap(["get", `${server.url}/large`]);
    assertEquals([large.code, large.stdout.length, large.stderr], [
      0,
      10_000,
      "",
    ]);
  } finally {
    const stopped = await server.stop("SIGINT");
    assertEquals(stopped.code, 0);
    stderr = stopped.stderr;
  }
  assertStringIncludes(stderr, "- peer-challenged\n");
  assertStringIncludes(stderr, "- peer-verified\n");
  assertStringIncludes(stderr, "4.01");
});

Deno.test("the microcoap process stops serving on SIGTERM", async () => {
  const server = await serveProcess();
  const ping = await microcoap(["ping", server.url]);
  assertEquals(ping.code, 0);
  assertEquals(await server.stop("SIGTERM"), {
    code: 0,
    stderr: "microcoap: stopped\n",
  });
});

Deno.test("the microcoap process exits 2 with help for usage errors and 3 on timeouts", async () => {
  const usage = await microcoap(["get", "--bogus", "coap://127.0.0.1/"]);
  assertEquals([usage.code, usage.stdout], [2, ""]);
  assert(
    usage.stderr.startsWith("microcoap: Unknown option --bogus for get\n"),
  );
  assertStringIncludes(usage.stderr, "Usage: microcoap get URL");
  const url = await microcoap(["get", "coap://[nope/"]);
  assertEquals(url.code, 2);
  assert(!url.stderr.includes("    at "), url.stderr);

  await using silent = await udpPeer();
  const timeout = await microcoap([
    "get",
    "--timeout",
    "0.3",
    `${silent.url}/x`,
  ]);
  assertEquals(timeout.code, 3);
  assertMatch(timeout.stderr, /^microcoap: [^\n]+\n$/);
});
