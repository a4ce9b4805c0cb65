// Copyright 2026 the microcoap authors. MIT license.
/**
 * CoAP method and response codes (RFC 7252 §12.1, RFC 7959, RFC 8132, RFC
 * 8516, RFC 8768) and their "c.dd" form.
 *
 * @module
 */

/**
 * Named codes: `class << 5 | detail`.
 *
 * @example Usage
 * ```ts
 * import { CoapCode } from "@microcoap/codec/codes";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(CoapCode.CONTENT, 0x45);
 * assertEquals(CoapCode.NOT_FOUND, (4 << 5) | 4);
 * ```
 */
export const CoapCode = {
  EMPTY: 0x00,
  GET: 0x01,
  POST: 0x02,
  PUT: 0x03,
  DELETE: 0x04,
  FETCH: 0x05,
  PATCH: 0x06,
  IPATCH: 0x07,
  CREATED: 0x41,
  DELETED: 0x42,
  VALID: 0x43,
  CHANGED: 0x44,
  CONTENT: 0x45,
  CONTINUE: 0x5f,
  BAD_REQUEST: 0x80,
  UNAUTHORIZED: 0x81,
  BAD_OPTION: 0x82,
  FORBIDDEN: 0x83,
  NOT_FOUND: 0x84,
  METHOD_NOT_ALLOWED: 0x85,
  NOT_ACCEPTABLE: 0x86,
  REQUEST_ENTITY_INCOMPLETE: 0x88,
  CONFLICT: 0x89,
  PRECONDITION_FAILED: 0x8c,
  REQUEST_ENTITY_TOO_LARGE: 0x8d,
  UNSUPPORTED_CONTENT_FORMAT: 0x8f,
  UNPROCESSABLE_ENTITY: 0x96,
  TOO_MANY_REQUESTS: 0x9d,
  INTERNAL_SERVER_ERROR: 0xa0,
  NOT_IMPLEMENTED: 0xa1,
  BAD_GATEWAY: 0xa2,
  SERVICE_UNAVAILABLE: 0xa3,
  GATEWAY_TIMEOUT: 0xa4,
  PROXYING_NOT_SUPPORTED: 0xa5,
  HOP_LIMIT_REACHED: 0xa8,
} as const;

/**
 * A known code name, such as `"CONTENT"`.
 *
 * @example Usage
 * ```ts
 * import { CoapCode, codeName, type CoapCodeName } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const name: CoapCodeName = "NOT_FOUND";
 * assertEquals(codeName(CoapCode[name]), name);
 * ```
 */
export type CoapCodeName = keyof typeof CoapCode;

/**
 * The request method names, such as `"GET"`.
 *
 * @example Usage
 * ```ts
 * import { CoapCode, isRequestCode, type CoapMethod } from "@microcoap/codec";
 * import { assert } from "@std/assert";
 *
 * const methods: CoapMethod[] = ["GET", "POST", "PUT", "DELETE", "FETCH", "PATCH", "IPATCH"];
 * assert(methods.every((method) => isRequestCode(CoapCode[method])));
 * ```
 */
export type CoapMethod =
  | "GET"
  | "POST"
  | "PUT"
  | "DELETE"
  | "FETCH"
  | "PATCH"
  | "IPATCH";

/**
 * Every CoAP method name, in code order (RFC 7252 §12.1.1, RFC 8132): the
 * method with code 0.0n is at index n - 1.
 *
 * @example Usage
 * ```ts
 * import { COAP_METHODS, CoapCode } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(COAP_METHODS, ["GET", "POST", "PUT", "DELETE", "FETCH", "PATCH", "IPATCH"]);
 * assertEquals(COAP_METHODS.map((method) => CoapCode[method]), [1, 2, 3, 4, 5, 6, 7]);
 * ```
 */
export const COAP_METHODS: readonly CoapMethod[] = /* @__PURE__ */ Object
  .freeze([
    "GET",
    "POST",
    "PUT",
    "DELETE",
    "FETCH",
    "PATCH",
    "IPATCH",
  ]);

// Built on first use rather than at load, so that bundles without
// codeName() drop it.
let names: Map<number, CoapCodeName> | undefined;

/**
 * Formats a code as "c.dd", e.g. `0x45` as `"2.05"`.
 *
 * @param code The code, 0 to 255.
 * @returns The dotted form.
 *
 * @example Usage
 * ```ts
 * import { formatCode } from "@microcoap/codec/codes";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(formatCode(0x45), "2.05");
 * assertEquals(formatCode(0x5f), "2.31");
 * ```
 */
export function formatCode(code: number): string {
  const detail = code & 0x1f;
  return `${code >>> 5}.${detail < 10 ? "0" : ""}${detail}`;
}

/**
 * Parses "c.dd" (such as "4.04") into a code.
 *
 * @param text The dotted form.
 * @returns The code.
 * @throws {RangeError} When the text is not a valid "c.dd" code.
 *
 * @example Usage
 * ```ts
 * import { parseCode } from "@microcoap/codec/codes";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseCode("4.04"), 0x84);
 * ```
 */
export function parseCode(text: string): number {
  const match = /^([0-7])\.([0-3][0-9])$/.exec(text);
  const detail = match ? Number(match[2]) : 32;
  if (!match || detail > 31) {
    throw new RangeError(
      `Cannot parse code: "${text}" is not of the form c.dd`,
    );
  }
  return (Number(match[1]) << 5) | detail;
}

/**
 * The name of a code, such as `"CONTENT"` for `0x45`, or `undefined` when the
 * code is not registered.
 *
 * @param code The code.
 * @returns The name, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { codeName } from "@microcoap/codec/codes";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(codeName(0x84), "NOT_FOUND");
 * assertEquals(codeName(0x1f), undefined);
 * ```
 */
export function codeName(code: number): CoapCodeName | undefined {
  names ??= new Map(
    (Object.entries(CoapCode) as [CoapCodeName, number][]).map((
      [k, v],
    ) => [v, k]),
  );
  return names.get(code);
}

/**
 * Whether the code is a request method (class 0, detail 1 to 31).
 *
 * @param code The code.
 * @returns `true` for a request code.
 *
 * @example Usage
 * ```ts
 * import { isRequestCode } from "@microcoap/codec/codes";
 * import { assert } from "@std/assert";
 *
 * assert(isRequestCode(1));
 * assert(!isRequestCode(0x45));
 * ```
 */
export function isRequestCode(code: number): boolean {
  return code > 0 && code < 32;
}

/**
 * Whether the code is a response code (class 2, 4 or 5).
 *
 * @param code The code.
 * @returns `true` for a response code.
 *
 * @example Usage
 * ```ts
 * import { isResponseCode } from "@microcoap/codec/codes";
 * import { assert } from "@std/assert";
 *
 * assert(isResponseCode(0x45));
 * assert(!isResponseCode(0x01));
 * ```
 */
export function isResponseCode(code: number): boolean {
  const c = code >>> 5;
  return c === 2 || c === 4 || c === 5;
}
