// Copyright 2026 the microcoap authors. MIT license.
// Maximum value lengths of registered options (RFC 7252 §5.10 and later RFCs).
// Unregistered options may use the full 65804 bytes the wire format allows.
const MAX: Record<number, number> = {
  1: 8, // If-Match
  3: 255, // Uri-Host
  4: 8, // ETag
  5: 0, // If-None-Match
  6: 3, // Observe
  7: 2, // Uri-Port
  8: 255, // Location-Path
  9: 255, // OSCORE
  11: 255, // Uri-Path
  12: 2, // Content-Format
  14: 4, // Max-Age
  15: 255, // Uri-Query
  16: 1, // Hop-Limit
  17: 2, // Accept
  19: 3, // Q-Block1
  20: 255, // Location-Query
  23: 3, // Block2
  27: 3, // Block1
  28: 4, // Size2
  35: 1034, // Proxy-Uri
  39: 255, // Proxy-Scheme
  60: 4, // Size1
  252: 40, // Echo
  258: 1, // No-Response
  292: 8, // Request-Tag
};

/** The longest value the wire format can carry: 269 + 65535. */
export const WIRE_MAX_OPTION_LENGTH = 65804;

export function maxOptionLength(number: number): number {
  return MAX[number] ?? WIRE_MAX_OPTION_LENGTH;
}
