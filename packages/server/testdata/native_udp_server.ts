// Run with --unstable-net: a CoapServer on Deno.listenDatagram answers a
// microcoap client and libcoap's coap-client. Prints "ok" lines.
import { CoapClient, CoapServer } from "../../coap/mod.ts";
import { isDenoUdpAvailable } from "@microcoap/transport";

if (!isDenoUdpAvailable()) throw new Error("run with --unstable-net");
await using server = new CoapServer({ hostname: "127.0.0.1", port: 0 });
server.get("/hello", () => ({ payload: "hello native" }));
const { port } = await server.listen();
await using client = new CoapClient();
const response = await client.get(`coap://127.0.0.1:${port}/hello`);
console.log(response.codeText, response.text());
const libcoap = await new Deno.Command("coap-client-notls", {
  args: ["-B", "5", `coap://127.0.0.1:${port}/hello`],
  stdout: "piped",
  stderr: "null",
}).output().catch(() => undefined);
if (libcoap) {
  console.log("libcoap", new TextDecoder().decode(libcoap.stdout).trim());
}

// Dual-stack on ::, each peer answered at the address it came from.
await using dual = new CoapServer({ hostname: "::", port: 0 });
dual.get("/peer", (request) => ({ payload: request.peer.hostname }));
const dualPort = (await dual.listen()).port;
for (const host of ["[::1]", "127.0.0.1", "[::ffff:127.0.0.1]"]) {
  const answer = await client.get(`coap://${host}:${dualPort}/peer`);
  console.log("dual", host, answer.text());
}
