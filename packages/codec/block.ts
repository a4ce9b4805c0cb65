// Copyright 2026 the microcoap authors. MIT license.
/**
 * Values of the Block1 and Block2 options (RFC 7959 §2.2), also used by
 * Q-Block1 and Q-Block2 (RFC 9177): block number, more flag and size
 * exponent.
 *
 * @module
 */
import { decodeUint, encodeUint } from "./option_values.ts";

/**
 * A decoded Block1 or Block2 option value.
 *
 * @example Usage
 * ```ts
 * import type { BlockValue } from "@microcoap/codec/block";
 * import { blockSize } from "@microcoap/codec/block";
 * import { assertEquals } from "@std/assert";
 *
 * const block: BlockValue = { num: 2, more: true, szx: 6 };
 * assertEquals(block.num * blockSize(block.szx), 2048);
 * ```
 */
export interface BlockValue {
  /** The block number, 0 to 1048575 (20 bits). */
  readonly num: number;
  /** Whether more blocks follow. */
  readonly more: boolean;
  /** The size exponent: the block size is `2 ** (szx + 4)`, 0 to 6. */
  readonly szx: number;
}

function checkSzx(szx: number, doing: string): void {
  if (!(Number.isInteger(szx) && szx >= 0 && szx <= 6)) {
    throw new RangeError(
      `Cannot ${doing}: size exponent is ${szx}, expected 0 to 6 (7 is reserved)`,
    );
  }
}

/**
 * The block size of a size exponent: 16 for 0 up to 1024 for 6.
 *
 * @param szx The size exponent, 0 to 6.
 * @returns The block size in bytes.
 * @throws {RangeError} When the exponent is not 0 to 6 (7 is reserved).
 *
 * @example Usage
 * ```ts
 * import { blockSize } from "@microcoap/codec/block";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * assertEquals(blockSize(0), 16);
 * assertEquals(blockSize(6), 1024);
 * assertThrows(() => blockSize(7), RangeError);
 * ```
 */
export function blockSize(szx: number): number {
  checkSzx(szx, "get block size");
  return 16 << szx;
}

/**
 * The size exponent of a block size.
 *
 * @param size The block size: 16, 32, 64, 128, 256, 512 or 1024.
 * @returns The size exponent, 0 to 6.
 * @throws {RangeError} When the size is not one of those.
 *
 * @example Usage
 * ```ts
 * import { szxFromSize } from "@microcoap/codec/block";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * assertEquals(szxFromSize(1024), 6);
 * assertEquals(szxFromSize(16), 0);
 * assertThrows(() => szxFromSize(100), RangeError);
 * ```
 */
export function szxFromSize(size: number): number {
  for (let szx = 0; szx <= 6; szx++) {
    if (16 << szx === size) return szx;
  }
  throw new RangeError(
    `Cannot get size exponent: block size is ${size}, expected a power of two from 16 to 1024`,
  );
}

/**
 * Encodes a Block1 or Block2 option value in the fewest bytes (0 to 3).
 *
 * @param block The block number, more flag and size exponent.
 * @returns The option value.
 * @throws {RangeError} When the number is not 0 to 1048575 or the size
 * exponent not 0 to 6.
 *
 * @example Usage
 * ```ts
 * import { encodeBlock } from "@microcoap/codec/block";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(encodeBlock({ num: 0, more: false, szx: 0 }), new Uint8Array(0));
 * assertEquals(encodeBlock({ num: 1, more: true, szx: 6 }), new Uint8Array([0x1e]));
 * assertEquals(encodeBlock({ num: 16, more: false, szx: 2 }), new Uint8Array([0x01, 0x02]));
 * ```
 */
export function encodeBlock(block: BlockValue): Uint8Array {
  const { num, more, szx } = block;
  checkSzx(szx, "encode block option");
  if (!(Number.isInteger(num) && num >= 0 && num <= 0xfffff)) {
    throw new RangeError(
      `Cannot encode block option: block number is ${num}, expected an integer from 0 to 1048575`,
    );
  }
  return encodeUint(num * 16 + (more ? 8 : 0) + szx);
}

/**
 * Decodes a Block1 or Block2 option value.
 *
 * @param bytes The option value, 0 to 3 bytes.
 * @returns The block number, more flag and size exponent.
 * @throws {RangeError} When the value is longer than 3 bytes or the size
 * exponent is the reserved 7.
 *
 * @example Usage
 * ```ts
 * import { decodeBlock } from "@microcoap/codec/block";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(decodeBlock(new Uint8Array([0x1e])), { num: 1, more: true, szx: 6 });
 * assertEquals(decodeBlock(new Uint8Array(0)), { num: 0, more: false, szx: 0 });
 * ```
 */
export function decodeBlock(bytes: Uint8Array): BlockValue {
  if (bytes.length > 3) {
    throw new RangeError(
      `Cannot decode block option: length is ${bytes.length}, at most 3 allowed`,
    );
  }
  const value = decodeUint(bytes);
  const szx = value & 7;
  if (szx === 7) {
    throw new RangeError(
      "Cannot decode block option: size exponent is 7, which is reserved",
    );
  }
  return { num: value >>> 4, more: (value & 8) !== 0, szx };
}
