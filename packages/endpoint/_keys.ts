// Copyright 2026 the microcoap authors. MIT license.
import type { PeerAddress } from "@microcoap/transport";

/** A map key for a peer. The port is always the last ":"-separated part, so keys are unique. */
export function peerKey(peer: PeerAddress): string {
  return peer.hostname + ":" + peer.port;
}

/** A map key for a token (one char per byte). */
export function tokenKey(token: Uint8Array): string {
  let key = "";
  for (let i = 0; i < token.length; i++) key += String.fromCharCode(token[i]!);
  return key;
}
