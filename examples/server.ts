// Copyright 2026 the microcoap authors. MIT license.
// A CoAP server with routes: a greeting, a path parameter, an echo and an
// observable counter.
//
//   deno run -N examples/server.ts [port] [seconds]
//
// Try it with: deno run -N examples/client.ts coap://127.0.0.1:5683/hello
// or libcoap:  coap-client-notls coap://127.0.0.1/hello
import { CoapServer } from "@microcoap/coap";

const port = Number(Deno.args[0] ?? 5683);
const seconds = Number(Deno.args[1] ?? 0); // 0: until Ctrl-C

const server = new CoapServer({ hostname: "127.0.0.1", port });
server.get("/hello", () => ({ payload: "hello world" }), { rt: "greeting" });
server.get(
  "/hello/:name",
  (request) => ({ payload: `hello ${request.params.name}` }),
);
server.post("/echo", (request) => ({
  code: 0x44, // 2.04 Changed
  payload: request.payload,
  ...(request.contentFormat === undefined
    ? {}
    : { contentFormat: request.contentFormat }),
}));
let count = 0;
const counter = server.get("/counter", () => ({ payload: String(count) }), {
  observable: true,
});
const ticker = setInterval(() => {
  count++;
  counter.notify();
}, 1000);

const address = await server.listen();
console.log(`listening on coap://${address.hostname}:${address.port}`);

const stop = async () => {
  clearInterval(ticker);
  await server.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
if (seconds > 0) setTimeout(stop, seconds * 1000);
