// Copyright 2026 the microcoap authors. MIT license.
// From a URL's host to an address and its family.
import { lookup } from "node:dns/promises";
import { CoapDnsError } from "./errors.ts";

/** A resolved address. */
export interface ResolvedAddress {
  /** The numeric address. */
  readonly address: string;
  /** 4 or 6. */
  readonly family: 4 | 6;
}

/** Resolves a host name to one address. */
export type Lookup = (hostname: string) => Promise<ResolvedAddress>;

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** The family of an IP literal, or `undefined` for a host name. */
export function literalFamily(hostname: string): 4 | 6 | undefined {
  if (hostname.includes(":")) return 6;
  if (IPV4.test(hostname)) return 4;
  return undefined;
}

/**
 * The canonical text of an IPv6 address (RFC 5952), as transports report a
 * datagram's source: lowercase hex without leading zeros, the longest run of
 * two or more zero groups (the first of equals) as "::", an IPv4-mapped
 * address in dotted form; a zone ("%eth0") kept as it is. Responses are
 * matched to requests by address text, so a literal spelled another way
 * would never match (RFC 7252 §5.3.2). Text that is not an IPv6 address
 * comes back unchanged.
 */
export function canonicalIpv6(text: string): string {
  const zoneAt = text.indexOf("%");
  const address = zoneAt < 0 ? text : text.slice(0, zoneAt);
  // Only address characters: nothing else can reach the URL parser.
  if (!/^[0-9A-Fa-f:.]+$/.test(address)) return text;
  let host: string;
  try {
    // The WHATWG URL parser writes an IPv6 host the RFC 5952 way, except
    // for the dotted form of an IPv4-mapped address.
    host = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return text;
  }
  const mapped = /^::ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(host);
  if (mapped) {
    const high = parseInt(mapped[1]!, 16);
    const low = parseInt(mapped[2]!, 16);
    host = `::ffff:${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return host + (zoneAt < 0 ? "" : text.slice(zoneAt));
}

/**
 * The address to use of a name's addresses: the first IPv4 one, else the
 * first. UDP has no connection attempt to fall back from, and most servers
 * listen on IPv4 (node-coap's default, our `serve`), while resolvers often
 * list `::1` first for `localhost`: IPv4 first reaches them, as Java and
 * Node before 17 did.
 */
export function pickAddress(
  addresses: readonly { address: string; family: number }[],
): ResolvedAddress | undefined {
  const chosen = addresses.find((entry) => entry.family === 4) ?? addresses[0];
  if (chosen === undefined) return undefined;
  return { address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
}

/**
 * The system resolver (`getaddrinfo` through `node:dns/promises`), IPv4
 * addresses first (see {@linkcode pickAddress}).
 */
export async function systemLookup(hostname: string): Promise<ResolvedAddress> {
  const chosen = pickAddress(await lookup(hostname, { all: true }));
  if (chosen === undefined) {
    throw Object.assign(new Error(`No address for ${hostname}`), {
      code: "ENOTFOUND",
    });
  }
  return chosen;
}

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/;

/**
 * An IPv6 address as a family and the text transports report: an
 * IPv4-mapped address is the IPv4 host (transports report such senders in
 * IPv4 form, and the client's IPv6 socket is IPv6-only), so it goes out of
 * the IPv4 socket and its responses match.
 */
function ipv6Address(text: string): ResolvedAddress {
  const address = canonicalIpv6(text);
  const mapped = MAPPED.exec(address);
  return mapped ? { address: mapped[1]!, family: 4 } : { address, family: 6 };
}

/**
 * Resolves `hostname` with `resolver` unless it is an IP literal. Failures
 * become {@linkcode CoapDnsError}.
 */
export async function resolveHost(
  hostname: string,
  resolver: Lookup,
): Promise<ResolvedAddress> {
  const family = literalFamily(hostname);
  if (family !== undefined) {
    return family === 6 ? ipv6Address(hostname) : { address: hostname, family };
  }
  let result: ResolvedAddress;
  try {
    result = await resolver(hostname);
  } catch (cause) {
    const code = (cause as { code?: unknown } | null)?.code;
    throw new CoapDnsError(
      hostname,
      typeof code === "string" ? { code, cause } : { cause },
    );
  }
  if (
    result === null || typeof result !== "object" ||
    typeof result.address !== "string" ||
    literalFamily(result.address) === undefined
  ) {
    throw new CoapDnsError(hostname, { code: "EBADRESULT" });
  }
  return literalFamily(result.address) === 6
    ? ipv6Address(result.address)
    : { address: result.address, family: 4 };
}
