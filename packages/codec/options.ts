// Copyright 2026 the microcoap authors. MIT license.
/**
 * The option registry: numbers, names, value formats and lengths of the
 * options of RFC 7252, 7641, 7959, 7967, 8613, 8768, 9175 and 9177, the
 * properties encoded in an option number (RFC 7252 §5.4.6), and lookups of
 * options in a message.
 *
 * @module
 */
import type { CoapOption } from "./message.ts";

/**
 * The registered option numbers.
 *
 * @example Usage
 * ```ts
 * import { CoapOptionNumber } from "@microcoap/codec/options";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(CoapOptionNumber.URI_PATH, 11);
 * assertEquals(CoapOptionNumber.BLOCK2, 23);
 * ```
 */
export const CoapOptionNumber = {
  IF_MATCH: 1,
  URI_HOST: 3,
  ETAG: 4,
  IF_NONE_MATCH: 5,
  OBSERVE: 6,
  URI_PORT: 7,
  LOCATION_PATH: 8,
  OSCORE: 9,
  URI_PATH: 11,
  CONTENT_FORMAT: 12,
  MAX_AGE: 14,
  URI_QUERY: 15,
  HOP_LIMIT: 16,
  ACCEPT: 17,
  Q_BLOCK1: 19,
  LOCATION_QUERY: 20,
  BLOCK2: 23,
  BLOCK1: 27,
  SIZE2: 28,
  Q_BLOCK2: 31,
  PROXY_URI: 35,
  PROXY_SCHEME: 39,
  SIZE1: 60,
  ECHO: 252,
  NO_RESPONSE: 258,
  REQUEST_TAG: 292,
} as const;

/**
 * The format of an option value (RFC 7252 §3.2).
 *
 * @example Usage
 * ```ts
 * import { optionInfo } from "@microcoap/codec/options";
 * import type { CoapOptionFormat } from "@microcoap/codec/options";
 * import { assertEquals } from "@std/assert";
 *
 * const format: CoapOptionFormat | undefined = optionInfo(5)?.format;
 * assertEquals(format, "empty"); // If-None-Match
 * ```
 */
export type CoapOptionFormat = "empty" | "opaque" | "uint" | "string";

/**
 * What the registry knows about one option.
 *
 * @example Usage
 * ```ts
 * import { optionInfo } from "@microcoap/codec/options";
 * import type { CoapOptionInfo } from "@microcoap/codec/options";
 * import { assertEquals } from "@std/assert";
 *
 * const info: CoapOptionInfo | undefined = optionInfo(12);
 * assertEquals(info?.name, "Content-Format");
 * ```
 */
export interface CoapOptionInfo {
  /** The option number. */
  readonly number: number;
  /** The registered name, such as `"Uri-Path"`. */
  readonly name: string;
  /** The value format. */
  readonly format: CoapOptionFormat;
  /** The shortest allowed value, in bytes. */
  readonly minLength: number;
  /** The longest allowed value, in bytes. */
  readonly maxLength: number;
  /** Whether the option may occur more than once in a message. */
  readonly repeatable: boolean;
  /** Whether the option is critical (odd number). */
  readonly critical: boolean;
  /** Whether the option is unsafe to forward. */
  readonly unsafe: boolean;
  /** Whether the option is not part of the cache key. */
  readonly noCacheKey: boolean;
}

/**
 * The longest value the wire format can carry: 269 + 65535 bytes.
 *
 * @example Usage
 * ```ts
 * import { maxOptionLength, WIRE_MAX_OPTION_LENGTH } from "@microcoap/codec/options";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(maxOptionLength(2), WIRE_MAX_OPTION_LENGTH);
 * ```
 */
export const WIRE_MAX_OPTION_LENGTH = 65804;

// The longest value of each registered option: the part of the registry
// that encode() checks, kept apart so that a bundle of encode() leaves out
// the names below.
const MAX_LENGTHS: Readonly<Record<number, number>> = {
  1: 8,
  3: 255,
  4: 8,
  5: 0,
  6: 3,
  7: 2,
  8: 255,
  9: 255,
  11: 255,
  12: 2,
  14: 4,
  15: 255,
  16: 1,
  17: 2,
  19: 3,
  20: 255,
  23: 3,
  27: 3,
  28: 4,
  31: 3,
  35: 1034,
  39: 255,
  60: 4,
  252: 40,
  258: 1,
  292: 8,
};

// number, name, format, shortest value, repeatable (1 = yes)
const ROWS: readonly [number, string, CoapOptionFormat, number, 0 | 1][] = [
  [1, "If-Match", "opaque", 0, 1],
  [3, "Uri-Host", "string", 1, 0],
  [4, "ETag", "opaque", 1, 1],
  [5, "If-None-Match", "empty", 0, 0],
  [6, "Observe", "uint", 0, 0],
  [7, "Uri-Port", "uint", 0, 0],
  [8, "Location-Path", "string", 0, 1],
  [9, "OSCORE", "opaque", 0, 0],
  [11, "Uri-Path", "string", 0, 1],
  [12, "Content-Format", "uint", 0, 0],
  [14, "Max-Age", "uint", 0, 0],
  [15, "Uri-Query", "string", 0, 1],
  [16, "Hop-Limit", "uint", 1, 0],
  [17, "Accept", "uint", 0, 0],
  [19, "Q-Block1", "uint", 0, 0],
  [20, "Location-Query", "string", 0, 1],
  [23, "Block2", "uint", 0, 0],
  [27, "Block1", "uint", 0, 0],
  [28, "Size2", "uint", 0, 0],
  [31, "Q-Block2", "uint", 0, 1],
  [35, "Proxy-Uri", "string", 1, 0],
  [39, "Proxy-Scheme", "string", 1, 0],
  [60, "Size1", "uint", 0, 0],
  [252, "Echo", "opaque", 1, 0],
  [258, "No-Response", "uint", 0, 0],
  [292, "Request-Tag", "opaque", 0, 1],
];

const TABLE_SIZE = 293;
// Encode checks every option against this; a typed array keeps it one load.
const MAX_LENGTH = new Int32Array(TABLE_SIZE).fill(WIRE_MAX_OPTION_LENGTH);
for (const [number, max] of Object.entries(MAX_LENGTHS)) {
  MAX_LENGTH[Number(number)] = max;
}

let info: Map<number, CoapOptionInfo> | undefined;

function buildInfo(): Map<number, CoapOptionInfo> {
  const map = new Map<number, CoapOptionInfo>();
  for (const [number, name, format, minLength, repeatable] of ROWS) {
    map.set(number, {
      number,
      name,
      format,
      minLength,
      maxLength: MAX_LENGTHS[number]!,
      repeatable: repeatable === 1,
      critical: isCritical(number),
      unsafe: isUnsafe(number),
      noCacheKey: isNoCacheKey(number),
    });
  }
  return map;
}

/**
 * The registry entry of an option number, or `undefined` for an option this
 * registry does not know.
 *
 * @param number The option number.
 * @returns The entry, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { optionInfo } from "@microcoap/codec/options";
 * import { assertEquals } from "@std/assert";
 *
 * const block2 = optionInfo(23)!;
 * assertEquals(block2.name, "Block2");
 * assertEquals(block2.format, "uint");
 * assertEquals(block2.maxLength, 3);
 * assertEquals(block2.critical, true);
 * assertEquals(optionInfo(2), undefined);
 * ```
 */
export function optionInfo(number: number): CoapOptionInfo | undefined {
  info ??= buildInfo();
  return info.get(number);
}

/**
 * The longest value allowed for an option: its registered maximum, or the
 * wire format's limit (65804 bytes) for an unknown option.
 *
 * @param number The option number.
 * @returns The maximum value length in bytes.
 *
 * @example Usage
 * ```ts
 * import { maxOptionLength } from "@microcoap/codec/options";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(maxOptionLength(11), 255);
 * assertEquals(maxOptionLength(65000), 65804);
 * ```
 */
export function maxOptionLength(number: number): number {
  return number < TABLE_SIZE ? MAX_LENGTH[number]! : WIRE_MAX_OPTION_LENGTH;
}

/**
 * Whether an option is critical: an endpoint that does not understand it
 * must reject the message (RFC 7252 §5.4.1). Odd numbers are critical.
 *
 * @param number The option number.
 * @returns `true` for a critical option.
 *
 * @example Usage
 * ```ts
 * import { isCritical } from "@microcoap/codec/options";
 * import { assert } from "@std/assert";
 *
 * assert(isCritical(11)); // Uri-Path
 * assert(!isCritical(12)); // Content-Format
 * ```
 */
export function isCritical(number: number): boolean {
  return (number & 1) === 1;
}

/**
 * Whether an option is unsafe to forward by a proxy that does not understand
 * it (RFC 7252 §5.4.2): bit 1 of the number.
 *
 * @param number The option number.
 * @returns `true` for an unsafe option.
 *
 * @example Usage
 * ```ts
 * import { isUnsafe } from "@microcoap/codec/options";
 * import { assert } from "@std/assert";
 *
 * assert(isUnsafe(6)); // Observe
 * assert(!isUnsafe(12)); // Content-Format
 * ```
 */
export function isUnsafe(number: number): boolean {
  return (number & 2) === 2;
}

/**
 * Whether a safe-to-forward option is not part of the cache key
 * (RFC 7252 §5.4.2): bits 1 to 4 of the number are `1110`.
 *
 * @param number The option number.
 * @returns `true` for a NoCacheKey option.
 *
 * @example Usage
 * ```ts
 * import { isNoCacheKey } from "@microcoap/codec/options";
 * import { assert } from "@std/assert";
 *
 * assert(isNoCacheKey(28)); // Size2
 * assert(isNoCacheKey(60)); // Size1
 * assert(!isNoCacheKey(12));
 * ```
 */
export function isNoCacheKey(number: number): boolean {
  return (number & 0x1e) === 0x1c;
}

/**
 * Anything that carries options, such as a {@linkcode CoapMessage}.
 *
 * @example Usage
 * ```ts
 * import { getOption } from "@microcoap/codec/options";
 * import type { HasOptions } from "@microcoap/codec/options";
 * import { assertEquals } from "@std/assert";
 *
 * const request: HasOptions = { options: [{ number: 17, value: new Uint8Array([60]) }] };
 * assertEquals(getOption(request, 17), new Uint8Array([60]));
 * ```
 */
export interface HasOptions {
  /** The options, in order. */
  readonly options: readonly CoapOption[];
}

/**
 * The value of the first option with a number, or `undefined` when the
 * message has none.
 *
 * @param message The message (or anything with `options`).
 * @param number The option number.
 * @returns The raw value, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { getOption } from "@microcoap/codec/options";
 * import { assertEquals } from "@std/assert";
 *
 * const message = { options: [{ number: 12, value: new Uint8Array([50]) }] };
 * assertEquals(getOption(message, 12), new Uint8Array([50]));
 * assertEquals(getOption(message, 17), undefined);
 * ```
 */
export function getOption(
  message: HasOptions,
  number: number,
): Uint8Array | undefined {
  const options = message.options;
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    if (option.number === number) return option.value;
  }
  return undefined;
}

/**
 * The values of all options with a number, in message order (for repeatable
 * options such as Uri-Path).
 *
 * @param message The message (or anything with `options`).
 * @param number The option number.
 * @returns The raw values; empty when there are none.
 *
 * @example Usage
 * ```ts
 * import { getOptions } from "@microcoap/codec/options";
 * import { assertEquals } from "@std/assert";
 *
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * const message = {
 *   options: [
 *     { number: 11, value: bytes("a") },
 *     { number: 11, value: bytes("b") },
 *   ],
 * };
 * assertEquals(getOptions(message, 11), [bytes("a"), bytes("b")]);
 * ```
 */
export function getOptions(message: HasOptions, number: number): Uint8Array[] {
  const values: Uint8Array[] = [];
  const options = message.options;
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    if (option.number === number) values.push(option.value);
  }
  return values;
}
