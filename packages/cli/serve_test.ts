// Copyright 2026 the microcoap authors. MIT license.
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { CoapClient } from "@microcoap/client";
import type { CoapProgress } from "@microcoap/client";
import { parseLinkFormat } from "@microcoap/codec";
import { createServeServer, largeText } from "./serve.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const path = (segment: string) => ({ number: 11, value: utf8(segment) });

async function started(dir?: string) {
  const serve = createServeServer({
    port: 0,
    timeInterval: 20,
    ...(dir === undefined ? {} : { dir }),
  });
  const { port } = await serve.listen();
  const client = new CoapClient();
  return {
    url: `coap://127.0.0.1:${port}`,
    client,
    async [Symbol.asyncDispose]() {
      await client.close();
      await serve.close();
    },
  };
}

Deno.test("serve answers /hello with 2.05 text/plain hello world", async () => {
  await using s = await started();
  const response = await s.client.get(`${s.url}/hello`);
  assertEquals(response.codeText, "2.05");
  assertEquals(response.contentFormat, 0);
  assertEquals(response.text(), "hello world");
});

Deno.test("serve echoes POST and PUT payloads with their Content-Format", async () => {
  await using s = await started();
  const post = await s.client.post(`${s.url}/echo`, {
    payload: utf8('{"a":1}'),
    contentFormat: 50,
  });
  assertEquals(post.codeText, "2.04");
  assertEquals(post.contentFormat, 50);
  assertEquals(post.text(), '{"a":1}');
  const put = await s.client.put(`${s.url}/echo`, {
    payload: new Uint8Array([1, 2, 3]),
  });
  assertEquals(put.codeText, "2.04");
  assertEquals(put.contentFormat, undefined);
  assertEquals(put.payload, new Uint8Array([1, 2, 3]));
  assertEquals((await s.client.get(`${s.url}/echo`)).codeText, "4.05");
});

Deno.test("serve echoes a block-wise upload whole", async () => {
  await using s = await started();
  const body = largeText().slice(0, 3000);
  const progress: CoapProgress[] = [];
  const response = await s.client.post(`${s.url}/echo`, {
    payload: body,
    blockSize: 256,
    onProgress: (p) => progress.push(p),
  });
  assertEquals(response.text(), body);
  assert(progress.some((p) => p.direction === "upload" && p.bytes === 3000));
});

Deno.test("serve sends /large, 10,000 bytes of numbered lines, block-wise", async () => {
  await using s = await started();
  const blocks: CoapProgress[] = [];
  const response = await s.client.get(`${s.url}/large`, {
    onProgress: (p) => blocks.push(p),
  });
  const text = response.text();
  assertEquals(text.length, 10_000);
  assertEquals(text.split("\n")[0], "line 0000");
  assertEquals(text.split("\n")[999], "line 0999");
  assertEquals(blocks.length, 10);
  assertEquals(blocks.at(-1)?.bytes, 10_000);
});

Deno.test("serve notifies /time observers with the ISO time", async () => {
  await using s = await started();
  const times: string[] = [];
  for await (const response of s.client.observe(`${s.url}/time`)) {
    assertEquals(response.contentFormat, 0);
    assert(response.observe !== undefined);
    times.push(response.text());
    if (times.length === 3) break;
  }
  for (const time of times) {
    assertMatch(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
});

Deno.test("serve lists its resources at /.well-known/core", async () => {
  await using s = await started();
  const response = await s.client.get(`${s.url}/.well-known/core`);
  assertEquals(response.contentFormat, 40);
  const links = parseLinkFormat(response.text());
  assertEquals(links.map((link) => link.href), [
    "/hello",
    "/echo",
    "/time",
    "/large",
  ]);
  assertEquals(links[2]!.attributes.obs, true);
});

Deno.test("createServeServer() rejects a bad timeInterval", () => {
  assertThrows(() => createServeServer({ timeInterval: 0 }), RangeError);
});

async function fileTree() {
  const root = await Deno.makeTempDir({ prefix: "microcoap_serve_" });
  const outside = await Deno.makeTempDir({ prefix: "microcoap_outside_" });
  const dir = `${root}/served`;
  await Deno.mkdir(`${dir}/sub`, { recursive: true });
  await Deno.writeTextFile(`${dir}/a.txt`, "alpha\n");
  await Deno.writeTextFile(`${dir}/sub/b.json`, '{"b":2}');
  await Deno.writeTextFile(`${outside}/secret.txt`, "secret");
  await Deno.writeTextFile(`${root}/sibling.txt`, "sibling");
  await Deno.symlink(outside, `${dir}/out`);
  await Deno.symlink(`${dir}/a.txt`, `${dir}/in.txt`);
  await Deno.symlink(`${outside}/planted.txt`, `${dir}/dangling`);
  await Deno.symlink(`${root}/sibling.txt`, `${dir}/sib`);
  return {
    root,
    dir,
    outside,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(outside, { recursive: true });
    },
  };
}

Deno.test("serve --dir gets files with a Content-Format by extension, and lists directories", async () => {
  await using tree = await fileTree();
  await using s = await started(tree.dir);
  const a = await s.client.get(`${s.url}/files/a.txt`);
  assertEquals([a.codeText, a.contentFormat, a.text()], ["2.05", 0, "alpha\n"]);
  const b = await s.client.get(`${s.url}/files/sub/b.json`);
  assertEquals([b.contentFormat, b.json()], [50, { b: 2 }]);
  const listing = await s.client.get(`${s.url}/files`);
  assertEquals(listing.contentFormat, 40);
  const hrefs = parseLinkFormat(listing.text()).map((link) => link.href);
  assertEquals(hrefs, [
    "/files/a.txt",
    "/files/dangling",
    "/files/in.txt",
    "/files/out",
    "/files/sib",
    "/files/sub/",
  ]);
  const sub = await s.client.get(`${s.url}/files/sub/`);
  assertEquals(parseLinkFormat(sub.text())[0]!.href, "/files/sub/b.json");
  assertEquals((await s.client.get(`${s.url}/files/nope`)).codeText, "4.04");
  const discovery = await s.client.get(`${s.url}/.well-known/core`);
  assert(discovery.text().includes("</files>"));
});

Deno.test("serve --dir follows links only inside the directory", async () => {
  await using tree = await fileTree();
  await using s = await started(tree.dir);
  assertEquals((await s.client.get(`${s.url}/files/in.txt`)).text(), "alpha\n");
  for (const target of ["out/secret.txt", "sib", "out"]) {
    const response = await s.client.get(`${s.url}/files/${target}`);
    assertEquals(response.codeText, "4.03", target);
  }
  assertEquals(
    (await s.client.get(`${s.url}/files/dangling`)).codeText,
    "4.04",
  );
});

Deno.test("serve --dir refuses dot, empty and separator segments", async () => {
  await using tree = await fileTree();
  await using s = await started(tree.dir);
  // URLs resolve dot segments, so send them as raw Uri-Path options.
  for (
    const segments of [["..", "sibling.txt"], ["sub", "..", "a.txt"], ["."], [
      "",
      "a.txt",
    ], ["x\\..\\y"]]
  ) {
    const response = await s.client.get(`${s.url}/files`, {
      options: segments.map(path),
    });
    assertEquals(response.codeText, "4.00", segments.join("|"));
  }
  const slash = await s.client.get(`${s.url}/files/sub%2Fb.json`);
  assertEquals(slash.codeText, "4.00");
  for (const segments of [["..", "planted.txt"], ["..", "..", "x"]]) {
    const response = await s.client.put(`${s.url}/files`, {
      payload: "x",
      options: segments.map(path),
    });
    assertEquals(response.codeText, "4.00");
  }
});

Deno.test("serve --dir stores PUT uploads, block-wise too, creating directories", async () => {
  await using tree = await fileTree();
  await using s = await started(tree.dir);
  const body = largeText().slice(0, 5000);
  const created = await s.client.put(`${s.url}/files/new/deep/c.txt`, {
    payload: body,
    blockSize: 512,
  });
  assertEquals(created.codeText, "2.01");
  assertEquals(await Deno.readTextFile(`${tree.dir}/new/deep/c.txt`), body);
  const changed = await s.client.put(`${s.url}/files/new/deep/c.txt`, {
    payload: "short",
  });
  assertEquals(changed.codeText, "2.04");
  assertEquals(
    (await s.client.get(`${s.url}/files/new/deep/c.txt`)).text(),
    "short",
  );
  const through = await s.client.put(`${s.url}/files/in.txt`, {
    payload: "via link",
  });
  assertEquals(through.codeText, "2.04");
  assertEquals(await Deno.readTextFile(`${tree.dir}/a.txt`), "via link");
  assertEquals(
    (await s.client.put(`${s.url}/files/sub`, { payload: "x" })).codeText,
    "4.09",
  );
  assertEquals(
    (await s.client.put(`${s.url}/files`, { payload: "x" })).codeText,
    "4.05",
  );
});

Deno.test("serve --dir honours If-None-Match and If-Match on PUT with 4.12 (RFC 7252 §5.10.8)", async () => {
  await using tree = await fileTree();
  await using s = await started(tree.dir);
  const exists = await s.client.put(`${s.url}/files/a.txt`, {
    payload: "overwritten",
    ifNoneMatch: true,
  });
  assertEquals(exists.codeText, "4.12");
  assertEquals(await Deno.readTextFile(`${tree.dir}/a.txt`), "alpha\n");
  const missing = await s.client.put(`${s.url}/files/missing.txt`, {
    payload: "x",
    ifMatch: true,
  });
  assertEquals(missing.codeText, "4.12");
  await assertRejects(() => Deno.stat(`${tree.dir}/missing.txt`));
  const created = await s.client.put(`${s.url}/files/fresh.txt`, {
    payload: "fresh",
    ifNoneMatch: true,
  });
  assertEquals(created.codeText, "2.01");
  const changed = await s.client.put(`${s.url}/files/a.txt`, {
    payload: "changed",
    ifMatch: true,
  });
  assertEquals(changed.codeText, "2.04");
  assertEquals(await Deno.readTextFile(`${tree.dir}/a.txt`), "changed");
});

Deno.test("serve --dir gives files an ETag and checks If-Match values against it (RFC 7252 §5.10.6, §5.10.8.1)", async () => {
  await using tree = await fileTree();
  await using s = await started(tree.dir);
  const got = await s.client.get(`${s.url}/files/a.txt`);
  const etag = got.etag;
  assert(etag !== undefined && etag.length > 0, "a file has an ETag");
  // A GET with the current ETag is answered 2.03 Valid.
  const valid = await s.client.get(`${s.url}/files/a.txt`, { etag });
  assertEquals(valid.codeText, "2.03");
  // An If-Match naming another entity-tag fails and changes nothing.
  const stale = await s.client.put(`${s.url}/files/a.txt`, {
    payload: "lost update",
    ifMatch: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
  });
  assertEquals(stale.codeText, "4.12");
  assertEquals(await Deno.readTextFile(`${tree.dir}/a.txt`), "alpha\n");
  // The current one (among others) succeeds; then it is stale.
  const fresh = await s.client.put(`${s.url}/files/a.txt`, {
    payload: "updated",
    ifMatch: [new Uint8Array([1]), etag],
  });
  assertEquals(fresh.codeText, "2.04");
  assertEquals(await Deno.readTextFile(`${tree.dir}/a.txt`), "updated");
  const again = await s.client.put(`${s.url}/files/a.txt`, {
    payload: "again",
    ifMatch: etag,
  });
  assertEquals(again.codeText, "4.12");
  const now = (await s.client.get(`${s.url}/files/a.txt`)).etag;
  assert(now !== undefined && now.join() !== etag.join(), "the ETag changed");
});

Deno.test("serve --dir never writes outside through links", async () => {
  await using tree = await fileTree();
  await using s = await started(tree.dir);
  const cases = ["out/new.txt", "dangling", "sib", "out/deeper/x.txt"];
  for (const target of cases) {
    const response = await s.client.put(`${s.url}/files/${target}`, {
      payload: "pwned",
    });
    assertEquals(response.codeText, "4.03", target);
  }
  await assertRejects(() => Deno.stat(`${tree.outside}/new.txt`));
  await assertRejects(() => Deno.stat(`${tree.outside}/planted.txt`));
  await assertRejects(() => Deno.stat(`${tree.outside}/deeper`));
  assertEquals(await Deno.readTextFile(`${tree.root}/sibling.txt`), "sibling");
});

Deno.test("serve --dir deletes files and links inside, nothing else", async () => {
  await using tree = await fileTree();
  await using s = await started(tree.dir);
  assertEquals(
    (await s.client.delete(`${s.url}/files/in.txt`)).codeText,
    "2.02",
  );
  assertEquals(await Deno.readTextFile(`${tree.dir}/a.txt`), "alpha\n");
  assertEquals(
    (await s.client.delete(`${s.url}/files/a.txt`)).codeText,
    "2.02",
  );
  await assertRejects(() => Deno.stat(`${tree.dir}/a.txt`));
  assertEquals(
    (await s.client.delete(`${s.url}/files/a.txt`)).codeText,
    "4.04",
  );
  assertEquals((await s.client.delete(`${s.url}/files/sub`)).codeText, "4.09");
  assertEquals(
    (await s.client.delete(`${s.url}/files/out/secret.txt`)).codeText,
    "4.03",
  );
  assertEquals((await s.client.delete(`${s.url}/files/sib`)).codeText, "4.03");
  assertEquals((await s.client.delete(`${s.url}/files`)).codeText, "4.05");
  assertEquals(await Deno.readTextFile(`${tree.outside}/secret.txt`), "secret");
});
