// Copyright 2026 the microcoap authors. MIT license.
/**
 * microcoap: CoAP (RFC 7252) for TypeScript, small, fast and complete, with
 * observe (RFC 7641), block-wise transfer (RFC 7959) and No-Response (RFC
 * 7967). One import for the whole stack: the codec, transports, the message
 * layer, {@linkcode CoapClient} and {@linkcode CoapServer}, and
 * {@linkcode Coap}, a class compatible with microCoAPy's.
 *
 * A server with routes, and a client talking to it:
 *
 * ```ts
 * import { CoapClient, CoapServer } from "@microcoap/coap";
 * import { assertEquals } from "@std/assert";
 *
 * await using server = new CoapServer({ hostname: "127.0.0.1", port: 0 });
 * server.get("/hello/:name", (request) => ({ payload: `hello ${request.params.name}` }));
 * server.put("/lamp", (request) => ({ payload: request.text() }));
 * const { port } = await server.listen();
 *
 * await using client = new CoapClient();
 * const response = await client.get(`coap://127.0.0.1:${port}/hello/world`);
 * assertEquals(response.codeText, "2.05");
 * assertEquals(response.text(), "hello world");
 * assertEquals((await client.put(`coap://127.0.0.1:${port}/lamp`, { payload: "on" })).codeName, "CHANGED");
 * assertEquals((await client.get(`coap://127.0.0.1:${port}/nothing`)).codeText, "4.04");
 * ```
 *
 * Observing a resource:
 *
 * ```ts
 * import { CoapClient, CoapServer } from "@microcoap/coap";
 * import { assertEquals } from "@std/assert";
 *
 * await using server = new CoapServer({ hostname: "127.0.0.1", port: 0 });
 * let count = 0;
 * const counter = server.get("/counter", () => ({ payload: String(count) }), { observable: true });
 * const { port } = await server.listen();
 *
 * await using client = new CoapClient();
 * const seen: string[] = [];
 * for await (const notification of client.observe(`coap://127.0.0.1:${port}/counter`)) {
 *   seen.push(notification.text());
 *   if (seen.length === 3) break; // deregisters
 *   count++;
 *   counter.notify();
 * }
 * assertEquals(seen, ["0", "1", "2"]);
 * ```
 *
 * @module
 */
export * from "@microcoap/codec";
export * from "@microcoap/transport";
export * from "@microcoap/endpoint";
export * from "@microcoap/client";
export * from "@microcoap/server";
export * from "./microcoapy.ts";
