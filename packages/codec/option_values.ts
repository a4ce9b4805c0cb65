// Copyright 2026 the microcoap authors. MIT license.
/**
 * Typed option values (RFC 7252 §3.2): unsigned integers, UTF-8 strings and
 * empty values, to and from option bytes, checked against the option
 * registry.
 *
 * @module
 */
import { EMPTY_BYTES } from "./message.ts";
import type { CoapOption } from "./message.ts";
import { getOption, getOptions, optionInfo } from "./options.ts";
import type { HasOptions } from "./options.ts";

const utf8Encoder = /* @__PURE__ */ new TextEncoder();
const utf8Decoder = /* @__PURE__ */ new TextDecoder();

/**
 * Encodes an unsigned integer option value in the fewest bytes: 0 is the
 * empty value, larger numbers take up to 4 bytes, big-endian.
 *
 * @param value An integer from 0 to 4294967295.
 * @returns The value bytes.
 * @throws {RangeError} When the value is not an integer in that range.
 *
 * @example Usage
 * ```ts
 * import { encodeUint } from "@microcoap/codec/option-values";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(encodeUint(0), new Uint8Array(0));
 * assertEquals(encodeUint(50), new Uint8Array([50]));
 * assertEquals(encodeUint(0x1234), new Uint8Array([0x12, 0x34]));
 * ```
 */
export function encodeUint(value: number): Uint8Array {
  if (!(Number.isInteger(value) && value >= 0 && value <= 0xffffffff)) {
    throw new RangeError(
      `Cannot encode uint option value: ${value} is not an integer from 0 to 4294967295`,
    );
  }
  if (value === 0) return new Uint8Array(0);
  const length = value < 0x100
    ? 1
    : value < 0x10000
    ? 2
    : value < 0x1000000
    ? 3
    : 4;
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = value & 0xff;
    value = Math.floor(value / 256);
  }
  return out;
}

/**
 * Decodes an unsigned integer option value. The empty value is 0; leading
 * zero bytes are accepted.
 *
 * @param bytes The value bytes, at most 4.
 * @returns The integer.
 * @throws {RangeError} When there are more than 4 bytes.
 *
 * @example Usage
 * ```ts
 * import { decodeUint } from "@microcoap/codec/option-values";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(decodeUint(new Uint8Array(0)), 0);
 * assertEquals(decodeUint(new Uint8Array([0x12, 0x34])), 0x1234);
 * ```
 */
export function decodeUint(bytes: Uint8Array): number {
  if (bytes.length > 4) {
    throw new RangeError(
      `Cannot decode uint option value: length is ${bytes.length}, at most 4 allowed`,
    );
  }
  let value = 0;
  for (let i = 0; i < bytes.length; i++) value = value * 256 + bytes[i]!;
  return value;
}

/**
 * Encodes a string option value as UTF-8.
 *
 * @param value The string.
 * @returns The value bytes.
 *
 * @example Usage
 * ```ts
 * import { encodeString } from "@microcoap/codec/option-values";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(encodeString("ok"), new Uint8Array([0x6f, 0x6b]));
 * ```
 */
export function encodeString(value: string): Uint8Array {
  return utf8Encoder.encode(value);
}

/**
 * Decodes a string option value from UTF-8. Malformed sequences become
 * U+FFFD rather than errors, so received values never throw.
 *
 * @param bytes The value bytes.
 * @returns The string.
 *
 * @example Usage
 * ```ts
 * import { decodeString } from "@microcoap/codec/option-values";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(decodeString(new Uint8Array([0x6f, 0x6b])), "ok");
 * ```
 */
export function decodeString(bytes: Uint8Array): string {
  const length = bytes.length;
  // Short ASCII values (most paths and queries) are built here: a
  // TextDecoder call costs more than the loop (a runtime call per value).
  if (length <= 32) {
    let out = "";
    for (let i = 0; i < length; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x80) return utf8Decoder.decode(bytes);
      out += String.fromCharCode(byte);
    }
    return out;
  }
  return utf8Decoder.decode(bytes);
}

/**
 * A typed option value: an integer (uint), a string (UTF-8) or raw bytes.
 *
 * @example Usage
 * ```ts
 * import { readOptionValue } from "@microcoap/codec/option-values";
 * import type { CoapOptionValue } from "@microcoap/codec/option-values";
 * import { assertEquals } from "@std/assert";
 *
 * const maxAge: CoapOptionValue = readOptionValue({ number: 14, value: new Uint8Array([60]) });
 * assertEquals(maxAge, 60);
 * ```
 */
export type CoapOptionValue = number | string | Uint8Array;

/**
 * Builds an option from a typed value, encoding numbers as uint and strings
 * as UTF-8, and checks the value against the option's registered format and
 * length. Options the registry does not know accept any value up to the wire
 * limit.
 *
 * @param number The option number.
 * @param value The value; omit it for an empty value (such as If-None-Match).
 * @returns The option.
 * @throws {TypeError} When the value's type does not fit the option's format
 * (a string for a uint option, a number for a string option, and so on).
 * @throws {RangeError} When the number or the value length is out of range.
 *
 * @example Usage
 * ```ts
 * import { createOption } from "@microcoap/codec/option-values";
 * import { CoapOptionNumber } from "@microcoap/codec/options";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * assertEquals(
 *   createOption(CoapOptionNumber.CONTENT_FORMAT, 50),
 *   { number: 12, value: new Uint8Array([50]) },
 * );
 * assertEquals(createOption(CoapOptionNumber.IF_NONE_MATCH).value.length, 0);
 * assertThrows(() => createOption(CoapOptionNumber.URI_PATH, 7), TypeError);
 * ```
 */
export function createOption(
  number: number,
  value?: CoapOptionValue,
): CoapOption {
  if (!(Number.isInteger(number) && number >= 0 && number <= 0xffff)) {
    throw new RangeError(
      `Cannot create option: number is ${number}, expected an integer from 0 to 65535`,
    );
  }
  const info = optionInfo(number);
  const format = info?.format;
  let bytes: Uint8Array;
  if (value === undefined) bytes = EMPTY_BYTES;
  else if (typeof value === "number") {
    if (format !== undefined && format !== "uint") {
      throw new TypeError(
        `Cannot create option ${number}: got a number, expected a value of format ${format}`,
      );
    }
    bytes = encodeUint(value);
  } else if (typeof value === "string") {
    if (format !== undefined && format !== "string") {
      throw new TypeError(
        `Cannot create option ${number}: got a string, expected a value of format ${format}`,
      );
    }
    bytes = encodeString(value);
  } else if (value instanceof Uint8Array) bytes = value;
  else {
    throw new TypeError(
      `Cannot create option ${number}: value is not a number, string or Uint8Array`,
    );
  }
  if (info) {
    if (bytes.length < info.minLength || bytes.length > info.maxLength) {
      throw new RangeError(
        `Cannot create option ${number} (${info.name}): value length is ${bytes.length}, expected ${info.minLength} to ${info.maxLength}`,
      );
    }
  }
  return { number, value: bytes };
}

/**
 * Reads an option's value by its registered format: a number for uint
 * options, a string for string options, and the raw bytes for opaque, empty
 * and unknown options.
 *
 * @param option The option.
 * @returns The typed value.
 * @throws {RangeError} When a uint option is longer than 4 bytes.
 *
 * @example Usage
 * ```ts
 * import { readOptionValue } from "@microcoap/codec/option-values";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(readOptionValue({ number: 12, value: new Uint8Array([50]) }), 50);
 * assertEquals(readOptionValue({ number: 11, value: new Uint8Array([0x61]) }), "a");
 * ```
 */
export function readOptionValue(option: CoapOption): CoapOptionValue {
  const format = optionInfo(option.number)?.format;
  return format === "uint"
    ? decodeUint(option.value)
    : format === "string"
    ? decodeString(option.value)
    : option.value;
}

/**
 * The first value of a uint option in a message, such as Content-Format, or
 * `undefined` when the message has none.
 *
 * @param message The message (or anything with `options`).
 * @param number The option number.
 * @returns The integer, or `undefined`.
 * @throws {RangeError} When the value is longer than 4 bytes.
 *
 * @example Usage
 * ```ts
 * import { getUintOption } from "@microcoap/codec/option-values";
 * import { assertEquals } from "@std/assert";
 *
 * const message = { options: [{ number: 14, value: new Uint8Array([1, 0]) }] };
 * assertEquals(getUintOption(message, 14), 256);
 * assertEquals(getUintOption(message, 12), undefined);
 * ```
 */
export function getUintOption(
  message: HasOptions,
  number: number,
): number | undefined {
  const value = getOption(message, number);
  return value === undefined ? undefined : decodeUint(value);
}

/**
 * The first value of a string option in a message, such as Uri-Host, or
 * `undefined` when the message has none.
 *
 * @param message The message (or anything with `options`).
 * @param number The option number.
 * @returns The string, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { getStringOption } from "@microcoap/codec/option-values";
 * import { assertEquals } from "@std/assert";
 *
 * const message = { options: [{ number: 3, value: new TextEncoder().encode("example.net") }] };
 * assertEquals(getStringOption(message, 3), "example.net");
 * ```
 */
export function getStringOption(
  message: HasOptions,
  number: number,
): string | undefined {
  const value = getOption(message, number);
  return value === undefined ? undefined : decodeString(value);
}

/**
 * All values of a repeatable string option in a message, such as Uri-Path,
 * in order.
 *
 * @param message The message (or anything with `options`).
 * @param number The option number.
 * @returns The strings; empty when there are none.
 *
 * @example Usage
 * ```ts
 * import { getStringOptions } from "@microcoap/codec/option-values";
 * import { assertEquals } from "@std/assert";
 *
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * const message = {
 *   options: [{ number: 15, value: bytes("a=1") }, { number: 15, value: bytes("b") }],
 * };
 * assertEquals(getStringOptions(message, 15), ["a=1", "b"]);
 * ```
 */
export function getStringOptions(
  message: HasOptions,
  number: number,
): string[] {
  return getOptions(message, number).map(decodeString);
}
