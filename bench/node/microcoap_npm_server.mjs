// Copyright 2026 the microcoap authors. MIT license.
// Our server for the load benchmark on Node, from the npm build
// (`deno task build:npm`, or scripts/build_npm.ts --out DIR): <build dir>
// <port> [mode]. Same routes and output as bench/servers/microcoap.ts: GET
// /hello answers 2.05 "Hello"; prints "ready <port>" once listening.
import { pathToFileURL } from "node:url";

const [dir, port = "0", mode = "server"] = process.argv.slice(2);
const from = (path) => import(pathToFileURL(`${dir}/esm/${path}`).href);
const { CoapServer } = await from("server/mod.js");
const { CoapEndpoint } = await from("endpoint/mod.js");
const { bindUdp } = await from("transport/mod.js");

const transport = await bindUdp({ hostname: "127.0.0.1", port: Number(port) });
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
