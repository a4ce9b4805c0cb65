// Copyright 2026 the microcoap authors. MIT license.
// Address helpers shared by the transports.
import type { PeerAddress } from "./types.ts";

const MAPPED_PREFIX = "::ffff:";
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const MAPPED_HEX = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i;

/** Whether `hostname` is a dotted-quad IPv4 literal. */
export function isIpv4(hostname: string): boolean {
  return IPV4.test(hostname);
}

/**
 * Reports an IPv4-mapped IPv6 address (`::ffff:1.2.3.4` or `::ffff:102:304`)
 * in its IPv4 form; other addresses, scope ids included, are kept as they are.
 */
export function normalizeHostname(hostname: string): string {
  if (
    hostname.length < 9 ||
    hostname.slice(0, 7).toLowerCase() !== MAPPED_PREFIX
  ) return hostname;
  const rest = hostname.slice(7);
  if (IPV4.test(rest)) return rest;
  const hex = MAPPED_HEX.exec(hostname);
  if (!hex) return hostname;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** Whether `port` is a valid destination port (an integer from 1 to 65535). */
export function isPort(port: unknown): port is number {
  return typeof port === "number" && port > 0 && port <= 65535 &&
    Math.floor(port) === port;
}

/** `1.2.3.4:5683` or `[::1]:5683`, for messages. */
export function formatAddress(address: PeerAddress): string {
  const { hostname, port } = address;
  return typeof hostname === "string" && hostname.includes(":")
    ? `[${hostname}]:${port}`
    : `${hostname}:${port}`;
}

/**
 * Why a destination is unusable, or `undefined` when it looks fine (checked
 * before every send so each runtime reports bad input alike).
 */
export function checkDestination(to: PeerAddress): string | undefined {
  if (to === null || typeof to !== "object") return "address is not an object";
  if (typeof to.hostname !== "string" || to.hostname === "") {
    return "hostname must be a non-empty string";
  }
  if (!isPort(to.port)) return "port must be an integer from 1 to 65535";
  return undefined;
}

/**
 * Whether `hostname` is an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast
 * address; an IPv6 scope id (`ff02::fd%eth0`) is allowed.
 */
export function isMulticastAddress(hostname: string): boolean {
  if (typeof hostname !== "string") return false;
  if (IPV4.test(hostname)) {
    const first = Number(hostname.slice(0, hostname.indexOf(".")));
    return first >= 224 && first <= 239;
  }
  return /^ff[0-9a-f]{2}:[0-9a-f:.]*(%.+)?$/i.test(hostname);
}
