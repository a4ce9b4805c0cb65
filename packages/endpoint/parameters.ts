// Copyright 2026 the microcoap authors. MIT license.
/**
 * CoAP transmission parameters (RFC 7252 §4.8) and the times derived from
 * them (§4.8.2).
 *
 * @module
 */

/**
 * The transmission parameters of RFC 7252 §4.8. Times in milliseconds.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_TRANSMISSION_PARAMETERS } from "@microcoap/endpoint";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(DEFAULT_TRANSMISSION_PARAMETERS.ackTimeout, 2000);
 * ```
 */
export interface TransmissionParameters {
  /**
   * ACK_TIMEOUT.
   *
   * @default {2000}
   */
  readonly ackTimeout: number;
  /**
   * ACK_RANDOM_FACTOR.
   *
   * @default {1.5}
   */
  readonly ackRandomFactor: number;
  /**
   * MAX_RETRANSMIT.
   *
   * @default {4}
   */
  readonly maxRetransmit: number;
  /**
   * NSTART: outstanding interactions per peer.
   *
   * @default {1}
   */
  readonly nstart: number;
  /**
   * EXCHANGE_LIFETIME.
   *
   * @default {247000}
   */
  readonly exchangeLifetime: number;
  /**
   * NON_LIFETIME.
   *
   * @default {145000}
   */
  readonly nonLifetime: number;
}

/**
 * The RFC 7252 §4.8 defaults.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_TRANSMISSION_PARAMETERS, maxTransmitWait, resolveTransmissionParameters } from "@microcoap/endpoint";
 * import { assertEquals } from "@std/assert";
 *
 * const { ackTimeout, maxRetransmit, exchangeLifetime, nonLifetime } = DEFAULT_TRANSMISSION_PARAMETERS;
 * assertEquals([ackTimeout, maxRetransmit, exchangeLifetime, nonLifetime], [2000, 4, 247_000, 145_000]);
 * assertEquals(maxTransmitWait(DEFAULT_TRANSMISSION_PARAMETERS), 93_000);
 * // Nothing overridden: the defaults.
 * assertEquals(resolveTransmissionParameters({}), DEFAULT_TRANSMISSION_PARAMETERS);
 * ```
 */
export const DEFAULT_TRANSMISSION_PARAMETERS: TransmissionParameters = Object
  .freeze({
    ackTimeout: 2000,
    ackRandomFactor: 1.5,
    maxRetransmit: 4,
    nstart: 1,
    exchangeLifetime: 247_000,
    nonLifetime: 145_000,
  });

/**
 * Options for {@linkcode resolveTransmissionParameters}.
 *
 * @example Usage
 * ```ts
 * import { resolveTransmissionParameters, type ResolveTransmissionParametersOptions } from "@microcoap/endpoint";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * // A 50 ms ACK_TIMEOUT is below the RFC floor of 1 s: refused unless forced.
 * assertThrows(() => resolveTransmissionParameters({ ackTimeout: 50 }), RangeError, "force: true");
 * const options: ResolveTransmissionParametersOptions = { force: true };
 * assertEquals(resolveTransmissionParameters({ ackTimeout: 50 }, options).ackTimeout, 50);
 * ```
 */
export interface ResolveTransmissionParametersOptions {
  /**
   * Accept values below the RFC's floors (ACK_TIMEOUT under 1 s,
   * ACK_RANDOM_FACTOR under 1), for tests and constrained labs.
   *
   * @default {false}
   */
  force?: boolean;
}

/**
 * Fills in defaults and validates transmission parameters.
 *
 * When only the base parameters are changed, EXCHANGE_LIFETIME and
 * NON_LIFETIME are derived from them as in RFC 7252 §4.8.2 (with
 * MAX_LATENCY 100 s and PROCESSING_DELAY = ACK_TIMEOUT).
 *
 * @param given The parameters to override.
 * @param options Whether to allow values below the RFC's floors.
 * @returns The complete, validated parameters.
 * @throws {RangeError} When a value is out of range.
 *
 * @example Usage
 * ```ts
 * import { resolveTransmissionParameters } from "@microcoap/endpoint";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * assertEquals(resolveTransmissionParameters({}).exchangeLifetime, 247_000);
 * assertThrows(() => resolveTransmissionParameters({ ackTimeout: 10 }), RangeError);
 * assertEquals(resolveTransmissionParameters({ ackTimeout: 10 }, { force: true }).ackTimeout, 10);
 * ```
 */
export function resolveTransmissionParameters(
  given: Partial<TransmissionParameters>,
  options: ResolveTransmissionParametersOptions = {},
): TransmissionParameters {
  const d = DEFAULT_TRANSMISSION_PARAMETERS;
  const ackTimeout = given.ackTimeout ?? d.ackTimeout;
  const ackRandomFactor = given.ackRandomFactor ?? d.ackRandomFactor;
  const maxRetransmit = given.maxRetransmit ?? d.maxRetransmit;
  const nstart = given.nstart ?? d.nstart;
  const force = options.force ?? false;
  check("ackTimeout", ackTimeout, force ? 1 : 1000, "ms");
  check("ackRandomFactor", ackRandomFactor, 1, "");
  if (
    !Number.isInteger(maxRetransmit) || maxRetransmit < 0 || maxRetransmit > 20
  ) {
    throw new RangeError(
      `Cannot use transmission parameters: maxRetransmit is ${maxRetransmit}, expected an integer from 0 to 20`,
    );
  }
  if (!Number.isInteger(nstart) || nstart < 1) {
    throw new RangeError(
      `Cannot use transmission parameters: nstart is ${nstart}, expected an integer of at least 1`,
    );
  }
  // RFC 7252 §4.8.2, with MAX_LATENCY = 100 s and PROCESSING_DELAY = ACK_TIMEOUT.
  const maxTransmitSpan = ackTimeout * (2 ** maxRetransmit - 1) *
    ackRandomFactor;
  const exchangeLifetime = given.exchangeLifetime ??
    Math.round(maxTransmitSpan + 2 * 100_000 + ackTimeout);
  const nonLifetime = given.nonLifetime ??
    Math.round(maxTransmitSpan + 100_000);
  check("exchangeLifetime", exchangeLifetime, 0, "ms");
  check("nonLifetime", nonLifetime, 0, "ms");
  return {
    ackTimeout,
    ackRandomFactor,
    maxRetransmit,
    nstart,
    exchangeLifetime,
    nonLifetime,
  };
}

/**
 * MAX_TRANSMIT_WAIT (RFC 7252 §4.8.2): the longest a sender waits for an
 * acknowledgement or a reset, from the first transmission.
 *
 * @param parameters Complete transmission parameters.
 * @returns Milliseconds.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_TRANSMISSION_PARAMETERS, maxTransmitWait } from "@microcoap/endpoint";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(maxTransmitWait(DEFAULT_TRANSMISSION_PARAMETERS), 93_000);
 * ```
 */
export function maxTransmitWait(parameters: TransmissionParameters): number {
  const { ackTimeout, maxRetransmit, ackRandomFactor } = parameters;
  return ackTimeout * (2 ** (maxRetransmit + 1) - 1) * ackRandomFactor;
}

function check(name: string, value: number, floor: number, unit: string): void {
  if (!(Number.isFinite(value) && value >= floor)) {
    throw new RangeError(
      `Cannot use transmission parameters: ${name} is ${value}, expected at least ${floor}${
        unit ? ` ${unit}` : ""
      }${
        name === "ackTimeout"
          ? " (pass force: true to go below the RFC floor)"
          : ""
      }`,
    );
  }
}
