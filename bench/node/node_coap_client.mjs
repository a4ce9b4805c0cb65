// Copyright 2026 the microcoap authors. MIT license.
// node-coap's client side of bench/clients.ts (run under Node from
// bench/node): <host> <port> <path> <count> <concurrency>. Keeps
// <concurrency> confirmable GETs outstanding until <count> have been
// answered. Prints one JSON line like bench/clients/_closed_loop.ts.
import coap from "coap";

const [host = "127.0.0.1", port = "5683", path = "hello"] = process.argv.slice(
  2,
);
const count = Number(process.argv[5] ?? 20_000);
const concurrency = Number(process.argv[6] ?? 16);
const agent = new coap.Agent({ type: host.includes(":") ? "udp6" : "udp4" });

function get() {
  return new Promise((resolve) => {
    const request = coap.request({
      hostname: host,
      port: Number(port),
      pathname: "/" + path,
      confirmable: true,
      agent,
    });
    request.on("response", (response) => {
      resolve(response.code === "2.05");
      response.resume?.();
    });
    request.on("error", () => resolve(false));
    request.on("timeout", () => resolve(false));
    request.end();
  });
}

const latencies = new Float64Array(count);
let issued = 0;
let done = 0;
let errors = 0;
for (let i = 0; i < Math.min(200, count); i++) await get();
const start = performance.now();
async function lane() {
  while (issued < count) {
    issued++;
    const sent = performance.now();
    if (!(await get())) errors++;
    latencies[done++] = performance.now() - sent;
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
const elapsed = performance.now() - start;
const sorted = latencies.subarray(0, done).sort();
console.log(JSON.stringify({
  rps: done / (elapsed / 1000),
  count: done,
  p50: sorted[Math.floor(done * 0.5)],
  p99: sorted[Math.min(done - 1, Math.floor(done * 0.99))],
  errors,
}));
process.exit(0);
