// Copyright 2026 the microcoap authors. MIT license.
// The server over real UDP against other implementations: libcoap's
// coap-client and node-coap. Skipped when coap-client-notls is missing.
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import coap from "npm:coap@1.5.0";
import { Buffer } from "node:buffer";
import dgram from "node:dgram";
import { CoapServer } from "./server.ts";

const LIBCOAP = "coap-client-notls";
const hasLibcoap = await (async () => {
  try {
    // Prints its usage and exits; only whether it runs at all matters.
    await new Deno.Command(LIBCOAP, {
      args: ["-h"],
      stdout: "null",
      stderr: "null",
    }).output();
    return true;
  } catch {
    return false;
  }
})();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs coap-client with a break timeout so it can never hang. */
async function libcoap(args: string[]): Promise<Run> {
  const { code, stdout, stderr } = await new Deno.Command(LIBCOAP, {
    args: ["-B", "8", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

function big(length: number): string {
  let out = "";
  for (let i = 0; out.length < length; i++) out += `line ${i};`;
  return out.slice(0, length);
}

/** A server with the resources the interop tests use, notifying /obs every 500 ms. */
async function startServer(hostname: string) {
  const server = new CoapServer({ hostname, port: 0 });
  const stored: { method: string; body: Uint8Array }[] = [];
  const deleted: string[] = [];
  let n = 0;
  const obs = server.get("/obs", () => ({ payload: `n=${++n}` }), {
    observable: true,
    rt: "counter",
  });
  server.get(
    "/hello",
    (r) => ({ payload: `hello ${r.query.get("name") ?? "world"}` }),
  );
  server.get("/big", () => ({ payload: big(5000) }));
  server.get("/temp", () => ({ payload: "21" }), {
    rt: "temperature-c core.s",
  });
  server.route(["PUT", "POST"], "/store/:name", (r) => {
    stored.push({ method: r.method, body: r.payload });
    return r.method === "POST"
      ? {
        locationPath: `/store/${r.params.name}/1`,
        payload: `posted ${r.payload.length}`,
      }
      : { payload: `stored ${r.payload.length}` };
  });
  server.delete("/store/:name", (r) => void deleted.push(r.params.name!));
  const address = await server.listen();
  const timer = setInterval(() => obs.notify(), 500);
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    server,
    stored,
    deleted,
    base: `coap://${host}:${address.port}`,
    address,
    async close() {
      clearInterval(timer);
      await server.close();
    },
  };
}

for (const hostname of ["127.0.0.1", "::1"]) {
  Deno.test({
    name: `interop: libcoap coap-client against the server on ${hostname}`,
    ignore: !hasLibcoap,
    async fn() {
      const s = await startServer(hostname);
      const upload = new Uint8Array(3000).map((_, i) => (i * 31) & 0xff);
      const file = await Deno.makeTempFile();
      try {
        await Deno.writeFile(file, upload);
        // All at once: each client has its own port, the server serves them together.
        const [
          get,
          non,
          put,
          post,
          del,
          missing,
          wellKnown,
          observe,
          block2,
          block1,
          listItem,
        ] = await Promise
          .all([
            libcoap([`${s.base}/hello?name=libcoap`]),
            libcoap(["-N", `${s.base}/hello`]),
            libcoap(["-m", "put", "-e", "abc", `${s.base}/store/a`]),
            libcoap(["-m", "post", "-e", "hello", `${s.base}/store/b`]),
            libcoap(["-m", "delete", `${s.base}/store/c`]),
            libcoap([`${s.base}/nothing`]),
            libcoap([`${s.base}/.well-known/core?rt=counter`]),
            libcoap(["-w", "-s", "3", `${s.base}/obs`]),
            libcoap(["-b", "64", `${s.base}/big`]),
            libcoap([
              "-b",
              "64",
              "-m",
              "put",
              "-f",
              file,
              `${s.base}/store/file`,
            ]),
            libcoap([`${s.base}/.well-known/core?rt=core.s`]),
          ]);
        assertEquals(get.stdout.trimEnd(), "hello libcoap");
        assertEquals(non.stdout.trimEnd(), "hello world");
        assertEquals(put.stdout.trimEnd(), "stored 3");
        assertEquals(post.stdout.trimEnd(), "posted 5");
        assertEquals(del.code, 0);
        assertEquals(s.deleted, ["c"]);
        assertStringIncludes(missing.stderr + missing.stdout, "4.04");
        assertEquals(wellKnown.stdout.trimEnd(), '</obs>;rt="counter";obs');
        // One item of a space-separated rt matches (RFC 6690 §4.1).
        assertEquals(
          listItem.stdout.trimEnd(),
          '</temp>;rt="temperature-c core.s"',
        );
        const notifications = observe.stdout.split("\n").filter((line) =>
          line.startsWith("n=")
        );
        assert(
          notifications.length >= 3,
          `observe printed ${JSON.stringify(observe.stdout)}`,
        );
        assertEquals(block2.stdout.trimEnd(), big(5000));
        assertEquals(block1.stdout.trimEnd(), "stored 3000");
        const uploaded = s.stored.find((entry) => entry.body.length === 3000);
        assertEquals(uploaded?.body, upload);
        // The observation ended with the client (deregistration or RST).
        assertEquals(s.server.observers <= 1, true);
      } finally {
        await Deno.remove(file);
        await s.close();
      }
    },
  });
}

/** Waits for an event, failing after `ms`. */
function within<T>(
  ms: number,
  start: (resolve: (value: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`nothing within ${ms} ms`)),
      ms,
    );
    start((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

Deno.test({
  name: "interop: node-coap GET, PUT and observe against the server",
  // node-coap keeps Node-compat timers and sockets of its own.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startServer("127.0.0.1");
    // One agent per request: a shared agent closes its socket once idle,
    // racing the next request.
    // deno-lint-ignore no-explicit-any
    const agents: any[] = [];
    // deno-lint-ignore no-explicit-any
    const request = (options: Record<string, unknown>): any => {
      const agent = new coap.Agent({ type: "udp4" });
      agents.push(agent);
      return coap.request({
        hostname: "127.0.0.1",
        port: s.address.port,
        agent,
        ...options,
      });
    };
    try {
      // deno-lint-ignore no-explicit-any
      const get = await within<any>(5000, (resolve) => {
        const req = request({ pathname: "/hello", query: "name=node" });
        req.on("response", resolve);
        req.end();
      });
      assertEquals(get.code, "2.05");
      assertEquals(new TextDecoder().decode(get.payload), "hello node");

      // deno-lint-ignore no-explicit-any
      const put = await within<any>(5000, (resolve) => {
        const req = request({ pathname: "/store/n", method: "PUT" });
        req.on("response", resolve);
        req.end(new TextEncoder().encode("from node"));
      });
      assertEquals(put.code, "2.04");
      assertEquals(new TextDecoder().decode(put.payload), "stored 9");
      assertEquals(
        new TextDecoder().decode(s.stored.at(-1)!.body),
        "from node",
      );

      const values = await within<string[]>(8000, (resolve) => {
        const seen: string[] = [];
        const req = request({ pathname: "/obs", observe: true });
        // deno-lint-ignore no-explicit-any
        req.on("response", (res: any) => {
          res.on("data", (chunk: Uint8Array) => {
            seen.push(new TextDecoder().decode(chunk));
            if (seen.length === 3) {
              res.close();
              resolve(seen);
            }
          });
        });
        req.end();
      });
      assertEquals(values.length, 3);
      const numbers = values.map((v) => Number(v.slice(2)));
      assert(
        numbers[0]! < numbers[1]! && numbers[1]! < numbers[2]!,
        values.join(),
      );
    } finally {
      // An agent that already closed its idle socket never calls back: do not wait.
      for (const agent of agents) agent.close();
      await s.close();
    }
  },
});

Deno.test({
  name:
    "interop: node-coap uploads with Block1 (our 64-byte blocks), downloads with its Block2 size, gets a separate response and deregisters with RST",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const server = new CoapServer({
      hostname: "127.0.0.1",
      port: 0,
      blockSize: 64,
      separateResponseDelay: 20,
    });
    let uploaded: Uint8Array = new Uint8Array(0);
    server.put("/upload", (r) => {
      uploaded = r.payload;
      return { payload: `got ${r.payload.length}` };
    });
    server.get("/big", () => ({ payload: big(3000) }));
    server.get("/slow", async () => {
      // Slower than separateResponseDelay: an empty ACK goes first.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { payload: "late" };
    });
    let n = 0;
    const counter = server.get("/counter", () => ({ payload: `n=${n}` }), {
      observable: true,
    });
    const { port } = await server.listen();
    // One agent on a socket of our own: node-coap keeps it open, so it can
    // answer a notification it no longer wants with RST.
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve) =>
      socket.bind(0, "127.0.0.1", () => resolve())
    );
    const agent = new coap.Agent({ socket });
    // deno-lint-ignore no-explicit-any
    const send = (options: Record<string, unknown>, body?: Uint8Array): any =>
      within(10_000, (resolve) => {
        const req = coap.request({
          hostname: "127.0.0.1",
          port,
          agent,
          ...options,
        });
        req.on("response", resolve);
        req.end(body);
      });
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    try {
      // node-coap starts with 1024-byte blocks; the server asks for 64.
      const upload = new TextEncoder().encode(big(5000));
      const put = await send({
        pathname: "/upload",
        method: "PUT",
        options: { Block1: Buffer.of(6) },
      }, upload);
      assertEquals([put.code, text(put.payload)], ["2.04", "got 5000"]);
      assertEquals(uploaded, upload);

      // Block2 asked for in 32-byte blocks (SZX 1).
      const download = await send({
        pathname: "/big",
        options: { Block2: Buffer.of(1) },
      });
      assertEquals(text(download.payload), big(3000));

      const slow = await send({ pathname: "/slow" });
      assertEquals([slow.code, text(slow.payload)], ["2.05", "late"]);

      const stream = await send({ pathname: "/counter", observe: true });
      const seen = await within<string[]>(10_000, (resolve) => {
        const values: string[] = [];
        stream.on("data", (chunk: Uint8Array) => {
          values.push(text(chunk));
          if (values.length === 2) resolve(values);
          else {
            n++;
            counter.notify();
          }
        });
      });
      assertEquals(seen, ["n=0", "n=1"]);
      assertEquals(counter.observers, 1);
      // Closed without deregistering: the next notification gets RST.
      stream.close();
      n++;
      counter.notify();
      const deadline = Date.now() + 10_000;
      while (counter.observers > 0) {
        assert(Date.now() < deadline, "the RST did not end the observation");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      agent.close();
      socket.close();
      await server.close();
    }
  },
});

Deno.test({
  name:
    "interop: libcoap coap-client gets 4.02 for a critical option of the wrong length",
  ignore: !hasLibcoap,
  async fn() {
    const s = await startServer("127.0.0.1");
    try {
      const [accept, host, ifMatch, elective] = await Promise.all([
        // Accept of 3 bytes (at most 2), an empty Uri-Host (at least 1),
        // If-Match of 9 bytes (at most 8): RFC 7252 §5.4.3.
        libcoap(["-O", "17,0x000032", `${s.base}/hello`]),
        libcoap(["-U", "-O", "3,0x", `${s.base}/hello`]),
        libcoap(["-O", "1,0x000102030405060708", `${s.base}/hello`]),
        // An elective one (Max-Age of 5 bytes) is ignored.
        libcoap(["-O", "14,0x0000000001", `${s.base}/hello`]),
      ]);
      assertStringIncludes(accept.stdout + accept.stderr, "4.02");
      assertStringIncludes(host.stdout + host.stderr, "4.02");
      assertStringIncludes(ifMatch.stdout + ifMatch.stderr, "4.02");
      assertEquals(elective.stdout.trimEnd(), "hello world");
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name:
    "interop: libcoap coap-client FETCHes a block-wise answer, asking for later blocks without the body",
  ignore: !hasLibcoap,
  async fn() {
    const server = new CoapServer({ hostname: "127.0.0.1", port: 0 });
    server.fetch("/query", (r) => ({
      payload: `${new TextDecoder().decode(r.payload)}: ${big(2000)}`,
    }));
    const { port } = await server.listen();
    try {
      const run = await libcoap([
        "-m",
        "fetch",
        "-e",
        "q=1",
        "-b",
        "256",
        `coap://127.0.0.1:${port}/query`,
      ]);
      assertEquals(run.stdout.trimEnd(), `q=1: ${big(2000)}`);
    } finally {
      await server.close();
    }
  },
});
