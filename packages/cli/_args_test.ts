// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import {
  COMMANDS,
  helpText,
  parseCommandLine,
  parseOptionFlag,
  UsageError,
  VERSION,
} from "./_args.ts";
import type { ParsedCommand } from "./_args.ts";

function parse(...args: string[]): ParsedCommand {
  const invocation = parseCommandLine(args);
  if (invocation.kind !== "command") throw new Error(`got ${invocation.kind}`);
  return invocation.parsed;
}

Deno.test("parseCommandLine() reads a request with every flag", () => {
  const parsed = parse(
    "put",
    "coap://h/x",
    "-p",
    "on",
    "--content-format",
    "json",
    "--accept",
    "60",
    "--non",
    "--timeout",
    "1.5",
    "--block-size",
    "64",
    "--option",
    "2048=0x0102",
    "--option",
    "Max-Age=30",
    "--json",
    "-v",
  );
  assertEquals(parsed.command.name, "put");
  assertEquals(parsed.command.method, "PUT");
  assertEquals(parsed.positionals, ["coap://h/x"]);
  assertEquals(parsed.payload, "on");
  assertEquals(parsed.contentFormat, 50);
  assertEquals(parsed.accept, 60);
  assertEquals(parsed.confirmable, false);
  assertEquals(parsed.timeout, 1500);
  assertEquals(parsed.blockSize, 64);
  assertEquals(parsed.options, [
    { number: 2048, value: new Uint8Array([1, 2]) },
    { number: 14, value: new Uint8Array([30]) },
  ]);
  assertEquals([parsed.json, parsed.verbose, parsed.raw], [true, true, false]);
  const raw = parse("get", "coap://h/x", "--raw");
  assertEquals([raw.json, raw.verbose, raw.raw], [false, false, true]);
});

Deno.test("parseCommandLine() takes - as the value of --file and --payload", () => {
  assertEquals(parse("post", "coap://h/", "--file", "-").file, "-");
  assertEquals(parse("post", "coap://h/", "--file=-").file, "-");
  assertEquals(parse("post", "coap://h/", "--payload", "-").payload, "-");
  assertEquals(parse("post", "coap://h/", "-p", "-").payload, "-");
});

Deno.test("parseCommandLine() takes an empty value and a value that starts with -", () => {
  assertEquals(parse("post", "coap://h/", "--payload", "").payload, "");
  assertEquals(parse("post", "coap://h/", "-p", "").payload, "");
  assertEquals(parse("post", "coap://h/", "--payload", "-1").payload, "-1");
  assertEquals(parse("post", "coap://h/", "-p", "-x y").payload, "-x y");
  assertEquals(
    parse("post", "coap://h/", "--content-format", "json", "-p", "-2.5")
      .payload,
    "-2.5",
  );
  assertThrows(
    () => parseCommandLine(["get", "coap://h/", "--option", ""]),
    UsageError,
    "has no valid option number",
  );
  // A known flag after a flag that wants a value is still that flag.
  const parsed = parse("post", "coap://h/", "--payload", "--json");
  assertEquals([parsed.payload, parsed.json], ["", true]);
});

Deno.test("parseCommandLine() reads observe and serve flags with defaults", () => {
  const observe = parse(
    "observe",
    "coap://h/t",
    "--count",
    "3",
    "--duration",
    "0.5",
  );
  assertEquals([observe.count, observe.duration], [3, 500]);
  const serve = parse("serve");
  assertEquals([serve.hostname, serve.port, serve.dir, serve.verifyPeers], [
    "127.0.0.1",
    5683,
    undefined,
    false,
  ]);
  assertEquals(parse("serve", "--verify-peers").verifyPeers, true);
  const any = parse(
    "serve",
    "--hostname",
    "::",
    "--port",
    "0",
    "--dir",
    "/tmp",
  );
  assertEquals([any.hostname, any.port, any.dir], ["::", 0, "/tmp"]);
});

Deno.test("parseCommandLine() answers help and version requests", () => {
  assertEquals(parseCommandLine([]), { kind: "help" });
  assertEquals(parseCommandLine(["--help"]), { kind: "help" });
  assertEquals(parseCommandLine(["help"]), { kind: "help" });
  assertEquals(parseCommandLine(["help", "help"]), { kind: "help" });
  assertEquals(parseCommandLine(["help", "get"]), {
    kind: "help",
    command: "get",
  });
  assertEquals(parseCommandLine(["get", "--help"]), {
    kind: "help",
    command: "get",
  });
  assertEquals(parseCommandLine(["serve", "-h"]), {
    kind: "help",
    command: "serve",
  });
  assertEquals(parseCommandLine(["--version"]), { kind: "version" });
});

Deno.test("parseCommandLine() rejects unknown commands and options, and options of other commands", () => {
  const cases: [string[], string, string | undefined][] = [
    [["fly"], 'Unknown command "fly"', undefined],
    [["help", "fly"], 'Unknown command "fly"', undefined],
    [["--bogus"], 'Expected a command before "--bogus"', undefined],
    [["get", "coap://h/", "--bogus"], "Unknown option --bogus for get", "get"],
    [
      ["get", "coap://h/", "--bogus=1"],
      "Unknown option --bogus for get",
      "get",
    ],
    [
      ["get", "coap://h/", "-p", "x"],
      "Option --payload does not apply to get",
      "get",
    ],
    [
      ["ping", "coap://h/", "--raw"],
      "Option --raw does not apply to ping",
      "ping",
    ],
    [
      ["get", "coap://h/", "--count", "2"],
      "Option --count does not apply to get",
      "get",
    ],
    [["get"], "Missing the URL for get", "get"],
    [["get", "a", "b"], 'Unexpected argument "b"', "get"],
    [["serve", "x"], 'Unexpected argument "x"', "serve"],
    [
      ["post", "u", "-p", "x", "--file", "f"],
      "Give either --payload or --file, not both",
      "post",
    ],
    [
      ["get", "u", "--json", "--raw"],
      "Give either --json or --raw, not both",
      "get",
    ],
    [
      ["post", "u", "--file"],
      "Option --file needs a path, or - for stdin",
      "post",
    ],
  ];
  for (const [args, message, command] of cases) {
    const error = assertThrows(() => parseCommandLine(args), UsageError);
    assertEquals(error.message, message, args.join(" "));
    assertEquals(error.command, command, args.join(" "));
  }
});

Deno.test("parseCommandLine() checks flag values", () => {
  const bad: string[][] = [
    ["get", "u", "--timeout", "0"],
    ["get", "u", "--timeout", "soon"],
    ["get", "u", "--timeout", "-1"],
    ["get", "u", "--block-size", "100"],
    ["get", "u", "--block-size", "2048"],
    ["get", "u", "--accept", "nonsense/type"],
    ["post", "u", "--content-format", "70000"],
    ["observe", "u", "--count", "0"],
    ["observe", "u", "--count", "1.5"],
    ["observe", "u", "--duration", "x"],
    ["serve", "--port", "65536"],
    ["serve", "--port", "http"],
    ["serve", "--dir="],
    ["serve", "--hostname="],
  ];
  for (const args of bad) {
    assertThrows(
      () => parseCommandLine(args),
      UsageError,
      undefined,
      args.join(" "),
    );
  }
});

Deno.test("parseOptionFlag() reads numbers, names, hex, uint and text values", () => {
  assertEquals(parseOptionFlag("12=50"), {
    number: 12,
    value: new Uint8Array([50]),
  });
  assertEquals(parseOptionFlag("content-format=0"), {
    number: 12,
    value: new Uint8Array(0),
  });
  assertEquals(parseOptionFlag("If-None-Match"), {
    number: 5,
    value: new Uint8Array(0),
  });
  assertEquals(parseOptionFlag("4=0xCAFE"), {
    number: 4,
    value: new Uint8Array([0xca, 0xfe]),
  });
  assertEquals(parseOptionFlag("15=a=b"), {
    number: 15,
    value: new TextEncoder().encode("a=b"),
  });
  assertEquals(parseOptionFlag("65000=text"), {
    number: 65000,
    value: new TextEncoder().encode("text"),
  });
  // A string option keeps text that only looks like hex.
  assertEquals(parseOptionFlag("Uri-Query=0xford"), {
    number: 15,
    value: new TextEncoder().encode("0xford"),
  });
  assertEquals(parseOptionFlag("14=0x"), {
    number: 14,
    value: new Uint8Array(0),
  });
});

Deno.test("parseOptionFlag() rejects bad numbers, non-numbers for uint options and overlong values", () => {
  for (
    const text of [
      "x=1",
      "70000=1",
      "=1",
      "12=json",
      "12=-1",
      "12=99999999999",
      "4=0x0102030405060708090a",
      "5=x",
      // An opaque option (ETag, If-Match) takes bytes: half-typed hex is a
      // mistake, not the text "0x123".
      "4=0x123",
      "If-Match=0xzz",
    ]
  ) {
    assertThrows(
      () => parseOptionFlag(text, "get"),
      UsageError,
      undefined,
      text,
    );
  }
});

Deno.test("helpText() lists every command, and each command's options", () => {
  const general = helpText();
  for (const command of COMMANDS) {
    assertStringIncludes(general, `  ${command.name} `);
    const text = helpText(command.name);
    assertStringIncludes(text, `Usage: microcoap ${command.name}`);
    assertStringIncludes(text, "--help");
    for (const flag of command.flags) assertStringIncludes(text, `--${flag}`);
  }
  assertStringIncludes(helpText("serve"), "/large");
  assertStringIncludes(general, "Exit codes");
  assertStringIncludes(general, "130 when interrupted");
  // Ctrl-C is how an observation normally ends, so it is not a failure.
  assertStringIncludes(helpText("observe"), "Ctrl-C ends it with exit code 0");
});

Deno.test("helpText() describes serve's --interface as where groups are joined; observe has no --interface", () => {
  const serve = helpText("serve");
  assertStringIncludes(serve, "the interface to join the --group groups on");
  assertEquals(serve.includes("every server's answer"), false);
  assertStringIncludes(helpText("get"), "every server's answer is printed");
  // Observing a group is a usage error, so --interface has nothing to pick.
  assertEquals(helpText("observe").includes("--interface"), false);
  const error = assertThrows(
    () =>
      parseCommandLine(["observe", "--interface", "127.0.0.1", "coap://h/"]),
    UsageError,
  );
  assertEquals(error.message, "Option --interface does not apply to observe");
});

Deno.test("VERSION is the package version", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("./deno.json", import.meta.url)),
  );
  assertEquals(VERSION, config.version);
});
