// Copyright 2026 the microcoap authors. MIT license.
// Command-line parsing for `microcoap`: the commands, their flags, help texts
// and the checks of flag values. Everything here throws UsageError for bad
// input; cli.ts turns that into exit code 2 and the command's help (or, for
// a bad value, a pointer to it).
import { parseArgs } from "@std/cli/parse-args";
import { createOption, optionInfo, parseContentFormat } from "@microcoap/codec";
import type { CoapMethod, CoapOption } from "@microcoap/codec";
import { isMulticastAddress } from "@microcoap/transport";

/** A usage error: a message and the command whose help to print. */
export class UsageError extends Error {
  readonly command: string | undefined;
  /**
   * What follows the message: the command's whole help (the command line is
   * wrong: an unknown option, a missing URL), a one-line pointer to it (a
   * value is wrong), or nothing (a file cannot be read).
   */
  readonly help: UsageHelp;

  constructor(message: string, command?: string, help: UsageHelp = "full") {
    super(message);
    this.name = "UsageError";
    this.command = command;
    this.help = help;
  }
}

/** What a {@linkcode UsageError} prints after its message. */
export type UsageHelp = "full" | "hint" | "none";

/** A bad value: the message and a pointer to the help. */
export class ValueError extends UsageError {
  constructor(message: string, command?: string) {
    super(message, command, "hint");
    this.name = "UsageError";
  }
}

/** Every flag of any command. */
type Flag =
  | "payload"
  | "file"
  | "content-format"
  | "accept"
  | "non"
  | "timeout"
  | "block-size"
  | "option"
  | "count"
  | "duration"
  | "json"
  | "verbose"
  | "raw"
  | "hostname"
  | "port"
  | "dir"
  | "verify-peers"
  | "interface"
  | "group"
  | "help";

const STRING_FLAGS: readonly Flag[] = [
  "payload",
  "file",
  "content-format",
  "accept",
  "timeout",
  "block-size",
  "option",
  "count",
  "duration",
  "hostname",
  "port",
  "dir",
  "interface",
  "group",
];
const BOOLEAN_FLAGS: readonly Flag[] = [
  "non",
  "json",
  "verbose",
  "raw",
  "verify-peers",
  "help",
];
const ALIASES: Readonly<Record<string, Flag>> = {
  p: "payload",
  v: "verbose",
  h: "help",
};

const FLAG_HELP: Readonly<Record<Flag, string>> = {
  payload: "-p, --payload TEXT       the request payload (UTF-8 text)",
  file: "    --file PATH          read the payload from a file, or stdin for -",
  "content-format":
    "    --content-format CF  the payload's Content-Format: a name (text, json,\n" +
    "                         cbor, link-format, octet-stream, application/xml, ...)\n" +
    "                         or a number; with cbor, a --payload is read as JSON\n" +
    "                         and sent as CBOR",
  accept:
    "    --accept CF          the Content-Format wanted (the Accept option)",
  non: "    --non                send a non-confirmable (NON) request",
  timeout:
    "    --timeout SECONDS    give up after this long (default: the CoAP limits,\n" +
    "                         about 93 s for CON)",
  "block-size":
    "    --block-size N       block size for block-wise transfer: 16, 32, 64,\n" +
    "                         128, 256, 512 or 1024",
  option:
    "    --option NUM=VALUE   add an option (repeatable); NUM is a number or a\n" +
    "                         name such as If-None-Match; VALUE is text, 0x-hex,\n" +
    "                         or a number for uint options",
  count: "    --count N            stop after N notifications",
  duration: "    --duration SECONDS   stop observing after this long",
  json:
    "    --json               print one JSON object per response: code, codeName,\n" +
    "                         type, options, contentFormat, observe, payload",
  verbose:
    "-v, --verbose            print the messages sent and received, and timing,\n" +
    "                         to stderr",
  raw: "    --raw                print the payload bytes as they are",
  hostname:
    "    --hostname ADDR      the address to bind (default 127.0.0.1; :: or\n" +
    "                         0.0.0.0 for every address)",
  port:
    "    --port N             the UDP port (default 5683; 0 for any free port)",
  dir:
    "    --dir PATH           also serve the files under PATH at /files/... (GET,\n" +
    "                         PUT, DELETE)",
  "verify-peers":
    "    --verify-peers       answer a large response or an observe registration\n" +
    "                         from an address not yet verified with 4.01 and an\n" +
    "                         Echo option (RFC 9175; clients must support Echo)",
  interface:
    "    --interface ADDR     for a multicast URL (coap://224.0.1.187/...): the\n" +
    "                         interface to send from, as its address (127.0.0.1,\n" +
    "                         or ::%eth0 for IPv6); every server's answer is printed",
  group:
    "    --group ADDR         join a multicast group, such as 224.0.1.187 (All\n" +
    "                         CoAP Nodes), on --interface (repeatable)",
  help: "-h, --help               show this help",
};

const REQUEST_FLAGS: readonly Flag[] = [
  "accept",
  "non",
  "timeout",
  "interface",
  "block-size",
  "option",
  "json",
  "verbose",
  "raw",
  "help",
];
const PAYLOAD_FLAGS: readonly Flag[] = ["payload", "file", "content-format"];

/** A command: its name, method, usage line, summary and flags. */
export interface CommandSpec {
  readonly name: string;
  readonly method?: CoapMethod;
  readonly usage: string;
  readonly summary: string;
  readonly flags: readonly Flag[];
  /** Help lines of flags that mean something else for this command. */
  readonly flagHelp?: Partial<Record<Flag, string>>;
  readonly details?: string;
}

function requestCommand(
  name: string,
  method: CoapMethod,
  summary: string,
  payload: boolean,
): CommandSpec {
  return {
    name,
    method,
    usage: `microcoap ${name} URL [options]`,
    summary,
    flags: payload ? [...PAYLOAD_FLAGS, ...REQUEST_FLAGS] : REQUEST_FLAGS,
  };
}

/** The commands, in the order the help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  requestCommand("get", "GET", "Fetch a resource (GET)", false),
  requestCommand("post", "POST", "Send a payload to a resource (POST)", true),
  requestCommand("put", "PUT", "Create or replace a resource (PUT)", true),
  requestCommand("delete", "DELETE", "Delete a resource (DELETE)", false),
  requestCommand(
    "fetch",
    "FETCH",
    "Fetch with a request body (FETCH, RFC 8132)",
    true,
  ),
  requestCommand("patch", "PATCH", "Change a resource (PATCH, RFC 8132)", true),
  requestCommand(
    "ipatch",
    "IPATCH",
    "Change a resource idempotently (iPATCH, RFC 8132)",
    true,
  ),
  {
    name: "observe",
    method: "GET",
    usage: "microcoap observe URL [options]",
    summary: "Print a resource's notifications as they arrive (RFC 7641)",
    // Observing a group is a usage error, so no --interface.
    flags: [
      ...REQUEST_FLAGS.filter((flag) => flag !== "interface"),
      "count",
      "duration",
    ],
    details:
      "Stops after --count notifications, after --duration seconds, when the\n" +
      "server ends the observation, or on Ctrl-C (and deregisters). The exit\n" +
      "code is that of the last notification: Ctrl-C ends it with exit code 0\n" +
      "after a 2.xx (130 if nothing arrived), a final 4.04 from the server\n" +
      "with 1.",
  },
  {
    name: "discover",
    method: "GET",
    usage: "microcoap discover URL [options]",
    summary: "List a server's resources (GET /.well-known/core, RFC 6690)",
    flags: REQUEST_FLAGS,
    details:
      "A URL without a path asks for /.well-known/core; a query filters it,\n" +
      "as in coap://host/?rt=temperature.",
  },
  {
    name: "ping",
    usage: "microcoap ping URL [options]",
    summary: "Check that an endpoint is alive (an empty CON, RFC 7252 §4.3)",
    flags: ["timeout", "json", "verbose", "help"],
  },
  {
    name: "serve",
    usage: "microcoap serve [options]",
    summary: "Run a CoAP server to try things out",
    flags: [
      "hostname",
      "port",
      "dir",
      "verify-peers",
      "group",
      "interface",
      "verbose",
      "help",
    ],
    flagHelp: {
      interface:
        "    --interface ADDR     the interface to join the --group groups on, as its\n" +
        "                         address (127.0.0.1, or ::%eth0 for IPv6)",
    },
    details: "Resources:\n" +
      '  /hello             GET: 2.05 text/plain "hello world"\n' +
      "  /echo              POST, PUT: 2.04 with the request's payload and format\n" +
      "                     (PATCH, iPATCH too; FETCH: 2.05)\n" +
      "  /time              GET, observable: the time, a notification every second\n" +
      "  /large             GET: 10,000 bytes of text, served block-wise\n" +
      "  /files/...         with --dir: GET, PUT (block-wise uploads), DELETE\n" +
      "  /.well-known/core  GET: the list of resources\n" +
      "With --group, requests to that multicast group are answered too (after a\n" +
      "random delay of up to 5 s, and only when there is something to say).\n" +
      "Stops on Ctrl-C (SIGINT) or SIGTERM.",
  },
];

/** The command spec of a name, or `undefined`. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((command) => command.name === name);
}

/** The version printed by `--version`. */
export const VERSION = "0.1.0";

/** The help text of a command, or the general help. */
export function helpText(command?: string): string {
  const spec = command === undefined ? undefined : findCommand(command);
  if (spec === undefined) {
    const width = Math.max(...COMMANDS.map((c) => c.name.length));
    return [
      "microcoap: a CoAP (RFC 7252) client and server",
      "",
      "Usage: microcoap COMMAND [options]",
      "",
      "Commands:",
      ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
      `  ${
        "help".padEnd(width)
      }  Show the help of a command (microcoap help get)`,
      "",
      "URLs look like coap://127.0.0.1:5683/path?query or coap://[::1]/path;",
      "coap:// may be left out. Run `microcoap COMMAND --help` for its options.",
      "",
      "Exit codes: 0 for a 2.xx response, 1 for 4.xx and 5.xx, 2 for usage",
      "errors, 3 for timeouts, resets and network errors, 130 when interrupted.",
      "",
    ].join("\n");
  }
  return [
    `${spec.summary}.`,
    "",
    `Usage: ${spec.usage}`,
    "",
    "Options:",
    ...spec.flags.map((flag) =>
      "  " + (spec.flagHelp?.[flag] ?? FLAG_HELP[flag]).replaceAll("\n", "\n  ")
    ),
    ...(spec.details ? ["", spec.details] : []),
    "",
  ].join("\n");
}

/** The parsed command line of one command. */
export interface ParsedCommand {
  readonly command: CommandSpec;
  readonly positionals: readonly string[];
  readonly payload?: string;
  readonly file?: string;
  readonly contentFormat?: number;
  readonly accept?: number;
  readonly confirmable: boolean;
  readonly timeout?: number;
  readonly blockSize?: number;
  readonly options: readonly CoapOption[];
  readonly count?: number;
  readonly duration?: number;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly raw: boolean;
  readonly hostname: string;
  readonly port: number;
  readonly dir?: string;
  readonly verifyPeers: boolean;
  /** `--interface`: where multicast goes out (requests) or groups are joined (serve). */
  readonly interface?: string;
  /** `--group`: the multicast groups `serve` joins. */
  readonly groups: readonly string[];
  readonly help: boolean;
}

/** What the command line asks for. */
export type Invocation =
  | { readonly kind: "help"; readonly command?: string }
  | { readonly kind: "version" }
  | { readonly kind: "command"; readonly parsed: ParsedCommand };

// parseArgs takes neither "" nor anything starting with "-" as the value of a
// flag, yet `--file -` means stdin and `--payload ""` or `-p -1` are
// payloads; glue such pairs into `--flag=value`, unless the next argument is
// itself one of our flags.
function glueDashValues(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const name = arg.startsWith("--")
      ? arg.slice(2)
      : /^-[a-zA-Z]$/.test(arg)
      ? ALIASES[arg.slice(1)]
      : undefined;
    const next = args[i + 1];
    if (
      name !== undefined && STRING_FLAGS.includes(name as Flag) &&
      next !== undefined && (next === "" || next.startsWith("-")) &&
      !isOurFlag(next)
    ) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

function isOurFlag(arg: string): boolean {
  if (arg === "--") return true;
  if (arg.startsWith("--")) {
    const name = arg.slice(2).replace(/=.*$/s, "");
    return [...STRING_FLAGS, ...BOOLEAN_FLAGS].includes(name as Flag);
  }
  return /^-[a-zA-Z]+$/.test(arg) &&
    [...arg.slice(1)].every((letter) => letter in ALIASES);
}

// What parseArgs gives for the flags above.
interface RawFlags {
  _: (string | number)[];
  "--"?: string[];
  payload?: string;
  file?: string;
  "content-format"?: string;
  accept?: string;
  timeout?: string;
  "block-size"?: string;
  option?: string[];
  count?: string;
  duration?: string;
  hostname?: string;
  port?: string;
  dir?: string;
  interface?: string;
  group?: string[];
  non: boolean;
  json: boolean;
  verbose: boolean;
  raw: boolean;
  "verify-peers": boolean;
  help: boolean;
}

/** Parses the whole command line. */
export function parseCommandLine(args: readonly string[]): Invocation {
  const first = args[0];
  if (first === undefined || first === "--help" || first === "-h") {
    return { kind: "help" };
  }
  if (first === "--version" || first === "-V") return { kind: "version" };
  if (first === "help") {
    const topic = args[1] === "help" ? undefined : args[1];
    if (topic !== undefined && findCommand(topic) === undefined) {
      throw new UsageError(`Unknown command "${topic}"`);
    }
    return topic === undefined
      ? { kind: "help" }
      : { kind: "help", command: topic };
  }
  const spec = findCommand(first);
  if (spec === undefined) {
    throw new UsageError(
      first.startsWith("-")
        ? `Expected a command before "${first}"`
        : `Unknown command "${first}"`,
    );
  }
  const unknown: string[] = [];
  const parsed = parseArgs(glueDashValues(args.slice(1)), {
    string: STRING_FLAGS as Flag[],
    boolean: BOOLEAN_FLAGS as Flag[],
    collect: ["option", "group"],
    alias: ALIASES,
    "--": true,
    unknown: (arg: string, key?: string) => {
      if (key === undefined) return true;
      unknown.push(arg);
      return false;
    },
  }) as unknown as RawFlags;
  if (parsed.help) return { kind: "help", command: spec.name };
  if (unknown.length > 0) {
    throw new UsageError(
      `Unknown option ${unknown[0]!.replace(/=.*$/, "")} for ${spec.name}`,
      spec.name,
    );
  }
  const given = (flag: Flag): boolean => {
    const value = (parsed as unknown as Record<string, unknown>)[flag];
    if (Array.isArray(value)) return value.length > 0;
    if (typeof value === "boolean") return value;
    return value !== undefined;
  };
  for (const flag of [...STRING_FLAGS, ...BOOLEAN_FLAGS]) {
    if (given(flag) && !spec.flags.includes(flag)) {
      throw new UsageError(
        `Option --${flag} does not apply to ${spec.name}`,
        spec.name,
      );
    }
  }
  const positionals = [
    ...parsed._.map(String),
    ...(parsed["--"] ?? []).map(String),
  ];
  const wantsUrl = spec.name !== "serve";
  if (wantsUrl && positionals.length === 0) {
    throw new UsageError(`Missing the URL for ${spec.name}`, spec.name);
  }
  const extra = positionals.slice(wantsUrl ? 1 : 0);
  if (extra.length > 0) {
    throw new UsageError(`Unexpected argument "${extra[0]}"`, spec.name);
  }
  const name = spec.name;
  if (parsed.payload !== undefined && parsed.file !== undefined) {
    throw new UsageError("Give either --payload or --file, not both", name);
  }
  // --json prints the payload inside JSON, --raw as bytes: one or the other.
  if (parsed.json && parsed.raw) {
    throw new UsageError("Give either --json or --raw, not both", name);
  }
  if (parsed.file === "") {
    throw new ValueError("Option --file needs a path, or - for stdin", name);
  }
  const result: {
    -readonly [K in keyof ParsedCommand]: ParsedCommand[K];
  } = {
    command: spec,
    positionals,
    confirmable: !parsed.non,
    options: (parsed.option ?? []).map((text: string) =>
      parseOptionFlag(text, name)
    ),
    json: parsed.json,
    verbose: parsed.verbose,
    raw: parsed.raw,
    hostname: parsed.hostname ?? "127.0.0.1",
    port: parsed.port === undefined
      ? 5683
      : integer(parsed.port, "--port", 0, 65535, name),
    verifyPeers: parsed["verify-peers"],
    groups: parsed.group ?? [],
    help: false,
  };
  if (parsed.interface !== undefined) {
    if (parsed.interface === "") {
      throw new ValueError("Option --interface needs an address", name);
    }
    result.interface = parsed.interface;
  }
  for (const group of result.groups) {
    if (!isMulticastAddress(group)) {
      throw new ValueError(
        `Option --group is "${group}", expected a multicast address such as 224.0.1.187`,
        name,
      );
    }
  }
  if (parsed.payload !== undefined) result.payload = parsed.payload;
  if (parsed.file !== undefined) result.file = parsed.file;
  if (parsed["content-format"] !== undefined) {
    result.contentFormat = contentFormat(
      parsed["content-format"],
      "--content-format",
      name,
    );
  }
  if (parsed.accept !== undefined) {
    result.accept = contentFormat(parsed.accept, "--accept", name);
  }
  if (parsed.timeout !== undefined) {
    result.timeout = seconds(parsed.timeout, "--timeout", name);
  }
  if (parsed.duration !== undefined) {
    result.duration = seconds(parsed.duration, "--duration", name);
  }
  if (parsed.count !== undefined) {
    result.count = integer(parsed.count, "--count", 1, 2 ** 31, name);
  }
  if (parsed["block-size"] !== undefined) {
    const size = integer(parsed["block-size"], "--block-size", 16, 1024, name);
    if ((size & (size - 1)) !== 0) {
      throw new ValueError(
        `Option --block-size is ${size}, expected 16, 32, 64, 128, 256, 512 or 1024`,
        name,
      );
    }
    result.blockSize = size;
  }
  if (parsed.dir !== undefined) {
    if (parsed.dir === "") {
      throw new ValueError("Option --dir needs a path", name);
    }
    result.dir = parsed.dir;
  }
  if (parsed.hostname === "") {
    throw new ValueError("Option --hostname needs an address", name);
  }
  return { kind: "command", parsed: result };
}

function integer(
  text: string,
  flag: string,
  min: number,
  max: number,
  command: string,
): number {
  const value = /^[0-9]+$/.test(text.trim()) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    throw new ValueError(
      `Option ${flag} is "${text}", expected an integer from ${min} to ${max}`,
      command,
    );
  }
  return value;
}

// Seconds as given on the command line, to milliseconds.
function seconds(text: string, flag: string, command: string): number {
  const value = /^[0-9]*\.?[0-9]+$/.test(text.trim()) ? Number(text) : NaN;
  if (!(value > 0 && value <= 2_000_000)) {
    throw new ValueError(
      `Option ${flag} is "${text}", expected a positive number of seconds`,
      command,
    );
  }
  return Math.round(value * 1000);
}

function contentFormat(text: string, flag: string, command: string): number {
  try {
    return parseContentFormat(text);
  } catch {
    throw new ValueError(
      `Option ${flag} is "${text}", expected a media type (text, json, cbor, link-format, ...) or a number from 0 to 65535`,
      command,
    );
  }
}

const OPTION_NUMBERS = new Map<string, number>();
for (let number = 0; number < 300; number++) {
  const info = optionInfo(number);
  if (info) OPTION_NUMBERS.set(info.name.toLowerCase(), number);
}

const encoder = new TextEncoder();

/** Parses `--option NUM=VALUE` into an option. */
export function parseOptionFlag(text: string, command?: string): CoapOption {
  const at = text.indexOf("=");
  const key = (at < 0 ? text : text.slice(0, at)).trim();
  const valueText = at < 0 ? "" : text.slice(at + 1);
  const number = /^[0-9]+$/.test(key)
    ? Number(key)
    : OPTION_NUMBERS.get(key.toLowerCase());
  if (number === undefined || number > 65535) {
    throw new ValueError(
      `Option --option "${text}" has no valid option number: expected NUM=VALUE with NUM from 0 to 65535 or a name such as Uri-Query`,
      command,
    );
  }
  const format = optionInfo(number)?.format;
  let value: number | string | Uint8Array | undefined;
  if (valueText === "") value = undefined;
  else if (/^0x([0-9a-fA-F]{2})*$/.test(valueText)) {
    const hex = valueText.slice(2);
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i++) {
      bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    }
    value = bytes;
  } else if (format === "opaque" && /^0x/i.test(valueText)) {
    throw new ValueError(
      `Option --option "${text}": option ${number} takes bytes, and "${valueText}" is not 0x followed by pairs of hex digits`,
      command,
    );
  } else if (format === "uint") {
    if (!/^[0-9]+$/.test(valueText) || Number(valueText) > 0xffffffff) {
      throw new ValueError(
        `Option --option "${text}": option ${number} takes an unsigned integer or 0x-hex`,
        command,
      );
    }
    value = Number(valueText);
  } else value = encoder.encode(valueText);
  try {
    return createOption(number, value);
  } catch (error) {
    throw new ValueError(
      `Option --option "${text}": ${(error as Error).message}`,
      command,
    );
  }
}
