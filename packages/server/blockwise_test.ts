// Copyright 2026 the microcoap authors. MIT license.
import { assert, assertEquals } from "@std/assert";
import {
  CoapCode,
  CoapOptionNumber,
  decodeBlock,
  encodeBlock,
  encodeUint,
  getOption,
  getUintOption,
} from "@microcoap/codec";
import type { BlockValue, CoapMessage, CoapOption } from "@microcoap/codec";
import { setup, str, utf8 } from "./_test_helpers.ts";
import type { Harness } from "./_test_helpers.ts";

const B1 = CoapOptionNumber.BLOCK1;
const B2 = CoapOptionNumber.BLOCK2;
const block = (number: number, value: BlockValue): CoapOption => ({
  number,
  value: encodeBlock(value),
});
const blockOf = (message: CoapMessage, number: number) => {
  const value = getOption(message, number);
  return value === undefined ? undefined : decodeBlock(value);
};

function body(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + (i >> 8)) & 0xff;
  return out;
}

/** Fetches a resource block by block, checking every block's options. */
async function fetchBlocks(
  h: Harness,
  path: string,
  szx: number | undefined,
  code: number = CoapCode.GET,
): Promise<{ bytes: Uint8Array; blocks: CoapMessage[] }> {
  const blocks: CoapMessage[] = [];
  const chunks: Uint8Array[] = [];
  for (let num = 0;; num++) {
    const options = szx === undefined && num === 0 ? [] : [
      block(B2, { num, more: false, szx: szx ?? blockOf(blocks[0]!, B2)!.szx }),
    ];
    const response = await h.request(code, path, { options });
    assertEquals(response.code >>> 5, 2, `block ${num}: code ${response.code}`);
    blocks.push(response);
    chunks.push(response.payload);
    const b2 = blockOf(response, B2);
    if (b2 === undefined) {
      assertEquals(num, 0);
      break;
    }
    assertEquals(b2.num, num);
    if (b2.more) assertEquals(response.payload.length, 16 << b2.szx);
    else {
      assert(response.payload.length <= 16 << b2.szx);
      break;
    }
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return { bytes, blocks };
}

Deno.test("block2: 0, 1, N×size and N×size+1 bytes in every block size from 16 to 1024", async () => {
  const bodies = new Map<string, Uint8Array>();
  const h = await setup({}, {}, (server) => {
    server.get("/b/:n", (r) => ({ payload: bodies.get(r.params.n!)! }));
  });
  try {
    for (let szx = 0; szx <= 6; szx++) {
      const size = 16 << szx;
      for (const length of [0, 1, 3 * size, 3 * size + 1]) {
        const key = `${szx}-${length}`;
        bodies.set(key, body(length));
        const { bytes, blocks } = await fetchBlocks(h, `/b/${key}`, szx);
        assertEquals(bytes, bodies.get(key), key);
        const blockCount = Math.max(1, Math.ceil(length / size));
        assertEquals(blocks.length, blockCount, key);
        const last = blockOf(blocks.at(-1)!, B2)!;
        assertEquals(last.more, false);
        if (length === 3 * size) {
          assertEquals(blocks.at(-1)!.payload.length, size);
        }
        if (blockCount > 1) {
          assertEquals(
            getUintOption(blocks[0]!, CoapOptionNumber.SIZE2),
            length,
          );
          const etag = getOption(blocks[0]!, CoapOptionNumber.ETAG);
          assert(etag !== undefined);
          for (const b of blocks) {
            assertEquals(getOption(b, CoapOptionNumber.ETAG), etag);
          }
        }
      }
    }
  } finally {
    await h.close();
  }
});

Deno.test("block2: the server splits at its own block size when the client does not ask", async () => {
  for (const blockSize of [16, 64, 1024]) {
    const h = await setup({ blockSize }, {}, (server) => {
      server.get("/fit", () => ({ payload: body(blockSize) }));
      server.get("/big", () => ({ payload: body(blockSize * 2 + 5) }));
    });
    try {
      const fit = await h.request(CoapCode.GET, "/fit");
      assertEquals(getOption(fit, B2), undefined);
      assertEquals(fit.payload.length, blockSize);
      const { bytes, blocks } = await fetchBlocks(h, "/big", undefined);
      assertEquals(bytes, body(blockSize * 2 + 5));
      assertEquals(blocks.length, 3);
      assertEquals(blockOf(blocks[0]!, B2), {
        num: 0,
        more: true,
        szx: Math.log2(blockSize) - 4,
      });
    } finally {
      await h.close();
    }
  }
});

Deno.test("block2: a larger requested block size is reduced, keeping the offset", async () => {
  const data = body(1000);
  const h = await setup(
    { blockSize: 64 },
    {},
    (server) => server.get("/d", () => ({ payload: data })),
  );
  try {
    // Block 1 of 256 bytes starts at 256 = block 4 of 64.
    const response = await h.request(CoapCode.GET, "/d", {
      options: [block(B2, { num: 1, more: false, szx: 4 })],
    });
    assertEquals(blockOf(response, B2), { num: 4, more: true, szx: 2 });
    assertEquals(response.payload, data.subarray(256, 320));
    // A smaller size mid-transfer is fine too.
    const small = await h.request(CoapCode.GET, "/d", {
      options: [block(B2, { num: 62, more: false, szx: 0 })],
    });
    assertEquals(blockOf(small, B2), { num: 62, more: false, szx: 0 });
    assertEquals(small.payload, data.subarray(992, 1000));
  } finally {
    await h.close();
  }
});

Deno.test("block2: a block past the end gets 4.02, Size2 comes when asked for", async () => {
  const h = await setup(
    {},
    {},
    (server) => server.get("/d", () => ({ payload: body(100) })),
  );
  try {
    const past = await h.request(CoapCode.GET, "/d", {
      options: [block(B2, { num: 7, more: false, szx: 4 })],
    });
    assertEquals(past.code, CoapCode.BAD_OPTION);
    const second = await h.request(CoapCode.GET, "/d", {
      options: [block(B2, { num: 1, more: false, szx: 1 }), {
        number: CoapOptionNumber.SIZE2,
        value: encodeUint(0),
      }],
    });
    assertEquals(getUintOption(second, CoapOptionNumber.SIZE2), 100);
    const whole = await h.request(CoapCode.GET, "/d", {
      options: [{ number: CoapOptionNumber.SIZE2, value: encodeUint(0) }],
    });
    assertEquals(getOption(whole, B2), undefined);
    assertEquals(getUintOption(whole, CoapOptionNumber.SIZE2), 100);
  } finally {
    await h.close();
  }
});

Deno.test("block2: further blocks of a POST response come from a cache, the handler runs once", async () => {
  let calls = 0;
  const h = await setup(
    { blockSize: 32 },
    {},
    (server) =>
      server.post("/report", () => {
        calls++;
        return { payload: body(100) };
      }),
  );
  try {
    const { bytes } = await fetchBlocks(h, "/report", undefined, CoapCode.POST);
    assertEquals(bytes, body(100));
    assertEquals(calls, 1);
    // Without the first request (or after the cache expired) there is nothing to serve.
    await h.clock.tick(300_000);
    const late = await h.request(CoapCode.POST, "/report", {
      options: [block(B2, { num: 1, more: false, szx: 1 })],
    });
    assertEquals(late.code, CoapCode.REQUEST_ENTITY_INCOMPLETE);
    assertEquals(calls, 1);
  } finally {
    await h.close();
  }
});

Deno.test("block2: further blocks of a FETCH response asked for without the body come from a cache", async () => {
  let calls = 0;
  const h = await setup(
    { blockSize: 32 },
    {},
    (server) =>
      server.fetch("/query", (request) => {
        calls++;
        // The answer depends on the request body, as FETCH answers do.
        return { payload: body(40 + request.payload.length) };
      }),
  );
  try {
    const first = await h.request(CoapCode.FETCH, "/query", {
      payload: body(60),
    });
    assertEquals(blockOf(first, B2), { num: 0, more: true, szx: 1 });
    // libcoap (and RFC 7959 §3.3) ask for the next blocks without the body.
    const chunks = [first.payload];
    for (let num = 1; num < 4; num++) {
      const next = await h.request(CoapCode.FETCH, "/query", {
        options: [block(B2, { num, more: false, szx: 1 })],
      });
      assertEquals(next.code, CoapCode.CONTENT, `block ${num}`);
      assertEquals(
        getOption(next, CoapOptionNumber.ETAG),
        getOption(first, CoapOptionNumber.ETAG),
      );
      chunks.push(next.payload);
    }
    assertEquals(new Uint8Array(chunks.flatMap((c) => [...c])), body(100));
    assertEquals(calls, 1);
    // A client that repeats the body gets the block of a fresh answer.
    const again = await h.request(CoapCode.FETCH, "/query", {
      options: [block(B2, { num: 1, more: false, szx: 1 })],
      payload: body(60),
    });
    assertEquals(again.payload, body(100).subarray(32, 64));
    assertEquals(calls, 2);
    // Once the cache expired, a block without the body cannot be answered.
    await h.clock.tick(300_000);
    const late = await h.request(CoapCode.FETCH, "/query", {
      options: [block(B2, { num: 1, more: false, szx: 1 })],
    });
    assertEquals(late.code, CoapCode.REQUEST_ENTITY_INCOMPLETE);
    assertEquals(calls, 2);
  } finally {
    await h.close();
  }
});

/** Uploads a body block by block; returns every response. */
async function upload(
  h: Harness,
  path: string,
  data: Uint8Array,
  szx: number,
  extra: CoapOption[] = [],
): Promise<CoapMessage[]> {
  const responses: CoapMessage[] = [];
  let offset = 0;
  let size = 16 << szx;
  while (true) {
    const chunk = data.subarray(offset, offset + size);
    const more = offset + size < data.length;
    const response = await h.request(CoapCode.PUT, path, {
      options: [
        block(B1, { num: offset / size, more, szx: Math.log2(size) - 4 }),
        ...extra,
      ],
      payload: chunk,
    });
    responses.push(response);
    if (!more || response.code !== CoapCode.CONTINUE) return responses;
    const echoed = blockOf(response, B1)!;
    assertEquals(echoed.more, true);
    offset += chunk.length;
    size = Math.min(size, 16 << echoed.szx);
  }
}

Deno.test("block1: blocks are reassembled and the handler runs once with the whole body", async () => {
  const received: Uint8Array[] = [];
  const h = await setup({}, {}, (server) =>
    server.put("/up", (r) => {
      received.push(r.payload);
      return { payload: `got ${r.payload.length}` };
    }));
  try {
    for (const length of [1, 64, 64 * 5, 64 * 5 + 1]) {
      const responses = await upload(h, "/up", body(length), 2);
      const blocks = Math.ceil(length / 64);
      assertEquals(responses.length, blocks);
      for (let i = 0; i < blocks - 1; i++) {
        assertEquals(responses[i]!.code, CoapCode.CONTINUE);
        assertEquals(blockOf(responses[i]!, B1), {
          num: i,
          more: true,
          szx: 2,
        });
      }
      const last = responses.at(-1)!;
      assertEquals(last.code, CoapCode.CHANGED);
      assertEquals(blockOf(last, B1), { num: blocks - 1, more: false, szx: 2 });
      assertEquals(str(last.payload), `got ${length}`);
      assertEquals(received.at(-1), body(length));
    }
    assertEquals(received.length, 4);
  } finally {
    await h.close();
  }
});

Deno.test("block1: the server can ask for smaller blocks", async () => {
  let got: Uint8Array | undefined;
  const h = await setup(
    { blockSize: 32 },
    {},
    (server) => server.put("/up", (r) => void (got = r.payload)),
  );
  try {
    const data = body(3000);
    const responses = await upload(h, "/up", data, 6);
    // 1024 bytes at first, acknowledged as block 0 with the smaller size,
    // then 32-byte blocks from block 32 on.
    assertEquals(blockOf(responses[0]!, B1), { num: 0, more: true, szx: 1 });
    assertEquals(responses.length, 1 + Math.ceil((3000 - 1024) / 32));
    assertEquals(responses.at(-1)!.code, CoapCode.CHANGED);
    assertEquals(got, data);
  } finally {
    await h.close();
  }
});

Deno.test("block1: a smaller block size is asked for in the 2.31 that acknowledges the block as numbered (RFC 7959 example: PUT with negotiation)", async () => {
  let got: Uint8Array | undefined;
  const h = await setup(
    { blockSize: 32 },
    {},
    (server) => server.put("/options", (r) => void (got = r.payload)),
  );
  try {
    const data = body(180);
    const put = (num: number, more: boolean, szx: number, from: number) =>
      h.request(CoapCode.PUT, "/options", {
        options: [block(B1, { num, more, szx })],
        payload: data.subarray(from, from + (16 << szx)),
      });
    // 1:0/1/128 -> 2.31 1:0/1/32; then 1:4/1/32 -> 2.31 1:4/1/32 ...
    const first = await put(0, true, 3, 0);
    assertEquals(first.code, CoapCode.CONTINUE);
    assertEquals(blockOf(first, B1), { num: 0, more: true, szx: 1 });
    const second = await put(4, true, 1, 128);
    assertEquals(second.code, CoapCode.CONTINUE);
    assertEquals(blockOf(second, B1), { num: 4, more: true, szx: 1 });
    const last = await put(5, false, 1, 160);
    assertEquals(last.code, CoapCode.CHANGED);
    assertEquals(blockOf(last, B1), { num: 5, more: false, szx: 1 });
    assertEquals(got, data);
  } finally {
    await h.close();
  }
});

Deno.test("block1: gaps and out-of-order blocks get 4.08, short middle blocks 4.00", async () => {
  let calls = 0;
  const h = await setup(
    {},
    {},
    (server) => server.put("/up", () => void calls++),
  );
  try {
    const put = (num: number, more: boolean, length = 16) =>
      h.request(CoapCode.PUT, "/up", {
        options: [block(B1, { num, more, szx: 0 })],
        payload: body(length),
      });
    assertEquals((await put(1, true)).code, CoapCode.REQUEST_ENTITY_INCOMPLETE);
    assertEquals((await put(0, true)).code, CoapCode.CONTINUE);
    assertEquals((await put(2, true)).code, CoapCode.REQUEST_ENTITY_INCOMPLETE);
    // The transfer was dropped: its next block is incomplete too.
    assertEquals(
      (await put(1, false)).code,
      CoapCode.REQUEST_ENTITY_INCOMPLETE,
    );
    assertEquals((await put(0, true)).code, CoapCode.CONTINUE);
    assertEquals((await put(1, true, 10)).code, CoapCode.BAD_REQUEST);
    assertEquals((await put(0, false, 17)).code, CoapCode.BAD_REQUEST);
    // Restarting at block 0 begins afresh.
    assertEquals((await put(0, true)).code, CoapCode.CONTINUE);
    assertEquals((await put(0, true)).code, CoapCode.CONTINUE);
    assertEquals((await put(1, false, 3)).code, CoapCode.CHANGED);
    assertEquals(calls, 1);
  } finally {
    await h.close();
  }
});

Deno.test("block1: a body over maxBodySize gets 4.13 with Size1", async () => {
  let calls = 0;
  const h = await setup(
    { maxBodySize: 100 },
    {},
    (server) => server.put("/up", () => void calls++),
  );
  try {
    const responses = await upload(h, "/up", body(200), 2);
    assertEquals(responses.map((r) => r.code), [
      CoapCode.CONTINUE,
      CoapCode.REQUEST_ENTITY_TOO_LARGE,
    ]);
    assertEquals(getUintOption(responses[1]!, CoapOptionNumber.SIZE1), 100);
    // Announced with Size1: refused at once.
    const announced = await upload(h, "/up", body(200), 2, [{
      number: CoapOptionNumber.SIZE1,
      value: encodeUint(200),
    }]);
    assertEquals(announced.length, 1);
    assertEquals(announced[0]!.code, CoapCode.REQUEST_ENTITY_TOO_LARGE);
    assertEquals(getUintOption(announced[0]!, CoapOptionNumber.SIZE1), 100);
    // Unblocked bodies are bounded as well.
    const whole = await h.request(CoapCode.PUT, "/up", { payload: body(101) });
    assertEquals(whole.code, CoapCode.REQUEST_ENTITY_TOO_LARGE);
    assertEquals(
      (await upload(h, "/up", body(100), 2)).at(-1)!.code,
      CoapCode.CHANGED,
    );
    assertEquals(calls, 1);
  } finally {
    await h.close();
  }
});

Deno.test("block2: cached responses of unsafe methods are bounded by maxTransfers, the oldest dropped", async () => {
  let calls = 0;
  const h = await setup(
    { blockSize: 16, maxTransfers: 2 },
    {},
    (server) =>
      server.post("/report", () => {
        calls++;
        return { payload: body(100) };
      }),
  );
  try {
    for (const n of [1, 2, 3]) {
      const first = await h.request(CoapCode.POST, `/report?n=${n}`);
      assertEquals(blockOf(first, B2), { num: 0, more: true, szx: 0 });
    }
    const second = (n: number) =>
      h.request(CoapCode.POST, `/report?n=${n}`, {
        options: [block(B2, { num: 1, more: false, szx: 0 })],
      });
    assertEquals((await second(1)).code, CoapCode.REQUEST_ENTITY_INCOMPLETE);
    for (const n of [2, 3]) {
      const next = await second(n);
      assertEquals(next.code, CoapCode.CHANGED);
      assertEquals(next.payload, body(100).subarray(16, 32));
    }
    assertEquals(calls, 3);
  } finally {
    await h.close();
  }
});

Deno.test("block1: abandoned transfers expire after EXCHANGE_LIFETIME", async () => {
  const h = await setup({}, {}, (server) => server.put("/up", () => {}));
  try {
    const first = await h.request(CoapCode.PUT, "/up", {
      options: [block(B1, { num: 0, more: true, szx: 0 })],
      payload: body(16),
    });
    assertEquals(first.code, CoapCode.CONTINUE);
    await h.clock.tick(247_000);
    assert(h.events.some((event) => event.kind === "transfer-expired"));
    const late = await h.request(CoapCode.PUT, "/up", {
      options: [block(B1, { num: 1, more: false, szx: 0 })],
      payload: body(4),
    });
    assertEquals(late.code, CoapCode.REQUEST_ENTITY_INCOMPLETE);
  } finally {
    await h.close();
  }
});

Deno.test("block1: the number of unfinished transfers is bounded; Request-Tag keeps them apart", async () => {
  const bodies: string[] = [];
  const h = await setup(
    { maxTransfers: 2 },
    {},
    (server) => server.put("/up", (r) => void bodies.push(r.text())),
  );
  try {
    const tag = (t: number): CoapOption => ({
      number: CoapOptionNumber.REQUEST_TAG,
      value: new Uint8Array([t]),
    });
    const start = (t: number, text: string) =>
      h.request(CoapCode.PUT, "/up", {
        options: [block(B1, { num: 0, more: true, szx: 0 }), tag(t)],
        payload: utf8(text.padEnd(16, ".")),
      });
    assertEquals((await start(1, "one")).code, CoapCode.CONTINUE);
    assertEquals((await start(2, "two")).code, CoapCode.CONTINUE);
    const busy = await start(3, "three");
    assertEquals(busy.code, CoapCode.SERVICE_UNAVAILABLE);
    assert(getUintOption(busy, CoapOptionNumber.MAX_AGE)! > 0);
    const finish = (t: number, text: string) =>
      h.request(CoapCode.PUT, "/up", {
        options: [block(B1, { num: 1, more: false, szx: 0 }), tag(t)],
        payload: utf8(text),
      });
    assertEquals((await finish(2, "!")).code, CoapCode.CHANGED);
    assertEquals((await finish(1, "?")).code, CoapCode.CHANGED);
    assertEquals(bodies, ["two.............!", "one.............?"]);
    assertEquals((await start(3, "three")).code, CoapCode.CONTINUE);
  } finally {
    await h.close();
  }
});

Deno.test("block1: interleaved uploads from one peer to other queries or Content-Formats never mix (RFC 9175 §3.3 matchable blocks), whatever their tokens", async () => {
  const bodies: string[] = [];
  const h = await setup(
    {},
    {},
    (server) =>
      server.put("/up", (r) =>
        void bodies.push(
          `${r.query} ${r.contentFormat} ${r.text()}`,
        )),
  );
  try {
    const cf = (n: number): CoapOption => ({
      number: CoapOptionNumber.CONTENT_FORMAT,
      value: encodeUint(n),
    });
    // Every request gets a new token from the endpoint.
    const send = (
      path: string,
      format: number,
      num: number,
      more: boolean,
      text: string,
    ) =>
      h.request(CoapCode.PUT, path, {
        options: [cf(format), block(B1, { num, more, szx: 0 })],
        payload: utf8(text),
      });
    assertEquals(
      (await send("/up?a=1", 0, 0, true, "a".repeat(16))).code,
      CoapCode.CONTINUE,
    );
    assertEquals(
      (await send("/up?b=2", 0, 0, true, "b".repeat(16))).code,
      CoapCode.CONTINUE,
    );
    assertEquals(
      (await send("/up?a=1", 50, 0, true, "c".repeat(16))).code,
      CoapCode.CONTINUE,
    );
    assertEquals(
      (await send("/up?a=1", 0, 1, false, "A")).code,
      CoapCode.CHANGED,
    );
    assertEquals(
      (await send("/up?b=2", 0, 1, false, "B")).code,
      CoapCode.CHANGED,
    );
    assertEquals(
      (await send("/up?a=1", 50, 1, false, "C")).code,
      CoapCode.CHANGED,
    );
    assertEquals(bodies, [
      "a=1 0 " + "a".repeat(16) + "A",
      "b=2 0 " + "b".repeat(16) + "B",
      "a=1 50 " + "c".repeat(16) + "C",
    ]);
    // A block of another request (here: another query) is no continuation.
    assertEquals(
      (await send("/up?a=1", 0, 0, true, "a".repeat(16))).code,
      CoapCode.CONTINUE,
    );
    assertEquals(
      (await send("/up?a=2", 0, 1, false, "A")).code,
      CoapCode.REQUEST_ENTITY_INCOMPLETE,
    );
  } finally {
    await h.close();
  }
});

Deno.test("block1 and block2 together: a large upload answered with a large response", async () => {
  let calls = 0;
  const h = await setup(
    { blockSize: 64 },
    {},
    (server) =>
      server.put("/echo", (r) => {
        calls++;
        return { payload: r.payload, contentFormat: 42 };
      }),
  );
  try {
    const data = body(300);
    const responses = await upload(h, "/echo", data, 2);
    const last = responses.at(-1)!;
    assertEquals(last.code, CoapCode.CHANGED);
    assertEquals(blockOf(last, B1), { num: 4, more: false, szx: 2 });
    assertEquals(blockOf(last, B2), { num: 0, more: true, szx: 2 });
    let echoed = last.payload;
    for (let num = 1;; num++) {
      const next = await h.request(CoapCode.PUT, "/echo", {
        options: [block(B2, { num, more: false, szx: 2 })],
      });
      assertEquals(next.code, CoapCode.CHANGED);
      assertEquals(getOption(next, B1), undefined);
      echoed = new Uint8Array([...echoed, ...next.payload]);
      if (!blockOf(next, B2)!.more) break;
    }
    assertEquals(echoed, data);
    assertEquals(calls, 1);
  } finally {
    await h.close();
  }
});

Deno.test("block-wise transfers survive loss, duplication and reordering", async () => {
  const uploads: Uint8Array[] = [];
  const data = body(5000);
  const h = await setup({ blockSize: 256 }, {}, (server) => {
    server.get("/big", () => ({ payload: data }));
    server.put("/big", (r) => void uploads.push(r.payload));
  });
  try {
    h.network.setDefault({
      loss: 0.2,
      duplicate: 0.2,
      reorder: { probability: 0.3, delay: 300 },
      delay: { min: 1, max: 40 },
    });
    const { bytes } = await fetchBlocks(h, "/big", 4);
    assertEquals(bytes, data);
    const responses = await upload(h, "/big", data, 4);
    assertEquals(responses.at(-1)!.code, CoapCode.CHANGED);
    assertEquals(uploads.length, 1);
    assertEquals(uploads[0], data);
    assert(h.network.stats.dropped > 0);
  } finally {
    await h.close();
  }
});
