// Copyright 2026 the microcoap authors. MIT license.
// The received-datagram size limit shared by the UDP transports.
import { formatAddress } from "./_address.ts";
import { TransportError } from "./transport_error.ts";
import type { PeerAddress } from "./types.ts";

/** The largest UDP payload over IPv4. */
export const MAX_UDP_PAYLOAD = 65507;
/** The default `maxDatagramSize`: far above CoAP's 1,152-byte messages. */
export const DEFAULT_MAX_DATAGRAM = 8192;

/** Returns the limit, or throws a RangeError naming `what` was being done. */
export function checkMaxDatagramSize(value: unknown, what: string): number {
  if (value === undefined) return DEFAULT_MAX_DATAGRAM;
  if (
    typeof value !== "number" || !(value >= 1 && value <= MAX_UDP_PAYLOAD) ||
    Math.floor(value) !== value
  ) {
    throw new RangeError(
      `Cannot ${what}: maxDatagramSize is ${value}, expected an integer from 1 to ${MAX_UDP_PAYLOAD}`,
    );
  }
  return value;
}

/** The error reported for a dropped over-long datagram. */
export function oversized(peer: PeerAddress, max: number): TransportError {
  return new TransportError(
    `Dropped a datagram from ${
      formatAddress(peer)
    }: longer than maxDatagramSize (${max} bytes)`,
    { code: "EMSGSIZE", peer },
  );
}
