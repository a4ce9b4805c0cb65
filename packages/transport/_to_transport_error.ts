// Copyright 2026 the microcoap authors. MIT license.
// Turns what node:dgram, Deno and custom sockets throw into TransportError.
import { formatAddress } from "./_address.ts";
import { TransportError } from "./transport_error.ts";
import type { PeerAddress } from "./types.ts";

const REASONS: Record<string, string> = {
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EINVAL: "invalid argument",
  EMSGSIZE: "message too long",
  ECONNREFUSED: "connection refused (port unreachable)",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EAFNOSUPPORT: "address family not supported",
  ENOTFOUND: "host name not found",
  ENOBUFS: "no buffer space available",
};

/** The code of a platform error, or `fallback`. */
export function errorCode(error: unknown, fallback: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code !== "") {
    // Node's own argument errors: a bad destination.
    return code.startsWith("ERR_") ? "EINVAL" : code;
  }
  if (error instanceof TypeError || error instanceof URIError) return "EINVAL";
  return fallback;
}

/**
 * Wraps `error` as a TransportError: `"<action>: <reason> (<code>)"`, the
 * original as `cause`.
 */
export function toTransportError(
  error: unknown,
  action: string,
  peer?: PeerAddress,
  fallbackCode = "UNKNOWN",
): TransportError {
  if (error instanceof TransportError) return error;
  const code = errorCode(error, fallbackCode);
  const reason = REASONS[code] ??
    (error instanceof Error ? error.message : String(error));
  return new TransportError(`${action}: ${reason} (${code})`, {
    code,
    cause: error,
    ...(peer === undefined ? {} : { peer }),
  });
}

/** The error for a destination that failed `checkDestination`. */
export function badDestination(
  to: PeerAddress,
  reason: string,
): TransportError {
  const where = to !== null && typeof to === "object"
    ? ` to ${formatAddress(to)}`
    : "";
  return new TransportError(`Cannot send datagram${where}: ${reason}`, {
    code: "EINVAL",
    ...(to !== null && typeof to === "object" ? { peer: to } : {}),
  });
}
