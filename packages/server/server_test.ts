// Copyright 2026 the microcoap authors. MIT license.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  CoapCode,
  CoapOptionNumber,
  encodeUint,
  getOption,
  getStringOptions,
  getUintOption,
  parseLinkFormat,
} from "@microcoap/codec";
import { CoapEndpoint } from "@microcoap/endpoint";
import { FakeClock, MemoryNetwork } from "@microcoap/transport";
import { CoapServer } from "./server.ts";
import type { CoapRequest } from "./request.ts";
import { rawPeer, setup, str, uri, utf8 } from "./_test_helpers.ts";

const CF = CoapOptionNumber.CONTENT_FORMAT;
const ACCEPT = CoapOptionNumber.ACCEPT;
const uintOpt = (number: number, value: number) => ({
  number,
  value: encodeUint(value),
});

Deno.test("CoapServer routes literal, parameter and wildcard paths", async () => {
  const seen: CoapRequest[] = [];
  const h = await setup({}, {}, (server) => {
    server.get("/hello", () => ({ payload: "hi" }));
    server.get("/users/:id", (r) => {
      seen.push(r);
      return { payload: `user ${r.params.id}` };
    });
    server.get("/users/me", () => ({ payload: "me" }));
    server.get("/files/*", (r) => ({ payload: `file ${r.params["*"]}` }));
    server.get("/", () => ({ payload: "root" }));
  });
  try {
    const hello = await h.request(CoapCode.GET, "/hello");
    assertEquals(hello.code, CoapCode.CONTENT);
    assertEquals(hello.type, "ACK");
    assertEquals(str(hello.payload), "hi");
    assertEquals(getUintOption(hello, CF), 0);
    assertEquals(
      str((await h.request(CoapCode.GET, "/users/42?x=1&y")).payload),
      "user 42",
    );
    assertEquals(seen[0]!.query.get("x"), "1");
    assertEquals(seen[0]!.query.has("y"), true);
    assertEquals(seen[0]!.path, "/users/42");
    assertEquals(seen[0]!.peer, h.client.localAddress);
    assertEquals(
      str((await h.request(CoapCode.GET, "/users/me")).payload),
      "me",
    );
    assertEquals(
      str((await h.request(CoapCode.GET, "/files/a/b.txt")).payload),
      "file a/b.txt",
    );
    assertEquals(
      str((await h.request(CoapCode.GET, "/files")).payload),
      "file ",
    );
    assertEquals(str((await h.request(CoapCode.GET, "/")).payload), "root");
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer answers 4.04 for unknown paths and 4.05 for other methods", async () => {
  const h = await setup({}, {}, (server) => {
    server.get("/a", () => ({ payload: "a" }));
    server.route(["PUT", "POST"], "/b/:x", () => {});
  });
  try {
    assertEquals(
      (await h.request(CoapCode.GET, "/nothing")).code,
      CoapCode.NOT_FOUND,
    );
    assertEquals(
      (await h.request(CoapCode.GET, "/a/b")).code,
      CoapCode.NOT_FOUND,
    );
    assertEquals(
      (await h.request(CoapCode.DELETE, "/a")).code,
      CoapCode.METHOD_NOT_ALLOWED,
    );
    assertEquals(
      (await h.request(CoapCode.GET, "/b/1")).code,
      CoapCode.METHOD_NOT_ALLOWED,
    );
    assertEquals(
      (await h.request(CoapCode.PUT, "/b/1")).code,
      CoapCode.CHANGED,
    );
    // Codes 0.08 to 0.31 are not methods (RFC 7252 §5.8).
    assertEquals(
      (await h.request(0x08, "/a")).code,
      CoapCode.METHOD_NOT_ALLOWED,
    );
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer uses each method's default success code", async () => {
  const h = await setup({}, {}, (server) => {
    server.route("*", "/r", () => {});
    server.post(
      "/items",
      () => ({ locationPath: "/items/7", locationQuery: "v=1" }),
    );
  });
  try {
    const codes: Record<number, number> = {
      [CoapCode.GET]: CoapCode.CONTENT,
      [CoapCode.FETCH]: CoapCode.CONTENT,
      [CoapCode.POST]: CoapCode.CHANGED,
      [CoapCode.PUT]: CoapCode.CHANGED,
      [CoapCode.PATCH]: CoapCode.CHANGED,
      [CoapCode.IPATCH]: CoapCode.CHANGED,
      [CoapCode.DELETE]: CoapCode.DELETED,
    };
    for (const [method, code] of Object.entries(codes)) {
      assertEquals((await h.request(Number(method), "/r")).code, code);
    }
    const created = await h.request(CoapCode.POST, "/items");
    assertEquals(created.code, CoapCode.CREATED);
    assertEquals(getStringOptions(created, CoapOptionNumber.LOCATION_PATH), [
      "items",
      "7",
    ]);
    assertEquals(getStringOptions(created, CoapOptionNumber.LOCATION_QUERY), [
      "v=1",
    ]);
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer never sends two Content-Format, Max-Age or ETag options: raw options win over fields", async () => {
  const h = await setup({}, {}, (server) => {
    server.get("/raw", () => ({
      payload: "text, said to be JSON",
      maxAge: 5,
      etag: new Uint8Array([1]),
      options: [
        uintOpt(CF, 50),
        uintOpt(CoapOptionNumber.MAX_AGE, 9),
        { number: CoapOptionNumber.ETAG, value: new Uint8Array([2, 2]) },
      ],
    }));
  });
  try {
    const response = await h.request(CoapCode.GET, "/raw");
    const numbers = response.options.map((option) => option.number);
    for (
      const number of [CF, CoapOptionNumber.MAX_AGE, CoapOptionNumber.ETAG]
    ) {
      assertEquals(numbers.filter((n) => n === number).length, 1, `${number}`);
    }
    assertEquals(getUintOption(response, CF), 50);
    assertEquals(getUintOption(response, CoapOptionNumber.MAX_AGE), 9);
    assertEquals(
      getOption(response, CoapOptionNumber.ETAG),
      new Uint8Array([2, 2]),
    );
    assertEquals(str(response.payload), "text, said to be JSON");
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer encodes payload descriptions and response options", async () => {
  const h = await setup({}, {}, (server) => {
    server.get("/json", () => ({ payload: { a: [1, 2] }, maxAge: 30 }));
    server.get("/bytes", () => ({
      payload: new Uint8Array([1, 2, 3]),
      etag: new Uint8Array([9, 9]),
      options: [{ number: 65000, value: utf8("x") }],
    }));
    server.get(
      "/code",
      () => ({ code: CoapCode.CREATED, payload: "cbor?", contentFormat: 60 }),
    );
  });
  try {
    const json = await h.request(CoapCode.GET, "/json");
    assertEquals(str(json.payload), '{"a":[1,2]}');
    assertEquals(getUintOption(json, CF), 50);
    assertEquals(getUintOption(json, CoapOptionNumber.MAX_AGE), 30);
    const bytes = await h.request(CoapCode.GET, "/bytes");
    assertEquals(bytes.payload, new Uint8Array([1, 2, 3]));
    assertEquals(getOption(bytes, CF), undefined);
    assertEquals(
      getOption(bytes, CoapOptionNumber.ETAG),
      new Uint8Array([9, 9]),
    );
    assertEquals(getOption(bytes, 65000), utf8("x"));
    const code = await h.request(CoapCode.GET, "/code");
    assertEquals(code.code, CoapCode.CREATED);
    assertEquals(getUintOption(code, CF), 60);
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer answers a GET naming the current ETag with 2.03 Valid", async () => {
  const h = await setup({}, {}, (server) => {
    server.get(
      "/e",
      () => ({ payload: "body", etag: new Uint8Array([1, 2]), maxAge: 9 }),
    );
  });
  try {
    const valid = await h.request(CoapCode.GET, "/e", {
      options: [
        { number: CoapOptionNumber.ETAG, value: new Uint8Array([7]) },
        { number: CoapOptionNumber.ETAG, value: new Uint8Array([1, 2]) },
      ],
    });
    assertEquals(valid.code, CoapCode.VALID);
    assertEquals(valid.payload.length, 0);
    assertEquals(
      getOption(valid, CoapOptionNumber.ETAG),
      new Uint8Array([1, 2]),
    );
    assertEquals(getUintOption(valid, CoapOptionNumber.MAX_AGE), 9);
    assertEquals(getOption(valid, CF), undefined);
    const stale = await h.request(CoapCode.GET, "/e", {
      options: [{ number: CoapOptionNumber.ETAG, value: new Uint8Array([7]) }],
    });
    assertEquals(stale.code, CoapCode.CONTENT);
    assertEquals(str(stale.payload), "body");
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer answers 4.02 for unrecognised critical options and 5.05 for proxy requests", async () => {
  let calls = 0;
  const h = await setup({ recognizedOptions: [65001] }, {}, (server) => {
    server.get("/a", () => {
      calls++;
      return { payload: "a" };
    });
  });
  try {
    const critical = await h.request(CoapCode.GET, "/a", {
      options: [{ number: 2049, value: new Uint8Array([1]) }],
    });
    assertEquals(critical.code, CoapCode.BAD_OPTION);
    const qblock = await h.request(CoapCode.GET, "/a", {
      options: [uintOpt(19, 0)],
    });
    assertEquals(qblock.code, CoapCode.BAD_OPTION);
    const elective = await h.request(CoapCode.GET, "/a", {
      options: [{ number: 2048, value: new Uint8Array([1]) }],
    });
    assertEquals(elective.code, CoapCode.CONTENT);
    const allowed = await h.request(CoapCode.GET, "/a", {
      options: [{ number: 65001, value: new Uint8Array([1]) }],
    });
    assertEquals(allowed.code, CoapCode.CONTENT);
    const proxy = await h.request(CoapCode.GET, "/", {
      options: [{
        number: CoapOptionNumber.PROXY_URI,
        value: utf8("coap://example/a"),
      }],
    });
    assertEquals(proxy.code, CoapCode.PROXYING_NOT_SUPPORTED);
    assertEquals(calls, 2);
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer answers 4.15 for request content formats a route does not accept", async () => {
  const bodies: string[] = [];
  const h = await setup({}, {}, (server) => {
    server.put("/json", (r) => {
      bodies.push(r.text());
    }, { contentFormats: [50, 60] });
  });
  try {
    const put = (
      options: { number: number; value: Uint8Array }[],
      payload?: string,
    ) =>
      h.request(CoapCode.PUT, "/json", {
        options,
        ...(payload ? { payload: utf8(payload) } : {}),
      });
    assertEquals(
      (await put([uintOpt(CF, 0)], "x")).code,
      CoapCode.UNSUPPORTED_CONTENT_FORMAT,
    );
    assertEquals(
      (await put([], "x")).code,
      CoapCode.UNSUPPORTED_CONTENT_FORMAT,
    );
    assertEquals((await put([uintOpt(CF, 50)], "{}")).code, CoapCode.CHANGED);
    assertEquals((await put([uintOpt(CF, 60)], "?")).code, CoapCode.CHANGED);
    assertEquals((await put([])).code, CoapCode.CHANGED);
    assertEquals(bodies, ["{}", "?", ""]);
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer answers 4.06 when Accept cannot be met", async () => {
  let calls = 0;
  const h = await setup({}, {}, (server) => {
    server.get("/multi", (r) => {
      calls++;
      return r.accept === 50 ? { payload: { v: 1 } } : { payload: "v=1" };
    }, { produces: [0, 50] });
    server.get("/text", () => ({ payload: "plain" }));
    server.put("/empty", () => {});
  });
  try {
    const get = (path: string, accept: number) =>
      h.request(CoapCode.GET, path, { options: [uintOpt(ACCEPT, accept)] });
    assertEquals((await get("/multi", 60)).code, CoapCode.NOT_ACCEPTABLE);
    assertEquals(calls, 0);
    const json = await get("/multi", 50);
    assertEquals(getUintOption(json, CF), 50);
    assertEquals(str(json.payload), '{"v":1}');
    assertEquals(getUintOption(await get("/multi", 0), CF), 0);
    // Without `produces`, the handler's answer is checked.
    assertEquals((await get("/text", 50)).code, CoapCode.NOT_ACCEPTABLE);
    assertEquals((await get("/text", 0)).code, CoapCode.CONTENT);
    // No payload: nothing to be unacceptable about.
    const put = await h.request(CoapCode.PUT, "/empty", {
      options: [uintOpt(ACCEPT, 60)],
    });
    assertEquals(put.code, CoapCode.CHANGED);
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer answers 5.00 when a handler throws, rejects or returns garbage, and keeps serving", async () => {
  const h = await setup({}, {}, (server) => {
    server.get("/throw", () => {
      throw new Error("boom");
    });
    server.get("/reject", () => Promise.reject(new Error("async boom")));
    server.get("/garbage", () => 42 as never);
    server.get("/bad-code", () => ({ code: CoapCode.GET }));
    server.get("/ok", () => ({ payload: "fine" }));
  });
  try {
    for (const path of ["/throw", "/reject", "/garbage", "/bad-code"]) {
      assertEquals(
        (await h.request(CoapCode.GET, path)).code,
        CoapCode.INTERNAL_SERVER_ERROR,
      );
    }
    assertEquals(str((await h.request(CoapCode.GET, "/ok")).payload), "fine");
    const errors = h.events.filter((event) => event.kind === "handler-error");
    assertEquals(errors.length, 4);
    assertEquals((errors[0]!.error as Error).message, "boom");
    assertEquals(errors[0]!.path, "/throw");
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer answers 5.00 when a handler gives a JSON-able payload under a non-JSON Content-Format", async () => {
  const h = await setup({}, {}, (server) => {
    // JSON text labelled application/cbor would be garbage to the client.
    server.get("/cbor", () => ({ payload: { a: 1 }, contentFormat: 60 }));
    server.get("/senml", () => ({ payload: [{ v: 1 }], contentFormat: 110 }));
  });
  try {
    const cbor = await h.request(CoapCode.GET, "/cbor");
    assertEquals(cbor.code, CoapCode.INTERNAL_SERVER_ERROR);
    const errors = h.events.filter((event) => event.kind === "handler-error");
    assertEquals(errors.length, 1);
    assertEquals(errors[0]!.path, "/cbor");
    assertInstanceOf(errors[0]!.error, TypeError);
    const senml = await h.request(CoapCode.GET, "/senml");
    assertEquals(getUintOption(senml, CF), 110);
    assertEquals(str(senml.payload), '[{"v":1}]');
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer answers 4.00 for a malformed block option and 4.02 for an overlong one", async () => {
  let calls = 0;
  const h = await setup({}, {}, (server) => {
    server.put("/up", () => {
      calls++;
    });
    server.get("/down", () => ({ payload: "x" }));
  });
  try {
    const reserved = {
      number: CoapOptionNumber.BLOCK1,
      value: new Uint8Array([0x0f]),
    };
    assertEquals(
      (await h.request(CoapCode.PUT, "/up", {
        options: [reserved],
        payload: utf8("a"),
      })).code,
      CoapCode.BAD_REQUEST,
    );
    const reserved2 = {
      number: CoapOptionNumber.BLOCK2,
      value: new Uint8Array([0x07]),
    };
    assertEquals(
      (await h.request(CoapCode.GET, "/down", { options: [reserved2] })).code,
      CoapCode.BAD_REQUEST,
    );
    // The codec will not encode a 4-byte Block2, so send the bytes by hand.
    const peer = rawPeer(h.network);
    peer.sendBytes(
      h.address,
      new Uint8Array([
        0x40,
        0x01,
        0,
        1,
        0xb4,
        ...utf8("down"),
        0xc4,
        0,
        0,
        0,
        6,
      ]),
    );
    await h.clock.tick(0);
    assertEquals(peer.received[0]?.code, CoapCode.BAD_OPTION);
    await peer.close();
    assertEquals(calls, 0);
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer answers NON requests with NON responses", async () => {
  const h = await setup(
    {},
    {},
    (server) => server.get("/n", () => ({ payload: "non" })),
  );
  try {
    const response = await h.request(CoapCode.GET, "/n", {
      confirmable: false,
    });
    assertEquals(response.type, "NON");
    assertEquals(str(response.payload), "non");
    const missing = await h.request(CoapCode.GET, "/missing", {
      confirmable: false,
    });
    assertEquals(missing.type, "NON");
    assertEquals(missing.code, CoapCode.NOT_FOUND);
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer runs the handler once for duplicated requests and replays the response", async () => {
  let calls = 0;
  const h = await setup({}, {}, (server) =>
    server.post("/count", () => {
      calls++;
      return { payload: `call ${calls}` };
    }));
  const peer = rawPeer(h.network);
  try {
    const request = {
      code: CoapCode.POST,
      messageId: 0x1234,
      token: new Uint8Array([1, 2]),
      options: uri("/count"),
    };
    peer.send(h.address, { type: "CON", ...request });
    await h.clock.tick(0);
    peer.send(h.address, { type: "CON", ...request });
    await h.clock.tick(1000);
    peer.send(h.address, { type: "NON", ...request, messageId: 0x2000 });
    peer.send(h.address, { type: "NON", ...request, messageId: 0x2000 });
    await h.clock.tick(0);
    assertEquals(calls, 2);
    const [first, second, third] = peer.received;
    assertEquals(peer.received.length, 3);
    assertEquals(first!.type, "ACK");
    assertEquals(second, first);
    assertEquals(str(first!.payload), "call 1");
    assertEquals(third!.type, "NON");
    assertEquals(str(third!.payload), "call 2");
  } finally {
    await peer.close();
    await h.close();
  }
});

Deno.test("CoapServer piggybacks quick async answers and sends slow ones separately", async () => {
  let release: (() => void) | undefined;
  const h = await setup({ separateResponseDelay: 300 }, {}, (server) => {
    server.get("/quick", async () => {
      await Promise.resolve();
      return { payload: "quick" };
    });
    server.get("/slow", () =>
      new Promise((resolve) => {
        release = () => resolve({ payload: "slow" });
      }));
  });
  const peer = rawPeer(h.network);
  try {
    const quick = await h.request(CoapCode.GET, "/quick");
    assertEquals(quick.type, "ACK");
    assertEquals(str(quick.payload), "quick");

    peer.send(h.address, {
      type: "CON",
      code: CoapCode.GET,
      messageId: 77,
      token: new Uint8Array([5, 6, 7]),
      options: uri("/slow"),
    });
    await h.clock.tick(299);
    assertEquals(peer.received.length, 0);
    await h.clock.tick(1);
    assertEquals(peer.received.length, 1);
    const ack = peer.received[0]!;
    assertEquals([ack.type, ack.code, ack.messageId, ack.token.length], [
      "ACK",
      0,
      77,
      0,
    ]);
    await h.clock.tick(5000);
    release!();
    await h.clock.tick(0);
    const separate = peer.received[1]!;
    assertEquals(separate.type, "CON");
    assertEquals(separate.code, CoapCode.CONTENT);
    assertEquals(separate.token, new Uint8Array([5, 6, 7]));
    assertEquals(str(separate.payload), "slow");
    peer.send(h.address, {
      type: "ACK",
      code: 0,
      messageId: separate.messageId,
    });
    await h.clock.tick(60_000);
    assertEquals(peer.received.length, 2); // acknowledged: no retransmission
  } finally {
    await peer.close();
    await h.close();
  }
});

Deno.test("CoapServer separate responses reach a CoapEndpoint client", async () => {
  const h = await setup({}, {}, (server) => {
    server.get("/later", async () => {
      await new Promise<void>((resolve) => h.clock.setTimeout(resolve, 1500));
      return { payload: "done" };
    });
  });
  try {
    const response = await h.request(CoapCode.GET, "/later");
    assertEquals(response.type, "CON");
    assertEquals(str(response.payload), "done");
    assert(
      h.clientLog.some((sent) =>
        sent.message.type === "ACK" && sent.message.code === 0
      ),
    );
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer serves /.well-known/core from the routes, with filters", async () => {
  const h = await setup({}, {}, (server) => {
    server.get("/sensors/temp", () => ({ payload: "21" }), {
      rt: "temperature-c",
      if: "sensor",
      ct: 0,
      observable: true,
      title: "Temperature",
    });
    server.put("/sensors/temp", () => {});
    server.get("/sensors/light", () => ({ payload: "300" }), {
      rt: ["light-lux", "core.s"],
      sz: 12,
      produces: [0, 50],
    });
    server.get("/secret", () => {}, { hidden: true });
    server.get("/items/:id", () => {});
    server.get("/files/*", () => {}, { href: "/files", rt: "dir" });
    server.get("/extra", () => {}, { attributes: { foo: "bar", n: 3 } });
  });
  try {
    const all = await h.request(CoapCode.GET, "/.well-known/core");
    assertEquals(all.code, CoapCode.CONTENT);
    assertEquals(getUintOption(all, CF), 40);
    assertEquals(
      str(all.payload),
      '</sensors/temp>;rt="temperature-c";if="sensor";ct=0;title="Temperature";obs,' +
        '</sensors/light>;rt="light-lux core.s";ct="0 50";sz=12,' +
        '</files>;rt="dir",</extra>;foo="bar";n=3',
    );
    const hrefs = async (query: string) =>
      parseLinkFormat(
        str(
          (await h.request(CoapCode.GET, "/.well-known/core?" + query)).payload,
        ),
      )
        .map((link) => link.href);
    assertEquals(await hrefs("rt=temperature-c"), ["/sensors/temp"]);
    assertEquals(await hrefs("rt=light*"), ["/sensors/light"]);
    assertEquals(await hrefs("rt=core.s"), ["/sensors/light"]);
    assertEquals(await hrefs("href=/sensors*"), [
      "/sensors/temp",
      "/sensors/light",
    ]);
    assertEquals(await hrefs("href=/files"), ["/files"]);
    assertEquals(await hrefs("if=sensor"), ["/sensors/temp"]);
    assertEquals(await hrefs("ct=50"), ["/sensors/light"]);
    assertEquals(await hrefs("title=Temp*"), ["/sensors/temp"]);
    assertEquals(await hrefs("obs"), ["/sensors/temp"]);
    assertEquals(await hrefs("foo=bar"), ["/extra"]);
    assertEquals(await hrefs("rt=nothing"), []);
    assertEquals(
      (await h.request(CoapCode.POST, "/.well-known/core")).code,
      CoapCode.METHOD_NOT_ALLOWED,
    );
    assertEquals(
      (await h.request(CoapCode.GET, "/.well-known/core", {
        options: [uintOpt(ACCEPT, 50)],
      }))
        .code,
      CoapCode.NOT_ACCEPTABLE,
    );
    assertEquals(
      (await h.request(CoapCode.GET, "/.well-known/core", {
        options: [uintOpt(ACCEPT, 40)],
      }))
        .code,
      CoapCode.CONTENT,
    );
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer discovery can be turned off or replaced by a route", async () => {
  const off = await setup({ discovery: false });
  try {
    assertEquals(
      (await off.request(CoapCode.GET, "/.well-known/core")).code,
      CoapCode.NOT_FOUND,
    );
  } finally {
    await off.close();
  }
  const own = await setup({}, {}, (server) => {
    server.get(
      "/.well-known/core",
      () => ({ payload: "</custom>", contentFormat: 40 }),
    );
  });
  try {
    assertEquals(
      str((await own.request(CoapCode.GET, "/.well-known/core")).payload),
      "</custom>",
    );
  } finally {
    await own.close();
  }
});

Deno.test("CoapResource.remove() takes the route out of routing and discovery", async () => {
  const h = await setup();
  try {
    const gone = h.server.get("/gone", () => ({ payload: "here" }));
    assertEquals(
      (await h.request(CoapCode.GET, "/gone")).code,
      CoapCode.CONTENT,
    );
    gone.remove();
    assertEquals(
      (await h.request(CoapCode.GET, "/gone")).code,
      CoapCode.NOT_FOUND,
    );
    assertEquals(h.server.links(), []);
  } finally {
    await h.close();
  }
});

Deno.test("CoapServer validates options and routes", () => {
  assertThrows(
    () => new CoapServer({ blockSize: 100 }),
    RangeError,
    "blockSize is 100",
  );
  assertThrows(
    () => new CoapServer({ maxObservers: 0 }),
    RangeError,
    "maxObservers is 0",
  );
  assertThrows(
    () => new CoapServer({ maxBodySize: 1.5 }),
    RangeError,
    "maxBodySize",
  );
  assertThrows(
    () => new CoapServer({ maxTransfers: -1 }),
    RangeError,
    "maxTransfers",
  );
  const server = new CoapServer();
  assertThrows(
    () => server.get("/a", "nope" as never),
    TypeError,
    "handler is not a function",
  );
  assertThrows(
    () => server.get("a", () => {}),
    TypeError,
    'does not start with "/"',
  );
  server.get("/a", () => {});
  assertThrows(() => server.get("/a", () => {}), TypeError, "already answers");
});

Deno.test("CoapServer.listen() resolves once with the address; close() releases the transport", async () => {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const transport = network.bind({ port: 5683 });
  const server = new CoapServer({ transport, clock });
  server.get("/a", () => ({ payload: "a" }));
  const address = await server.listen();
  assertEquals(address, { hostname: "127.0.0.1", port: 5683 });
  assertEquals(await server.listen(), address);
  assertEquals(server.address, address);
  assert(server.endpoint instanceof CoapEndpoint);
  await server.close();
  await server.close();
  assert(server.closed);
  await assertRejects(() => server.listen(), Error, "closed");
  // The port is free again.
  const again = network.bind({ port: 5683 });
  await again.close();
  network.close();
});

Deno.test("CoapServer closes a given transport even if it never listened", async () => {
  const network = new MemoryNetwork();
  const transport = network.bind({ port: 7000 });
  {
    await using _server = new CoapServer({ transport });
  }
  const again = network.bind({ port: 7000 });
  await again.close();
  network.close();
});

Deno.test("CoapServer answers 5.03 past maxPendingRequests", async () => {
  const releases: (() => void)[] = [];
  const h = await setup({ maxPendingRequests: 1 }, { nstart: 2 }, (server) => {
    server.get(
      "/wait",
      () =>
        new Promise((resolve) =>
          releases.push(() => resolve({ payload: "ok" }))
        ),
    );
  });
  try {
    const first = h.client.request(h.address, {
      code: CoapCode.GET,
      options: uri("/wait"),
    });
    await h.clock.tick(0);
    const second = await h.request(CoapCode.GET, "/wait");
    assertEquals(second.code, CoapCode.SERVICE_UNAVAILABLE);
    releases[0]!();
    assertEquals(str((await h.settle(first)).payload), "ok");
  } finally {
    await h.close();
  }
});
