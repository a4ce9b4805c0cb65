// Copyright 2026 the microcoap authors. MIT license.
// Validation shared by bindUdp() and bindDenoUdp(): one copy of each check,
// messages built from `what` was being done and the problem found.
import { checkMaxDatagramSize } from "./_datagram_size.ts";

/** Throws `Cannot <what>: <problem>` as a TypeError. */
export function badOption(what: string, problem: string): never {
  throw new TypeError(`Cannot ${what}: ${problem}`);
}

/** Throws a TypeError unless `value` is undefined or a boolean. */
export function checkBoolean(value: unknown, name: string, what: string): void {
  if (value !== undefined && typeof value !== "boolean") {
    badOption(what, `${name} must be a boolean`);
  }
}

/** The options both bind functions take. */
interface CommonBindOptions {
  readonly hostname?: unknown;
  readonly port?: unknown;
  readonly maxDatagramSize?: unknown;
  readonly multicast?: { readonly groups?: unknown } | undefined;
}

/**
 * Checks what both bind functions take: an options object, a non-empty
 * hostname, a port from 0 to 65535, maxDatagramSize and multicast.groups.
 */
export function checkBindOptions(options: unknown, what: string): void {
  if (options === null || typeof options !== "object") {
    badOption(what, "options must be an object");
  }
  const { hostname, port = 0, maxDatagramSize, multicast } =
    options as CommonBindOptions;
  if (
    hostname !== undefined && (typeof hostname !== "string" || hostname === "")
  ) {
    badOption(what, "hostname must be a non-empty string");
  }
  if (
    typeof port !== "number" || !(port >= 0 && port <= 65535) ||
    Math.floor(port) !== port
  ) {
    throw new RangeError(
      `Cannot ${what}: port is ${port}, expected an integer from 0 to 65535`,
    );
  }
  checkMaxDatagramSize(maxDatagramSize, what);
  if (
    multicast !== undefined &&
    (multicast === null || typeof multicast !== "object" ||
      !Array.isArray(multicast.groups) ||
      !multicast.groups.every((group) => typeof group === "string"))
  ) {
    badOption(what, "multicast.groups must be an array of strings");
  }
}
