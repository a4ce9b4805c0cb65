// Copyright 2026 the microcoap authors. MIT license.
// Block-wise transfers (RFC 7959) on top of single request/response exchanges.
import {
  CoapCode,
  CoapOptionNumber,
  decodeBlock,
  decodeUint,
  encodeBlock,
  encodeUint,
  getOption,
} from "@microcoap/codec";
import type { BlockValue, CoapMessage, CoapOption } from "@microcoap/codec";
import type { RequestInit } from "@microcoap/endpoint";
import { concat } from "@std/bytes/concat";
import { equals } from "@std/bytes/equals";
import { CoapBlockwiseError } from "./errors.ts";
import type { CoapProgress } from "./progress.ts";

/** One request/response exchange (with the caller's peer, signal and type). */
export type Exchange = (init: RequestInit) => Promise<CoapMessage>;

const {
  BLOCK1,
  BLOCK2,
  SIZE1,
  SIZE2,
  ETAG,
  OBSERVE,
  REQUEST_TAG,
  CONTENT_FORMAT,
  NO_RESPONSE,
} = CoapOptionNumber;

/** Reads a Block1 or Block2 option; `undefined` when absent; throws on a malformed one. */
export function readBlock(
  message: CoapMessage,
  number: number,
): BlockValue | undefined {
  const value = getOption(message, number);
  if (value === undefined) return undefined;
  try {
    return decodeBlock(value);
  } catch (cause) {
    throw new CoapBlockwiseError(
      "protocol",
      `Cannot continue block-wise transfer: malformed ${
        number === BLOCK1 ? "Block1" : "Block2"
      } option (${(cause as Error).message})`,
    );
  }
}

function readUint(message: CoapMessage, number: number): number | undefined {
  const value = getOption(message, number);
  return value === undefined || value.length > 4
    ? undefined
    : decodeUint(value);
}

/** The options without any of the given numbers. */
export function withoutOptions(
  options: readonly CoapOption[],
  numbers: readonly number[],
): CoapOption[] {
  return options.filter((option) => !numbers.includes(option.number));
}

/** The options plus one more, in number order (stable for repeatable options). */
export function withOption(
  options: readonly CoapOption[],
  option: CoapOption,
): CoapOption[] {
  const out = [...options];
  let at = out.length;
  while (at > 0 && out[at - 1]!.number > option.number) at--;
  out.splice(at, 0, option);
  return out;
}

/**
 * The request that fetches further Block2 blocks: the same method and
 * options, minus Observe, the Block options, Size1/Size2, Request-Tag and
 * No-Response; the payload only for FETCH (where the body is part of the
 * request's key) and only when it was sent in one piece.
 */
export function continuationTemplate(
  init: RequestInit,
  uploadedInBlocks: boolean,
): RequestInit {
  const keepPayload = init.code === CoapCode.FETCH && !uploadedInBlocks;
  const drop: number[] = [
    OBSERVE,
    BLOCK1,
    BLOCK2,
    SIZE1,
    SIZE2,
    REQUEST_TAG,
    NO_RESPONSE,
  ];
  if (!keepPayload) drop.push(CONTENT_FORMAT);
  const options = withoutOptions(init.options ?? [], drop);
  return keepPayload && init.payload
    ? { code: init.code, options, payload: init.payload }
    : { code: init.code, options };
}

/** Options for {@linkcode completeBlock2}. */
export interface Block2Options {
  /** The most bytes to reassemble. */
  readonly maxBodySize: number;
  /** Progress callback. */
  readonly onProgress?: ((progress: CoapProgress) => void) | undefined;
}

/** The result of a reassembled transfer. */
export interface Reassembled {
  /** The message whose options describe the representation (block 0). */
  readonly message: CoapMessage;
  /** The whole payload. */
  readonly payload: Uint8Array;
}

function tooLarge(size: number, max: number): CoapBlockwiseError {
  return new CoapBlockwiseError(
    "too-large",
    `Cannot reassemble block-wise response: ${size} bytes exceed maxBodySize of ${max}`,
  );
}

/**
 * Completes a response that carries Block2 with M=1 by requesting the
 * following blocks (RFC 7959 §2.4). Follows the server's block size, checks
 * that the ETag stays the same (restarting from block 0 once when it
 * changes), and stops at `maxBodySize`. A 4.xx/5.xx answer to a later block
 * ends the transfer and is returned as it is.
 */
export async function completeBlock2(
  first: CoapMessage,
  template: RequestInit,
  exchange: Exchange,
  options: Block2Options,
): Promise<Reassembled> {
  let block = readBlock(first, BLOCK2);
  if (block === undefined || first.code >>> 5 !== 2) {
    return { message: first, payload: first.payload };
  }
  if (block.num !== 0) {
    throw new CoapBlockwiseError(
      "protocol",
      `Cannot reassemble block-wise response: the first response is block ${block.num}, expected 0`,
    );
  }
  if (!block.more) return { message: first, payload: first.payload };
  const { maxBodySize, onProgress } = options;
  let head = first;
  let chunks: Uint8Array[] = [];
  let offset = 0;
  let blocks = 0;
  let total: number | undefined;
  let restarted = false;

  const accept = (message: CoapMessage, value: BlockValue): void => {
    const size = 16 << value.szx;
    if (value.more && message.payload.length !== size) {
      throw new CoapBlockwiseError(
        "protocol",
        `Cannot reassemble block-wise response: block ${value.num} has ${message.payload.length} bytes, expected ${size}`,
      );
    }
    chunks.push(message.payload);
    offset += message.payload.length;
    blocks++;
    total = readUint(message, SIZE2) ?? total;
    if (total !== undefined && total > maxBodySize) {
      throw tooLarge(total, maxBodySize);
    }
    if (offset > maxBodySize) throw tooLarge(offset, maxBodySize);
    onProgress?.(
      total === undefined
        ? { direction: "download", blocks, bytes: offset }
        : { direction: "download", blocks, bytes: offset, total },
    );
  };

  accept(first, block);
  let etag = getOption(first, ETAG);
  while (block.more) {
    const size = 16 << block.szx;
    if (offset % size !== 0) {
      throw new CoapBlockwiseError(
        "protocol",
        `Cannot reassemble block-wise response: ${offset} bytes received is not a multiple of the block size ${size}`,
      );
    }
    const num = offset / size;
    const response = await exchange({
      ...template,
      options: withOption(template.options ?? [], {
        number: BLOCK2,
        value: encodeBlock({ num, more: false, szx: block.szx }),
      }),
    });
    if (response.code >>> 5 !== 2) {
      return { message: response, payload: response.payload };
    }
    const next = readBlock(response, BLOCK2);
    if (next === undefined) {
      throw new CoapBlockwiseError(
        "protocol",
        `Cannot reassemble block-wise response: the response to block ${num} has no Block2 option`,
      );
    }
    const nextEtag = getOption(response, ETAG);
    if (
      etag !== undefined && nextEtag !== undefined && !equals(etag, nextEtag)
    ) {
      // The representation changed under us: start over once (RFC 7959 §2.4).
      if (restarted) {
        throw new CoapBlockwiseError(
          "etag-changed",
          "Cannot reassemble block-wise response: the representation changed twice during the transfer",
        );
      }
      restarted = true;
      const again = await exchange({
        ...template,
        options: withOption(template.options ?? [], {
          number: BLOCK2,
          value: encodeBlock({ num: 0, more: false, szx: next.szx }),
        }),
      });
      if (again.code >>> 5 !== 2) {
        return { message: again, payload: again.payload };
      }
      const restartBlock = readBlock(again, BLOCK2);
      if (restartBlock === undefined) {
        return { message: again, payload: again.payload };
      }
      if (restartBlock.num !== 0) {
        throw new CoapBlockwiseError(
          "protocol",
          `Cannot reassemble block-wise response: asked for block 0, got block ${restartBlock.num}`,
        );
      }
      head = again;
      chunks = [];
      offset = 0;
      blocks = 0;
      total = undefined;
      etag = getOption(again, ETAG);
      block = restartBlock;
      accept(again, restartBlock);
      continue;
    }
    if (next.num * (16 << next.szx) !== offset) {
      throw new CoapBlockwiseError(
        "protocol",
        `Cannot reassemble block-wise response: asked for the block at byte ${offset}, got block ${next.num} of size ${
          16 << next.szx
        }`,
      );
    }
    etag ??= nextEtag;
    block = next;
    accept(response, next);
  }
  return {
    message: { ...head, options: withoutOptions(head.options, [BLOCK2]) },
    payload: concat(chunks),
  };
}

/** Options for {@linkcode uploadBlock1}. */
export interface Block1Options {
  /** The block size to start with: 16 to 1024, a power of two. */
  readonly blockSize: number;
  /** A Request-Tag (RFC 9175) to send with every block. */
  readonly requestTag?: Uint8Array | undefined;
  /** Progress callback. */
  readonly onProgress?: ((progress: CoapProgress) => void) | undefined;
}

/**
 * The block size a 4.13 response asks for: its Block1 size, or the largest
 * block size within its Size1; `undefined` when it names none smaller than
 * `current`.
 */
export function smallerBlockSize(
  response: CoapMessage,
  current: number,
): number | undefined {
  let size: number | undefined;
  const block1 = getOption(response, BLOCK1);
  if (block1 !== undefined) {
    try {
      size = 16 << decodeBlock(block1).szx;
    } catch {
      size = undefined;
    }
  }
  if (size === undefined) {
    const size1 = readUint(response, SIZE1);
    if (size1 !== undefined && size1 >= 16) {
      size = 16;
      while (size < 1024 && size * 2 <= size1) size *= 2;
    }
  }
  return size !== undefined && size < current ? size : undefined;
}

/**
 * Sends a request payload in Block1 blocks (RFC 7959 §2.5): waits for each
 * intermediate block's 2.31 Continue, follows the server's smaller block size
 * (renumbering: next num = bytes sent / new size), restarts with a smaller size
 * after a 4.13 Request Entity Too Large that names one, and resolves with the
 * response to the last block. Any other non-2.xx answer ends the transfer and
 * is returned.
 */
export async function uploadBlock1(
  init: RequestInit,
  exchange: Exchange,
  options: Block1Options,
): Promise<CoapMessage> {
  const payload = init.payload ?? new Uint8Array(0);
  const total = payload.length;
  const base = withoutOptions(init.options ?? [], [BLOCK1, SIZE1, REQUEST_TAG]);
  let size = options.blockSize;
  let offset = 0;
  let blocks = 0;
  for (;;) {
    const szx = Math.log2(size) - 4;
    const num = offset / size;
    const chunk = payload.subarray(offset, offset + size);
    const more = offset + chunk.length < total;
    let blockOptions = withOption(base, {
      number: BLOCK1,
      value: encodeBlock({ num, more, szx }),
    });
    if (num === 0) {
      blockOptions = withOption(blockOptions, {
        number: SIZE1,
        value: encodeUint(total),
      });
    }
    if (options.requestTag !== undefined) {
      blockOptions = withOption(blockOptions, {
        number: REQUEST_TAG,
        value: options.requestTag,
      });
    }
    // A Block2 (early negotiation) belongs with the last block only.
    if (more) blockOptions = withoutOptions(blockOptions, [BLOCK2]);
    const response = await exchange({
      code: init.code,
      options: blockOptions,
      payload: chunk,
    });
    if (response.code === CoapCode.REQUEST_ENTITY_TOO_LARGE) {
      const smaller = smallerBlockSize(response, size);
      if (smaller === undefined) return response;
      // The server refused this block size: start over with the one it named.
      size = smaller;
      offset = 0;
      blocks = 0;
      continue;
    }
    if (response.code >>> 5 !== 2) return response;
    const echoed = readBlock(response, BLOCK1);
    if (!more) {
      blocks++;
      options.onProgress?.({
        direction: "upload",
        blocks,
        bytes: total,
        total,
      });
      return response;
    }
    if (echoed === undefined) {
      // A 2.xx other than 2.31 without Block1: the server took the request as a whole.
      if (response.code !== CoapCode.CONTINUE) return response;
      throw new CoapBlockwiseError(
        "protocol",
        `Cannot upload block-wise: the 2.31 response to block ${num} has no Block1 option`,
      );
    }
    // The server may count in its own (smaller) block size (RFC 7959 Figure 4).
    if (echoed.num !== num && echoed.num * (16 << echoed.szx) !== offset) {
      throw new CoapBlockwiseError(
        "protocol",
        `Cannot upload block-wise: sent block ${num}, the server acknowledged block ${echoed.num}`,
      );
    }
    offset += chunk.length;
    blocks++;
    options.onProgress?.({ direction: "upload", blocks, bytes: offset, total });
    const preferred = 16 << echoed.szx;
    if (preferred < size) size = preferred;
  }
}
