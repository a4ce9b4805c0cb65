// Copyright 2026 the microcoap authors. MIT license.
// Builds the npm package into a temporary folder and tries it in Node: the
// package's own tests under `node --test`, and the packed tarball through
// `npx --yes ./microcoap-<version>.tgz get ...`.
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
} from "@std/assert";
import { createServeServer } from "@microcoap/cli/serve";

const ROOT = new URL("../", import.meta.url);
const decoder = new TextDecoder();

function hasCommand(name: string): boolean {
  try {
    new Deno.Command(name, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    return true;
  } catch {
    return false;
  }
}

const hasNode = hasCommand("node") && hasCommand("npm") && hasCommand("npx");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  const output = await new Deno.Command(command, {
    args,
    cwd: options.cwd ?? decodeURIComponent(ROOT.pathname),
    env: options.env ?? {},
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function check(result: Run, what: string): Run {
  assertEquals(
    result.code,
    0,
    `${what} failed:\n${result.stdout}\n${result.stderr}`,
  );
  return result;
}

async function files(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) {
      out.push(...await files(`${dir}/${entry.name}`, `${path}/`));
    } else out.push(path);
  }
  return out;
}

Deno.test({
  name:
    "build:npm makes a typed ESM package that works in Node, from node --test and through npx",
  ignore: !hasNode,
  async fn(t) {
    const tmp = await Deno.makeTempDir({ prefix: "microcoap_npm_" });
    const out = `${tmp}/npm`;
    try {
      await t.step(
        "the build writes package.json, JavaScript, types, bin, README and LICENSE",
        async () => {
          check(
            await run(Deno.execPath(), [
              "run",
              "-A",
              "scripts/build_npm.ts",
              "--out",
              out,
            ]),
            "build",
          );
          const pkg = JSON.parse(
            await Deno.readTextFile(`${out}/package.json`),
          );
          assertEquals(pkg.name, "microcoap");
          assertEquals(pkg.type, "module");
          assertEquals(pkg.license, "MIT");
          assertEquals(pkg.engines, { node: ">=20" });
          assertEquals(pkg.bin, { microcoap: "./bin/microcoap.js" });
          assertEquals(Object.keys(pkg.dependencies), ["cborg"]);
          for (
            const key of [
              ".",
              "./codec",
              "./transport",
              "./dedup",
              "./endpoint",
              "./client",
              "./server",
              "./cli",
              "./cli/main",
              "./codec/uri",
            ]
          ) {
            const entry = pkg.exports[key];
            assert(entry, `exports ${key}`);
            await Deno.stat(`${out}/${entry.default}`);
            await Deno.stat(`${out}/${entry.types}`);
          }
          const bin = await Deno.readTextFile(`${out}/bin/microcoap.js`);
          assert(bin.startsWith("#!/usr/bin/env node\n"));
          assertEquals(
            (await Deno.stat(`${out}/bin/microcoap.js`)).mode! & 0o111,
            0o111,
          );
          assertStringIncludes(
            await Deno.readTextFile(`${out}/LICENSE`),
            "MIT License",
          );
          assertStringIncludes(
            await Deno.readTextFile(`${out}/README.md`),
            "npm install microcoap",
          );
          // Readable, not minified; typed.
          const client = await Deno.readTextFile(`${out}/esm/client/client.js`);
          assert(client.split("\n").length > 300);
          assertStringIncludes(client, "export class CoapClient");
          const types = await Deno.readTextFile(
            `${out}/esm/client/client.d.ts`,
          );
          assertStringIncludes(types, "export declare class CoapClient");
          // Deno APIs only where guarded: the Deno UDP transport and the vendored
          // progress bar's default stream (the CLI always passes one).
          const all = await files(`${out}/esm`);
          const withDeno: string[] = [];
          for (const path of all.filter((p) => p.endsWith(".js"))) {
            const text = await Deno.readTextFile(`${out}/esm/${path}`);
            if (
              /\bDeno\.[a-z]/.test(
                text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ""),
              )
            ) withDeno.push(path);
          }
          assertStringIncludes(
            await Deno.readTextFile(`${out}/esm/_vendor/README.md`),
            "`@std/cli@",
          );
          assertEquals(withDeno.sort(), [
            "_vendor/std/cli/unstable_progress_bar.js",
            "transport/deno_udp.js",
          ]);
          assert(!all.some((p) => p.endsWith(".ts") && !p.endsWith(".d.ts")));
        },
      );

      await t.step("node --test passes against the built package", async () => {
        check(
          await run("npm", [
            "install",
            "--omit=dev",
            "--no-audit",
            "--no-fund",
            "--no-package-lock",
          ], { cwd: out, env: { npm_config_cache: `${tmp}/npm-cache` } }),
          "npm install",
        );
        await Deno.mkdir(`${out}/test`);
        await Deno.copyFile(
          new URL("npm/test/microcoap.test.mjs", ROOT),
          `${out}/test/microcoap.test.mjs`,
        );
        // A server running in Deno, for the Node side to reach.
        await using serve = createServeServer({ port: 0 });
        const { port } = await serve.listen();
        const result = check(
          await run("node", ["--test", "test/microcoap.test.mjs"], {
            cwd: out,
            env: { MICROCOAP_TEST_URL: `coap://127.0.0.1:${port}` },
          }),
          "node --test",
        );
        assertMatch(result.stdout, /^# pass 11$/m);
        assertMatch(result.stdout, /^# fail 0$/m);
        assertMatch(result.stdout, /^# skipped 0$/m);
      });

      await t.step("the packed tarball runs through npx", async () => {
        const pack = check(
          await run("npm", ["pack", "--silent", "--pack-destination", tmp], {
            cwd: out,
            env: { npm_config_cache: `${tmp}/npm-cache` },
          }),
          "npm pack",
        );
        const tarball = pack.stdout.trim().split("\n").at(-1)!;
        assertMatch(tarball, /^microcoap-\d+\.\d+\.\d+\.tgz$/);
        await using serve = createServeServer({ port: 0 });
        const { port } = await serve.listen();
        const env = {
          npm_config_cache: `${tmp}/npm-cache`,
          npm_config_update_notifier: "false",
        };
        const hello = check(
          await run("npx", [
            "--yes",
            `./${tarball}`,
            "get",
            `coap://127.0.0.1:${port}/hello`,
          ], { cwd: tmp, env }),
          "npx get",
        );
        assertEquals(hello.stdout, "hello world\n");
        const json = check(
          await run("npx", [
            "--yes",
            `./${tarball}`,
            "get",
            "--json",
            `coap://127.0.0.1:${port}/large`,
          ], { cwd: tmp, env }),
          "npx get --json",
        );
        assertEquals(JSON.parse(json.stdout).payload.length, 10_000);
      });

      await t.step(
        "a TypeScript project using the tarball type-checks under tsc --strict",
        async () => {
          const project = `${tmp}/consumer`;
          await Deno.mkdir(project);
          const tarball = (await files(tmp)).find((p) =>
            /^microcoap-.*\.tgz$/.test(p)
          )!;
          await Deno.writeTextFile(
            `${project}/package.json`,
            JSON.stringify({ name: "consumer", private: true, type: "module" }),
          );
          await Deno.writeTextFile(
            `${project}/tsconfig.json`,
            JSON.stringify({
              compilerOptions: {
                strict: true,
                module: "nodenext",
                moduleResolution: "nodenext",
                target: "es2022",
                lib: ["es2022", "dom"],
                types: ["node"],
                noEmit: true,
              },
              files: ["main.ts"],
            }),
          );
          await Deno.writeTextFile(
            `${project}/main.ts`,
            `import { Coap, CoapClient, CoapServer, encode } from "microcoap";
import type { CoapResponse } from "microcoap/client";
import { parseUri } from "microcoap/codec/uri";
import { createServeServer, runCli } from "microcoap/cli";

const server = new CoapServer({ port: 0 });
server.get("/x", (request) => ({ payload: request.path }));
const client = new CoapClient({ timeout: 1000 });
const response: Promise<CoapResponse> = client.get("coap://127.0.0.1/x");
const port: number = parseUri("coap://h/").port;
const code: Promise<number> = runCli(["--version"]);
// @ts-expect-error: a wrong option type is caught
new CoapClient({ timeout: "soon" });
void [response, port, code, Coap, encode, createServeServer];
`,
          );
          const env = {
            npm_config_cache: `${tmp}/npm-cache`,
            npm_config_update_notifier: "false",
          };
          check(
            await run("npm", [
              "install",
              "--no-audit",
              "--no-fund",
              `../${tarball}`,
              "typescript@5.9.3",
              "@types/node@20",
            ], { cwd: project, env }),
            "npm install (consumer)",
          );
          check(
            await run("npx", ["tsc", "-p", "."], { cwd: project, env }),
            "tsc",
          );
        },
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
