// Copyright 2026 the microcoap authors. MIT license.
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "@std/assert";
import { encode as encodeCbor } from "cborg";
import { CoapDnsError } from "@microcoap/client";
import { largeText } from "./serve.ts";
import { ExitCode, runCli } from "./cli.ts";
import {
  Capture,
  cli,
  resetFor,
  serveOnFreePort,
  udpPeer,
} from "./_test_util.ts";

// One clear line on stderr, never a stack trace.
function assertOneLine(stderr: string, pattern: RegExp): void {
  assertMatch(stderr, /^microcoap: [^\n]+\n$/);
  assertMatch(stderr, pattern);
}

Deno.test("get prints the payload and exits 0", async () => {
  await using serve = await serveOnFreePort();
  const run = await cli(["get", `${serve.url}/hello`]);
  assertEquals(run, {
    code: 0,
    stdout: "hello world\n",
    stderr: "",
    stdoutBytes: new TextEncoder().encode("hello world\n"),
  });
});

Deno.test("get takes a URL without coap://", async () => {
  await using serve = await serveOnFreePort();
  const run = await cli(["get", `${serve.url.slice(7)}/hello`]);
  assertEquals([run.code, run.stdout], [0, "hello world\n"]);
});

Deno.test("get --json prints one JSON object with the decoded payload", async () => {
  await using serve = await serveOnFreePort();
  const run = await cli(["get", "--json", `${serve.url}/hello`]);
  assertEquals(run.code, 0);
  assertEquals(run.stdout.split("\n").length, 2);
  assertEquals(JSON.parse(run.stdout), {
    code: "2.05",
    codeName: "CONTENT",
    type: "ACK",
    options: [{ number: 12, name: "Content-Format", value: 0 }],
    contentFormat: 0,
    observe: null,
    payloadFormat: "text",
    payload: "hello world",
  });
});

Deno.test("get --non sends a NON request and gets a NON response", async () => {
  await using serve = await serveOnFreePort();
  const run = await cli(["get", "--non", "--json", `${serve.url}/hello`]);
  assertEquals(run.code, 0);
  assertEquals(JSON.parse(run.stdout).type, "NON");
});

Deno.test("a 4.xx response exits 1 with the code on stderr", async () => {
  await using serve = await serveOnFreePort();
  const missing = await cli(["get", `${serve.url}/missing`]);
  assertEquals([missing.code, missing.stdout], [1, ""]);
  assertOneLine(missing.stderr, /4\.04 Not Found/);
  const method = await cli(["delete", `${serve.url}/hello`]);
  assertEquals(method.code, ExitCode.ERROR_RESPONSE);
  assertOneLine(method.stderr, /4\.05 Method Not Allowed/);
  const json = await cli(["get", "--json", `${serve.url}/missing`]);
  assertEquals([json.code, JSON.parse(json.stdout).codeName], [1, "NOT_FOUND"]);
});

Deno.test("--accept asks for a format, and the server says 4.06 when it has none", async () => {
  await using serve = await serveOnFreePort();
  assertEquals(
    (await cli(["get", "--accept", "text", `${serve.url}/hello`])).code,
    0,
  );
  const run = await cli(["get", "--accept", "json", `${serve.url}/hello`]);
  assertEquals(run.code, 1);
  assertOneLine(run.stderr, /4\.06 Not Acceptable/);
});

Deno.test("--option adds options: unknown elective ones are ignored, critical ones refused", async () => {
  await using serve = await serveOnFreePort();
  const elective = await cli([
    "get",
    "--option",
    "2048=0x01",
    "--option",
    "2048=x",
    `${serve.url}/hello`,
  ]);
  assertEquals([elective.code, elective.stdout], [0, "hello world\n"]);
  const critical = await cli([
    "get",
    "--option",
    "2049=1",
    `${serve.url}/hello`,
  ]);
  assertEquals(critical.code, 1);
  assertOneLine(critical.stderr, /4\.02 Bad Option/);
  const query = await cli([
    "get",
    "--option",
    "Uri-Query=rt=time",
    `${serve.url}/.well-known/core`,
  ]);
  assertEquals(
    query.stdout,
    '/time  rt="time" ct=0 title="Current time" obs\n',
  );
});

Deno.test("post, put, fetch, patch and ipatch send --payload with its Content-Format", async () => {
  await using serve = await serveOnFreePort();
  for (const command of ["post", "put", "fetch", "patch", "ipatch"]) {
    const run = await cli([
      command,
      "--json",
      "-p",
      '{"n":1}',
      "--content-format",
      "application/json",
      `${serve.url}/echo`,
    ]);
    assertEquals(run.code, 0, command);
    const json = JSON.parse(run.stdout);
    assertEquals(json.code, command === "fetch" ? "2.05" : "2.04", command);
    assertEquals([json.contentFormat, json.payloadFormat, json.payload], [
      50,
      "json",
      { n: 1 },
    ]);
  }
  const text = await cli(["post", "-p", "plain words", `${serve.url}/echo`]);
  assertEquals([text.code, text.stdout], [0, "plain words\n"]);
  const pretty = await cli([
    "put",
    "--payload",
    '{"a":[1]}',
    "--content-format",
    "50",
    `${serve.url}/echo`,
  ]);
  assertEquals(pretty.stdout, '{\n  "a": [\n    1\n  ]\n}\n');
});

Deno.test("--content-format cbor sends a JSON --payload as CBOR and prints CBOR as JSON", async () => {
  await using serve = await serveOnFreePort();
  const run = await cli([
    "post",
    "--raw",
    "-p",
    '{"t":21.5}',
    "--content-format",
    "cbor",
    `${serve.url}/echo`,
  ]);
  assertEquals(run.code, 0);
  assertEquals(run.stdoutBytes, encodeCbor({ t: 21.5 }));
  const shown = await cli([
    "post",
    "-p",
    '{"t":21.5}',
    "--content-format",
    "cbor",
    `${serve.url}/echo`,
  ]);
  assertEquals(shown.stdout, '{\n  "t": 21.5\n}\n');
  const bad = await cli([
    "post",
    "-p",
    "{nope",
    "--content-format",
    "cbor",
    `${serve.url}/echo`,
  ]);
  assertEquals(bad.code, 2);
  assertStringIncludes(bad.stderr, "not JSON");
});

Deno.test("--file - reads the payload from stdin, and binary comes back as a hex dump or --raw", async () => {
  await using serve = await serveOnFreePort();
  const bytes = new Uint8Array([0, 1, 2, 0xfe, 0xff]);
  const dump = await cli(["put", "--file", "-", `${serve.url}/echo`], {
    stdin: bytes,
  });
  assertEquals(dump.code, 0);
  assertEquals(
    dump.stdout,
    "00000000  00 01 02 fe ff                                    |.....|\n",
  );
  const raw = await cli([
    "put",
    "--raw",
    "--file",
    "-",
    "--content-format",
    "octet-stream",
    `${serve.url}/echo`,
  ], { stdin: bytes });
  assertEquals(raw.stdoutBytes, bytes);
  const text = await cli([
    "post",
    "--file=-",
    "--content-format",
    "text",
    `${serve.url}/echo`,
  ], { stdin: "from stdin" });
  assertEquals(text.stdout, "from stdin\n");
});

Deno.test("--file PATH reads a file and takes its Content-Format from the extension", async () => {
  await using serve = await serveOnFreePort();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/v.json`, '{"v":true}');
    const run = await cli([
      "post",
      "--json",
      "--file",
      `${dir}/v.json`,
      `${serve.url}/echo`,
    ]);
    assertEquals(JSON.parse(run.stdout).payload, { v: true });
    const missing = await cli([
      "post",
      "--file",
      `${dir}/nope.txt`,
      `${serve.url}/echo`,
    ]);
    assertEquals(missing.code, 2);
    assertOneLine(missing.stderr, /Cannot read .*nope\.txt: ENOENT/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a large payload from stdin goes up block-wise and comes back whole", async () => {
  await using serve = await serveOnFreePort();
  const body = largeText().slice(0, 4000);
  const run = await cli([
    "post",
    "--file",
    "-",
    "--content-format",
    "text",
    "--block-size",
    "128",
    `${serve.url}/echo`,
  ], { stdin: body });
  assertEquals([run.code, run.stderr], [0, ""]);
  assertEquals(run.stdout, body);
});

Deno.test("block-wise downloads draw no progress bar when stderr is not a terminal", async () => {
  await using serve = await serveOnFreePort();
  const run = await cli(["get", `${serve.url}/large`], { tty: false });
  assertEquals(run.code, 0);
  assertEquals(run.stdout, largeText());
  assertEquals(run.stderr, "");
});

Deno.test("block-wise downloads draw a progress bar on a terminal, and clear it", async () => {
  await using serve = await serveOnFreePort();
  const run = await cli(["get", "--block-size", "64", `${serve.url}/large`], {
    tty: true,
  });
  assertEquals(run.code, 0);
  assertEquals(run.stdout, largeText());
  assertStringIncludes(run.stderr, "download [");
  assertStringIncludes(run.stderr, "KiB");
  assert(
    run.stderr.endsWith("\r\x1b[K"),
    JSON.stringify(run.stderr.slice(-20)),
  );
});

Deno.test("--verbose prints the messages, options and timing on stderr", async () => {
  await using serve = await serveOnFreePort();
  const run = await cli([
    "get",
    "-v",
    "--block-size",
    "512",
    `${serve.url}/large`,
  ]);
  assertEquals(run.code, 0);
  assertEquals(run.stdout, largeText());
  assertMatch(
    run.stderr,
    /^> CON GET mid=\d+ token=[0-9a-f]+ to 127\.0\.0\.1:\d+\n/,
  );
  assertStringIncludes(run.stderr, '    Uri-Path: "large"\n');
  assertStringIncludes(run.stderr, "< ACK 2.05 Content");
  assertStringIncludes(run.stderr, "    Block2: 19/last/512\n");
  assertMatch(run.stderr, /\n2\.05 Content in [0-9.]+ ms\n$/);
});

Deno.test("ping --verbose shows the empty CON and the RST", async () => {
  await using serve = await serveOnFreePort();
  const run = await cli(["ping", "-v", serve.url]);
  assertEquals(run.code, 0);
  assertMatch(
    run.stderr,
    /^> CON Empty mid=\d+ to 127\.0\.0\.1:\d+\n< RST Empty mid=\d+ from /,
  );
});

Deno.test("serve --verbose logs the requests and responses", async () => {
  const controller = new AbortController();
  const stdout = new Capture();
  const stderr = new Capture();
  const running = runCli(["serve", "-v", "--port", "0"], {
    stdout,
    stderr,
    signal: controller.signal,
  });
  await stdout.waitFor("\n");
  const url = /coap:\/\/\S+/.exec(stdout.text)![0];
  assertEquals((await cli(["get", `${url}/hello`])).code, 0);
  await stderr.waitFor("2.05 Content");
  controller.abort();
  assertEquals(await running, 0);
  assertMatch(
    stderr.text,
    /< CON GET mid=\d+ token=[0-9a-f]+ from 127\.0\.0\.1:\d+\n {4}Uri-Path: "hello"\n/,
  );
  assertMatch(
    stderr.text,
    /> ACK 2\.05 Content mid=\d+ token=[0-9a-f]+ to 127\.0\.0\.1:\d+\n/,
  );
});

Deno.test("discover lists the resources of /.well-known/core, filtered by a query", async () => {
  await using serve = await serveOnFreePort();
  const run = await cli(["discover", serve.url]);
  assertEquals(run.code, 0);
  assertEquals(run.stdout.split("\n").map((line) => line.split(" ")[0]), [
    "/hello",
    "/echo",
    "/time",
    "/large",
    "",
  ]);
  const filtered = await cli(["discover", `${serve.url}/?rt=time`]);
  assertEquals(
    filtered.stdout,
    '/time  rt="time" ct=0 title="Current time" obs\n',
  );
  const json = await cli(["discover", "--json", `${serve.url}/`]);
  const parsed = JSON.parse(json.stdout);
  assertEquals(parsed.payloadFormat, "link-format");
  assertEquals(parsed.payload[0], {
    href: "/hello",
    attributes: { ct: 0, title: "Hello" },
  });
  const raw = await cli(["discover", "--raw", serve.url]);
  assert(raw.stdout.startsWith('</hello>;ct=0;title="Hello",'));
});

Deno.test("ping prints the round trip time, and --json gives it as a number", async () => {
  await using serve = await serveOnFreePort();
  const run = await cli(["ping", serve.url]);
  assertEquals(run.code, 0);
  assertMatch(run.stdout, /^pong from 127\.0\.0\.1:\d+ in [0-9.]+ ms\n$/);
  const json = JSON.parse((await cli(["ping", "--json", serve.url])).stdout);
  assertEquals(typeof json.rtt, "number");
  assertMatch(json.peer, /^127\.0\.0\.1:\d+$/);
});

Deno.test("observe --count prints each notification as it arrives, as JSON lines", async () => {
  await using serve = await serveOnFreePort();
  const run = await cli([
    "observe",
    "--json",
    "--count",
    "3",
    `${serve.url}/time`,
  ]);
  assertEquals(run.code, 0);
  const lines = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
  assertEquals(lines.length, 3);
  for (const line of lines) {
    assertEquals(line.code, "2.05");
    assertEquals(typeof line.observe, "number");
    assertMatch(line.payload, /^\d{4}-\d\d-\d\dT/);
  }
  assert(lines[1].observe !== lines[0].observe);
  assertEquals(serve.server.observers, 0);
});

Deno.test("observe prints notifications until --duration ends it", async () => {
  await using serve = await serveOnFreePort();
  const run = await cli(["observe", "--duration", "0.15", `${serve.url}/time`]);
  assertEquals(run.code, 0);
  const lines = run.stdout.trim().split("\n");
  assert(lines.length >= 2, run.stdout);
  for (const line of lines) assertMatch(line, /^\d{4}-\d\d-\d\dT.*Z$/);
});

Deno.test("observe stops and deregisters when interrupted", async () => {
  await using serve = await serveOnFreePort();
  const controller = new AbortController();
  const stdout = new Capture();
  const running = cli(["observe", `${serve.url}/time`], {
    signal: controller.signal,
    stdout,
  });
  await stdout.waitFor("Z\n");
  controller.abort();
  const run = await running;
  assertEquals(run.code, 0);
  assertEquals(serve.server.observers, 0);
});

Deno.test("observe interrupted before any notification exits 130", async () => {
  await using silent = await udpPeer();
  const controller = new AbortController();
  const running = cli(["observe", `${silent.url}/x`], {
    signal: controller.signal,
  });
  await new Promise<void>((resolve) =>
    silent.socket.once("message", () => resolve())
  );
  controller.abort(new Error("Interrupted"));
  const run = await running;
  assertEquals([run.code, run.stdout], [130, ""]);
  assertEquals(run.stderr, "microcoap: interrupted\n");
});

Deno.test("observe of a resource that is not observable prints it once and says so", async () => {
  await using serve = await serveOnFreePort();
  const run = await cli(["observe", `${serve.url}/hello`]);
  assertEquals([run.code, run.stdout], [0, "hello world\n"]);
  assertOneLine(run.stderr, /did not register/);
  const missing = await cli(["observe", `${serve.url}/missing`]);
  assertEquals(missing.code, 1);
  assertOneLine(missing.stderr, /4\.04/);
});

Deno.test("observe exits 1 when the server ends the observation with 4.04, printing it as a JSON line", async () => {
  await using serve = await serveOnFreePort();
  const gone = serve.server.get("/gone", () => ({ payload: "here" }), {
    observable: true,
  });
  const stdout = new Capture();
  const running = cli(["observe", "--json", `${serve.url}/gone`], { stdout });
  await stdout.waitFor("\n");
  gone.remove();
  const run = await running;
  assertEquals(run.code, 1);
  const lines = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
  assertEquals(lines.map((line) => line.code), ["2.05", "4.04"]);
  assertOneLine(run.stderr, /4\.04/);
});

Deno.test("discover exits 1 for a 4.xx and ping exits 3 for no answer", async () => {
  await using serve = await serveOnFreePort();
  const missing = await cli(["discover", `${serve.url}/nothing/here`]);
  assertEquals([missing.code, missing.stdout], [1, ""]);
  assertOneLine(missing.stderr, /4\.04/);
  await using peer = await udpPeer();
  const ping = await cli(["ping", "--timeout", "0.2", peer.url]);
  assertEquals([ping.code, ping.stdout], [3, ""]);
});

Deno.test("a request nobody answers times out with exit code 3", async () => {
  await using silent = await udpPeer();
  const run = await cli(["get", "--timeout", "0.2", `${silent.url}/x`]);
  assertEquals([run.code, run.stdout], [3, ""]);
  assertOneLine(run.stderr, /Cannot get a response/);
  const ping = await cli(["ping", "--timeout", "0.2", silent.url]);
  assertEquals(ping.code, 3);
  assertOneLine(ping.stderr, /.+/);
  const observe = await cli(["observe", "--timeout", "0.2", `${silent.url}/x`]);
  assertEquals(observe.code, 3);
});

Deno.test("a reset request exits 3", async () => {
  await using peer = await udpPeer(resetFor);
  const run = await cli(["get", `${peer.url}/x`]);
  assertEquals(run.code, 3);
  assertOneLine(run.stderr, /reset|RST/i);
});

Deno.test("a host name that does not resolve exits 3", async () => {
  const stderr = new Capture();
  const code = await runCli(["get", "coap://nowhere.invalid/x"], {
    stdout: new Capture(),
    stderr,
    clientOptions: {
      lookup: (hostname) =>
        Promise.reject(new CoapDnsError(hostname, { code: "ENOTFOUND" })),
    },
  });
  assertEquals(code, 3);
  assertOneLine(stderr.text, /nowhere\.invalid/);
});

Deno.test("an interrupted request exits 130", async () => {
  await using silent = await udpPeer();
  const controller = new AbortController();
  const running = cli(["get", `${silent.url}/x`], {
    signal: controller.signal,
  });
  await new Promise<void>((resolve) =>
    silent.socket.once("message", () => resolve())
  );
  controller.abort(new Error("Interrupted"));
  const run = await running;
  assertEquals(run.code, 130);
  assertEquals(run.stderr, "microcoap: interrupted\n");
});

Deno.test("usage errors exit 2 with the message and the command's help", async () => {
  const cases: [string[], string][] = [
    [["fly"], 'Unknown command "fly"'],
    [["get"], "Missing the URL"],
    [["get", "coap://h/", "--bogus"], "Unknown option --bogus for get"],
    [["get", "coap://h/", "extra"], 'Unexpected argument "extra"'],
  ];
  for (const [args, message] of cases) {
    const run = await cli(args);
    assertEquals(run.code, 2, args.join(" "));
    assertEquals(run.stdout, "");
    assert(run.stderr.startsWith("microcoap: "), run.stderr);
    assertStringIncludes(run.stderr, message);
    assertStringIncludes(run.stderr, "Usage: microcoap");
    assert(!/\n\s+at /.test(run.stderr), "no stack trace");
  }
});

Deno.test("bad values exit 2 with the message and a hint, not the whole help", async () => {
  const cases: [string[], string][] = [
    [["get", "http://example.com/"], "Cannot parse CoAP URI"],
    [["get", "coap://[::1/x"], "Cannot parse CoAP URI"],
    [["get", "coap://h:99999/"], "Cannot parse CoAP URI"],
    [["post", "coap://h/", "--content-format", "nonsense"], "--content-format"],
    [["observe", "coap://h/", "--count", "-1"], "--count"],
    [["get", "coap://h/", "--timeout", "soon"], "--timeout"],
    [["get", "coap://h/", "--option", "Bogus=1"], "--option"],
    [["post", "coap://h/", "--content-format", "cbor", "-p", "{"], "CBOR"],
    [["get", "::1"], "an IPv6 address goes in brackets"],
    [["ping", "coap://fe80::1:5683/x"], "an IPv6 address goes in brackets"],
  ];
  for (const [args, message] of cases) {
    const run = await cli(args);
    assertEquals(run.code, 2, args.join(" "));
    assertEquals(run.stdout, "");
    assert(run.stderr.startsWith("microcoap: "), run.stderr);
    assertStringIncludes(run.stderr, message);
    const lines = run.stderr.split("\n");
    assertEquals(lines.length, 3, run.stderr);
    assertEquals(lines[1], `Run 'microcoap ${args[0]} --help' for usage.`);
    assertEquals(lines[2], "");
    assert(!/\n\s+at /.test(run.stderr), "no stack trace");
  }
});

Deno.test("help prints the general help and each command's help", async () => {
  const general = await cli([]);
  assertEquals(general.code, 0);
  assertStringIncludes(general.stdout, "Commands:");
  assertEquals((await cli(["help"])).stdout, general.stdout);
  assertEquals((await cli(["--help"])).stdout, general.stdout);
  for (
    const command of [
      "get",
      "post",
      "put",
      "delete",
      "fetch",
      "patch",
      "ipatch",
      "observe",
      "discover",
      "ping",
      "serve",
    ]
  ) {
    const viaHelp = await cli(["help", command]);
    const viaFlag = await cli([command, "--help"]);
    assertEquals(viaHelp.code, 0);
    assertEquals(viaHelp.stdout, viaFlag.stdout);
    assertStringIncludes(viaHelp.stdout, `Usage: microcoap ${command}`);
  }
  assertEquals((await cli(["--version"])).stdout, "microcoap 0.1.0\n");
});

Deno.test("serve runs until interrupted and answers the other commands", async () => {
  const controller = new AbortController();
  const stdout = new Capture();
  const running = cli(["serve", "--port", "0"], {
    signal: controller.signal,
    stdout,
  });
  await stdout.waitFor("\n");
  const url = /coap:\/\/\S+/.exec(stdout.text)![0];
  assertMatch(url, /^coap:\/\/127\.0\.0\.1:\d+$/);
  const hello = await cli(["get", `${url}/hello`]);
  assertEquals(hello.stdout, "hello world\n");
  controller.abort();
  const run = await running;
  assertEquals(run.code, 0);
  assertEquals(run.stderr, "microcoap: stopped\n");
  const gone = await cli(["get", "--timeout", "0.2", `${url}/hello`]);
  assertEquals(gone.code, 3);
});

Deno.test("serve --dir serves files to put, get and delete", async () => {
  const dir = await Deno.makeTempDir();
  const controller = new AbortController();
  const stdout = new Capture();
  const running = cli(["serve", "--port", "0", "--dir", dir], {
    signal: controller.signal,
    stdout,
  });
  try {
    await stdout.waitFor("/files");
    const url = /coap:\/\/\S+/.exec(stdout.text)![0];
    const put = await cli([
      "put",
      "-p",
      "file body",
      `${url}/files/notes/a.txt`,
    ]);
    assertEquals(put.code, 0);
    assertEquals(await Deno.readTextFile(`${dir}/notes/a.txt`), "file body");
    assertEquals(
      (await cli(["get", `${url}/files/notes/a.txt`])).stdout,
      "file body\n",
    );
    assertEquals(
      (await cli(["get", `${url}/files/notes`])).stdout,
      "/files/notes/a.txt  ct=0\n",
    );
    assertEquals((await cli(["delete", `${url}/files/notes/a.txt`])).code, 0);
    assertEquals((await cli(["get", `${url}/files/notes/a.txt`])).code, 1);
  } finally {
    controller.abort();
    await running;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve refuses a --dir that is not a directory, and a port in use", async () => {
  const run = await cli(["serve", "--port", "0", "--dir", "/nonexistent/dir"]);
  assertEquals(run.code, 2);
  assertOneLine(run.stderr, /not a directory/);
  await using serve = await serveOnFreePort();
  const port = serve.url.split(":").at(-1)!;
  const busy = await cli(["serve", "--port", port]);
  assertEquals(busy.code, 3);
  assertOneLine(busy.stderr, /.+/);
});
