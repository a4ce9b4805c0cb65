// Copyright 2026 the microcoap authors. MIT license.
// From a URL's host to an address and its family.
import { lookup } from "node:dns/promises";
import { canonicalHostname } from "@microcoap/transport";
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

/**
 * An IPv6 address as a family and the text transports report
 * ({@linkcode canonicalHostname}): an IPv4-mapped address is the IPv4 host
 * (transports report such senders in IPv4 form, and the client's IPv6
 * socket is IPv6-only), so it goes out of the IPv4 socket and its responses
 * match.
 */
function ipv6Address(text: string): ResolvedAddress {
  const address = canonicalHostname(text);
  return { address, family: literalFamily(address) === 6 ? 6 : 4 };
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
