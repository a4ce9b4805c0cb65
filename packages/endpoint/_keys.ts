// Copyright 2026 the microcoap authors. MIT license.
import { canonicalHostname } from "@microcoap/transport";
import type { PeerAddress } from "@microcoap/transport";

/** A map key for a peer. The port is always the last ":"-separated part, so keys are unique. */
export function peerKey(peer: PeerAddress): string {
  return peer.hostname + ":" + peer.port;
}

/**
 * A caller's destination in the text transports report senders in
 * (`0:0::1` as `::1`, `::ffff:10.0.0.1` as `10.0.0.1`), so that what comes
 * back from it matches (RFC 7252 §5.3.2); `peer` itself when already so.
 */
export function canonicalPeer(peer: PeerAddress): PeerAddress {
  const hostname = peer?.hostname;
  const canonical = canonicalHostname(hostname);
  return canonical === hostname
    ? peer
    : { hostname: canonical, port: peer.port };
}

/** A map key for a token (one char per byte). */
export function tokenKey(token: Uint8Array): string {
  let key = "";
  for (let i = 0; i < token.length; i++) key += String.fromCharCode(token[i]!);
  return key;
}
