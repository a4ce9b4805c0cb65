// Copyright 2026 the microcoap authors. MIT license.
// microCoAPy's README server example, line for line on the `Coap` class.
//
//   deno run -N examples/microcoapy_server.ts [port] [seconds]
//
// Then: deno run -N examples/microcoapy_client.ts 127.0.0.1 5683
import * as microcoapy from "@microcoap/coap";
import type { CoapPacket } from "@microcoap/coap";

const client = new microcoapy.Coap();

function measureCurrent(
  packet: CoapPacket,
  senderIp: string,
  senderPort: number,
) {
  console.log(
    "Measure-current request received: ",
    packet.toString(),
    ", from: ",
    senderIp,
    ":",
    senderPort,
  );
  client.sendResponse(
    senderIp,
    senderPort,
    packet.messageid,
    "222",
    microcoapy.COAP_RESPONSE_CODE.COAP_CONTENT,
    microcoapy.COAP_CONTENT_FORMAT.COAP_NONE,
    packet.token,
  );
}

client.addIncomingRequestCallback("current/measure", measureCurrent);

await client.start(Number(Deno.args[0] ?? 5683));
console.log(`listening on port ${client.port}`);

// wait for incoming request for 60 seconds
const timeoutMs = Number(Deno.args[1] ?? 60) * 1000;
const start_time = Date.now();
while (Date.now() - start_time < timeoutMs) {
  await client.poll(timeoutMs - (Date.now() - start_time));
}

await client.stop();
