// Copyright 2026 the microcoap authors. MIT license.
/**
 * How the `microcoap` command shows what it receives: payloads decoded by
 * Content-Format (text, pretty JSON, CBOR as JSON, link-format as a list,
 * binary as a hex dump), response codes and options, and the JSON form of a
 * response for `--json`.
 *
 * @module
 */
import {
  codeName,
  contentFormatName,
  decodeBlock,
  decodeUint,
  formatCode,
  getOption,
  optionInfo,
  parseLinkFormat,
} from "@microcoap/codec";
import type {
  CoapCodeName,
  CoapOption,
  CoapType,
  CoreLink,
} from "@microcoap/codec";
import { decode as decodeCbor, decodeFirst as decodeCborFirst } from "cborg";
import { toHex } from "./_hex.ts";

/**
 * How a payload was decoded: `"empty"` (no payload), `"text"` (UTF-8),
 * `"json"` (parsed JSON), `"cbor"` (CBOR converted to JSON values),
 * `"link-format"` (RFC 6690 links) or `"binary"` (a hex string).
 *
 * @example Usage
 * ```ts
 * import { decodePayload } from "@microcoap/cli/format";
 * import type { PayloadFormat } from "@microcoap/cli/format";
 * import { assertEquals } from "@std/assert";
 *
 * const format: PayloadFormat = decodePayload(new Uint8Array(0)).format;
 * assertEquals(format, "empty");
 * ```
 */
export type PayloadFormat =
  | "empty"
  | "text"
  | "json"
  | "cbor"
  | "link-format"
  | "binary";

/**
 * A payload decoded by {@linkcode decodePayload}.
 *
 * @example Usage
 * ```ts
 * import { decodePayload } from "@microcoap/cli/format";
 * import type { DecodedPayload } from "@microcoap/cli/format";
 * import { assertEquals } from "@std/assert";
 *
 * const decoded: DecodedPayload = decodePayload(new TextEncoder().encode("{oops"), 50);
 * assertEquals(decoded.format, "text");
 * assertEquals(typeof decoded.error, "string");
 * ```
 */
export interface DecodedPayload {
  /** How the payload was decoded. */
  readonly format: PayloadFormat;
  /**
   * The decoded value, always JSON-able: a string for text, the parsed value
   * for JSON and CBOR, the links for link-format, lowercase hex for binary
   * and `null` for no payload.
   */
  readonly value: unknown;
  /**
   * Why the payload was not decoded as its Content-Format says (for example
   * invalid JSON), when it was not.
   */
  readonly error?: string;
}

const JSON_FORMATS = new Set([50, 51, 52, 110, 111, 256, 320, 432, 11543]);
// CBOR-based formats (COSE and CWT included); CBOR sequences are separate.
const CBOR_FORMATS = new Set([
  16,
  17,
  18,
  19,
  60,
  61,
  96,
  97,
  98,
  101,
  102,
  112,
  113,
  140,
  257,
  258,
  271,
  322,
  340,
  341,
  10000,
  11544,
]);
const CBOR_SEQ_FORMATS = new Set([63, 64, 65, 272]);
const TEXT_FORMATS = new Set([0, 41, 310, 311, 10002]);

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function utf8OrUndefined(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

// Text a terminal shows as it is: no control characters but tab, CR, LF, FF.
function printable(text: string): boolean {
  // deno-lint-ignore no-control-regex
  return !/[\x00-\x08\x0b\x0e-\x1f\x7f]/.test(text);
}

class Tagged {
  constructor(readonly tag: number, readonly value: unknown) {}
}

// cborg looks decoders up by tag number; this answers for every tag, so that
// tagged items decode to { tag, value } instead of failing.
const ANY_TAG = new Proxy([] as unknown[], {
  get(target, key, receiver) {
    if (typeof key === "string" && /^[0-9]+$/.test(key)) {
      return (decodeInner: () => unknown) =>
        new Tagged(Number(key), decodeInner());
    }
    return Reflect.get(target, key, receiver);
  },
});

const CBOR_OPTIONS = {
  useMaps: true,
  allowUndefined: true,
  tags: ANY_TAG as never,
} as const;

/** CBOR data model values to JSON values (byte strings as `h'..'`). */
function jsonOf(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === "bigint") {
    return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  }
  if (typeof value === "number") {
    return Number.isFinite(value) ? value : String(value);
  }
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (value instanceof Uint8Array) return `h'${toHex(value)}'`;
  if (value instanceof Tagged) {
    return { tag: value.tag, value: jsonOf(value.value) };
  }
  if (Array.isArray(value)) return value.map(jsonOf);
  if (value instanceof Map) {
    const object: Record<string, unknown> = {};
    for (const [key, item] of value) {
      const name = typeof key === "string" ? key : JSON.stringify(jsonOf(key));
      object[name] = jsonOf(item);
    }
    return object;
  }
  return String(value);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function fallback(payload: Uint8Array, error: string): DecodedPayload {
  const text = utf8OrUndefined(payload);
  return text !== undefined && printable(text)
    ? { format: "text", value: text, error }
    : { format: "binary", value: toHex(payload), error };
}

/**
 * Decodes a payload by its Content-Format into a JSON-able value. Text
 * formats give the text, JSON formats the parsed value, CBOR formats the
 * decoded value (maps become objects, byte strings `h'..'` strings, tagged
 * items `{ tag, value }`), CBOR sequences an array of items, link-format the
 * links, and other formats lowercase hex. Without a Content-Format, printable
 * UTF-8 is text and anything else binary. A payload that does not parse as
 * its format is kept as text (or hex) with an `error`; this never throws.
 *
 * @param payload The payload bytes.
 * @param contentFormat The Content-Format option, if there was one.
 * @returns The decoded payload.
 *
 * @example Usage
 * ```ts
 * import { decodePayload } from "@microcoap/cli/format";
 * import { assertEquals } from "@std/assert";
 *
 * const bytes = new TextEncoder().encode('{"on":true}');
 * assertEquals(decodePayload(bytes, 50), { format: "json", value: { on: true } });
 * // CBOR {"t": 21}
 * assertEquals(decodePayload(new Uint8Array([0xa1, 0x61, 0x74, 0x15]), 60).value, { t: 21 });
 * assertEquals(decodePayload(new Uint8Array([0, 255]), 42), { format: "binary", value: "00ff" });
 * ```
 */
export function decodePayload(
  payload: Uint8Array,
  contentFormat?: number,
): DecodedPayload {
  if (payload.length === 0) return { format: "empty", value: null };
  const format = contentFormat;
  if (format === undefined) {
    const { format, value } = fallback(payload, "");
    return { format, value };
  }
  if (format === 40) {
    const text = utf8OrUndefined(payload);
    if (text === undefined) {
      return fallback(payload, "link-format payload is not valid UTF-8");
    }
    try {
      return { format: "link-format", value: parseLinkFormat(text) };
    } catch (error) {
      return fallback(payload, message(error));
    }
  }
  if (JSON_FORMATS.has(format) || /\+json\b/.test(mediaType(format))) {
    const text = utf8OrUndefined(payload);
    if (text === undefined) return fallback(payload, "JSON is not valid UTF-8");
    try {
      return { format: "json", value: JSON.parse(text) };
    } catch (error) {
      return fallback(payload, message(error));
    }
  }
  if (CBOR_SEQ_FORMATS.has(format)) {
    try {
      const items: unknown[] = [];
      let rest = payload;
      while (rest.length > 0) {
        const [item, remainder] = decodeCborFirst(rest, CBOR_OPTIONS);
        items.push(jsonOf(item));
        rest = remainder;
      }
      return { format: "cbor", value: items };
    } catch (error) {
      return fallback(payload, message(error));
    }
  }
  if (CBOR_FORMATS.has(format) || /\+cbor$/.test(mediaType(format))) {
    try {
      return {
        format: "cbor",
        value: jsonOf(decodeCbor(payload, CBOR_OPTIONS)),
      };
    } catch (error) {
      return fallback(payload, message(error));
    }
  }
  if (TEXT_FORMATS.has(format) || mediaType(format).startsWith("text/")) {
    const text = utf8OrUndefined(payload);
    return text === undefined
      ? fallback(payload, "text is not valid UTF-8")
      : { format: "text", value: text };
  }
  return { format: "binary", value: toHex(payload) };
}

function mediaType(format: number): string {
  return contentFormatName(format) ?? "";
}

/**
 * A hex dump in the style of `hexdump -C`: offset, 16 bytes in hex, and the
 * printable ASCII characters.
 *
 * @param bytes The bytes.
 * @returns The dump, one line per 16 bytes, each ending with a newline
 * (empty for no bytes).
 *
 * @example Usage
 * ```ts
 * import { hexDump } from "@microcoap/cli/format";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(
 *   hexDump(new Uint8Array([0x68, 0x69, 0x00])),
 *   "00000000  68 69 00                                          |hi.|\n",
 * );
 * ```
 */
export function hexDump(bytes: Uint8Array): string {
  let out = "";
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const line = bytes.subarray(offset, offset + 16);
    let hex = "";
    let ascii = "";
    for (let i = 0; i < 16; i++) {
      if (i === 8) hex += " ";
      const byte = line[i];
      if (byte === undefined) {
        hex += "   ";
        continue;
      }
      hex += byte.toString(16).padStart(2, "0") + " ";
      ascii += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : ".";
    }
    out += `${offset.toString(16).padStart(8, "0")}  ${hex} |${ascii}|\n`;
  }
  return out;
}

function attributeText(name: string, value: unknown): string {
  if (value === true) return name;
  if (typeof value === "number") return `${name}=${value}`;
  if (Array.isArray(value)) return `${name}="${value.join(" ")}"`;
  return `${name}=${JSON.stringify(String(value))}`;
}

/**
 * Lists links (RFC 6690) for people: one link per line, the target and then
 * its attributes (`ct=0 rt="temperature" obs`), targets padded to a column.
 *
 * @param links The links, as `parseLinkFormat` gives them.
 * @returns The lines, each ending with a newline (empty for no links).
 *
 * @example Usage
 * ```ts
 * import { formatLinks } from "@microcoap/cli/format";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(
 *   formatLinks([
 *     { href: "/hello", attributes: { ct: 0 } },
 *     { href: "/time", attributes: { rt: "clock", obs: true } },
 *   ]),
 *   '/hello  ct=0\n/time   rt="clock" obs\n',
 * );
 * ```
 */
export function formatLinks(links: readonly CoreLink[]): string {
  const width = Math.min(
    40,
    links.reduce((most, link) => Math.max(most, link.href.length), 0),
  );
  let out = "";
  for (const link of links) {
    const attributes = Object.entries(link.attributes).map(([name, value]) =>
      attributeText(name, value)
    );
    out += attributes.length === 0
      ? `${link.href}\n`
      : `${link.href.padEnd(width)}  ${attributes.join(" ")}\n`;
  }
  return out;
}

/**
 * A payload as the command prints it: text as it is, JSON pretty-printed,
 * CBOR decoded and printed as JSON, link-format as a list of links, and
 * binary (or undecodable) payloads as a hex dump.
 *
 * @param payload The payload bytes.
 * @param contentFormat The Content-Format option, if there was one.
 * @returns The text to print (empty for no payload).
 *
 * @example Usage
 * ```ts
 * import { formatPayload } from "@microcoap/cli/format";
 * import { assertEquals } from "@std/assert";
 *
 * const utf8 = (text: string) => new TextEncoder().encode(text);
 * assertEquals(formatPayload(utf8("hello world"), 0), "hello world");
 * assertEquals(formatPayload(utf8('{"a":[1]}'), 50), '{\n  "a": [\n    1\n  ]\n}');
 * assertEquals(formatPayload(utf8("</a>;ct=0"), 40), "/a  ct=0\n");
 * ```
 */
export function formatPayload(
  payload: Uint8Array,
  contentFormat?: number,
): string {
  const decoded = decodePayload(payload, contentFormat);
  switch (decoded.format) {
    case "empty":
      return "";
    case "text":
      return decoded.value as string;
    case "json":
    case "cbor":
      return JSON.stringify(decoded.value, null, 2);
    case "link-format":
      return formatLinks(decoded.value as CoreLink[]);
    case "binary":
      return hexDump(payload);
  }
}

/**
 * A response code with its name for people: `"2.05 Content"`, `"4.04 Not
 * Found"`, or just `"2.31"` for an unregistered code.
 *
 * @param code The code, such as `0x45`.
 * @returns The dotted code and the name in title case.
 *
 * @example Usage
 * ```ts
 * import { describeCode } from "@microcoap/cli/format";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(describeCode(0x45), "2.05 Content");
 * assertEquals(describeCode(0x84), "4.04 Not Found");
 * assertEquals(describeCode(0x5e), "2.30");
 * ```
 */
export function describeCode(code: number): string {
  const name = codeName(code);
  if (name === undefined) return formatCode(code);
  const words = name.toLowerCase().split("_").map((word) =>
    word[0]!.toUpperCase() + word.slice(1)
  );
  return `${formatCode(code)} ${words.join(" ")}`;
}

/**
 * An option as {@linkcode responseToJson} gives it.
 *
 * @example Usage
 * ```ts
 * import { optionToJson } from "@microcoap/cli/format";
 * import type { OptionJson } from "@microcoap/cli/format";
 * import { assertEquals } from "@std/assert";
 *
 * const option: OptionJson = optionToJson({ number: 11, value: new TextEncoder().encode("a") });
 * assertEquals(option, { number: 11, name: "Uri-Path", value: "a" });
 * ```
 */
export interface OptionJson {
  /** The option number. */
  readonly number: number;
  /** The registered name, such as `"Content-Format"`, when the number is registered. */
  readonly name?: string;
  /**
   * The value: a number for uint options, a string for string options, and
   * `0x`-prefixed hex for opaque, empty and unknown options.
   */
  readonly value: number | string;
}

function optionValue(option: CoapOption): number | string {
  const format = optionInfo(option.number)?.format;
  if (format === "uint" && option.value.length <= 6) {
    let n = 0;
    for (const byte of option.value) n = n * 256 + byte;
    return n;
  }
  if (format === "string") {
    const text = utf8OrUndefined(option.value);
    if (text !== undefined) return text;
  }
  return "0x" + toHex(option.value);
}

/**
 * An option as JSON: number, registered name and typed value.
 *
 * @param option The option.
 * @returns The JSON form.
 *
 * @example Usage
 * ```ts
 * import { optionToJson } from "@microcoap/cli/format";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(optionToJson({ number: 12, value: new Uint8Array([50]) }), {
 *   number: 12,
 *   name: "Content-Format",
 *   value: 50,
 * });
 * assertEquals(optionToJson({ number: 4, value: new Uint8Array([1, 2]) }).value, "0x0102");
 * ```
 */
export function optionToJson(option: CoapOption): OptionJson {
  const name = optionInfo(option.number)?.name;
  const value = optionValue(option);
  return name === undefined
    ? { number: option.number, value }
    : { number: option.number, name, value };
}

/**
 * An option for people, as `--verbose` prints it: `Content-Format: 50
 * (application/json)`, `Block2: 2/more/1024`, `Uri-Path: "hello"`,
 * `ETag: 0x0102`, `Option 2048: 0x01`.
 *
 * @param option The option.
 * @returns One line of text.
 *
 * @example Usage
 * ```ts
 * import { describeOption } from "@microcoap/cli/format";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(describeOption({ number: 12, value: new Uint8Array([50]) }), "Content-Format: 50 (application/json)");
 * assertEquals(describeOption({ number: 23, value: new Uint8Array([0x2e]) }), "Block2: 2/more/1024");
 * ```
 */
export function describeOption(option: CoapOption): string {
  const info = optionInfo(option.number);
  const label = info?.name ?? `Option ${option.number}`;
  const value = optionValue(option);
  if (
    (option.number === 23 || option.number === 27) && option.value.length <= 3
  ) {
    try {
      const block = decodeBlock(option.value);
      return `${label}: ${block.num}/${block.more ? "more" : "last"}/${
        2 ** (block.szx + 4)
      }`;
    } catch {
      // Shown as a number below.
    }
  }
  if (
    (option.number === 12 || option.number === 17) && typeof value === "number"
  ) {
    const name = contentFormatName(value);
    return name === undefined
      ? `${label}: ${value}`
      : `${label}: ${value} (${name})`;
  }
  if (typeof value === "string" && info?.format === "string") {
    return `${label}: ${JSON.stringify(value)}`;
  }
  return `${label}: ${value}`;
}

/**
 * What {@linkcode responseToJson} reads from a response (a `CoapResponse` fits).
 *
 * @example Usage
 * ```ts
 * import { responseToJson } from "@microcoap/cli/format";
 * import type { ResponseLike } from "@microcoap/cli/format";
 * import { assertEquals } from "@std/assert";
 *
 * const response: ResponseLike = { code: 0x44, type: "ACK", options: [], payload: new Uint8Array(0) };
 * assertEquals(responseToJson(response).codeName, "CHANGED");
 * ```
 */
export interface ResponseLike {
  /** The response code. */
  readonly code: number;
  /** The message type. */
  readonly type: CoapType;
  /** The options. */
  readonly options: readonly CoapOption[];
  /** The (reassembled) payload. */
  readonly payload: Uint8Array;
}

/**
 * The JSON form of a response, one line of `--json` output.
 *
 * @example Usage
 * ```ts
 * import { responseToJson } from "@microcoap/cli/format";
 * import type { ResponseJson } from "@microcoap/cli/format";
 * import { assertEquals } from "@std/assert";
 *
 * const json: ResponseJson = responseToJson({
 *   code: 0x45,
 *   type: "NON",
 *   options: [{ number: 6, value: new Uint8Array([3]) }],
 *   payload: new Uint8Array([1]),
 * });
 * assertEquals([json.observe, json.payloadFormat, json.payload], [3, "binary", "01"]);
 * ```
 */
export interface ResponseJson {
  /** The dotted code, such as `"2.05"`. */
  readonly code: string;
  /** The registered name, such as `"CONTENT"`, or `null`. */
  readonly codeName: CoapCodeName | null;
  /** The message type the response came in. */
  readonly type: CoapType;
  /** The options, in order. */
  readonly options: readonly OptionJson[];
  /** The Content-Format number, or `null` when there was none. */
  readonly contentFormat: number | null;
  /** The Observe sequence number of a notification, or `null`. */
  readonly observe: number | null;
  /** How the payload was decoded. */
  readonly payloadFormat: PayloadFormat;
  /** The decoded payload (see {@linkcode decodePayload}). */
  readonly payload: unknown;
}

// Leniently: a value too long for a uint is shown as no value.
function uintOption(
  options: readonly CoapOption[],
  number: number,
): number | null {
  const value = getOption({ options }, number);
  return value === undefined || value.length > 4 ? null : decodeUint(value);
}

/**
 * A response as one JSON object for `--json`: code, code name, type,
 * options, Content-Format, Observe and the payload decoded by
 * {@linkcode decodePayload}.
 *
 * @param response The response (a `CoapResponse`, or anything with its fields).
 * @returns The JSON-able object.
 *
 * @example Usage
 * ```ts
 * import { responseToJson } from "@microcoap/cli/format";
 * import { assertEquals } from "@std/assert";
 *
 * const json = responseToJson({
 *   code: 0x45,
 *   type: "ACK",
 *   options: [{ number: 12, value: new Uint8Array(0) }],
 *   payload: new TextEncoder().encode("hello world"),
 * });
 * assertEquals(json, {
 *   code: "2.05",
 *   codeName: "CONTENT",
 *   type: "ACK",
 *   options: [{ number: 12, name: "Content-Format", value: 0 }],
 *   contentFormat: 0,
 *   observe: null,
 *   payloadFormat: "text",
 *   payload: "hello world",
 * });
 * ```
 */
export function responseToJson(response: ResponseLike): ResponseJson {
  const contentFormat = uintOption(response.options, 12);
  const decoded = decodePayload(response.payload, contentFormat ?? undefined);
  return {
    code: formatCode(response.code),
    codeName: codeName(response.code) ?? null,
    type: response.type,
    options: response.options.map(optionToJson),
    contentFormat,
    observe: uintOption(response.options, 6),
    payloadFormat: decoded.format,
    payload: decoded.value,
  };
}
