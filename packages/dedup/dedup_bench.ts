// Copyright 2026 the microcoap authors. MIT license.
// `deno bench -A packages/dedup` — one DedupFilter call per iteration.
import { DedupFilter } from "@microcoap/dedup";

const TOKEN = new Uint8Array([0x12, 0x34, 0x56, 0x78]);
const REPLY = new Uint8Array([0x62, 0x45, 0, 0, 0x12, 0x34, 0x56, 0x78]);
const PEERS = Array.from({ length: 16 }, (_, i) => `192.0.2.${i}:5683`);

function filledFilter(entries: number): DedupFilter {
  let now = 0;
  const filter = new DedupFilter({ now: () => now++ / 1_000 });
  for (let i = 0; i < entries; i++) {
    filter.check(PEERS[i & 15]!, i >>> 4, TOKEN, true);
  }
  return filter;
}

// A busy server: new requests from a few peers, the oldest expiring at the
// rate new ones arrive (about 1,000 remembered).
{
  let now = 0;
  let i = 0;
  const filter = new DedupFilter({
    exchangeLifetime: 1_000,
    nonLifetime: 1_000,
    now: () => now,
  });
  Deno.bench("check() new exchange, steady expiry, 16 peers", {
    group: "new",
    baseline: true,
  }, () => {
    now++;
    i++;
    filter.check(PEERS[i & 15]!, (i >>> 4) & 0xffff, TOKEN, true);
  });
}

{
  let now = 0;
  let i = 0;
  const filter = new DedupFilter({ now: () => now, maxEntries: 1_000 });
  Deno.bench("check() new exchange, full (evicting), 16 peers", {
    group: "new",
  }, () => {
    now++;
    i++;
    filter.check(PEERS[i & 15]!, (i >>> 4) & 0xffff, TOKEN, true);
  });
}

{
  let now = 0;
  let i = 0;
  const filter = new DedupFilter({ now: () => now });
  Deno.bench("check() new exchange, full at 100,000 (evicting), 16 peers", {
    group: "new",
  }, () => {
    now++;
    i++;
    filter.check(PEERS[i & 15]!, (i >>> 4) & 0xffff, TOKEN, true);
  });
}

{
  let i = 0;
  const filter = new DedupFilter({ now: () => 0, maxEntries: 1_000 });
  // As an endpoint would build it per datagram: a new string every time.
  Deno.bench("check() new exchange, full (evicting), a new peer each time", {
    group: "new",
  }, () => {
    i++;
    filter.check(
      `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}:5683`,
      i & 0xffff,
      TOKEN,
      true,
    );
  });
}

{
  const filter = filledFilter(10_000);
  let i = 0;
  Deno.bench("check() pending duplicate among 10,000", {
    group: "duplicate",
    baseline: true,
  }, () => {
    i = (i + 1) % 10_000;
    filter.check(PEERS[i & 15]!, i >>> 4, TOKEN, true);
  });
}

{
  const filter = filledFilter(10_000);
  for (let i = 0; i < 10_000; i++) {
    filter.setReply(PEERS[i & 15]!, i >>> 4, REPLY);
  }
  let i = 0;
  Deno.bench("check() replay among 10,000", { group: "duplicate" }, () => {
    i = (i + 1) % 10_000;
    filter.check(PEERS[i & 15]!, i >>> 4, TOKEN, true);
  });
}

{
  let now = 0;
  let i = 0;
  const filter = new DedupFilter({
    exchangeLifetime: 1_000,
    now: () => now,
  });
  Deno.bench("check() + setReply() for a new CON, steady expiry", {
    group: "reply",
  }, () => {
    now++;
    i++;
    const peer = PEERS[i & 15]!;
    const id = (i >>> 4) & 0xffff;
    filter.check(peer, id, TOKEN, true);
    // A fresh array per reply, as encode() returns.
    filter.setReply(peer, id, REPLY.slice());
  });
}

{
  let now = 0;
  let i = 0;
  const filter = new DedupFilter({
    exchangeLifetime: 1_000,
    now: () => now,
  });
  const sendBuffer = new Uint8Array(1_500);
  sendBuffer.set(REPLY);
  Deno.bench("check() + setReply() of a view (copied), steady expiry", {
    group: "reply",
  }, () => {
    now++;
    i++;
    const peer = PEERS[i & 15]!;
    const id = (i >>> 4) & 0xffff;
    filter.check(peer, id, TOKEN, true);
    filter.setReply(peer, id, sendBuffer.subarray(0, REPLY.length));
  });
}

{
  Deno.bench("(cost of the fresh array alone)", { group: "reply" }, () => {
    REPLY.slice();
  });
}

// The alternative considered for the key: one Map keyed by
// `peerKey + "#" + messageId` (lookup and insert only: no token, expiry or
// reply handling, so a lower bound for that design).
{
  let i = 0;
  const map = new Map<string, number>();
  const keys: string[] = [];
  Deno.bench('baseline: Map keyed by peerKey + "#" + messageId, 1,000 kept', {
    group: "new",
  }, () => {
    i++;
    const key = PEERS[i & 15]! + "#" + ((i >>> 4) & 0xffff);
    if (map.get(key) === undefined) {
      map.set(key, i);
      keys.push(key);
      if (keys.length > 1_000) map.delete(keys.shift()!);
    }
  });
}
