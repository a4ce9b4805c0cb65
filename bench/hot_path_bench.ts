// Copyright 2026 the microcoap authors. MIT license.
// `deno bench -A bench/hot_path_bench.ts`: the server's receive path without
// sockets. A datagram is handed straight to the transport's receiver and the
// response is caught in send(): decode → dedup → route → handler → encode →
// send, one request per iteration, each with a fresh message ID from one of
// 64 peers (so the dedup filter fills and then evicts, as under load).
import { CoapServer } from "@microcoap/server";
import { CoapEndpoint } from "@microcoap/endpoint";
import { encode } from "@microcoap/codec";
import type { PeerAddress } from "@microcoap/transport";
import { DirectTransport } from "../test_util/injected.ts";

const PEERS: PeerAddress[] = Array.from(
  { length: 64 },
  (_, i) => ({ hostname: "127.0.0.1", port: 40000 + i }),
);
const text = new TextEncoder();

/** Pre-encoded CON GET /<path> requests with distinct message IDs and tokens. */
function requests(path: string, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      encode({
        type: "CON",
        code: 1,
        messageId: i & 0xffff,
        token: new Uint8Array([i >>> 24, i >>> 16, i >>> 8, i]),
        options: [{ number: 11, value: text.encode(path) }],
        payload: new Uint8Array(0),
      }).slice(),
    );
  }
  return out;
}

// 64 peers × 65,536 message IDs: no pair repeats within a run.
const REQUESTS = requests("hello", 65_536);

function driver(transport: DirectTransport): () => void {
  let i = 0;
  return () => {
    const n = i++;
    transport.receiver!.onDatagram(
      REQUESTS[n & 0xffff]!,
      PEERS[(n >>> 16) & 63]!,
    );
  };
}

const hello = text.encode("Hello");

{
  const transport = new DirectTransport();
  const server = new CoapServer({ transport });
  server.get("/hello", () => ({ payload: hello }));
  await server.listen();
  const step = driver(transport);
  Deno.bench({
    name: "CoapServer: CON GET /hello → 2.05 (piggybacked)",
    group: "receive → send",
    baseline: true,
    fn: step,
  });
}

{
  const transport = new DirectTransport();
  new CoapEndpoint(transport, {
    handler: () => ({ code: 0x45, payload: hello }),
  });
  const step = driver(transport);
  Deno.bench({
    name: "CoapEndpoint handler: CON GET → 2.05 (piggybacked)",
    group: "receive → send",
    fn: step,
  });
}

{
  // The duplicate path: the same request again is answered from the cache.
  const transport = new DirectTransport();
  new CoapEndpoint(transport, {
    handler: () => ({ code: 0x45, payload: hello }),
  });
  const peer = PEERS[0]!;
  transport.receiver!.onDatagram(REQUESTS[0]!, peer);
  Deno.bench({
    name: "CoapEndpoint: duplicate CON → cached reply",
    group: "receive → send",
    fn: () => transport.receiver!.onDatagram(REQUESTS[0]!, peer),
  });
}

{
  // Garbage: a CON whose option delta nibble is 15 (rejected with RST, §4.2)
  // and a datagram with version 0 (dropped). Floods of these must cost about
  // what a valid request costs, not more.
  const transport = new DirectTransport();
  const server = new CoapServer({ transport });
  server.get("/hello", () => ({ payload: hello }));
  await server.listen();
  const reserved = new Uint8Array([0x40, 0x01, 0x12, 0x34, 0xf0]);
  const badVersion = new Uint8Array([0x00, 0x01, 0x12, 0x34]);
  const peer = PEERS[0]!;
  Deno.bench({
    name: "CoapServer: malformed CON (reserved nibble) → RST",
    group: "malformed",
    baseline: true,
    fn: () => transport.receiver!.onDatagram(reserved, peer),
  });
  Deno.bench({
    name: "CoapServer: bad version → dropped",
    group: "malformed",
    fn: () => transport.receiver!.onDatagram(badVersion, peer),
  });
}
