// Copyright 2026 the microcoap authors. MIT license.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
} from "@std/assert";
import {
  CoapCode,
  CoapOptionNumber,
  decodeUint,
  encodeBlock,
  encodeUint,
  getOption,
} from "@microcoap/codec";
import type { CoapMessage, CoapOption } from "@microcoap/codec";
import type { ResponseInit } from "@microcoap/endpoint";
import { CoapBlockwiseError } from "./mod.ts";
import type { CoapProgress } from "./mod.ts";
import {
  block1Of,
  block2Of,
  body,
  run,
  serveBlock,
  SERVER_URL,
  settle,
  setup,
  sorted,
} from "./_test_helpers.ts";

const SIZES = [16, 32, 64, 128, 256, 512, 1024];

Deno.test("get() reassembles Block2 responses of 0, 1, N×size and N×size+1 bytes for every block size", async () => {
  let current: Uint8Array = new Uint8Array(0);
  let maxSize = 16;
  const t = setup(({ message }) =>
    serveBlock(message, { body: () => current, maxSize })
  );
  for (const size of SIZES) {
    maxSize = size;
    for (const length of [0, 1, size - 1, size, 3 * size, 3 * size + 1]) {
      current = body(length, size);
      const before = t.requests.length;
      const progress: CoapProgress[] = [];
      const response = await run(
        t.clock,
        t.client.get(`${SERVER_URL}/big`, {
          onProgress: (p) => progress.push(p),
        }),
      );
      assertEquals(response.payload, current, `size ${size}, length ${length}`);
      assertEquals(response.block2, undefined);
      assertEquals(getOption(response, CoapOptionNumber.BLOCK2), undefined);
      const exchanges = t.requests.length - before;
      // One request per block; none for a block after the last (M=0).
      const blocks = Math.max(1, Math.ceil(length / size));
      assertEquals(exchanges, blocks, `size ${size}, length ${length}`);
      if (length > size) {
        assertEquals(progress.length, blocks);
        assertEquals(progress.at(-1), {
          direction: "download",
          blocks,
          bytes: length,
          total: length,
        });
        // Later requests carry Block2 with the next number and no M bit.
        const later = t.requests.slice(before + 1).map((r) =>
          block2Of(r.message)
        );
        assertEquals(
          later,
          Array.from({ length: blocks - 1 }, (_, i) => ({
            num: i + 1,
            more: false,
            szx: Math.log2(size) - 4,
          })),
        );
      } else assertEquals(progress, []);
    }
  }
  await t.close();
});

Deno.test("get() handles a zero-length last block after an exact multiple", async () => {
  const whole = body(64);
  // A server that sets M=1 on the last full block and sends an empty block 4.
  const t = setup(({ message }) => {
    const num = block2Of(message)?.num ?? 0;
    const chunk = whole.subarray(num * 16, num * 16 + 16);
    return {
      code: CoapCode.CONTENT,
      options: [{
        number: CoapOptionNumber.BLOCK2,
        value: encodeBlock({ num, more: num < 4, szx: 0 }),
      }],
      payload: chunk,
    };
  });
  const response = await run(t.clock, t.client.get(`${SERVER_URL}/x`));
  assertEquals(response.payload, whole);
  assertEquals(t.requests.length, 5);
  await t.close();
});

Deno.test("get() with blockSize negotiates early and follows a smaller size chosen by the server", async () => {
  const whole = body(1000);
  const t = setup(({ message }) =>
    serveBlock(message, { body: () => whole, maxSize: 64 })
  );
  const response = await run(
    t.clock,
    t.client.get(`${SERVER_URL}/x`, { blockSize: 256 }),
  );
  assertEquals(response.payload, whole);
  const asked = t.requests.map((r) => block2Of(r.message));
  assertEquals(asked[0], { num: 0, more: false, szx: 4 });
  assertEquals(asked[1], { num: 1, more: false, szx: 2 });
  assertEquals(asked.length, Math.ceil(1000 / 64));
  await t.close();
});

Deno.test("get() with its own Block2 option for a later block returns that block alone (random access, RFC 7959 §2.4), and blockSize adds no second Block2", async () => {
  const whole = body(1000);
  const t = setup(({ message }) =>
    serveBlock(message, { body: () => whole, maxSize: 64 })
  );
  const third = (blockSize?: number) =>
    t.client.get(`${SERVER_URL}/x`, {
      options: [{
        number: CoapOptionNumber.BLOCK2,
        value: encodeBlock({ num: 3, more: false, szx: 2 }),
      }],
      ...(blockSize === undefined ? {} : { blockSize }),
    });
  for (const blockSize of [undefined, 32]) {
    const before = t.requests.length;
    const response = await run(t.clock, third(blockSize));
    assertEquals(response.code, CoapCode.CONTENT);
    assertEquals(response.payload, whole.subarray(192, 256));
    assertEquals(block2Of(response as unknown as CoapMessage), {
      num: 3,
      more: true,
      szx: 2,
    });
    assertEquals(t.requests.length, before + 1);
    const sent = t.requests.at(-1)!.message;
    assertEquals(
      sent.options.filter((o) => o.number === CoapOptionNumber.BLOCK2).length,
      1,
    );
    assertEquals(block2Of(sent), { num: 3, more: false, szx: 2 });
  }
  // Block 0 asked for explicitly is early negotiation: the rest follows.
  const all = await run(
    t.clock,
    t.client.get(`${SERVER_URL}/x`, {
      options: [{
        number: CoapOptionNumber.BLOCK2,
        value: encodeBlock({ num: 0, more: false, szx: 1 }),
      }],
    }),
  );
  assertEquals(all.payload, whole);
  await t.close();
});

Deno.test("get() follows a server that shrinks the block size mid-transfer", async () => {
  const whole = body(300);
  const t = setup(({ message }) => {
    const asked = block2Of(message);
    // Block 0 in 128 bytes, then only 32-byte blocks.
    const size = asked === undefined ? 128 : 32;
    const offset = asked === undefined ? 0 : asked.num * (16 << asked.szx);
    const num = offset / size;
    return {
      code: CoapCode.CONTENT,
      options: [{
        number: CoapOptionNumber.BLOCK2,
        value: encodeBlock({
          num,
          more: offset + size < whole.length,
          szx: Math.log2(size) - 4,
        }),
      }],
      payload: whole.subarray(offset, offset + size),
    };
  });
  const response = await run(t.clock, t.client.get(`${SERVER_URL}/x`));
  assertEquals(response.payload, whole);
  assertEquals(block2Of(t.requests[1]!.message), {
    num: 1,
    more: false,
    szx: 3,
  });
  // 160 bytes received: the next 32-byte block is number 5.
  assertEquals(block2Of(t.requests[2]!.message), {
    num: 5,
    more: false,
    szx: 1,
  });
  await t.close();
});

Deno.test("get() restarts once when the ETag changes mid-transfer, then fails with etag-changed", async () => {
  let version = 1;
  let served = 0;
  let changeEvery = 3;
  const t = setup(({ message }) => {
    served++;
    if (served % changeEvery === 0) version++;
    return serveBlock(message, {
      body: () => body(200, version),
      etag: () => new Uint8Array([version]),
      maxSize: 32,
    });
  });
  changeEvery = 3; // changes once during the first pass only
  const changedOnce = t.client.get(`${SERVER_URL}/x`);
  const outcome = await settle(t.clock, changedOnce);
  // 7 blocks: the representation changes at the 3rd request, the restart
  // then changes again at the 6th: two changes fail the transfer.
  assertInstanceOf(outcome.error, CoapBlockwiseError);
  assertEquals((outcome.error as CoapBlockwiseError).reason, "etag-changed");

  served = 0;
  version = 1;
  changeEvery = 100; // one change at request 100: not reached
  const stable = await run(t.clock, t.client.get(`${SERVER_URL}/x`));
  assertEquals(stable.payload, body(200, 1));

  // Exactly one change: the transfer restarts from block 0 and succeeds.
  served = 0;
  version = 1;
  let changes = 0;
  t.server.handler = ({ message }) => {
    served++;
    if (served === 3 && changes++ === 0) version++;
    return serveBlock(message, {
      body: () => body(200, version),
      etag: () => new Uint8Array([version]),
      maxSize: 32,
    });
  };
  const before = t.clientWire.length;
  const restarted = await run(t.clock, t.client.get(`${SERVER_URL}/x`));
  assertEquals(restarted.payload, body(200, 2));
  assertEquals(restarted.etag, new Uint8Array([2]));
  const nums = t.clientWire.slice(before).map((w) => block2Of(w.message)?.num);
  assertEquals(nums, [undefined, 1, 2, 0, 1, 2, 3, 4, 5, 6]);
  await t.close();
});

Deno.test("get() stops at maxBodySize, by Size2 or by the bytes received", async () => {
  const whole = body(5000);
  const t = setup(
    ({ message }) => serveBlock(message, { body: () => whole, maxSize: 512 }),
    {
      client: { maxBodySize: 4096 },
    },
  );
  const bySize2 = await settle(t.clock, t.client.get(`${SERVER_URL}/x`));
  assertInstanceOf(bySize2.error, CoapBlockwiseError);
  assertEquals((bySize2.error as CoapBlockwiseError).reason, "too-large");
  assertEquals(t.requests.length, 1);
  // Without Size2 the limit is hit while receiving.
  t.server.handler = ({ message }) => {
    const response = serveBlock(message, { body: () => whole, maxSize: 512 });
    return {
      ...response,
      options: response.options!.filter((o) =>
        o.number !== CoapOptionNumber.SIZE2
      ),
    };
  };
  const before = t.clientWire.length;
  const byBytes = await settle(t.clock, t.client.get(`${SERVER_URL}/x`));
  assertEquals((byBytes.error as CoapBlockwiseError).reason, "too-large");
  // 8 blocks of 512 reach the limit; the 9th passes it.
  assertEquals(t.clientWire.length - before, 9);
  await t.close();
});

Deno.test("get() reports protocol errors of a misbehaving block server", async () => {
  const cases: ((message: CoapMessage) => ResponseInit)[] = [
    // Block 0 carries M=1 but a short payload.
    () => ({
      code: CoapCode.CONTENT,
      options: [{
        number: CoapOptionNumber.BLOCK2,
        value: encodeBlock({ num: 0, more: true, szx: 2 }),
      }],
      payload: body(10),
    }),
    // The first response is block 3.
    () => ({
      code: CoapCode.CONTENT,
      options: [{
        number: CoapOptionNumber.BLOCK2,
        value: encodeBlock({ num: 3, more: true, szx: 0 }),
      }],
      payload: body(16),
    }),
    // Always answers block 0.
    () => ({
      code: CoapCode.CONTENT,
      options: [{
        number: CoapOptionNumber.BLOCK2,
        value: encodeBlock({ num: 0, more: true, szx: 0 }),
      }],
      payload: body(16),
    }),
    // Later blocks come without Block2.
    (message) =>
      block2Of(message) === undefined
        ? {
          code: CoapCode.CONTENT,
          options: [{
            number: CoapOptionNumber.BLOCK2,
            value: encodeBlock({ num: 0, more: true, szx: 0 }),
          }],
          payload: body(16),
        }
        : { code: CoapCode.CONTENT, payload: body(16) },
    // A reserved size exponent.
    () => ({
      code: CoapCode.CONTENT,
      options: [{
        number: CoapOptionNumber.BLOCK2,
        value: new Uint8Array([0x0f]),
      }],
      payload: body(16),
    }),
  ];
  for (const handler of cases) {
    const t = setup(({ message }) => handler(message));
    const outcome = await settle(t.clock, t.client.get(`${SERVER_URL}/x`));
    assertInstanceOf(outcome.error, CoapBlockwiseError);
    assertEquals((outcome.error as CoapBlockwiseError).reason, "protocol");
    await t.close();
  }
});

Deno.test("get() returns a 4.xx answer to a later block as the response", async () => {
  const whole = body(100);
  const t = setup(({ message }) =>
    block2Of(message) === undefined
      ? serveBlock(message, { body: () => whole, maxSize: 32 })
      : { code: CoapCode.NOT_FOUND }
  );
  const response = await run(t.clock, t.client.get(`${SERVER_URL}/x`));
  assertEquals(response.codeText, "4.04");
  await t.close();
});

Deno.test("get() reassembles block-wise under loss, duplication and reordering", async () => {
  const whole = body(3000);
  const t = setup(
    ({ message }) => serveBlock(message, { body: () => whole, maxSize: 64 }),
    {
      seed: 3,
      conditions: {
        loss: 0.2,
        duplicate: 0.2,
        reorder: { probability: 0.3, delay: 700 },
        delay: { min: 1, max: 30 },
      },
    },
  );
  const response = await run(
    t.clock,
    t.client.get(`${SERVER_URL}/x`),
    3_600_000,
  );
  assertEquals(response.payload, whole);
  assert(t.network.stats.dropped > 0 && t.network.stats.reordered > 0);
  await t.close();
});

/** A Block1 server: collects blocks (up to `maxSize` each, telling the client), answers 2.31 and finally `final`. */
function block1Server(
  options: {
    maxSize?: number;
    final?: (whole: Uint8Array, request: CoapMessage) => ResponseInit;
    tooLargeAbove?: number;
    tooLargeOptions?: CoapOption[];
  } = {},
) {
  const state = {
    parts: [] as Uint8Array[],
    received: [] as CoapMessage[],
    whole: new Uint8Array(0) as Uint8Array,
  };
  const handler = ({ message }: { message: CoapMessage }): ResponseInit => {
    state.received.push(message);
    const block = block1Of(message);
    if (block === undefined) {
      if (
        options.tooLargeAbove !== undefined &&
        message.payload.length > options.tooLargeAbove
      ) {
        return {
          code: CoapCode.REQUEST_ENTITY_TOO_LARGE,
          options: options.tooLargeOptions ?? [],
        };
      }
      state.whole = message.payload;
      return options.final?.(state.whole, message) ??
        { code: CoapCode.CHANGED };
    }
    const size = 16 << block.szx;
    const maxSize = options.maxSize ?? 1024;
    if (
      size > maxSize && block.num === 0 && options.tooLargeAbove !== undefined
    ) {
      return {
        code: CoapCode.REQUEST_ENTITY_TOO_LARGE,
        options: [{
          number: CoapOptionNumber.BLOCK1,
          value: encodeBlock({
            num: 0,
            more: false,
            szx: Math.log2(maxSize) - 4,
          }),
        }],
      };
    }
    const offset = block.num * size;
    if (offset === 0) state.parts = [];
    const have = state.parts.reduce((n, p) => n + p.length, 0);
    if (offset !== have) return { code: CoapCode.REQUEST_ENTITY_INCOMPLETE };
    state.parts.push(message.payload);
    const echo = {
      number: CoapOptionNumber.BLOCK1,
      value: encodeBlock({
        num: block.num,
        more: block.more,
        szx: Math.min(block.szx, Math.log2(maxSize) - 4),
      }),
    };
    if (block.more) return { code: CoapCode.CONTINUE, options: [echo] };
    const whole = new Uint8Array(have + message.payload.length);
    let at = 0;
    for (const part of state.parts) {
      whole.set(part, at);
      at += part.length;
    }
    state.whole = whole;
    const final = options.final?.(whole, message) ?? { code: CoapCode.CHANGED };
    return { ...final, options: sorted([...(final.options ?? []), echo]) };
  };
  return { state, handler };
}

Deno.test("put() sends payloads larger than the block size in Block1 blocks with 2.31 Continue", async () => {
  for (const size of SIZES) {
    for (const length of [size + 1, 2 * size, 5 * size + 3]) {
      const server = block1Server();
      const t = setup(server.handler, { client: { blockSize: size } });
      const payload = body(length, 9);
      const progress: CoapProgress[] = [];
      const response = await run(
        t.clock,
        t.client.put(`${SERVER_URL}/fw`, {
          payload,
          onProgress: (p) => progress.push(p),
        }),
      );
      assertEquals(response.codeText, "2.04");
      assertEquals(server.state.whole, payload);
      const blocks = server.state.received.map((m) => block1Of(m)!);
      const count = Math.ceil(length / size);
      assertEquals(blocks.length, count);
      assertEquals(
        blocks.map((b) => b.num),
        Array.from({ length: count }, (_, i) => i),
      );
      assertEquals(
        blocks.map((b) => b.more),
        Array.from({ length: count }, (_, i) => i < count - 1),
      );
      // Size1 announces the total with the first block.
      assertEquals(
        decodeUint(
          getOption(server.state.received[0]!, CoapOptionNumber.SIZE1)!,
        ),
        length,
      );
      assertEquals(
        getOption(server.state.received[1]!, CoapOptionNumber.SIZE1),
        undefined,
      );
      // Bytes carry no Content-Format, in any block.
      for (const m of server.state.received) {
        assertEquals(getOption(m, CoapOptionNumber.CONTENT_FORMAT), undefined);
      }
      assertEquals(progress.at(-1), {
        direction: "upload",
        blocks: count,
        bytes: length,
        total: length,
      });
      assertEquals(progress.length, count);
      await t.close();
    }
  }
});

Deno.test("put() of exactly the block size is one plain request", async () => {
  const server = block1Server();
  const t = setup(server.handler);
  await run(t.clock, t.client.put(`${SERVER_URL}/fw`, { payload: body(1024) }));
  assertEquals(server.state.received.length, 1);
  assertEquals(block1Of(server.state.received[0]!), undefined);
  await t.close();
});

Deno.test("post() follows the server's smaller Block1 size, renumbering by bytes sent", async () => {
  const server = block1Server({ maxSize: 64 });
  const t = setup(server.handler, { client: { blockSize: 256 } });
  const payload = body(1000);
  const response = await run(
    t.clock,
    t.client.post(`${SERVER_URL}/up`, { payload, contentFormat: 42 }),
  );
  assertEquals(response.codeText, "2.04");
  assertEquals(server.state.whole, payload);
  const blocks = server.state.received.map((m) => block1Of(m)!);
  assertEquals(blocks[0], { num: 0, more: true, szx: 4 });
  // 256 bytes were sent; the next block is number 4 of 64 bytes.
  assertEquals(blocks[1], { num: 4, more: true, szx: 2 });
  assertEquals(blocks.at(-1), { num: 15, more: false, szx: 2 });
  for (const m of server.state.received) {
    assertEquals(
      decodeUint(getOption(m, CoapOptionNumber.CONTENT_FORMAT)!),
      42,
    );
  }
  await t.close();
});

Deno.test("put() renegotiates after 4.13 with a Block1 size or a Size1", async () => {
  // A plain request too large: 4.13 with Block1 naming 128.
  const named = block1Server({
    maxSize: 128,
    tooLargeAbove: 128,
    tooLargeOptions: [{
      number: CoapOptionNumber.BLOCK1,
      value: encodeBlock({ num: 0, more: false, szx: 3 }),
    }],
  });
  const t1 = setup(named.handler);
  const payload = body(700);
  assertEquals(
    (await run(t1.clock, t1.client.put(`${SERVER_URL}/a`, { payload })))
      .codeText,
    "2.04",
  );
  assertEquals(named.state.whole, payload);
  assertEquals(block1Of(named.state.received[1]!), {
    num: 0,
    more: true,
    szx: 3,
  });
  await t1.close();

  // 4.13 with only Size1 = 200: blocks of 128.
  const sized = block1Server({
    maxSize: 1024,
    tooLargeAbove: 200,
    tooLargeOptions: [{
      number: CoapOptionNumber.SIZE1,
      value: encodeUint(200),
    }],
  });
  const t2 = setup(sized.handler);
  assertEquals(
    (await run(t2.clock, t2.client.put(`${SERVER_URL}/a`, { payload })))
      .codeText,
    "2.04",
  );
  assertEquals(sized.state.whole, payload);
  assertEquals(block1Of(sized.state.received[1]!)?.szx, 3);
  await t2.close();

  // Block-wise from the start, refused at block 0 with 4.13 and a smaller size: start over.
  const refusing = block1Server({ maxSize: 32, tooLargeAbove: 0 });
  const t3 = setup(refusing.handler, { client: { blockSize: 256 } });
  assertEquals(
    (await run(t3.clock, t3.client.put(`${SERVER_URL}/a`, { payload })))
      .codeText,
    "2.04",
  );
  assertEquals(refusing.state.whole, payload);
  assertEquals(block1Of(refusing.state.received[1]!), {
    num: 0,
    more: true,
    szx: 1,
  });
  await t3.close();

  // 4.13 without a usable size is the answer.
  const t4 = setup(() => ({ code: CoapCode.REQUEST_ENTITY_TOO_LARGE }));
  assertEquals(
    (await run(t4.clock, t4.client.put(`${SERVER_URL}/a`, { payload })))
      .codeText,
    "4.13",
  );
  assertEquals(t4.requests.length, 1);
  await t4.close();
});

Deno.test("post() with Block1 whose final response is Block2 reassembles both", async () => {
  const answer = body(500, 1);
  const server = block1Server({
    maxSize: 64,
    final: (_whole, request) =>
      serveBlock(request, { body: () => answer, maxSize: 64 }),
  });
  let continuing = 0;
  const t = setup(({ message, peer }) => {
    if (block1Of(message) === undefined && block2Of(message) !== undefined) {
      continuing++;
      // Continuations: same method, Block2, no payload, no Block1.
      assertEquals(message.code, CoapCode.POST);
      assertEquals(message.payload.length, 0);
      return serveBlock(message, { body: () => answer, maxSize: 64 });
    }
    return server.handler({ message, peer } as never);
  }, { client: { blockSize: 64 } });
  const payload = body(300, 5);
  const response = await run(
    t.clock,
    t.client.post(`${SERVER_URL}/rpc`, { payload, requestTag: true }),
  );
  assertEquals(server.state.whole, payload);
  assertEquals(response.payload, answer);
  assertEquals(continuing, Math.ceil(500 / 64) - 1);
  const tags = server.state.received.map((m) =>
    getOption(m, CoapOptionNumber.REQUEST_TAG)
  );
  assert(tags.every((tag) => tag !== undefined && tag.length === 4));
  assertEquals(new Set(tags.map((tag) => tag!.join())).size, 1);
  await t.close();
});

Deno.test("put() uploads block-wise under loss, duplication and reordering", async () => {
  const server = block1Server();
  const t = setup(server.handler, {
    seed: 11,
    client: { blockSize: 32, maxRetransmit: 6 },
    conditions: {
      loss: 0.15,
      duplicate: 0.2,
      reorder: { probability: 0.3, delay: 500 },
      delay: { min: 1, max: 30 },
    },
  });
  const payload = body(2000, 3);
  const response = await run(
    t.clock,
    t.client.put(`${SERVER_URL}/x`, { payload }),
    3_600_000,
  );
  assertEquals(response.codeText, "2.04");
  assertEquals(server.state.whole, payload);
  await t.close();
});

Deno.test("put() block-wise returns a 4.xx answer to an intermediate block", async () => {
  const t = setup(({ message }) =>
    block1Of(message)?.num === 2
      ? { code: CoapCode.REQUEST_ENTITY_INCOMPLETE }
      : {
        code: CoapCode.CONTINUE,
        options: [{
          number: CoapOptionNumber.BLOCK1,
          value: getOption(message, CoapOptionNumber.BLOCK1)!,
        }],
      }
  );
  const response = await run(
    t.clock,
    t.client.put(`${SERVER_URL}/x`, { payload: body(5000) }),
  );
  assertEquals(response.codeText, "4.08");
  assertEquals(t.requests.length, 3);
  await t.close();
});

Deno.test("put() block-wise rejects a Block1 acknowledgement of the wrong block", async () => {
  const t = setup(() => ({
    code: CoapCode.CONTINUE,
    options: [{
      number: CoapOptionNumber.BLOCK1,
      value: encodeBlock({ num: 7, more: true, szx: 6 }),
    }],
  }));
  await assertRejects(
    () =>
      run(t.clock, t.client.put(`${SERVER_URL}/x`, { payload: body(3000) })),
    CoapBlockwiseError,
  );
  await t.close();
});

Deno.test("fetch() block-wise continuations repeat the request body", async () => {
  const whole = body(100);
  const t = setup(({ message }) =>
    serveBlock(message, { body: () => whole, maxSize: 32 })
  );
  const response = await run(
    t.clock,
    t.client.fetch(`${SERVER_URL}/q`, { payload: { select: "all" } }),
  );
  assertEquals(response.payload, whole);
  for (const request of t.requests) {
    assertEquals(
      new TextDecoder().decode(request.message.payload),
      '{"select":"all"}',
    );
    assertEquals(
      decodeUint(getOption(request.message, CoapOptionNumber.CONTENT_FORMAT)!),
      50,
    );
  }
  await t.close();
});

Deno.test("a block-wise transfer uses one token for all its blocks, a new one per request", async () => {
  const whole = body(100);
  const server = block1Server({
    final: (_whole, request) =>
      serveBlock(request, { body: () => whole, maxSize: 32 }),
  });
  const t = setup(
    ({ message, peer }) =>
      block1Of(message) === undefined && block2Of(message) !== undefined
        ? serveBlock(message, { body: () => whole, maxSize: 32 })
        : server.handler({ message, peer } as never),
    { client: { blockSize: 16 } },
  );
  await run(t.clock, t.client.post(`${SERVER_URL}/x`, { payload: body(40) }));
  await run(t.clock, t.client.post(`${SERVER_URL}/x`, { payload: body(40) }));
  const tokens = t.requests.map((r) => r.message.token.join());
  // 3 Block1 blocks and 3 more Block2 blocks per request.
  assertEquals(tokens.length, 12);
  assertEquals(new Set(tokens.slice(0, 6)).size, 1);
  assertEquals(new Set(tokens.slice(6)).size, 1);
  assert(tokens[0] !== tokens[6]);
  await t.close();
});
