// Copyright 2026 the microcoap authors. MIT license.
// Turns a handler's response description into code, options and payload.
import {
  CoapCode,
  CoapOptionNumber,
  createOption,
  EMPTY_BYTES,
  encodePayload,
  encodeUint,
  getOption,
} from "@microcoap/codec";
import type { CoapMethod, CoapOption, PayloadJson } from "@microcoap/codec";

/**
 * What a route handler answers: a plain description of the response. Every
 * field is optional; `{}` (or returning nothing) sends the method's default
 * success code without a payload.
 *
 * @example Usage
 * ```ts
 * import type { ServerResponse } from "@microcoap/server";
 * import { assertEquals } from "@std/assert";
 *
 * const response: ServerResponse = { payload: { temperature: 21.5 }, maxAge: 30 };
 * assertEquals(response.maxAge, 30);
 * ```
 */
export interface ServerResponse {
  /**
   * The response code, e.g. `CoapCode.CREATED`.
   *
   * @default {2.05 Content for GET and FETCH, 2.02 Deleted for DELETE, 2.01 Created for POST and PUT with a `locationPath`, else 2.04 Changed}
   */
  readonly code?: number;
  /**
   * The payload: bytes as they are, a string as UTF-8 (Content-Format 0
   * unless `contentFormat` says otherwise), anything else as JSON
   * (Content-Format 50 unless `contentFormat` names another JSON-based
   * format). For CBOR and other non-JSON formats, give the encoded bytes: a
   * value that would go as JSON under such a `contentFormat` is a handler
   * error (5.00).
   *
   * @default {no payload}
   */
  readonly payload?: Uint8Array | ArrayBuffer | string | PayloadJson;
  /**
   * The Content-Format option.
   *
   * @default {derived from `payload` (see there)}
   */
  readonly contentFormat?: number;
  /**
   * The Max-Age option in seconds (0 to 2^32-1).
   *
   * @default {none (clients assume 60)}
   */
  readonly maxAge?: number;
  /**
   * The ETag option (1 to 8 bytes).
   *
   * @default {none}
   */
  readonly etag?: Uint8Array;
  /**
   * Location-Path: a path like `"/items/7"` or its segments. Segments are
   * sent as given (no percent-decoding); a `"."` or `".."` segment is not
   * allowed (RFC 7252 §5.10.7) and makes the response a handler error (5.00).
   *
   * @default {none}
   */
  readonly locationPath?: string | readonly string[];
  /**
   * Location-Query arguments (`"a=b"`).
   *
   * @default {none}
   */
  readonly locationQuery?: string | readonly string[];
  /**
   * Further raw options, added as they are. A Content-Format, Max-Age or
   * ETag here replaces the one the fields above would give (the response
   * never carries two).
   *
   * @default {[]}
   */
  readonly options?: readonly CoapOption[];
}

/** A response description resolved to wire form. */
export interface BuiltResponse {
  readonly code: number;
  readonly options: CoapOption[];
  readonly payload: Uint8Array;
  readonly contentFormat: number | undefined;
  readonly etag: Uint8Array | undefined;
  readonly maxAge: number | undefined;
}

/** A response with only a code: no options, no payload. */
export function bareResponse(code: number): BuiltResponse {
  return {
    code,
    options: [],
    payload: EMPTY_BYTES,
    contentFormat: undefined,
    etag: undefined,
    maxAge: undefined,
  };
}

/**
 * Whether a successful representation is in a Content-Format the request's
 * Accept excludes (RFC 7252 §5.10.4: answered 4.06 instead).
 */
export function notAcceptable(
  built: BuiltResponse,
  requestOptions: readonly CoapOption[],
): boolean {
  if (built.code >>> 5 !== 2 || built.payload.length === 0) return false;
  const accept = uintOf(requestOptions, CoapOptionNumber.ACCEPT);
  return accept !== undefined && built.contentFormat !== accept;
}

/** The success code a method answers with when the handler gives none. */
export function defaultCode(
  method: CoapMethod,
  response: ServerResponse,
): number {
  switch (method) {
    case "GET":
    case "FETCH":
      return CoapCode.CONTENT;
    case "DELETE":
      return CoapCode.DELETED;
    case "POST":
    case "PUT":
      return response.locationPath !== undefined
        ? CoapCode.CREATED
        : CoapCode.CHANGED;
    default:
      return CoapCode.CHANGED;
  }
}

/** Resolves a handler's description; throws TypeError/RangeError on bad shapes. */
export function buildResponse(
  method: CoapMethod,
  description: ServerResponse | undefined | void,
): BuiltResponse {
  const response: ServerResponse = description ?? {};
  if (
    typeof response !== "object" || response === null || Array.isArray(response)
  ) {
    throw new TypeError(
      "Cannot build response: the handler returned something that is not an object",
    );
  }
  const code = response.code ?? defaultCode(method, response);
  if (
    !(Number.isInteger(code) && code >= 0x40 && code <= 0xbf &&
      (code >>> 5) !== 3)
  ) {
    throw new RangeError(
      `Cannot build response: code is ${code}, expected a 2.xx, 4.xx or 5.xx response code`,
    );
  }
  const options: CoapOption[] = [];
  let payload = EMPTY_BYTES;
  let contentFormat = response.contentFormat;
  if (response.payload !== undefined) {
    const encoded = encodePayload(response.payload, contentFormat);
    payload = encoded.payload;
    contentFormat = encoded.contentFormat;
  }
  // Content-Format, Max-Age and ETag are not repeatable in a response: one
  // given among the raw options wins.
  const raw = Array.isArray(response.options)
    ? response.options as readonly CoapOption[]
    : [];
  const rawHas = (number: number): boolean =>
    raw.some((option) => option?.number === number);
  if (
    contentFormat !== undefined && !rawHas(CoapOptionNumber.CONTENT_FORMAT)
  ) {
    options.push(createOption(CoapOptionNumber.CONTENT_FORMAT, contentFormat));
  } else contentFormat = undefined;
  const maxAge = rawHas(CoapOptionNumber.MAX_AGE) ? undefined : response.maxAge;
  if (maxAge !== undefined) {
    options.push(createOption(CoapOptionNumber.MAX_AGE, maxAge));
  }
  const etag = rawHas(CoapOptionNumber.ETAG) ? undefined : response.etag;
  if (etag !== undefined) {
    options.push(createOption(CoapOptionNumber.ETAG, etag));
  }
  for (const segment of segmentsOf(response.locationPath)) {
    options.push(createOption(CoapOptionNumber.LOCATION_PATH, segment));
  }
  const query = response.locationQuery;
  for (const argument of typeof query === "string" ? [query] : query ?? []) {
    options.push(createOption(CoapOptionNumber.LOCATION_QUERY, argument));
  }
  if (response.options !== undefined) {
    if (!Array.isArray(response.options)) {
      throw new TypeError(
        "Cannot build response: options must be an array of options",
      );
    }
    for (const option of response.options as readonly CoapOption[]) {
      if (
        option === null || typeof option !== "object" ||
        !(option.value instanceof Uint8Array)
      ) {
        throw new TypeError(
          "Cannot build response: an option is not { number, value: Uint8Array }",
        );
      }
      options.push(option);
    }
  }
  return {
    code,
    options,
    payload,
    contentFormat: contentFormat ??
      uintOf(options, CoapOptionNumber.CONTENT_FORMAT),
    etag: etag ?? getOption({ options }, CoapOptionNumber.ETAG),
    maxAge: maxAge ?? uintOf(options, CoapOptionNumber.MAX_AGE),
  };
}

function segmentsOf(
  path: string | readonly string[] | undefined,
): readonly string[] {
  if (path === undefined) return [];
  const segments = typeof path === "string"
    ? path.split("/").filter((segment) => segment !== "")
    : path;
  for (const segment of segments) {
    // RFC 7252 §5.10.7: the client resolves the location against the
    // request URI; a dot segment there would name another resource.
    if (segment === "." || segment === "..") {
      throw new TypeError(
        `Cannot build response: Location-Path segment "${segment}" is not allowed (RFC 7252 §5.10.7)`,
      );
    }
  }
  return segments;
}

/** A uint option's value, or `undefined` when absent or longer than 4 bytes. */
export function uintOf(
  options: readonly CoapOption[],
  number: number,
): number | undefined {
  const value = getOption({ options }, number);
  if (value === undefined || value.length > 4) return undefined;
  let n = 0;
  for (const byte of value) n = n * 256 + byte;
  return n;
}

/** A copy of `options` without any option numbered `number`. */
export function withoutOption(
  options: readonly CoapOption[],
  number: number,
): CoapOption[] {
  return options.filter((option) => option.number !== number);
}

/** A uint option. */
export function uintOption(number: number, value: number): CoapOption {
  return { number, value: encodeUint(value) };
}
