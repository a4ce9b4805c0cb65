// Copyright 2026 the microcoap authors. MIT license.
// Our client side of bench/clients.ts: <mode> <host> <port> <path> <count>
// <concurrency>, where mode is "endpoint" (CoapEndpoint.request) or
// "client" (CoapClient.get by URL). Keeps <concurrency> confirmable GETs
// outstanding until <count> have been answered, with NSTART raised to the
// concurrency (like node-coap, which does not limit outstanding requests).
// Prints one JSON line (ClientResult).
import { CoapEndpoint } from "@microcoap/endpoint";
import { CoapClient } from "@microcoap/client";
import { bindUdp } from "@microcoap/transport";
import { closedLoop } from "./_closed_loop.ts";

// deno-lint-ignore no-explicit-any
const runtime = globalThis as any;
const args: string[] = runtime.Deno?.args ?? runtime.process.argv.slice(2);
const [mode = "endpoint", host = "127.0.0.1", port = "5683", path = "hello"] =
  args;
const count = Number(args[4] ?? 20_000);
const concurrency = Number(args[5] ?? 16);

let result;
if (mode === "client") {
  await using client = new CoapClient({ nstart: concurrency });
  const url = `coap://${host}:${port}/${path}`;
  result = await closedLoop(count, concurrency, async () => {
    const response = await client.get(url);
    return response.code === 0x45;
  });
} else {
  await using endpoint = new CoapEndpoint(
    await bindUdp({ hostname: "127.0.0.1" }),
    { nstart: concurrency },
  );
  const peer = { hostname: host, port: Number(port) };
  const options = [{ number: 11, value: new TextEncoder().encode(path) }];
  result = await closedLoop(count, concurrency, async () => {
    const response = await endpoint.request(peer, { code: 1, options });
    return response.code === 0x45;
  });
}
console.log(JSON.stringify(result));
