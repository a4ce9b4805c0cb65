// Copyright 2026 the microcoap authors. MIT license.
// Interoperability with node-coap's server (npm:coap@1.5.0), in process.
import { assert, assertEquals } from "@std/assert";
import coap from "npm:coap@1.5.0";
import { bindUdp } from "@microcoap/transport";
import { CoapClient } from "./mod.ts";
import { body } from "./_test_helpers.ts";

// The parts of node-coap's request and response objects the tests use.
interface NodeRequest {
  method: string;
  url: string;
  payload: Uint8Array;
  headers: Record<string, unknown>;
}
interface NodeResponse {
  code: string;
  statusCode: string;
  write(data: Uint8Array | string): void;
  end(data?: Uint8Array | string): void;
  setOption(name: string, value: unknown): void;
  on(event: string, listener: () => void): void;
}

interface NodeServer {
  base: string;
  observeRequests: number[];
  close(): Promise<void>;
  notify(): void;
}

async function nodeCoapServer(hostname: string): Promise<NodeServer> {
  const probe = await bindUdp({ hostname });
  const port = probe.localAddress.port;
  await probe.close();
  const server = coap.createServer({
    type: hostname.includes(":") ? "udp6" : "udp4",
  });
  const big = body(3000, 4);
  let stored = new Uint8Array(0);
  const observeRequests: number[] = [];
  const streams = new Set<NodeResponse>();
  let counter = 0;
  server.on("request", (req: NodeRequest, res: NodeResponse) => {
    if (typeof req.headers.Observe === "number") {
      observeRequests.push(req.headers.Observe);
    }
    if (req.url === "/big") return res.end(big);
    if (req.url === "/store" && req.method === "PUT") {
      stored = new Uint8Array(req.payload);
      res.code = "2.04";
      return res.end();
    }
    if (req.url === "/store") return res.end(stored);
    // node-coap sends Observe even on an error answer.
    if (req.url === "/missing") {
      res.statusCode = "4.04";
      return res.end("nope");
    }
    if (req.url === "/counter") {
      if (req.headers.Observe === 0) {
        streams.add(res);
        res.on("finish", () => streams.delete(res));
        return res.write(`c${counter}`);
      }
      if (req.headers.Observe === 1) {
        for (const stream of streams) stream.end();
      }
      return res.end(`c${counter}`);
    }
    res.end(`hello ${req.method} ${req.url}`);
  });
  await new Promise<void>((resolve) =>
    server.listen(port, hostname, () => resolve())
  );
  return {
    base: `coap://${
      hostname.includes(":") ? `[${hostname}]` : hostname
    }:${port}`,
    observeRequests,
    notify() {
      counter++;
      for (const stream of streams) stream.write(`c${counter}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of streams) stream.end();
        server.close(() => resolve());
      }),
  };
}

Deno.test({
  name: "node-coap: GET and PUT, with block-wise PUT and GET both ways",
  async fn() {
    const server = await nodeCoapServer("127.0.0.1");
    const client = new CoapClient({ timeout: 10_000 });
    try {
      const hello = await client.get(`${server.base}/x?y=1`);
      assertEquals(hello.codeText, "2.05");
      assertEquals(hello.text(), "hello GET /x?y=1");
      // node-coap splits responses over 1024 bytes into Block2 blocks itself.
      assertEquals(
        (await client.get(`${server.base}/big`)).payload,
        body(3000, 4),
      );
      assertEquals(
        (await client.get(`${server.base}/big`, { blockSize: 256 })).payload,
        body(3000, 4),
      );
      const payload = body(2500, 8);
      const put = await client.put(`${server.base}/store`, {
        payload,
        blockSize: 512,
      });
      assertEquals(put.codeText, "2.04");
      assertEquals((await client.get(`${server.base}/store`)).payload, payload);
    } finally {
      await client.close();
      await server.close();
    }
  },
});

Deno.test({
  name: "node-coap: observe notifications, then deregistration with Observe 1",
  async fn() {
    const server = await nodeCoapServer("127.0.0.1");
    const client = new CoapClient({ timeout: 10_000 });
    try {
      const seen: string[] = [];
      const observes: number[] = [];
      for await (const response of client.observe(`${server.base}/counter`)) {
        seen.push(response.text());
        observes.push(response.observe!);
        if (seen.length === 3) break;
        server.notify();
      }
      assertEquals(seen, ["c0", "c1", "c2"]);
      assert(observes[0]! < observes[1]! && observes[1]! < observes[2]!);
      // Wait for the deregistration to reach the server.
      const deadline = Date.now() + 5000;
      while (!server.observeRequests.includes(1)) {
        assert(Date.now() < deadline, "no deregistration");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assertEquals(server.observeRequests, [0, 1]);
    } finally {
      await client.close();
      await server.close();
    }
  },
});

Deno.test({
  name: "node-coap: observe() ends on its 4.04 answer, which carries Observe",
  async fn() {
    const server = await nodeCoapServer("127.0.0.1");
    const client = new CoapClient({ timeout: 10_000 });
    try {
      const seen: string[] = [];
      const observation = client.observe(`${server.base}/missing`, {
        // Fails the test instead of hanging it if the observation goes on.
        signal: AbortSignal.timeout(5000),
      });
      for await (const response of observation) {
        assertEquals(response.observe, 1);
        seen.push(`${response.codeText} ${response.text()}`);
      }
      assertEquals(seen, ["4.04 nope"]);
      assertEquals(server.observeRequests, [0]);
    } finally {
      await client.close();
      await server.close();
    }
  },
});

Deno.test({
  name: "node-coap: GET and block-wise GET over ::1",
  async fn() {
    const server = await nodeCoapServer("::1");
    const client = new CoapClient({ timeout: 10_000 });
    try {
      assertEquals(
        (await client.get(`${server.base}/six`)).text(),
        "hello GET /six",
      );
      assertEquals(
        (await client.get(`${server.base}/big`, { blockSize: 64 })).payload,
        body(3000, 4),
      );
    } finally {
      await client.close();
      await server.close();
    }
  },
});
