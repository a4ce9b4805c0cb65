// Copyright 2026 the microcoap authors. MIT license.
/**
 * Turning application values into payload bytes and back.
 *
 * @module
 */
import { ContentFormat, contentFormatName } from "./content_format.ts";

/**
 * What a payload may be given as: bytes, text, or a JSON-able value.
 *
 * @example Usage
 * ```ts
 * import { encodePayload, type PayloadInput } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const inputs: PayloadInput[] = [new Uint8Array([1, 2]), "hi", { on: true }];
 * assertEquals(inputs.map((input) => encodePayload(input).contentFormat), [undefined, 0, 50]);
 * ```
 */
export type PayloadInput = Uint8Array | ArrayBuffer | string | PayloadJson;

/**
 * A JSON-able value (objects, arrays, numbers, booleans, null).
 *
 * @example Usage
 * ```ts
 * import { encodePayload, payloadJson, type PayloadJson } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const reading: PayloadJson = { temperature: 21.5, unit: "C", history: [21, 21.5] };
 * assertEquals(payloadJson(encodePayload(reading).payload), reading);
 * ```
 */
export type PayloadJson =
  | string
  | number
  | boolean
  | null
  | readonly PayloadJson[]
  | { readonly [key: string]: PayloadJson | undefined };

/**
 * The result of {@linkcode encodePayload}.
 *
 * @example Usage
 * ```ts
 * import { encodePayload, payloadText, type EncodedPayload } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const encoded: EncodedPayload = encodePayload("22.5");
 * assertEquals(encoded.contentFormat, 0);
 * assertEquals(payloadText(encoded.payload), "22.5");
 * ```
 */
export interface EncodedPayload {
  /** The bytes. */
  readonly payload: Uint8Array;
  /** The content format implied by the value, when there is one (text/plain 0, JSON 50). */
  readonly contentFormat: number | undefined;
}

const encoder = /* @__PURE__ */ new TextEncoder();
const decoder = /* @__PURE__ */ new TextDecoder();

/**
 * Encodes a payload value: bytes as they are, strings as UTF-8 (text/plain),
 * anything else as JSON (application/json). A `contentFormat` given by the
 * caller wins over the implied one; for a value sent as JSON it must be a
 * JSON-based format (such as application/senml+json), text/plain or an
 * unregistered one. Other values, CBOR among them, must be encoded to bytes
 * by the caller: this function serialises JSON only.
 *
 * @param value The value.
 * @param contentFormat The caller's content format, if any.
 * @returns The bytes and the content format to send.
 * @throws {TypeError} When a value cannot be serialised as JSON, is a typed
 * array other than Uint8Array or a DataView, or would be
 * sent as JSON under a registered Content-Format that is not JSON (such as
 * 60, application/cbor).
 *
 * @example Usage
 * ```ts
 * import { encodePayload } from "@microcoap/codec/payload";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * assertEquals(encodePayload("hi"), { payload: new Uint8Array([104, 105]), contentFormat: 0 });
 * assertEquals(encodePayload({ a: 1 }).contentFormat, 50);
 * assertEquals(encodePayload(new Uint8Array([1]), 42).contentFormat, 42);
 * assertEquals(encodePayload([{ n: "t", v: 21 }], 110).contentFormat, 110); // SenML JSON
 * assertThrows(() => encodePayload({ a: 1 }, 60), TypeError); // CBOR: encode to bytes first
 * ```
 */
export function encodePayload(
  value: PayloadInput,
  contentFormat?: number,
): EncodedPayload {
  if (value instanceof Uint8Array) return { payload: value, contentFormat };
  if (value instanceof ArrayBuffer) {
    return { payload: new Uint8Array(value), contentFormat };
  }
  if (ArrayBuffer.isView(value)) {
    // Its JSON is an object of numbered elements, not its bytes.
    throw new TypeError(
      `Cannot encode payload: a ${value.constructor.name} is not a payload; give a Uint8Array of its bytes`,
    );
  }
  if (typeof value === "string") {
    return {
      payload: encoder.encode(value),
      contentFormat: contentFormat ?? 0,
    };
  }
  const json = JSON.stringify(value);
  if (json === undefined) {
    throw new TypeError(
      `Cannot encode payload: ${
        value === undefined ? "undefined" : `a ${typeof value}`
      } is not JSON-able`,
    );
  }
  if (
    contentFormat !== undefined && contentFormat !== ContentFormat.TEXT_PLAIN
  ) {
    // JSON text under, say, application/cbor is garbage to the peer.
    const name = contentFormatName(contentFormat);
    if (name !== undefined && !name.includes("json")) {
      const kind = value === null
        ? "null"
        : Array.isArray(value)
        ? "an array"
        : typeof value === "object"
        ? "an object"
        : `a ${typeof value}`;
      throw new TypeError(
        `Cannot encode payload: ${kind} would be sent as JSON, but Content-Format ${contentFormat} (${name}) is not JSON; encode it to a Uint8Array first`,
      );
    }
  }
  return { payload: encoder.encode(json), contentFormat: contentFormat ?? 50 };
}

/**
 * Decodes a payload as UTF-8 text.
 *
 * @param payload The bytes.
 * @returns The text (invalid sequences become U+FFFD).
 *
 * @example Usage
 * ```ts
 * import { payloadText } from "@microcoap/codec/payload";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(payloadText(new Uint8Array([104, 105])), "hi");
 * ```
 */
export function payloadText(payload: Uint8Array): string {
  return decoder.decode(payload);
}

/**
 * Parses a payload as JSON.
 *
 * @param payload The bytes.
 * @returns The parsed value.
 * @throws {SyntaxError} When the payload is not JSON.
 *
 * @example Usage
 * ```ts
 * import { payloadJson } from "@microcoap/codec/payload";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(payloadJson(new TextEncoder().encode('{"a":1}')), { a: 1 });
 * ```
 */
export function payloadJson(payload: Uint8Array): unknown {
  return JSON.parse(decoder.decode(payload));
}
