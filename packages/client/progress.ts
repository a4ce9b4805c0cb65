// Copyright 2026 the microcoap authors. MIT license.
/**
 * Progress reports of block-wise transfers.
 *
 * @module
 */

/**
 * How far a block-wise transfer (RFC 7959) has come; reported after every
 * block by the `onProgress` request option.
 *
 * @example Usage
 * ```ts
 * import type { CoapProgress } from "@microcoap/client";
 * import { assertEquals } from "@std/assert";
 *
 * const progress: CoapProgress = { direction: "download", blocks: 2, bytes: 2048, total: 5000 };
 * assertEquals(Math.round(100 * progress.bytes / progress.total!), 41);
 * ```
 */
export interface CoapProgress {
  /** "upload" for the request payload (Block1), "download" for the response (Block2). */
  readonly direction: "upload" | "download";
  /** Blocks transferred so far. */
  readonly blocks: number;
  /** Payload bytes transferred so far. */
  readonly bytes: number;
  /** The whole size, when known (the upload's length, or the server's Size2). */
  readonly total?: number;
}
