// Copyright 2026 the microcoap authors. MIT license.
// The client on an IPv6 loopback as a user on an IPv6-first network meets
// it: literals in any spelling, scoped literals (RFC 6874), names that
// resolve to IPv6 only, Uri-Host (RFC 7252 §6.4), observe.
import { assertEquals, assertRejects } from "@std/assert";
import {
  CoapCode,
  CoapOptionNumber,
  encodeObserve,
  getOption,
  getStringOption,
  uriPath,
} from "@microcoap/codec";
import { CoapEndpoint } from "@microcoap/endpoint";
import type { IncomingRequest } from "@microcoap/endpoint";
import { bindUdp } from "@microcoap/transport";
import { CoapClient, CoapTimeoutError } from "./mod.ts";
import { text } from "./_test_helpers.ts";
import { hasIpv6Loopback } from "../../test_util/ipv6.ts";

async function server(hostname: string, requests: IncomingRequest[]) {
  return new CoapEndpoint(await bindUdp({ hostname, port: 0 }), {
    handler: (request) => {
      requests.push(request);
      return {
        code: CoapCode.CREATED,
        options: [{ number: CoapOptionNumber.LOCATION_PATH, value: text("n") }],
        payload: text(request.peer.hostname),
      };
    },
  });
}

Deno.test({
  name:
    "IPv6 literals in any spelling, with a needless zone or IPv4-mapped, reach a dual-stack server without Uri-Host",
  ignore: !hasIpv6Loopback,
  async fn() {
    const requests: IncomingRequest[] = [];
    await using dual = await server("::", requests);
    const { port } = dual.localAddress;
    await using client = new CoapClient({ timeout: 10_000 });
    const hosts: [string, string][] = [
      ["[::1]", "::1"],
      ["[0:0:0:0:0:0:0:1]", "::1"],
      ["[::1%25lo]", "::1"],
      ["[::FFFF:127.0.0.1]", "127.0.0.1"],
      ["127.0.0.1", "127.0.0.1"],
    ];
    for (const [host, sender] of hosts) {
      const response = await client.post(`coap://${host}:${port}/a`);
      assertEquals(response.codeText, "2.01", host);
      assertEquals(response.text(), sender, host);
      assertEquals(response.peer, { hostname: sender, port }, host);
      assertEquals(response.locationPath, ["n"]);
    }
    // RFC 7252 §6.4 step 5: an IP literal is never sent as Uri-Host.
    for (const request of requests) {
      assertEquals(
        getOption(request.message, CoapOptionNumber.URI_HOST),
        undefined,
      );
      assertEquals(uriPath(request.message), ["a"]);
    }
  },
});

Deno.test({
  name:
    "a name that resolves to IPv6 only is sent to that address with the name as Uri-Host",
  ignore: !hasIpv6Loopback,
  async fn() {
    const requests: IncomingRequest[] = [];
    await using six = await server("::1", requests);
    const { port } = six.localAddress;
    const looked: string[] = [];
    await using client = new CoapClient({
      timeout: 10_000,
      lookup: (hostname) => {
        looked.push(hostname);
        return Promise.resolve({ address: "0:0::1", family: 6 });
      },
    });
    const response = await client.get(`coap://Six.Example:${port}/x`);
    assertEquals(response.text(), "::1");
    assertEquals(response.peer, { hostname: "::1", port });
    assertEquals(looked, ["six.example"]);
    assertEquals(
      getStringOption(requests[0]!.message, CoapOptionNumber.URI_HOST),
      "six.example",
    );
  },
});

Deno.test({
  name:
    "observing over IPv6 gets the notifications a server sends to the peer it saw",
  ignore: !hasIpv6Loopback,
  async fn() {
    let observer: IncomingRequest | undefined;
    await using six = new CoapEndpoint(
      await bindUdp({ hostname: "::1", port: 0 }),
      {
        handler: (request) => {
          observer = request;
          return {
            code: CoapCode.CONTENT,
            options: [{
              number: CoapOptionNumber.OBSERVE,
              value: encodeObserve(1),
            }],
            payload: text("1"),
          };
        },
      },
    );
    await using client = new CoapClient({ timeout: 10_000 });
    const url = `coap://[0:0::1]:${six.localAddress.port}/o`;
    const seen: string[] = [];
    for await (const response of client.observe(url)) {
      seen.push(response.text());
      if (seen.length === 2) break;
      // The notification goes to the peer text the server saw.
      assertEquals(observer!.peer.hostname, "::1");
      await six.send(observer!.peer, {
        type: "CON",
        code: CoapCode.CONTENT,
        token: observer!.message.token,
        options: [{
          number: CoapOptionNumber.OBSERVE,
          value: encodeObserve(2),
        }],
        payload: text("2"),
      });
    }
    assertEquals(seen, ["1", "2"]);
  },
});

Deno.test({
  name:
    "a link-local literal with a zone (coap://[fe80::1%25lo]/) fails with a typed error, not a crash",
  ignore: !hasIpv6Loopback,
  async fn() {
    await using client = new CoapClient({ timeout: 300 });
    for (const zone of ["lo", "no-such-interface"]) {
      await assertRejects(
        () => client.get(`coap://[fe80::1%25${zone}]:9/x`),
        CoapTimeoutError,
      );
    }
  },
});
