// Copyright 2026 the microcoap authors. MIT license.
// microCoAPy's README client example, line for line on the `Coap` class.
//
//   deno run -N examples/microcoapy_client.ts [server-ip] [server-port]
//
// Try it against `deno run -N examples/microcoapy_server.ts`.
import * as microcoapy from "@microcoap/coap";
import type { CoapPacket } from "@microcoap/coap";

function receivedMessageCallback(packet: CoapPacket, sender: [string, number]) {
  console.log("Message received:", packet.toString(), ", from: ", sender);
  console.log("Message payload: ", new TextDecoder().decode(packet.payload));
}

const client = new microcoapy.Coap();
client.responseCallback = receivedMessageCallback;
await client.start(0); // any free local port; microCoAPy's default is 5683

const _SERVER_IP = Deno.args[0] ?? "127.0.0.1";
const _SERVER_PORT = Number(Deno.args[1] ?? 5683);
const bytesTransferred = await client.get(
  _SERVER_IP,
  _SERVER_PORT,
  "current/measure",
);
console.log("[GET] Sent bytes: ", bytesTransferred);

await client.poll(2000);

await client.stop();
