// Copyright 2026 the microcoap authors. MIT license.
/**
 * Builds the npm package `microcoap` from the workspace sources:
 *
 *     deno task build:npm                      # into dist/npm
 *     deno run -A scripts/build_npm.ts --out DIR
 *
 * Every module the packages export is compiled on its own with TypeScript's
 * `transpileModule` (readable ES2022 JavaScript, comments kept) and
 * `transpileDeclaration` (`.d.ts`, which the packages' explicit types make
 * possible without a type-checking program). Import specifiers are rewritten
 * as Deno resolved them (`deno info`): workspace packages and relative
 * files become relative `.js` paths, JSR modules (`@std/cli`) are copied
 * under `esm/_vendor/`, npm packages (`cborg`) become dependencies, and
 * `node:` modules stay. The output:
 *
 *     package.json  exports "." (the facade), "./codec", "./client", …,
 *                   "./codec/uri" and the other subpaths; bin "microcoap"
 *     esm/<package>/<file>.js and .d.ts
 *     bin/microcoap.js (with a shebang)
 *     README.md, LICENSE
 *
 * @module
 */
import ts from "typescript";
import { parseArgs } from "@std/cli/parse-args";

const ROOT = new URL("../", import.meta.url);
const ROOT_PATH = decodeURIComponent(ROOT.pathname);

/** A workspace member as its deno.json describes it. */
interface Member {
  /** The folder under packages/, such as "codec". */
  readonly folder: string;
  readonly name: string;
  readonly version: string;
  readonly exports: Readonly<Record<string, string>>;
}

interface Dependency {
  readonly specifier: string;
  readonly code?: { readonly specifier: string };
  readonly type?: { readonly specifier: string };
}

interface GraphModule {
  readonly specifier: string;
  readonly kind: string;
  readonly local?: string;
  readonly dependencies?: readonly Dependency[];
  readonly error?: string;
}

interface Graph {
  readonly roots: readonly string[];
  readonly modules: readonly GraphModule[];
  readonly redirects: Readonly<Record<string, string>>;
}

/** Options for {@linkcode buildNpm}. */
export interface BuildNpmOptions {
  /** The output folder, emptied first. */
  readonly outDir: string;
  /** Prints progress lines. @default {console.log} */
  readonly log?: (line: string) => void;
}

/** What {@linkcode buildNpm} made. */
export interface BuildNpmResult {
  /** The package.json written. */
  readonly packageJson: Record<string, unknown>;
  /** Paths of the files written, relative to the output folder. */
  readonly files: readonly string[];
  /** Declaration warnings (types TypeScript had to infer). */
  readonly warnings: readonly string[];
}

async function readJson(url: URL): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(url));
}

async function workspace(): Promise<Member[]> {
  const root = await readJson(new URL("deno.json", ROOT));
  const members: Member[] = [];
  for (const path of root.workspace as string[]) {
    const folder = path.replace(/^\.\/packages\//, "").replace(/\/$/, "");
    const config = await readJson(new URL(`${path}/deno.json`, ROOT));
    const exports = typeof config.exports === "string"
      ? { ".": config.exports }
      : config.exports as Record<string, string>;
    members.push({
      folder,
      name: config.name as string,
      version: config.version as string,
      exports,
    });
  }
  return members;
}

async function moduleGraph(entries: readonly URL[]): Promise<Graph> {
  const dir = await Deno.makeTempDir({ prefix: "microcoap_build_" });
  try {
    const entry = `${dir}/entry.ts`;
    await Deno.writeTextFile(
      entry,
      entries.map((url) => `import ${JSON.stringify(url.href)};\n`).join(""),
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", `${ROOT_PATH}deno.json`, entry],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(
        `deno info failed: ${new TextDecoder().decode(output.stderr)}`,
      );
    }
    const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as Graph;
    const broken = graph.modules.filter((module) => module.error);
    if (broken.length > 0) {
      throw new Error(
        `Cannot build: ${
          broken.map((m) => `${m.specifier}: ${m.error}`).join("; ")
        }`,
      );
    }
    return graph;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const PACKAGES_URL = new URL("packages/", ROOT).href;

/** Where a module goes in the package, or how it is imported. */
type Target =
  | { readonly kind: "file"; readonly path: string; readonly vendored?: string }
  | {
    readonly kind: "bare";
    readonly specifier: string;
    readonly npm?: string;
  };

function targetOf(specifier: string, graph: Graph): Target {
  const resolved = graph.redirects[specifier] ?? specifier;
  if (resolved.startsWith("node:")) {
    return { kind: "bare", specifier: resolved };
  }
  const npm = /^npm:\/?((?:@[^/]+\/)?[^@/]+)(?:@[^/]*)?(\/.*)?$/.exec(resolved);
  if (npm) {
    return { kind: "bare", specifier: npm[1]! + (npm[2] ?? ""), npm: npm[1]! };
  }
  if (resolved.startsWith(PACKAGES_URL)) {
    return {
      kind: "file",
      path: "esm/" +
        resolved.slice(PACKAGES_URL.length).replace(/\.ts$/, ".js"),
    };
  }
  // A JSR module (from jsr.io or a file:// JSR_URL mirror): vendored.
  const jsr = /\/@([^/]+)\/([^/]+)\/([^/]+)\/(.+)\.ts$/.exec(resolved);
  if (jsr) {
    return {
      kind: "file",
      path: `esm/_vendor/${jsr[1]}/${jsr[2]}/${jsr[4]}.js`,
      vendored: `@${jsr[1]}/${jsr[2]}@${jsr[3]}`,
    };
  }
  throw new Error(`Cannot build: do not know where ${resolved} goes`);
}

function relative(from: string, to: string): string {
  const a = from.split("/").slice(0, -1);
  const b = to.split("/");
  let common = 0;
  while (common < a.length && a[common] === b[common]) common++;
  const up = a.length - common;
  const rest = b.slice(common).join("/");
  return up === 0 ? `./${rest}` : "../".repeat(up) + rest;
}

/** Rewrites the module specifiers of one source file. */
function rewriteImports(
  source: string,
  fileName: string,
  rewrite: (specifier: string) => string,
): string {
  const file = ts.createSourceFile(
    fileName,
    source,
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.TS,
  );
  const edits: { start: number; end: number; text: string }[] = [];
  const edit = (literal: ts.Node | undefined) => {
    if (literal === undefined || !ts.isStringLiteralLike(literal)) return;
    const text = rewrite(literal.text);
    if (text !== literal.text) {
      edits.push({
        start: literal.getStart(file) + 1,
        end: literal.getEnd() - 1,
        text,
      });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      edit(node.moduleSpecifier);
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument)) edit(argument.literal);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword
    ) {
      edit(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  edits.sort((x, y) => y.start - x.start);
  let out = source;
  for (const { start, end, text } of edits) {
    out = out.slice(0, start) + text + out.slice(end);
  }
  return out;
}

/**
 * Works around `transpileDeclaration` (TypeScript 5.9) emitting a method with
 * a computed name such as `[Symbol.asyncDispose]()` twice, once as a
 * property, which consumers' `tsc` rejects as a duplicate identifier: drops
 * such properties where the class has a method of the same name.
 */
function dropDuplicateComputedMembers(dts: string): string {
  const file = ts.createSourceFile("x.d.ts", dts, ts.ScriptTarget.Latest, true);
  const removals: { start: number; end: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isClassDeclaration(node)) {
      const methods = new Set(
        node.members.filter(ts.isMethodDeclaration)
          .filter((m) => ts.isComputedPropertyName(m.name))
          .map((m) => m.name.getText(file)),
      );
      for (const member of node.members) {
        if (
          ts.isPropertyDeclaration(member) &&
          ts.isComputedPropertyName(member.name) &&
          methods.has(member.name.getText(file))
        ) {
          removals.push({ start: member.getFullStart(), end: member.getEnd() });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  let out = dts;
  for (const { start, end } of removals.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, start) + out.slice(end);
  }
  return out;
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  declaration: true,
  removeComments: false,
  isolatedModules: true,
  useDefineForClassFields: true,
  newLine: ts.NewLineKind.LineFeed,
};

function diagnosticText(diagnostic: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
  if (diagnostic.file && diagnostic.start !== undefined) {
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(
      diagnostic.start,
    );
    return `${diagnostic.file.fileName}:${line + 1}: ${message}`;
  }
  return message;
}

const BIN = `#!/usr/bin/env node
// The \`microcoap\` command (see \`microcoap help\`).
import process from "node:process";
import { main } from "../esm/cli/main.js";

process.exit(await main(process.argv.slice(2)));
`;

/**
 * Builds the npm package into `outDir`.
 *
 * @param options The output folder.
 * @returns The package.json, the files written and declaration warnings.
 */
export async function buildNpm(
  options: BuildNpmOptions,
): Promise<BuildNpmResult> {
  const log = options.log ?? console.log;
  const outDir = options.outDir.replace(/\/$/, "");
  const members = await workspace();
  const facade = members.find((member) => member.folder === "coap");
  if (facade === undefined) throw new Error("Cannot build: no packages/coap");

  const entries: URL[] = [];
  for (const member of members) {
    for (const file of Object.values(member.exports)) {
      entries.push(new URL(`packages/${member.folder}/${file}`, ROOT));
    }
  }
  const graph = await moduleGraph(entries);
  const rootConfig = await readJson(new URL("deno.json", ROOT));
  const imports = rootConfig.imports as Record<string, string>;

  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  const files: string[] = [];
  const warnings: string[] = [];
  const dependencies: Record<string, string> = {};
  const write = async (path: string, text: string) => {
    const full = `${outDir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, text);
    files.push(path);
  };

  const vendored = new Set<string>();
  for (const module of graph.modules) {
    if (module.kind !== "esm" || module.local === undefined) continue;
    if (graph.roots.includes(module.specifier)) continue;
    if (!/\.ts$/.test(module.specifier)) {
      throw new Error(`Cannot build: ${module.specifier} is not TypeScript`);
    }
    const target = targetOf(module.specifier, graph);
    if (target.kind !== "file") continue;
    if (target.vendored) vendored.add(target.vendored);
    const resolvedBy = new Map<string, string>();
    for (const dependency of module.dependencies ?? []) {
      const to = dependency.code?.specifier ?? dependency.type?.specifier;
      if (to !== undefined) resolvedBy.set(dependency.specifier, to);
    }
    const source = await Deno.readTextFile(module.local);
    const rewritten = rewriteImports(source, module.local, (specifier) => {
      const to = resolvedBy.get(specifier);
      if (to === undefined) {
        throw new Error(
          `Cannot build: ${module.specifier} imports ${specifier}, which deno info did not resolve`,
        );
      }
      const dependency = targetOf(to, graph);
      if (dependency.kind === "bare") {
        if (dependency.npm !== undefined) {
          const mapped = Object.values(imports).find((value) =>
            value.startsWith(`npm:${dependency.npm}@`)
          );
          dependencies[dependency.npm] = mapped?.slice(
            `npm:${dependency.npm}@`.length,
          ) ?? "*";
        }
        return dependency.specifier;
      }
      return relative(target.path, dependency.path);
    });
    const js = ts.transpileModule(rewritten, {
      compilerOptions: COMPILER_OPTIONS,
      fileName: module.local,
      reportDiagnostics: true,
    });
    for (const diagnostic of js.diagnostics ?? []) {
      throw new Error(`Cannot build: ${diagnosticText(diagnostic)}`);
    }
    const dts = ts.transpileDeclaration(rewritten, {
      compilerOptions: COMPILER_OPTIONS,
      fileName: module.local,
      reportDiagnostics: true,
    });
    for (const diagnostic of dts.diagnostics ?? []) {
      warnings.push(diagnosticText(diagnostic));
    }
    await write(target.path, js.outputText);
    await write(
      target.path.replace(/\.js$/, ".d.ts"),
      dropDuplicateComputedMembers(dts.outputText),
    );
  }

  const exports: Record<string, unknown> = {};
  const entry = (member: Member, file: string) => {
    const base = `./esm/${member.folder}/${file.replace(/^\.\//, "")}`
      .replace(/\.ts$/, "");
    return { types: `${base}.d.ts`, default: `${base}.js` };
  };
  exports["."] = entry(facade, facade.exports["."]!);
  for (const member of members) {
    for (const [key, file] of Object.entries(member.exports)) {
      const name = key === "."
        ? `./${member.folder}`
        : `./${member.folder}/${key.slice(2)}`;
      exports[name] = entry(member, file);
    }
  }
  exports["./package.json"] = "./package.json";

  if (vendored.size > 0) {
    await write(
      "esm/_vendor/README.md",
      "# Vendored modules\n\n" +
        "The command line's modules from JSR, copied here because npm cannot\n" +
        "install JSR packages without extra registry settings:\n\n" +
        [...vendored].sort().map((name) =>
          `- \`${name}\` (https://jsr.io/${
            name.replace(/@[^@]*$/, "")
          }), MIT License, Copyright the Deno authors\n`
        ).join(""),
    );
  }
  await write("bin/microcoap.js", BIN);
  await Deno.chmod(`${outDir}/bin/microcoap.js`, 0o755);
  await write(
    "README.md",
    await Deno.readTextFile(new URL("npm/README.md", ROOT)),
  );
  await write("LICENSE", await Deno.readTextFile(new URL("LICENSE", ROOT)));

  const packageJson: Record<string, unknown> = {
    name: "microcoap",
    version: facade.version,
    description:
      "CoAP (RFC 7252) for JavaScript: client, server, observe, block-wise transfer, a microCoAPy-compatible API and the microcoap command",
    keywords: [
      "coap",
      "rfc7252",
      "iot",
      "udp",
      "observe",
      "block-wise",
      "microcoapy",
    ],
    license: "MIT",
    type: "module",
    engines: { node: ">=20" },
    main: "./esm/coap/mod.js",
    types: "./esm/coap/mod.d.ts",
    exports,
    bin: { microcoap: "./bin/microcoap.js" },
    files: ["esm/", "bin/", "README.md", "LICENSE"],
    dependencies,
  };
  await write("package.json", JSON.stringify(packageJson, null, 2) + "\n");
  log(
    `Built ${packageJson.name}@${packageJson.version} in ${outDir}: ${files.length} files${
      warnings.length ? `, ${warnings.length} declaration warnings` : ""
    }`,
  );
  return { packageJson, files, warnings };
}

if (import.meta.main) {
  const args = parseArgs(Deno.args, {
    string: ["out"],
    boolean: ["warnings"],
    default: { out: `${ROOT_PATH}dist/npm` },
  });
  const result = await buildNpm({ outDir: args.out });
  if (args.warnings) {
    for (const warning of result.warnings) console.warn(warning);
  }
}
