// Copyright 2026 the microcoap authors. MIT license.
/**
 * The error thrown for bytes that are not a well-formed CoAP message.
 *
 * @module
 */

/**
 * Why a datagram could not be decoded.
 *
 * @example Usage
 * ```ts
 * import { CoapDecodeError, decode, type CoapDecodeErrorReason } from "@microcoap/codec";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * // Version 1, token length 9: token lengths 9 to 15 are reserved.
 * const error = assertThrows(() => decode(new Uint8Array([0x49, 0x01, 0, 1])), CoapDecodeError);
 * const reason: CoapDecodeErrorReason = error.reason;
 * assertEquals(reason, "bad-token-length");
 * ```
 */
export type CoapDecodeErrorReason =
  | "too-short"
  | "bad-version"
  | "bad-token-length"
  | "reserved-nibble"
  | "option-overflow"
  | "option-number"
  | "empty-payload"
  | "bad-empty-message";

/**
 * Options for {@linkcode CoapDecodeError}.
 *
 * @example Usage
 * ```ts
 * import { CoapDecodeError, type CoapDecodeErrorOptions } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const options: CoapDecodeErrorOptions = { reason: "too-short", offset: 0 };
 * const error = new CoapDecodeError("Cannot decode message: length is 2, at least 4 bytes needed", options);
 * assertEquals([error.reason, error.offset, error.messageId], ["too-short", 0, undefined]);
 * ```
 */
export interface CoapDecodeErrorOptions {
  /** Why the bytes were rejected. */
  reason: CoapDecodeErrorReason;
  /** The byte offset at which the problem was found. */
  offset: number;
  /**
   * The message ID, when the 4-byte header could be read (so that a CON can
   * be answered with RST).
   */
  messageId?: number;
  /** The 2-bit type field, when the header could be read. */
  type?: number;
}

/**
 * A datagram is not a well-formed CoAP message (RFC 7252 §3). The only error
 * `decode` ever throws.
 *
 * @example Usage
 * ```ts
 * import { CoapDecodeError } from "@microcoap/codec/decode-error";
 * import { decode } from "@microcoap/codec/decode";
 * import { assertThrows, assertEquals } from "@std/assert";
 *
 * const error = assertThrows(() => decode(new Uint8Array([0x40])), CoapDecodeError);
 * assertEquals(error.reason, "too-short");
 * ```
 */
export class CoapDecodeError extends RangeError {
  /** Why the bytes were rejected. */
  readonly reason: CoapDecodeErrorReason;
  /** The byte offset at which the problem was found. */
  readonly offset: number;
  /** The message ID, when the header could be read. */
  readonly messageId: number | undefined;
  /** The 2-bit type field (0 CON, 1 NON, 2 ACK, 3 RST), when the header could be read. */
  readonly type: number | undefined;

  /**
   * Constructs a new instance.
   *
   * @param message What was being done and what was found.
   * @param options The reason and offset.
   */
  constructor(message: string, options: CoapDecodeErrorOptions) {
    super(message);
    this.name = "CoapDecodeError";
    this.reason = options.reason;
    this.offset = options.offset;
    this.messageId = options.messageId;
    this.type = options.type;
  }
}

/**
 * Why {@linkcode tryDecode} rejected a datagram: the same facts as
 * {@linkcode CoapDecodeError}, as a plain object, so that a server flooded
 * with garbage does not pay for an exception and a stack trace per datagram.
 *
 * @example Usage
 * ```ts
 * import { CoapDecodeError, CoapDecodeFailure, tryDecode } from "@microcoap/codec";
 * import { assert, assertEquals, assertInstanceOf } from "@std/assert";
 *
 * const result = tryDecode(new Uint8Array([0x40, 0x01, 0x12, 0x34, 0xf0]));
 * assert(result instanceof CoapDecodeFailure);
 * assertEquals([result.reason, result.offset, result.messageId, result.type], ["reserved-nibble", 4, 0x1234, 0]);
 * assertInstanceOf(result.toError(), CoapDecodeError);
 * ```
 */
export class CoapDecodeFailure {
  /** What was found, as the error's message would say it. */
  readonly message: string;
  /** Why the bytes were rejected. */
  readonly reason: CoapDecodeErrorReason;
  /** The byte offset at which the problem was found. */
  readonly offset: number;
  /** The message ID, when the header could be read. */
  readonly messageId: number | undefined;
  /** The 2-bit type field (0 CON, 1 NON, 2 ACK, 3 RST), when the header could be read. */
  readonly type: number | undefined;

  /**
   * Constructs a new instance.
   *
   * @param message What was being done and what was found.
   * @param options The reason and offset.
   */
  constructor(message: string, options: CoapDecodeErrorOptions) {
    this.message = message;
    this.reason = options.reason;
    this.offset = options.offset;
    this.messageId = options.messageId;
    this.type = options.type;
  }

  /**
   * The same failure as the error {@linkcode decode} throws.
   *
   * @returns A new {@linkcode CoapDecodeError}.
   *
   * @example Usage
   * ```ts
   * import { CoapDecodeFailure } from "@microcoap/codec";
   * import { assertEquals } from "@std/assert";
   *
   * const failure = new CoapDecodeFailure("Cannot decode message: length is 1, at least 4 bytes needed", { reason: "too-short", offset: 0 });
   * const error = failure.toError();
   * assertEquals([error.name, error.reason, error.message], ["CoapDecodeError", "too-short", failure.message]);
   * ```
   */
  toError(): CoapDecodeError {
    const { reason, offset, messageId, type } = this;
    return new CoapDecodeError(
      this.message,
      messageId === undefined
        ? { reason, offset }
        : { reason, offset, messageId, type: type! },
    );
  }
}
