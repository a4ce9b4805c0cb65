// Copyright 2026 the microcoap authors. MIT license.
/**
 * Values of the Observe option (RFC 7641): 24-bit sequence numbers in
 * notifications, 0 (register) and 1 (deregister) in requests, and the
 * freshness order of notifications.
 *
 * @module
 */
import { decodeUint, encodeUint } from "./option_values.ts";

/**
 * Observe values of a GET request (RFC 7641 §2).
 *
 * @example Usage
 * ```ts
 * import { ObserveAction } from "@microcoap/codec/observe";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(ObserveAction.REGISTER, 0);
 * assertEquals(ObserveAction.DEREGISTER, 1);
 * ```
 */
export const ObserveAction = { REGISTER: 0, DEREGISTER: 1 } as const;

/**
 * The largest Observe value: 2 ** 24 - 1.
 *
 * @example Usage
 * ```ts
 * import { encodeObserve, MAX_OBSERVE } from "@microcoap/codec/observe";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(encodeObserve(MAX_OBSERVE), new Uint8Array([0xff, 0xff, 0xff]));
 * ```
 */
export const MAX_OBSERVE = 0xffffff;

/**
 * Encodes an Observe value in the fewest bytes (0 to 3).
 *
 * @param value An integer from 0 to 16777215.
 * @returns The option value.
 * @throws {RangeError} When the value is out of range.
 *
 * @example Usage
 * ```ts
 * import { encodeObserve } from "@microcoap/codec/observe";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * assertEquals(encodeObserve(0), new Uint8Array(0));
 * assertEquals(encodeObserve(0x123456), new Uint8Array([0x12, 0x34, 0x56]));
 * assertThrows(() => encodeObserve(0x1000000), RangeError);
 * ```
 */
export function encodeObserve(value: number): Uint8Array {
  if (!(Number.isInteger(value) && value >= 0 && value <= MAX_OBSERVE)) {
    throw new RangeError(
      `Cannot encode Observe value: ${value} is not an integer from 0 to 16777215`,
    );
  }
  return encodeUint(value);
}

/**
 * Decodes an Observe value.
 *
 * @param bytes The option value, 0 to 3 bytes.
 * @returns The value.
 * @throws {RangeError} When the value is longer than 3 bytes.
 *
 * @example Usage
 * ```ts
 * import { decodeObserve } from "@microcoap/codec/observe";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(decodeObserve(new Uint8Array([0x01, 0x00])), 256);
 * ```
 */
export function decodeObserve(bytes: Uint8Array): number {
  if (bytes.length > 3) {
    throw new RangeError(
      `Cannot decode Observe value: length is ${bytes.length}, at most 3 allowed`,
    );
  }
  return decodeUint(bytes);
}

/**
 * Whether a notification with Observe value `next` is newer than one with
 * `previous`, by the 24-bit serial number order of RFC 7641 §3.4. (The RFC
 * also counts a notification as newer when more than 128 seconds passed since
 * the previous one; that check is the caller's, since it needs a clock.)
 *
 * @param previous The Observe value of the newest notification so far.
 * @param next The Observe value of the arriving notification.
 * @returns `true` when `next` is newer.
 *
 * @example Usage
 * ```ts
 * import { isObserveNewer } from "@microcoap/codec/observe";
 * import { assert } from "@std/assert";
 *
 * assert(isObserveNewer(5, 6));
 * assert(!isObserveNewer(6, 5));
 * assert(isObserveNewer(0xffffff, 0)); // wrapped around
 * ```
 */
export function isObserveNewer(previous: number, next: number): boolean {
  return (previous < next && next - previous < 0x800000) ||
    (previous > next && previous - next > 0x800000);
}
