import { CoapEndpoint } from "./mod.ts";
import { bindUdp } from "@microcoap/transport";
import { CoapCode } from "@microcoap/codec";

Deno.test("scratch endpoint", async () => {
  await using server = new CoapEndpoint(await bindUdp({ hostname: "::", port: 0 }), {
    handler: () => ({ code: CoapCode.CONTENT }),
  });
  const port = server.localAddress.port;
  for (const [bind, targets] of [
    ["::", ["::1", "0:0::1", "0000:0000:0000:0000:0000:0000:0000:0001", "::ffff:127.0.0.1", "::FFFF:127.0.0.1", "::ffff:7f00:1", "127.0.0.1", "[::1]"]],
    ["0.0.0.0", ["127.0.0.1", "::ffff:127.0.0.1", "127.000.000.001"]],
    ["::1", ["::1", "0:0::1"]],
  ] as const) {
    await using client = new CoapEndpoint(await bindUdp({ hostname: bind, port: 0 }), { ackTimeout: 200, maxRetransmit: 1, force: true } as never);
    for (const hostname of targets) {
      const r = await client.request({ hostname, port }, { code: CoapCode.GET }).then((m) => "ok " + m.code, (e) => "ERR " + e.name + " " + e.message);
      console.log(bind, "->", hostname, r);
    }
  }
});
