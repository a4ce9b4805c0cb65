// Copyright 2026 the microcoap authors. MIT license.
/**
 * Errors for exchanges that end without a response.
 *
 * @module
 */

/**
 * A confirmable message was retransmitted MAX_RETRANSMIT times without an
 * acknowledgement, or a response did not arrive in time.
 *
 * @example Usage
 * ```ts
 * import { CoapTimeoutError } from "@microcoap/endpoint";
 * import { assert } from "@std/assert";
 *
 * const error = new CoapTimeoutError("Cannot get a response: no acknowledgement after 4 retransmissions");
 * assert(error instanceof Error);
 * ```
 */
export class CoapTimeoutError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message What timed out.
   */
  constructor(message: string) {
    super(message);
    this.name = "CoapTimeoutError";
  }
}

/**
 * The peer answered with a Reset message (RFC 7252 §4.2): it could not
 * process the message.
 *
 * @example Usage
 * ```ts
 * import { CoapResetError } from "@microcoap/endpoint";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(new CoapResetError("reset").name, "CoapResetError");
 * ```
 */
export class CoapResetError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message What was reset.
   */
  constructor(message: string) {
    super(message);
    this.name = "CoapResetError";
  }
}

/**
 * The endpoint was closed while the exchange was under way.
 *
 * @example Usage
 * ```ts
 * import { CoapClosedError } from "@microcoap/endpoint";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(new CoapClosedError("closed").name, "CoapClosedError");
 * ```
 */
export class CoapClosedError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message What was cut short.
   */
  constructor(message: string) {
    super(message);
    this.name = "CoapClosedError";
  }
}
