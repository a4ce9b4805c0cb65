// Copyright 2026 the microcoap authors. MIT license.
// JSON over CoAP: a server that stores JSON documents, and a client that
// creates, reads and updates one. Self-contained on loopback.
//
//   deno run -N examples/json.ts
import { CoapClient, CoapServer, ContentFormat } from "@microcoap/coap";

type Doc = Record<string, unknown>;
const docs = new Map<string, Doc>();
let nextId = 1;

await using server = new CoapServer({ hostname: "127.0.0.1", port: 0 });
const json = {
  contentFormats: [ContentFormat.JSON],
  produces: [ContentFormat.JSON],
};
server.post("/docs", (request) => {
  const id = String(nextId++);
  docs.set(id, request.json() as Doc);
  return { code: 0x41, locationPath: ["docs", id] }; // 2.01 Created
}, json);
server.get("/docs/:id", (request) => {
  const doc = docs.get(request.params.id ?? "");
  return doc ? { payload: doc } : { code: 0x84 };
}, json);
server.patch("/docs/:id", (request) => {
  const doc = docs.get(request.params.id ?? "");
  if (!doc) return { code: 0x84 };
  Object.assign(doc, request.json());
  return { code: 0x44 };
}, json);
const { port } = await server.listen();

await using client = new CoapClient();
const base = `coap://127.0.0.1:${port}`;
const created = await client.post(`${base}/docs`, {
  payload: { sensor: "t1", celsius: 21.5 },
});
const location = "/" + created.locationPath.join("/");
console.log(`POST /docs → ${created.codeText}, at ${location}`);
await client.patch(`${base}${location}`, { payload: { celsius: 22 } });
const read = await client.get(`${base}${location}`, {
  accept: ContentFormat.JSON,
});
console.log(`GET ${location} → ${read.codeText}`, read.json());
const wrong = await client.post(`${base}/docs`, { payload: "not json" });
console.log(`POST text/plain → ${wrong.codeText} ${wrong.codeName}`);
