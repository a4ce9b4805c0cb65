// Copyright 2026 the microcoap authors. MIT license.
// maxDatagramSize through the CoapServer and CoapClient options, over UDP.
import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { createSocket } from "node:dgram";
import { encode } from "@microcoap/codec";
import { CoapClient } from "@microcoap/client";
import { CoapTimeoutError } from "@microcoap/endpoint";
import { CoapServer } from "@microcoap/server";

const text = new TextEncoder();

Deno.test("CoapServer with maxDatagramSize drops longer requests and keeps answering shorter ones", async () => {
  await using server = new CoapServer({
    hostname: "127.0.0.1",
    port: 0,
    maxDatagramSize: 200,
  });
  server.put("/store", (request) => ({
    code: 0x44,
    payload: text.encode(String(request.payload.length)),
  }));
  const address = await server.listen();
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  try {
    const answers: number[] = [];
    const got = new Promise<void>((resolve) =>
      socket.on("message", (data: Uint8Array) => {
        answers.push((data[2]! << 8) | data[3]!);
        resolve();
      })
    );
    const put = (messageId: number, size: number) =>
      encode({
        type: "CON",
        code: 3,
        messageId,
        token: new Uint8Array([messageId]),
        options: [{ number: 11, value: text.encode("store") }],
        payload: new Uint8Array(size),
      }).slice();
    const long = put(1, 300); // over 200 bytes: dropped
    const short = put(2, 150); // about 160 bytes: answered
    socket.send(long, address.port, "127.0.0.1");
    socket.send(short, address.port, "127.0.0.1");
    await got;
    assertEquals(answers, [2]);
  } finally {
    socket.close();
  }
});

Deno.test("CoapClient with maxDatagramSize drops longer responses", async () => {
  await using server = new CoapServer({ hostname: "127.0.0.1", port: 0 });
  server.get("/big", () => ({ payload: new Uint8Array(300) }));
  server.get("/small", () => ({ payload: new Uint8Array(50) }));
  const { port } = await server.listen();
  await using client = new CoapClient({ maxDatagramSize: 100 });
  const small = await client.get(`coap://127.0.0.1:${port}/small`);
  assertEquals(small.payload.length, 50);
  await assertRejects(
    () => client.get(`coap://127.0.0.1:${port}/big`, { timeout: 300 }),
    CoapTimeoutError,
  );
});

Deno.test("CoapServer and CoapClient reject a maxDatagramSize outside 1 to 65507", async () => {
  assertThrows(() => new CoapClient({ maxDatagramSize: 0 }), RangeError);
  assertThrows(() => new CoapClient({ maxDatagramSize: 70_000 }), RangeError);
  const server = new CoapServer({
    hostname: "127.0.0.1",
    port: 0,
    maxDatagramSize: 65_508,
  });
  await assertRejects(() => server.listen(), RangeError);
  await server.close();
});
