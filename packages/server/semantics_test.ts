// Copyright 2026 the microcoap authors. MIT license.
// Request/response semantics corners of RFC 7252 §5.8-§5.10 and §6.
import { assertEquals, assertThrows } from "@std/assert";
import { CoapCode, CoapOptionNumber, getOptions } from "@microcoap/codec";
import { setup, str } from "./_test_helpers.ts";
import { CoapServer } from "./server.ts";
import type { RouteOptions } from "./server.ts";

Deno.test("CoapServer answers 5.00 instead of sending a '.' or '..' Location-Path (RFC 7252 §5.10.7)", async () => {
  const events: string[] = [];
  const h = await setup(
    {
      logger: (event) => {
        if (event.kind === "handler-error") events.push(event.kind);
      },
    },
    {},
    (server) => {
      server.post("/dot", () => ({ locationPath: "/items/./7" }));
      server.post("/dots", () => ({ locationPath: ["items", ".."] }));
      server.post("/ok", () => ({ locationPath: ["items", ".x", "..."] }));
    },
  );
  try {
    for (const path of ["/dot", "/dots"]) {
      const response = await h.request(CoapCode.POST, path);
      assertEquals(response.code, CoapCode.INTERNAL_SERVER_ERROR);
      assertEquals(getOptions(response, CoapOptionNumber.LOCATION_PATH), []);
    }
    assertEquals(events, ["handler-error", "handler-error"]);
    const ok = await h.request(CoapCode.POST, "/ok");
    assertEquals(ok.code, CoapCode.CREATED);
    assertEquals(
      getOptions(ok, CoapOptionNumber.LOCATION_PATH).map(str),
      ["items", ".x", "..."],
    );
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer routes a request with one empty Uri-Path to '/', as without Uri-Path (RFC 7252 §6.5, as libcoap does)", async () => {
  const h = await setup({}, {}, (server) => {
    server.get("/", () => ({ payload: "root" }));
    server.get("/a", () => ({ payload: "a" }));
  });
  const empty = { number: CoapOptionNumber.URI_PATH, value: new Uint8Array() };
  const a = {
    number: CoapOptionNumber.URI_PATH,
    value: new TextEncoder().encode("a"),
  };
  try {
    const send = (options: { number: number; value: Uint8Array }[]) =>
      h.settle(h.client.request(h.address, { code: CoapCode.GET, options }));
    const root = await send([empty]);
    assertEquals(root.code, CoapCode.CONTENT);
    assertEquals(str(root.payload), "root");
    // "//" and "/a/" are other URIs.
    assertEquals((await send([empty, empty])).code, CoapCode.NOT_FOUND);
    assertEquals((await send([a, empty])).code, CoapCode.NOT_FOUND);
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer.links() percent-encodes a route's path segments into a valid href (RFC 6690 §2, RFC 7252 §6.5)", async () => {
  const h = await setup({}, {}, (server) => {
    server.get("/a b", () => ({ payload: "space" }));
    server.get("/caf\u00e9", () => ({ payload: "accent" }));
    server.get("/q%3Fx/%7Eu", () => ({ payload: "encoded" }));
    server.get("/t<x>", () => ({ payload: "angle" }));
  });
  try {
    const hrefs = h.server.links().map((link) => link.href);
    assertEquals(hrefs, ["/a%20b", "/caf%C3%A9", "/q%3Fx/~u", "/t%3Cx%3E"]);
    const discovery = await h.request(CoapCode.GET, "/.well-known/core");
    assertEquals(discovery.code, CoapCode.CONTENT);
    assertEquals(
      str(discovery.payload),
      hrefs.map((href) => `<${href}>`).join(","),
    );
    // Each href, as a client would resolve it, reaches its route.
    const payloads = [];
    for (const href of hrefs) {
      payloads.push(str((await h.request(CoapCode.GET, href)).payload));
    }
    assertEquals(payloads, ["space", "accent", "encoded", "angle"]);
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer.route() rejects discovery attributes that cannot be written in link-format, instead of failing every /.well-known/core request", async () => {
  const h = await setup({}, {}, (server) => {
    server.get("/ok", () => ({}), { rt: "fine" });
  });
  try {
    const bad: [RouteOptions, ErrorConstructor | RangeErrorConstructor][] = [
      [{ attributes: { "bad name": 1 } }, TypeError],
      [{ href: "/t>" }, TypeError],
      [{ sz: -1 }, RangeError],
      [{ ct: 1.5 }, RangeError],
      [{ rt: ["a", "b c"] }, TypeError],
    ];
    for (const [options, type] of bad) {
      assertThrows(
        () => h.server.get("/x", () => {}, options),
        type,
        'Cannot add route "/x"',
      );
    }
    // Nothing was added: the path is still free and discovery still works.
    assertEquals(
      (await h.request(CoapCode.GET, "/x")).code,
      CoapCode.NOT_FOUND,
    );
    h.server.get("/x", () => {}, {
      hidden: true,
      attributes: { "bad name": 1 },
    });
    const discovery = await h.request(CoapCode.GET, "/.well-known/core");
    assertEquals(discovery.code, CoapCode.CONTENT);
    assertEquals(str(discovery.payload), '</ok>;rt="fine"');
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer.route() keeps accepting any attributes when discovery is off", () => {
  const server = new CoapServer({ discovery: false });
  server.get("/x", () => {}, { attributes: { "bad name": 1 } });
  assertEquals(server.links().length, 1);
});

Deno.test("CoapServer discovery matches an href filter against the decoded path of a percent-encoded href (RFC 6690 §4.1)", async () => {
  const h = await setup({}, {}, (server) => {
    server.get("/a b", () => ({}));
    server.get("/caf\u00e9", () => ({}));
    server.get("/x%25y", () => ({}));
  });
  try {
    const listed = async (query: string) =>
      str(
        (await h.request(CoapCode.GET, "/.well-known/core?" + query)).payload,
      );
    // The client sends the query decoded: Uri-Query "href=/a b".
    assertEquals(await listed("href=/a%20b"), "</a%20b>");
    assertEquals(await listed("href=/a%20*"), "</a%20b>");
    assertEquals(await listed("href=/caf%C3%A9"), "</caf%C3%A9>");
    assertEquals(await listed("href=/x%25y"), "</x%25y>");
    // The encoded form, as listed, matches too.
    assertEquals(await listed("href=/a%2520b"), "</a%20b>");
  } finally {
    await h.close();
  }
});
