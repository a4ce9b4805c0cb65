// Copyright 2026 the microcoap authors. MIT license.
// Group communication (RFC 7252 §8): two servers join the All CoAP Nodes
// group on the loopback interface, and a client discovers both with one
// multicast request.
//
//   deno run -N examples/multicast.ts [port]
//
// Multicast stays on the loopback interface here (127.0.0.1, one hop). The
// second server uses 127.0.0.2, which Linux's loopback answers for.
import { CoapClient, CoapServer } from "@microcoap/coap";

const GROUP = "224.0.1.187"; // All CoAP Nodes (IPv4)
const PORT = Number(Deno.args[0] ?? 5690);

const servers: CoapServer[] = [];
for (
  const [hostname, room] of [["127.0.0.1", "kitchen"], ["127.0.0.2", "hall"]]
) {
  const server = new CoapServer({
    hostname,
    port: PORT,
    multicast: {
      groups: [GROUP],
      interface: "127.0.0.1",
      // Answer within 200 ms instead of the 5 s default leisure (§8.2).
      leisure: 200,
    },
  });
  server.get("/room", () => ({ payload: room }), { rt: "room" });
  await server.listen();
  servers.push(server);
}

await using client = new CoapClient({ multicast: { interface: "127.0.0.1" } });
const found: string[] = [];
for await (
  const response of client.multicast(
    `coap://${GROUP}:${PORT}/.well-known/core?rt=room`,
    { timeout: 1000 },
  )
) {
  const from = `${response.peer.hostname}:${response.peer.port}`;
  // Links are relative to the server that answered (§8.2): ask it directly.
  const room = await client.get(`coap://${from}/room`);
  found.push(`${from} ${response.text()} → ${room.text()}`);
}
for (const line of found.sort()) console.log(line);

for (const server of servers) await server.close();
