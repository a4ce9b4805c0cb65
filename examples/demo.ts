// Copyright 2026 the microcoap authors. MIT license.
// The microcoap tour: a server and a client on loopback, talking CoAP over UDP.
//
//   deno run -N examples/demo.ts
import { CoapClient, CoapServer } from "@microcoap/coap";
import type { CoapResponse } from "@microcoap/coap";

const decoder = new TextDecoder();

// A small in-memory store of things, and a sensor that changes.
const things = new Map<string, string>([["lamp", "off"]]);
let temperature = 21.5;

const server = new CoapServer({ hostname: "127.0.0.1", port: 0 });
server.get("/hello", () => ({ payload: "hello world" }), { rt: "greeting" });
server.get("/things/:name", (request) => {
  const value = things.get(request.params.name ?? "");
  return value === undefined
    ? { code: 0x84 }
    : { payload: { name: request.params.name, value } };
});
server.put("/things/:name", (request) => {
  things.set(request.params.name ?? "", request.text());
  return { code: 0x44 }; // 2.04 Changed
});
server.post("/things", (request) => {
  const { name, value } = request.json() as { name: string; value: string };
  things.set(name, value);
  return { code: 0x41, locationPath: ["things", name] }; // 2.01 Created
});
server.delete("/things/:name", (request) => {
  things.delete(request.params.name ?? "");
  return { code: 0x42 }; // 2.02 Deleted
});
const sensor = server.get(
  "/temperature",
  () => ({ payload: temperature.toFixed(1) }),
  {
    observable: true,
    rt: "temperature-c",
  },
);
server.get("/large", () => ({
  payload: Array.from(
    { length: 100 },
    (_, i) => `line ${String(i).padStart(4, "0")}\n`,
  ).join(""),
}));

const address = await server.listen();
const base = `coap://127.0.0.1:${address.port}`;
console.log(`server listening on ${base}\n`);

const client = new CoapClient();

function show(method: string, path: string, response: CoapResponse, note = "") {
  const body = response.payload.length
    ? ` ${decoder.decode(response.payload)}`
    : "";
  console.log(
    `${method.padEnd(7)} ${path.padEnd(20)} → ${response.codeText} ${
      response.codeName ?? ""
    }${body}${note}`,
  );
}

show("GET", "/hello", await client.get(`${base}/hello`));
show("GET", "/things/lamp", await client.get(`${base}/things/lamp`));
show(
  "PUT",
  "/things/lamp",
  await client.put(`${base}/things/lamp`, { payload: "on" }),
);
show("GET", "/things/lamp", await client.get(`${base}/things/lamp`));
const created = await client.post(`${base}/things`, {
  payload: { name: "fan", value: "slow" },
});
show(
  "POST",
  "/things",
  created,
  `  (Location-Path: /${created.locationPath.join("/")})`,
);
show("GET", "/things/fan", await client.get(`${base}/things/fan`));
show("DELETE", "/things/fan", await client.delete(`${base}/things/fan`));
show("GET", "/things/fan", await client.get(`${base}/things/fan`));
show("GET", "/nowhere", await client.get(`${base}/nowhere`));
show("DELETE", "/hello", await client.delete(`${base}/hello`));
const large = await client.get(`${base}/large`, { blockSize: 64 });
console.log(
  `GET     /large (block-wise)  → ${large.codeText} ${large.payload.length} bytes in 64-byte blocks`,
);
const core = await client.get(`${base}/.well-known/core`);
console.log(`GET     /.well-known/core    → ${core.codeText} ${core.text()}`);

console.log("\nobserving /temperature:");
const observation = client.observe(`${base}/temperature`);
let seen = 0;
for await (const notification of observation) {
  console.log(
    `  notification ${seen}: ${notification.text()} °C (Observe ${notification.observe})`,
  );
  if (++seen === 3) break; // leaving the loop deregisters
  temperature += 0.5;
  sensor.notify();
}

console.log(`\nping: ${(await client.ping(base)).toFixed(2)} ms`);
await client.close();
await server.close();
console.log("done");
