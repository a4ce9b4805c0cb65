// Copyright 2026 the microcoap authors. MIT license.
/**
 * The error transports reject binds with and report socket failures as.
 *
 * @module
 */
import type { PeerAddress } from "./types.ts";

/**
 * What went wrong, as an operating system error name where there is one.
 * Common values: `"EADDRINUSE"` (bind: address in use), `"EADDRNOTAVAIL"`
 * (bind: no such local address), `"EACCES"` (bind: privileged port),
 * `"EINVAL"` (bad destination address or port, bad multicast group),
 * `"EMSGSIZE"` (datagram too large), `"ECONNREFUSED"` (ICMP port
 * unreachable, where reported), `"EHOSTUNREACH"`, `"ENETUNREACH"`,
 * `"EAFNOSUPPORT"` (IPv6 destination on an IPv4 socket), `"ENOTFOUND"` (a
 * host name that does not resolve), `"EIO"` (a custom socket reported a
 * failed send), `"UNKNOWN"`.
 */
export type TransportErrorCode =
  | "EADDRINUSE"
  | "EADDRNOTAVAIL"
  | "EACCES"
  | "EINVAL"
  | "EMSGSIZE"
  | "ECONNREFUSED"
  | "EHOSTUNREACH"
  | "ENETUNREACH"
  | "EAFNOSUPPORT"
  | "ENOTFOUND"
  | "EIO"
  | "UNKNOWN"
  // deno-lint-ignore ban-types
  | (string & {});

/** Options for {@linkcode TransportError}. */
export interface TransportErrorOptions extends ErrorOptions {
  /** The error name, for example `"EADDRINUSE"`. */
  code: TransportErrorCode;
  /** The peer a failed send was addressed to, when known. */
  peer?: PeerAddress;
}

/**
 * A socket operation failed: a bind (the bind promise rejects with it), a
 * send, or a report from the network (given to
 * {@linkcode TransportReceiver.onError}). The original error, if any, is the
 * `cause`.
 *
 * @example Usage
 * ```ts
 * import { TransportError } from "@microcoap/transport";
 * import { assertEquals, assertInstanceOf } from "@std/assert";
 *
 * const error = new TransportError(
 *   "Cannot send datagram to 127.0.0.1:0: port must be an integer from 1 to 65535",
 *   { code: "EINVAL", peer: { hostname: "127.0.0.1", port: 0 } },
 * );
 * assertInstanceOf(error, Error);
 * assertEquals(error.name, "TransportError");
 * assertEquals(error.code, "EINVAL");
 * assertEquals(error.peer?.port, 0);
 * ```
 */
export class TransportError extends Error {
  /** The error name, for example `"EADDRINUSE"`. */
  readonly code: TransportErrorCode;
  /** The peer a failed send was addressed to, when known. */
  readonly peer: PeerAddress | undefined;

  /**
   * Constructs a new instance.
   *
   * @param message What was being done and what was found.
   * @param options The code, and the peer and cause when known.
   */
  constructor(message: string, options: TransportErrorOptions) {
    super(
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "TransportError";
    this.code = options.code;
    this.peer = options.peer;
  }
}
