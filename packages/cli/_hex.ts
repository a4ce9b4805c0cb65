// Copyright 2026 the microcoap authors. MIT license.

/** Bytes as lowercase hex, two digits each (tokens, opaque values, binary payloads). */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}
