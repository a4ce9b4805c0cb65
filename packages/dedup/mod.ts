// Copyright 2026 the microcoap authors. MIT license.
/**
 * The CoAP retransmission filter (RFC 7252 §4.5): remembers (peer, message ID)
 * of incoming messages for EXCHANGE_LIFETIME / NON_LIFETIME, drops duplicates
 * and replays the exact reply sent to a duplicated Confirmable message.
 * Bounded in entries and reply bytes; expiry runs on an injectable clock.
 *
 * ```ts
 * import { DedupFilter } from "@microcoap/dedup";
 * import { assertEquals } from "@std/assert";
 *
 * const filter = new DedupFilter();
 * const token = new Uint8Array([0x12, 0x34]);
 * const peer = "127.0.0.1:5683";
 *
 * assertEquals(filter.check(peer, 0x7d34, token, true).status, "new");
 * const ack = new Uint8Array([0x60, 0x45, 0x7d, 0x34]); // whatever was sent
 * filter.setReply(peer, 0x7d34, ack);
 *
 * const again = filter.check(peer, 0x7d34, token, true);
 * assertEquals(again, { status: "replay", reply: ack });
 * ```
 *
 * @module
 */
export * from "./dedup_filter.ts";
