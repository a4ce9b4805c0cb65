// Copyright 2026 the microcoap authors. MIT license.
// `microcoap serve --dir`: no request reads, writes or deletes anything
// outside the served directory, whatever its Uri-Path segments hold ("..",
// separators, NUL, percent signs) and wherever symbolic links inside point.
// The segments are sent as raw Uri-Path options (a URL parser would
// normalise ".." away before it reached the server).
import { assert, assertEquals, assertFalse } from "@std/assert";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CoapCode, payloadText } from "@microcoap/codec";
import { CoapEndpoint } from "@microcoap/endpoint";
import { bindUdp } from "@microcoap/transport";
import { createServeServer } from "@microcoap/cli/serve";

const SECRET = "SECRET-DO-NOT-SERVE";
const text = new TextEncoder();

Deno.test("serve --dir never reads, writes or deletes outside the directory", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "microcoap-serve-dir-" });
  const served = join(tmp, "served");
  await Deno.mkdir(join(served, "sub"), { recursive: true });
  await Deno.writeTextFile(join(tmp, "secret.txt"), SECRET);
  await Deno.writeTextFile(join(served, "ok.txt"), "fine");
  await Deno.symlink("../secret.txt", join(served, "link-file"));
  await Deno.symlink("..", join(served, "link-dir"));
  await Deno.symlink("ok.txt", join(served, "inner-link"));
  await Deno.symlink("../outside-dir", join(served, "dangling-dir"));
  await Deno.symlink("../outside.txt", join(served, "dangling-file"));

  const serve = createServeServer({
    hostname: "127.0.0.1",
    port: 0,
    dir: served,
  });
  const address = await serve.listen();
  const client = new CoapEndpoint(await bindUdp({ hostname: "127.0.0.1" }), {
    nstart: 4,
  });
  const ask = async (code: number, segments: string[], payload = "") => {
    const response = await client.request(address, {
      code,
      options: segments.map((segment) => ({
        number: 11,
        value: text.encode(segment),
      })),
      payload: text.encode(payload),
    });
    return { code: response.code, body: payloadText(response.payload) };
  };
  try {
    // The test can tell success from refusal.
    assertEquals(await ask(CoapCode.GET, ["files", "ok.txt"]), {
      code: CoapCode.CONTENT,
      body: "fine",
    });
    assertEquals(
      (await ask(CoapCode.GET, ["files", "inner-link"])).body,
      "fine",
    );

    const reads = [
      ["files", "..", "secret.txt"],
      ["files", "../secret.txt"],
      ["files", "..\\secret.txt"],
      ["files", "sub", "..", "..", "secret.txt"],
      ["files", ".", "..", "secret.txt"],
      ["files", "%2e%2e", "secret.txt"],
      ["files", "%2e%2e%2fsecret.txt"],
      ["files", "/", "secret.txt"],
      ["files", join(tmp, "secret.txt")],
      ["files", "ok.txt\0", "..", "..", "secret.txt"],
      ["files", "", "..", "secret.txt"],
      ["files", "link-file"],
      ["files", "link-dir", "secret.txt"],
      ["files", "link-dir"],
      ["files", "link-dir", ""],
      ["files", "dangling-dir"],
      ["..", "secret.txt"],
      ["files", "..", "..", "..", "..", "..", "..", "etc", "passwd"],
    ];
    for (const segments of reads) {
      const { code, body } = await ask(CoapCode.GET, segments);
      assert(code >>> 5 === 4, `GET ${JSON.stringify(segments)}: ${code}`);
      // (Diagnostic payloads may echo the name asked for, never content.)
      assertFalse(body.includes(SECRET), JSON.stringify(segments));
    }

    const writes = [
      ["files", "..", "evil.txt"],
      ["files", "../evil.txt"],
      ["files", "link-dir", "evil.txt"],
      ["files", "link-dir", "new", "evil.txt"],
      ["files", "link-file"],
      ["files", "dangling-file"],
      ["files", "dangling-dir", "evil.txt"],
      ["files", "sub", "..", "..", "evil.txt"],
    ];
    for (const segments of writes) {
      const { code } = await ask(CoapCode.PUT, segments, "overwritten");
      assert(code >>> 5 === 4, `PUT ${JSON.stringify(segments)}: ${code}`);
    }
    assertEquals(await Deno.readTextFile(join(tmp, "secret.txt")), SECRET);
    for (const name of ["evil.txt", "outside.txt", "outside-dir", "new"]) {
      assertFalse(existsSync(join(tmp, name)), `${name} was created`);
    }

    const deletes = [
      ["files", "..", "secret.txt"],
      ["files", "link-dir", "secret.txt"],
      ["files", "link-file"],
    ];
    for (const segments of deletes) {
      const { code } = await ask(CoapCode.DELETE, segments);
      // Refused; or, for the link itself, the link removed and nothing else.
      assert(
        code >>> 5 === 4 || code === CoapCode.DELETED,
        `DELETE ${JSON.stringify(segments)}: ${code}`,
      );
      assert(existsSync(join(tmp, "secret.txt")), "the secret was deleted");
    }
    assertEquals(await Deno.readTextFile(join(tmp, "secret.txt")), SECRET);
    assertEquals(await Deno.readTextFile(join(served, "ok.txt")), "fine");
  } finally {
    await client.close();
    await serve.close();
    await Deno.remove(tmp, { recursive: true });
  }
});
