// Copyright 2026 the microcoap authors. MIT license.
/**
 * CoAP URIs (RFC 7252 §6): `coap://` URLs to the Uri-Host, Uri-Path and
 * Uri-Query options of a request (§6.4) and back (§6.5).
 *
 * @module
 */
import type { CoapOption } from "./message.ts";
import { getOption, getOptions } from "./options.ts";
import type { HasOptions } from "./options.ts";
import { decodeString, decodeUint, getStringOptions } from "./option_values.ts";

/**
 * The default UDP port of the `coap` scheme.
 *
 * @example Usage
 * ```ts
 * import { COAP_PORT, parseUri } from "@microcoap/codec/uri";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseUri("coap://h/").port, COAP_PORT);
 * ```
 */
export const COAP_PORT = 5683;

const URI_HOST = 3;
const URI_PORT = 7;
const URI_PATH = 11;
const URI_QUERY = 15;
const MAX_URI_OPTION_LENGTH = 255;

/**
 * A request target: options plus, where no Uri-Host / Uri-Port option says
 * otherwise, the destination host and port.
 *
 * @example Usage
 * ```ts
 * import { formatUri } from "@microcoap/codec/uri";
 * import type { CoapUriParts } from "@microcoap/codec/uri";
 * import { assertEquals } from "@std/assert";
 *
 * const parts: CoapUriParts = { hostname: "192.0.2.1", port: 61616, options: [] };
 * assertEquals(formatUri(parts), "coap://192.0.2.1:61616/");
 * ```
 */
export interface CoapUriParts {
  /** The options; Uri-Host, Uri-Port, Uri-Path and Uri-Query are read. */
  readonly options: readonly CoapOption[];
  /**
   * The destination host (a name, an IPv4 address or an IPv6 address without
   * brackets); needed when there is no Uri-Host option.
   */
  readonly hostname?: string;
  /**
   * The destination UDP port.
   *
   * @default {5683}
   */
  readonly port?: number;
}

/**
 * A parsed `coap://` URL: where to send the request and which options.
 *
 * @example Usage
 * ```ts
 * import { parseUri } from "@microcoap/codec/uri";
 * import type { CoapUri } from "@microcoap/codec/uri";
 * import { assertEquals } from "@std/assert";
 *
 * const uri: CoapUri = parseUri("coap://192.0.2.1:61616/x");
 * assertEquals([uri.hostname, uri.port, uri.options.length], ["192.0.2.1", 61616, 1]);
 * ```
 */
export interface CoapUri extends CoapUriParts {
  /**
   * The host to send to: a name (lowercase, percent-decoded), an IPv4
   * address, or an IPv6 address without brackets (with `%zone` if given).
   */
  readonly hostname: string;
  /** The UDP port to send to. */
  readonly port: number;
  /** Uri-Host (for a host name), Uri-Path and Uri-Query options, in order. */
  readonly options: CoapOption[];
}

const utf8Encoder = /* @__PURE__ */ new TextEncoder();

const IPV4 =
  /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;
// Unreserved, sub-delims and percent-encodings (RFC 3986), plus any
// non-ASCII character, accepted as in an IRI and sent as UTF-8.
const REG_NAME =
  /^(?:[-A-Za-z0-9._~!$&'()*+,;=\u0080-\uffff]|%[0-9A-Fa-f]{2})*$/;
const SEGMENT =
  /^(?:[-A-Za-z0-9._~!$&'()*+,;=:@\u0080-\uffff]|%[0-9A-Fa-f]{2})*$/;
const QUERY =
  /^(?:[-A-Za-z0-9._~!$&'()*+,;=:@/?\u0080-\uffff]|%[0-9A-Fa-f]{2})*$/;

function fail(url: string, what: string): never {
  throw new TypeError(`Cannot parse CoAP URI "${url}": ${what}`);
}

function isIpv6(text: string): boolean {
  // The WHATWG URL parser checks the RFC 4291 forms (hex groups, one "::",
  // a final dotted IPv4 part without leading zeros). It would drop tabs and
  // newlines, so only address characters may reach it.
  // (new URL rather than URL.canParse, which older browsers lack.)
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return false;
  try {
    new URL(`http://[${text}]/`);
    return true;
  } catch {
    return false;
  }
}

// Percent-decodes text already checked to hold only valid percent-encodings.
function percentDecode(text: string): Uint8Array {
  const bytes = utf8Encoder.encode(text);
  if (!text.includes("%")) return bytes;
  const out = new Uint8Array(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0x25) {
      out[length++] = parseInt(text.substring(i + 1, i + 3), 16);
      i += 2;
    } else out[length++] = byte;
  }
  return out.slice(0, length);
}

function uriOption(
  url: string,
  number: number,
  text: string,
  pattern: RegExp,
  what: string,
): CoapOption {
  if (!pattern.test(text)) fail(url, `${what} "${text}" has a bad character`);
  const value = percentDecode(text);
  if (value.length > MAX_URI_OPTION_LENGTH) {
    throw new RangeError(
      `Cannot parse CoAP URI "${url}": ${what} is ${value.length} bytes long, at most 255 allowed`,
    );
  }
  return { number, value };
}

function isDotSegment(value: Uint8Array): boolean {
  return value.length > 0 && value.length <= 2 && value[0] === 0x2e &&
    (value.length === 1 || value[1] === 0x2e);
}

/**
 * Parses a `coap://` (or `coap+udp://`) URL into the destination host and
 * port and the request's Uri-Host, Uri-Path and Uri-Query options
 * (RFC 7252 §6.4).
 *
 * Uri-Host is included only for a host name, not for an IP literal. The
 * destination port is the URL's port, so no Uri-Port option is ever needed.
 * Values are percent-decoded and dot segments resolved (RFC 3986). As §6.4
 * says, a path of "" or "/" has no Uri-Path and every other segment is one,
 * empty segments (from a trailing or doubled slash) too; likewise every
 * argument of a non-empty query, empty ones too, is a Uri-Query.
 *
 * @param url The URL.
 * @returns The destination and the options.
 * @throws {TypeError} When the URL is not an absolute `coap` or `coap+udp`
 * URI (the message names the scheme), has a fragment, user information, an
 * empty host, a bad percent-encoding or a character not allowed there.
 * @throws {RangeError} When the port is over 65535 or a value is longer than
 * 255 bytes.
 *
 * @example Usage
 * ```ts
 * import { parseUri } from "@microcoap/codec/uri";
 * import { assertEquals } from "@std/assert";
 *
 * const uri = parseUri("coap://example.net/sensors/temp?unit=C&x=1");
 * assertEquals(uri.hostname, "example.net");
 * assertEquals(uri.port, 5683);
 * const text = new TextDecoder();
 * assertEquals(
 *   uri.options.map((o) => `${o.number}:${text.decode(o.value)}`),
 *   ["3:example.net", "11:sensors", "11:temp", "15:unit=C", "15:x=1"],
 * );
 * assertEquals(parseUri("coap://[::1]:61616/").options, []);
 * ```
 */
export function parseUri(url: string | URL): CoapUri {
  const text = String(url);
  const match = /^([A-Za-z][-A-Za-z0-9+.]*):([^]*)$/.exec(text);
  if (!match) fail(text, "not an absolute URI");
  const scheme = match[1]!.toLowerCase();
  if (scheme !== "coap" && scheme !== "coap+udp") {
    fail(
      text,
      `scheme "${scheme}" is not supported, expected coap or coap+udp`,
    );
  }
  const rest = match[2]!;
  if (rest.includes("#")) {
    fail(text, "a fragment is not allowed (RFC 7252 §6.4)");
  }
  if (!rest.startsWith("//")) fail(text, "the authority (//host) is missing");
  const authorityEnd = rest.slice(2).search(/[/?]/);
  const authority = authorityEnd < 0
    ? rest.slice(2)
    : rest.slice(2, 2 + authorityEnd);
  const afterAuthority = authorityEnd < 0 ? "" : rest.slice(2 + authorityEnd);
  if (authority.includes("@")) fail(text, "user information is not allowed");

  let host: string;
  let portText: string;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close < 0) fail(text, "the IP literal has no closing bracket");
    host = authority.slice(0, close + 1);
    const afterHost = authority.slice(close + 1);
    if (afterHost !== "" && !afterHost.startsWith(":")) {
      fail(text, `unexpected "${afterHost}" after the IP literal`);
    }
    portText = afterHost.slice(1);
  } else {
    const colon = authority.lastIndexOf(":");
    host = colon < 0 ? authority : authority.slice(0, colon);
    portText = colon < 0 ? "" : authority.slice(colon + 1);
  }
  if (!/^[0-9]*$/.test(portText)) {
    fail(text, `port "${portText}" is not a number`);
  }
  const port = portText === "" ? COAP_PORT : Number(portText);
  if (port > 0xffff) {
    throw new RangeError(
      `Cannot parse CoAP URI "${text}": port is ${port}, at most 65535 allowed`,
    );
  }
  if (host === "") fail(text, "the host is empty");

  const options: CoapOption[] = [];
  let hostname: string;
  if (host.startsWith("[")) {
    const literal = host.slice(1, -1);
    const zoneAt = literal.indexOf("%25");
    const address = zoneAt < 0 ? literal : literal.slice(0, zoneAt);
    const zone = zoneAt < 0 ? "" : literal.slice(zoneAt + 3);
    if (
      !isIpv6(address) ||
      (zoneAt >= 0 && !/^(?:[-A-Za-z0-9._~]|%[0-9A-Fa-f]{2})+$/.test(zone))
    ) {
      fail(text, `"${host}" is not an IPv6 address`);
    }
    hostname = address.toLowerCase() +
      (zoneAt < 0 ? "" : "%" + decodeString(percentDecode(zone)));
  } else if (IPV4.test(host)) {
    hostname = host;
  } else {
    const lower = host.replace(/[A-Z]+/g, (s) => s.toLowerCase());
    const option = uriOption(text, URI_HOST, lower, REG_NAME, "host");
    options.push(option);
    hostname = decodeString(option.value);
  }

  const queryAt = afterAuthority.indexOf("?");
  const path = queryAt < 0 ? afterAuthority : afterAuthority.slice(0, queryAt);
  // Every segment of a path other than "" or "/" is a Uri-Path, empty ones
  // too (§6.4 step 8), after RFC 3986 dot-segment removal.
  let segments: CoapOption[] = [];
  if (path !== "" && path !== "/") {
    const parts = path.slice(1).split("/");
    for (let i = 0; i < parts.length; i++) {
      const option = uriOption(
        text,
        URI_PATH,
        parts[i]!,
        SEGMENT,
        "path segment",
      );
      if (!isDotSegment(option.value)) segments.push(option);
      else {
        if (option.value.length === 2) segments.pop();
        // "/a/b/.." is "/a/": a final dot segment leaves a trailing slash.
        if (i === parts.length - 1) {
          segments.push({ number: URI_PATH, value: new Uint8Array(0) });
        }
      }
    }
    // What is left may be just "/", which has no Uri-Path.
    if (segments.length === 1 && segments[0]!.value.length === 0) {
      segments = [];
    }
  }
  options.push(...segments);
  const query = queryAt < 0 ? "" : afterAuthority.slice(queryAt + 1);
  if (query !== "") {
    // Each argument, empty ones too (§6.4 step 9).
    for (const argument of query.split("&")) {
      options.push(
        uriOption(text, URI_QUERY, argument, QUERY, "query argument"),
      );
    }
  }
  return { hostname, port, options };
}

// Unreserved and sub-delims characters (RFC 3986).
const PLAIN =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=";

// PLAIN plus `extra`, less `drop`. Its calls are pure, with literal
// arguments, so that bundles without formatUri() drop the tables.
function allowedTable(extra: string, drop = ""): Uint8Array {
  const chars = PLAIN + extra;
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  for (let i = 0; i < drop.length; i++) table[drop.charCodeAt(i)] = 0;
  return table;
}

const HOST_CHARS = /* @__PURE__ */ allowedTable("");
// unreserved only (RFC 6874 ZoneID).
const ZONE_CHARS = /* @__PURE__ */ allowedTable("", "!$&'()*+,;=");
const SEGMENT_CHARS = /* @__PURE__ */ allowedTable(":@");
const QUERY_CHARS = /* @__PURE__ */ allowedTable(":@/?", "&");
const HEX_DIGITS = "0123456789ABCDEF";

// Percent-encodes (uppercase hex) every byte that may not stand for itself.
// Working on bytes keeps values that are not UTF-8 intact.
function percentEncode(bytes: Uint8Array, allowed: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    out += byte < 128 && allowed[byte] === 1
      ? String.fromCharCode(byte)
      : "%" + HEX_DIGITS[byte >> 4] + HEX_DIGITS[byte & 15];
  }
  return out;
}

/**
 * Builds the `coap://` URL of a request from its Uri-Host, Uri-Port,
 * Uri-Path and Uri-Query options and its destination (RFC 7252 §6.5).
 * Values are percent-encoded with uppercase hex digits; the default port is
 * left out; no Uri-Path gives the path `/`.
 *
 * A Uri-Host that is not a valid host as it stands is percent-encoded where
 * the RFC would fail, so that every Uri-Host value has a URL.
 *
 * @param parts The options and the destination host and port.
 * @returns The URL.
 * @throws {TypeError} When there is neither a Uri-Host option nor a
 * `hostname`.
 * @throws {RangeError} When a Uri-Port option is longer than 2 bytes.
 *
 * @example Usage
 * ```ts
 * import { formatUri, parseUri } from "@microcoap/codec/uri";
 * import { assertEquals } from "@std/assert";
 *
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * assertEquals(
 *   formatUri({
 *     hostname: "2001:db8::2:1",
 *     options: [
 *       { number: 3, value: bytes("example.net") },
 *       { number: 11, value: bytes(".well-known") },
 *       { number: 11, value: bytes("core") },
 *     ],
 *   }),
 *   "coap://example.net/.well-known/core",
 * );
 * const url = "coap://[2001:db8::1]:61616/a%20b?q=%26";
 * assertEquals(formatUri(parseUri(url)), url);
 * ```
 */
export function formatUri(parts: CoapUriParts): string {
  let host: string;
  const uriHost = getOption(parts, URI_HOST);
  if (uriHost !== undefined) {
    const name = decodeString(uriHost);
    host = IPV4.test(name) ||
        (name.startsWith("[") && name.endsWith("]") &&
          isIpv6(name.slice(1, -1)))
      ? name
      : percentEncode(uriHost, HOST_CHARS);
  } else if (parts.hostname !== undefined && parts.hostname !== "") {
    const name = parts.hostname;
    const zoneAt = name.indexOf("%");
    host = !name.includes(":") ? name : zoneAt < 0
      ? `[${name}]`
      // RFC 6874 §2: "%25" and the zone, its other characters percent-encoded.
      : `[${name.slice(0, zoneAt)}%25${
        percentEncode(utf8Encoder.encode(name.slice(zoneAt + 1)), ZONE_CHARS)
      }]`;
  } else {
    throw new TypeError(
      "Cannot format CoAP URI: there is no Uri-Host option and no hostname",
    );
  }
  const uriPort = getOption(parts, URI_PORT);
  if (uriPort !== undefined && uriPort.length > 2) {
    throw new RangeError(
      `Cannot format CoAP URI: Uri-Port is ${uriPort.length} bytes long, at most 2 allowed`,
    );
  }
  const port = uriPort !== undefined
    ? decodeUint(uriPort)
    : parts.port ?? COAP_PORT;
  let url = `coap://${host}${port === COAP_PORT ? "" : `:${port}`}`;
  const path = getOptions(parts, URI_PATH);
  if (path.length === 0) url += "/";
  for (const segment of path) {
    url += "/" + percentEncode(segment, SEGMENT_CHARS);
  }
  let separator = "?";
  for (const argument of getOptions(parts, URI_QUERY)) {
    url += separator + percentEncode(argument, QUERY_CHARS);
    separator = "&";
  }
  return url;
}

/**
 * The Uri-Path of a request as decoded segments, such as `["sensors",
 * "temp"]` for `/sensors/temp`; empty for `/`.
 *
 * @param message The request (or anything with `options`).
 * @returns The path segments.
 *
 * @example Usage
 * ```ts
 * import { uriPath, parseUri } from "@microcoap/codec/uri";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(uriPath(parseUri("coap://h/sensors/a%2Fb")), ["sensors", "a/b"]);
 * ```
 */
export function uriPath(message: HasOptions): string[] {
  return getStringOptions(message, URI_PATH);
}

/**
 * The Uri-Query arguments of a request, decoded, such as `["unit=C"]`.
 *
 * @param message The request (or anything with `options`).
 * @returns The query arguments.
 *
 * @example Usage
 * ```ts
 * import { uriQuery, parseUri } from "@microcoap/codec/uri";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(uriQuery(parseUri("coap://h/x?a=1&b=%26")), ["a=1", "b=&"]);
 * ```
 */
export function uriQuery(message: HasOptions): string[] {
  return getStringOptions(message, URI_QUERY);
}

/**
 * The Uri-Path of a request as a percent-encoded absolute path, such as
 * `"/sensors/temp"`; `"/"` when there is no Uri-Path.
 *
 * @param message The request (or anything with `options`).
 * @returns The path.
 *
 * @example Usage
 * ```ts
 * import { uriPathname, parseUri } from "@microcoap/codec/uri";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(uriPathname(parseUri("coap://h/a/b%2Fc")), "/a/b%2Fc");
 * assertEquals(uriPathname(parseUri("coap://h")), "/");
 * ```
 */
export function uriPathname(message: HasOptions): string {
  const path = getOptions(message, URI_PATH);
  let out = "";
  for (const segment of path) {
    out += "/" + percentEncode(segment, SEGMENT_CHARS);
  }
  return out === "" ? "/" : out;
}
