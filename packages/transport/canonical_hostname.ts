// Copyright 2026 the microcoap authors. MIT license.
/**
 * The one text of an IP address that transports report for a datagram's
 * sender, so that addresses from callers and from the network compare equal.
 *
 * @module
 */
import { normalizeHostname } from "./_address.ts";

/**
 * Writes an address the way transports report a datagram's sender, so that
 * addresses given by callers match those that come from the network (CoAP
 * matches responses to requests by the peer's address text, RFC 7252
 * §5.3.2): an IPv6 address in canonical RFC 5952 form (lowercase hex
 * without leading zeros, the longest run of two or more zero groups, the
 * first of equals, as `::`); an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`,
 * `::FFFF:102:304`) as its IPv4 address; a zone (`%eth0`) kept on addresses
 * that need one (link-local unicast, interface- and link-local multicast)
 * and dropped from others, where sockets ignore it and senders are reported
 * without it. Anything else (IPv4 addresses, host names, text that is not
 * an address) comes back unchanged.
 *
 * @param hostname A numeric address or other host text, IPv6 without brackets.
 * @returns The canonical text, or `hostname` itself.
 *
 * @example Usage
 * ```ts
 * import { canonicalHostname } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(canonicalHostname("0:0:0:0:0:0:0:1"), "::1");
 * assertEquals(canonicalHostname("2001:DB8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
 * assertEquals(canonicalHostname("::FFFF:127.0.0.1"), "127.0.0.1");
 * assertEquals(canonicalHostname("FE80::0001%eth0"), "fe80::1%eth0");
 * assertEquals(canonicalHostname("::1%lo"), "::1");
 * assertEquals(canonicalHostname("192.0.2.1"), "192.0.2.1");
 * assertEquals(canonicalHostname("coap.example"), "coap.example");
 * ```
 */
export function canonicalHostname(hostname: string): string {
  if (typeof hostname !== "string" || !hostname.includes(":")) return hostname;
  const zoneAt = hostname.indexOf("%");
  if (zoneAt === hostname.length - 1) return hostname; // an empty zone
  const address = zoneAt < 0 ? hostname : hostname.slice(0, zoneAt);
  // Only address characters: nothing else can reach the URL parser.
  if (!/^[0-9A-Fa-f:.]+$/.test(address)) return hostname;
  let host: string;
  try {
    // The WHATWG URL parser writes an IPv6 host the RFC 5952 way, except for
    // the dotted form of an IPv4-mapped address, which is reported as IPv4.
    host = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return hostname;
  }
  const ipv4 = normalizeHostname(host);
  if (ipv4 !== host) return ipv4;
  return zoneAt < 0 || !needsZone(host) ? host : host + hostname.slice(zoneAt);
}

/**
 * Whether a canonical IPv6 address is ambiguous without a zone: link-local
 * unicast (fe80::/10) and multicast of interface- or link-local scope
 * (RFC 4007 §6, RFC 4291 §2.7).
 */
function needsZone(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/.test(address) ||
    /^ff[0-9a-f][012]:/.test(address);
}
