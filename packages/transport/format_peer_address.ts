// Copyright 2026 the microcoap authors. MIT license.
/**
 * A transport address as text, the way URIs and log lines write it.
 *
 * @module
 */
import { formatAddress } from "./_address.ts";
import type { PeerAddress } from "./types.ts";

/**
 * Formats an address as `host:port`, an IPv6 address in brackets (as in a
 * URI authority, RFC 3986 §3.2.2), for messages and logs.
 *
 * @param address The address.
 * @returns `127.0.0.1:5683`, or `[::1]:5683` for an IPv6 address.
 *
 * @example Usage
 * ```ts
 * import { formatPeerAddress } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(formatPeerAddress({ hostname: "127.0.0.1", port: 5683 }), "127.0.0.1:5683");
 * assertEquals(formatPeerAddress({ hostname: "::1", port: 5683 }), "[::1]:5683");
 * ```
 */
export function formatPeerAddress(address: PeerAddress): string {
  return formatAddress(address);
}
