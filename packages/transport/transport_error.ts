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
 *
 * @example Usage
 * ```ts
 * import { FakeClock, MemoryNetwork, TransportError, type TransportErrorCode } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock, reportUnreachable: true });
 * const client = network.bind();
 * const codes: TransportErrorCode[] = [];
 * client.listen({
 *   onDatagram: () => {},
 *   onError: (error) => {
 *     if (error instanceof TransportError) codes.push(error.code);
 *   },
 * });
 * // Nobody is bound at 127.0.0.1:9: like ICMP port unreachable.
 * client.send(new Uint8Array([0x40, 0, 0, 1]), { hostname: "127.0.0.1", port: 9 });
 * await clock.tick(0);
 * assertEquals(codes, ["ECONNREFUSED"]);
 * ```
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

/**
 * Options for {@linkcode TransportError}.
 *
 * @example Usage
 * ```ts
 * import { TransportError, type TransportErrorOptions } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const cause = new Error("send failed");
 * const options: TransportErrorOptions = {
 *   code: "EHOSTUNREACH",
 *   peer: { hostname: "192.0.2.1", port: 5683 },
 *   cause,
 * };
 * const error = new TransportError("Cannot send datagram to 192.0.2.1:5683: host unreachable", options);
 * assertEquals(error.code, "EHOSTUNREACH");
 * assertEquals(error.peer, { hostname: "192.0.2.1", port: 5683 });
 * assertEquals(error.cause, cause);
 * ```
 */
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
