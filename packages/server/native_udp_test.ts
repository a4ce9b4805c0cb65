// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertStringIncludes } from "@std/assert";
import { hasLibcoap } from "../../test_util/libcoap.ts";

Deno.test("with --unstable-net the server binds Deno.listenDatagram and serves", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-net",
      "--config",
      new URL("../../deno.test.json", import.meta.url).pathname,
      new URL("testdata/native_udp_server.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assertStringIncludes(stdout, "2.05 hello native");
  assertStringIncludes(stdout, "dual [::1] ::1");
  assertStringIncludes(stdout, "dual 127.0.0.1 127.0.0.1");
  assertStringIncludes(stdout, "dual [::ffff:127.0.0.1] 127.0.0.1");
  if (hasLibcoap) assertStringIncludes(stdout, "libcoap hello native");
});
