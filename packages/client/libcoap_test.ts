// Copyright 2026 the microcoap authors. MIT license.
// Interoperability with libcoap's example server (coap-server-notls, 4.3.x),
// run on a free port of 127.0.0.1 or ::1.
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "@std/assert";
import { bindUdp } from "@microcoap/transport";
import type { EndpointLogEvent, EndpointLogger } from "@microcoap/endpoint";
import { CoapOptionNumber, getOption } from "@microcoap/codec";
import { CoapClient } from "./mod.ts";
import type { CoapProgress } from "./mod.ts";
import { body } from "./_test_helpers.ts";

async function freePort(hostname: string): Promise<number> {
  const probe = await bindUdp({ hostname });
  const port = probe.localAddress.port;
  await probe.close();
  return port;
}

/** Starts coap-server-notls, waits until it answers a ping, runs `fn`, and always stops it. */
async function withLibcoap(
  hostname: string,
  fn: (base: string, client: CoapClient) => Promise<void>,
  logger?: EndpointLogger,
): Promise<void> {
  const port = await freePort(hostname);
  const base = `coap://${
    hostname.includes(":") ? `[${hostname}]` : hostname
  }:${port}`;
  const child = new Deno.Command("coap-server-notls", {
    args: ["-A", hostname, "-p", String(port)],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const client = new CoapClient(
    logger ? { timeout: 10_000, logger } : { timeout: 10_000 },
  );
  try {
    // Ready when it answers a ping (an empty CON, answered with RST).
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await client.ping(base, { timeout: 200 });
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
    await fn(base, client);
  } finally {
    await client.close();
    child.kill("SIGTERM");
    await child.status;
  }
}

const TIME = /^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d$/;

Deno.test("libcoap: GET /time and /.well-known/core on 127.0.0.1", async () => {
  await withLibcoap("127.0.0.1", async (base, client) => {
    const time = await client.get(`${base}/time`);
    assertEquals(time.codeText, "2.05");
    assertMatch(time.text(), TIME);
    const core = await client.get(`${base}/.well-known/core`);
    assertEquals(core.codeText, "2.05");
    assertEquals(core.contentFormat, 40);
    assertStringIncludes(core.text(), "</time>");
    assertStringIncludes(core.text(), "</example_data>");
    const missing = await client.get(`${base}/nothing-here`);
    assertEquals(missing.codeText, "4.04");
  });
});

Deno.test("libcoap: observe /time for three notifications, then leave the loop and deregister", async () => {
  const events: EndpointLogEvent[] = [];
  await withLibcoap("127.0.0.1", async (base, client) => {
    const seen: {
      observe: number | undefined;
      text: string;
      token: Uint8Array;
    }[] = [];
    for await (const response of client.observe(`${base}/time`)) {
      seen.push({
        observe: response.observe,
        text: response.text(),
        token: response.token,
      });
      if (seen.length === 3) break;
    }
    assertEquals(seen.length, 3);
    for (const { observe, text } of seen) {
      assert(observe !== undefined);
      assertMatch(text, TIME);
    }
    assert(
      seen[1]!.observe! > seen[0]!.observe! &&
        seen[2]!.observe! > seen[1]!.observe!,
    );
    // The deregistration: a GET with Observe 1 and the observation's token, answered.
    const token = seen[0]!.token.join();
    const isOurs = (e: EndpointLogEvent) => e.message?.token.join() === token;
    const deadline = Date.now() + 5000;
    while (
      !events.some((e) =>
        e.kind === "received" && isOurs(e) &&
        getOption(e.message!, CoapOptionNumber.OBSERVE) === undefined
      )
    ) {
      assert(Date.now() < deadline, "no answer to the deregistration");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const deregistration = events.find((e) =>
      e.kind === "sent" && isOurs(e) &&
      getOption(e.message!, CoapOptionNumber.OBSERVE)?.[0] === 1
    );
    assert(deregistration, "no deregistration sent");
    // /time notifies every second: nothing more arrives for the token.
    const count = events.filter((e) =>
      e.kind === "received" && isOurs(e)
    ).length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assertEquals(
      events.filter((e) => e.kind === "received" && isOurs(e)).length,
      count,
    );
    assertEquals((await client.get(`${base}/time`)).codeText, "2.05");
  }, (event) => events.push(event));
});

Deno.test("libcoap: PUT a large payload block-wise to /example_data, GET it back in small blocks", async () => {
  await withLibcoap("127.0.0.1", async (base, client) => {
    const payload = body(3000, 17);
    const uploads: CoapProgress[] = [];
    const put = await client.put(`${base}/example_data`, {
      payload,
      blockSize: 64,
      contentFormat: "application/octet-stream",
      onProgress: (p) => uploads.push(p),
    });
    assert(put.ok, put.codeText);
    assertEquals(uploads.length, Math.ceil(3000 / 64));
    assertEquals(uploads.at(-1), {
      direction: "upload",
      blocks: 47,
      bytes: 3000,
      total: 3000,
    });
    const downloads: CoapProgress[] = [];
    const got = await client.get(`${base}/example_data`, {
      blockSize: 128,
      onProgress: (p) => downloads.push(p),
    });
    assertEquals(got.codeText, "2.05");
    assertEquals(got.payload, payload);
    assertEquals(downloads.length, Math.ceil(3000 / 128));
    assertEquals(downloads.at(-1)?.total, 3000);
    // Without early negotiation, the server picks its block size.
    assertEquals((await client.get(`${base}/example_data`)).payload, payload);
  });
});

Deno.test("libcoap: ping (readiness), GET and a block-wise round trip on ::1", async () => {
  await withLibcoap("::1", async (base, client) => {
    assertMatch((await client.get(`${base}/time`)).text(), TIME);
    const payload = body(1500, 2);
    assert(
      (await client.put(`${base}/example_data`, { payload, blockSize: 256 }))
        .ok,
    );
    assertEquals(
      (await client.get(`${base}/example_data`, { blockSize: 32 })).payload,
      payload,
    );
  });
});
