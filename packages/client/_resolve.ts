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

/** The system resolver (`getaddrinfo` through `node:dns/promises`). */
export async function systemLookup(hostname: string): Promise<ResolvedAddress> {
  const result = await lookup(hostname);
  return { address: result.address, family: result.family === 6 ? 6 : 4 };
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
  if (family !== undefined) return { address: hostname, family };
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
  return { address: result.address, family: literalFamily(result.address)! };
}
