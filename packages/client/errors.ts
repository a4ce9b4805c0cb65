// Copyright 2026 the microcoap authors. MIT license.
/**
 * Errors of the client beyond those of the message layer
 * (`CoapTimeoutError`, `CoapResetError`, `CoapClosedError`).
 *
 * @module
 */

/**
 * A host name in a request URL could not be resolved to an address.
 *
 * @example Usage
 * ```ts
 * import { CoapDnsError } from "@microcoap/client";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new CoapDnsError("nowhere.invalid", { code: "ENOTFOUND" });
 * assertEquals(error.name, "CoapDnsError");
 * assertEquals(error.hostname, "nowhere.invalid");
 * assertEquals(error.code, "ENOTFOUND");
 * ```
 */
export class CoapDnsError extends Error {
  /** The host name that did not resolve. */
  readonly hostname: string;
  /** The resolver's error code, such as `"ENOTFOUND"`, when it gave one. */
  readonly code: string | undefined;

  /**
   * Constructs a new instance.
   *
   * @param hostname The host name that did not resolve.
   * @param options The resolver's error code and the underlying error.
   */
  constructor(
    hostname: string,
    options: { code?: string; cause?: unknown } = {},
  ) {
    super(
      `Cannot resolve host "${hostname}"${
        options.code ? `: ${options.code}` : ""
      }`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "CoapDnsError";
    this.hostname = hostname;
    this.code = options.code;
  }
}

/**
 * Why a block-wise transfer failed.
 *
 * @example Usage
 * ```ts
 * import { CoapBlockwiseError, CoapClient, type CoapBlockwiseErrorReason } from "@microcoap/client";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, CoapOptionNumber, decodeBlock, encodeBlock, getOption } from "@microcoap/codec";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * // A 64-byte representation served in 16-byte Block2 blocks.
 * const body = new Uint8Array(64).fill(0x61);
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
 *   handler: ({ message }) => {
 *     const asked = getOption(message, CoapOptionNumber.BLOCK2);
 *     const num = asked === undefined ? 0 : decodeBlock(asked).num;
 *     return {
 *       code: CoapCode.CONTENT,
 *       options: [{ number: CoapOptionNumber.BLOCK2, value: encodeBlock({ num, more: num < 3, szx: 0 }) }],
 *       payload: body.subarray(num * 16, num * 16 + 16),
 *     };
 *   },
 * });
 * await using client = new CoapClient({ transport: network.bind(), maxBodySize: 32 });
 * const error = await assertRejects(() => client.get("coap://10.0.0.1/log"), CoapBlockwiseError);
 * const reason: CoapBlockwiseErrorReason = error.reason;
 * assertEquals(reason, "too-large");
 * ```
 */
export type CoapBlockwiseErrorReason =
  /** The representation changed (a new ETag) during the transfer, twice. */
  | "etag-changed"
  /** The representation is larger than the client's `maxBodySize`. */
  | "too-large"
  /** The server answered with a block the client did not ask for, or a malformed one. */
  | "protocol";

/**
 * A block-wise transfer (RFC 7959) could not be completed.
 *
 * @example Usage
 * ```ts
 * import { CoapBlockwiseError } from "@microcoap/client";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new CoapBlockwiseError("too-large", "Cannot download: too large");
 * assertEquals(error.name, "CoapBlockwiseError");
 * assertEquals(error.reason, "too-large");
 * ```
 */
export class CoapBlockwiseError extends Error {
  /** Why the transfer failed. */
  readonly reason: CoapBlockwiseErrorReason;

  /**
   * Constructs a new instance.
   *
   * @param reason Why the transfer failed.
   * @param message What went wrong.
   */
  constructor(reason: CoapBlockwiseErrorReason, message: string) {
    super(message);
    this.name = "CoapBlockwiseError";
    this.reason = reason;
  }
}
