// Copyright 2026 the microcoap authors. MIT license.
// Our server for the load benchmark, on Deno or (bundled by run_all.ts) on
// Node. Arguments: <port> <mode> <transport>
//   mode: "server" (CoapServer, GET /hello) or "endpoint" (a bare
//   CoapEndpoint whose handler answers every request with 2.05 "Hello")
//   transport: "dgram" (bindUdp, node:dgram) or "deno" (bindDenoUdp, needs
//   --unstable-net)
// Prints "ready <port>" once listening.
import { CoapServer } from "@microcoap/server";
import { CoapEndpoint } from "@microcoap/endpoint";
import { bindDenoUdp, bindUdp } from "@microcoap/transport";
import type { Transport } from "@microcoap/transport";

// deno-lint-ignore no-explicit-any
const runtime = globalThis as any;
const args: string[] = runtime.Deno?.args ?? runtime.process.argv.slice(2);
const port = Number(args[0] ?? 0);
const mode = args[1] ?? "server";
const kind = args[2] ?? "dgram";

const transport: Transport = kind === "deno"
  ? await bindDenoUdp({ hostname: "127.0.0.1", port })
  : await bindUdp({ hostname: "127.0.0.1", port });
const hello = new TextEncoder().encode("Hello");
if (mode === "endpoint") {
  new CoapEndpoint(transport, {
    handler: () => ({ code: 0x45, payload: hello }),
  });
} else {
  const server = new CoapServer({ transport });
  server.get("/hello", () => ({ payload: hello }));
  await server.listen();
}
console.log(`ready ${transport.localAddress.port}`);
