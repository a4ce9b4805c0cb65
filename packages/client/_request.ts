// Copyright 2026 the microcoap authors. MIT license.
// Turning request options into a method code, CoAP options and a payload.
import {
  COAP_METHODS,
  CoapCode,
  CoapOptionNumber,
  createOption,
  encodeBlock,
  encodePayload,
  parseContentFormat,
  szxFromSize,
} from "@microcoap/codec";
import type { CoapMethod, CoapOption, PayloadInput } from "@microcoap/codec";
import type {
  CoapNoResponse,
  CoapQuery,
  CoapRequestOption,
} from "./request_options.ts";
import type { RequestInit } from "@microcoap/endpoint";

/** The parts of the request options that shape the message. */
export interface MessageOptions {
  method?: CoapMethod | number;
  payload?: PayloadInput | undefined;
  contentFormat?: number | string | undefined;
  accept?: number | string | undefined;
  query?: CoapQuery | undefined;
  options?: readonly CoapRequestOption[] | undefined;
  observe?: number | undefined;
  etag?: Uint8Array | readonly Uint8Array[] | undefined;
  ifMatch?: true | Uint8Array | readonly Uint8Array[] | undefined;
  ifNoneMatch?: boolean | undefined;
  noResponse?: CoapNoResponse | undefined;
}

// In code order (GET is 0.01), widened so any upper-cased string can be looked up.
const METHODS: readonly string[] = COAP_METHODS;

/** The code of a method name or number. */
export function methodCode(method: CoapMethod | number | undefined): number {
  if (method === undefined) return CoapCode.GET;
  if (typeof method === "number") {
    if (Number.isInteger(method) && method >= 1 && method <= 31) return method;
    throw new RangeError(
      `Cannot send request: method code is ${method}, expected 1 to 31 (0.01 to 0.31)`,
    );
  }
  const index = typeof method === "string"
    ? METHODS.indexOf(method.toUpperCase())
    : -1;
  if (index < 0) {
    throw new TypeError(
      `Cannot send request: method "${String(method)}" is not one of ${
        METHODS.join(", ")
      }`,
    );
  }
  return index + 1;
}

/** A content format given as a number or a media type name. */
export function contentFormatNumber(
  value: number | string,
  what: string,
): number {
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0 && value <= 0xffff) return value;
    throw new RangeError(
      `Cannot send request: ${what} is ${value}, expected 0 to 65535`,
    );
  }
  if (typeof value !== "string") {
    throw new TypeError(
      `Cannot send request: ${what} must be a number or a media type`,
    );
  }
  return parseContentFormat(value);
}

/** The No-Response option value (RFC 7967 §2.1) of the option. */
export function noResponseBits(value: CoapNoResponse): number {
  if (value === "all") return 2 | 8 | 16;
  if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0 && value <= 255) return value;
    throw new RangeError(
      `Cannot send request: noResponse is ${value}, expected 0 to 255`,
    );
  }
  if (!Array.isArray(value)) {
    throw new TypeError(
      'Cannot send request: noResponse must be a number, "all" or a list of "2xx", "4xx", "5xx"',
    );
  }
  let bits = 0;
  for (const item of value) {
    if (item === "2xx") bits |= 2;
    else if (item === "4xx") bits |= 8;
    else if (item === "5xx") bits |= 16;
    else {
      throw new TypeError(
        `Cannot send request: noResponse class "${
          String(item)
        }" is not "2xx", "4xx" or "5xx"`,
      );
    }
  }
  return bits;
}

/** Whether No-Response bits suppress every response class. */
export function suppressesAll(bits: number): boolean {
  return (bits & 26) === 26;
}

/** The Uri-Query arguments of a query option. */
export function queryArguments(query: CoapQuery): string[] {
  const out: string[] = [];
  if (typeof query === "string") {
    const text = query.startsWith("?") ? query.slice(1) : query;
    for (const argument of text.split("&")) {
      if (argument !== "") out.push(argument);
    }
  } else if (query instanceof URLSearchParams) {
    for (const [key, value] of query) {
      out.push(value === "" ? key : `${key}=${value}`);
    }
  } else if (query !== null && typeof query === "object") {
    for (const [key, value] of Object.entries(query)) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item === undefined || item === false) continue;
        if (
          typeof item !== "string" && typeof item !== "number" &&
          typeof item !== "boolean"
        ) {
          throw new TypeError(
            `Cannot send request: query value of "${key}" is ${
              item === null ? "null" : `a ${typeof item}`
            }, expected a string, number or boolean`,
          );
        }
        out.push(item === true ? key : `${key}=${item}`);
      }
    }
  } else {
    throw new TypeError(
      "Cannot send request: query must be a string, a record or URLSearchParams",
    );
  }
  return out;
}

function list(
  value: Uint8Array | readonly Uint8Array[],
): readonly Uint8Array[] {
  return value instanceof Uint8Array ? [value] : value;
}

/**
 * Builds the request message from the URL's options and the request
 * options. Options come out sorted by number; repeatable ones keep their
 * order (URL first, then the extra options).
 */
export function buildRequest(
  uriOptions: readonly CoapOption[],
  options: MessageOptions,
  blockSize: number | undefined,
): RequestInit {
  const code = methodCode(options.method);
  const out: CoapOption[] = [...uriOptions];
  const N = CoapOptionNumber;
  if (options.query !== undefined) {
    for (const argument of queryArguments(options.query)) {
      out.push(createOption(N.URI_QUERY, argument));
    }
  }
  let payload: Uint8Array | undefined;
  let contentFormat = options.contentFormat === undefined
    ? undefined
    : contentFormatNumber(options.contentFormat, "contentFormat");
  if (options.payload !== undefined) {
    const encoded = encodePayload(options.payload, contentFormat);
    payload = encoded.payload;
    contentFormat = encoded.contentFormat;
  }
  if (contentFormat !== undefined) {
    out.push(createOption(N.CONTENT_FORMAT, contentFormat));
  }
  if (options.accept !== undefined) {
    out.push(
      createOption(N.ACCEPT, contentFormatNumber(options.accept, "accept")),
    );
  }
  if (options.observe !== undefined) {
    out.push(createOption(N.OBSERVE, options.observe));
  }
  if (options.etag !== undefined) {
    for (const tag of list(options.etag)) out.push(createOption(N.ETAG, tag));
  }
  if (options.ifMatch !== undefined) {
    if (options.ifMatch === true) out.push(createOption(N.IF_MATCH));
    else {for (const tag of list(options.ifMatch)) {
        out.push(createOption(N.IF_MATCH, tag));
      }}
  }
  if (options.ifNoneMatch === true) out.push(createOption(N.IF_NONE_MATCH));
  if (options.noResponse !== undefined) {
    out.push(createOption(N.NO_RESPONSE, noResponseBits(options.noResponse)));
  }
  if (
    blockSize !== undefined &&
    (code === CoapCode.GET || code === CoapCode.FETCH) &&
    // A Block2 among the raw options asks for its own block and size.
    !(Array.isArray(options.options) &&
      options.options.some((option) => option?.number === N.BLOCK2))
  ) {
    // Early negotiation (RFC 7959 §2.4): ask for blocks of this size.
    out.push({
      number: N.BLOCK2,
      value: encodeBlock({ num: 0, more: false, szx: szxFromSize(blockSize) }),
    });
  }
  if (options.options !== undefined) {
    if (!Array.isArray(options.options)) {
      throw new TypeError(
        "Cannot send request: options must be a list of { number, value }",
      );
    }
    for (const option of options.options) {
      if (option === null || typeof option !== "object") {
        throw new TypeError(
          "Cannot send request: options must be a list of { number, value }",
        );
      }
      out.push(createOption(option.number, option.value));
    }
  }
  // Array.prototype.sort is stable: repeatable options keep their order.
  out.sort((a, b) => a.number - b.number);
  return payload === undefined
    ? { code, options: out }
    : { code, options: out, payload };
}

/** Checks a block size option. */
export function checkBlockSize(size: number, what: string): number {
  if (
    typeof size !== "number" || !Number.isInteger(Math.log2(size)) ||
    size < 16 || size > 1024
  ) {
    throw new RangeError(
      `Cannot use ${what}: ${size} is not a block size (16, 32, 64, 128, 256, 512 or 1024)`,
    );
  }
  return size;
}

/**
 * Checks the URL's port as a destination: port 0 is reserved (RFC 6335
 * §6), a datagram to it is never answered.
 */
export function checkDestinationPort(port: number, what: string): void {
  if (port === 0) {
    throw new RangeError(
      `Cannot ${what}: port 0 is not a destination port, expected 1 to 65535`,
    );
  }
}
