// Copyright 2026 the microcoap authors. MIT license.
// Bundle sizes next to coap-packet and node-coap: bundled and minified with
// esbuild, then gzipped (level 9). Run: `deno run -A bench/size.ts`.
//
// Our bundles are built from the workspace sources (platform "neutral", so
// Node built-ins such as node:dgram stay external, as they would in an app);
// node-coap is bundled from bench/node/node_modules (`npm ci` there) for
// platform "node", its built-ins external too.
import * as esbuild from "npm:esbuild@0.28.2";
import "npm:coap-packet@1.1.1"; // puts the package in the graph to resolve it
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { existsSync } from "node:fs";
import { NODE_DIR, ROOT, stopEsbuild, workspacePlugin } from "./_util.ts";

const codec = ROOT + "packages/codec/";
const coapPacket = fileURLToPath(import.meta.resolve("npm:coap-packet@1.1.1"));

interface Entry {
  name: string;
  contents: string;
  resolveDir: string;
  platform?: "neutral" | "node";
  /** The size it must not exceed (min+gz bytes), if it has a target. */
  target?: number;
}

/** One measured bundle. */
export interface SizeRow {
  name: string;
  minified: number;
  gzipped: number;
  target: number | undefined;
}

const COAP_PACKET = "coap-packet 1.1.1 (generate + parse)";
const NODE_COAP = "node-coap 1.5.0 (whole package)";

function entries(): Entry[] {
  const list: Entry[] = [
    {
      name: "microcoap codec core (encode + decode)",
      contents: 'export { encode } from "./encode.ts";\n' +
        'export { decode } from "./decode.ts";\n',
      resolveDir: codec,
      target: 2150, // coap-packet's 2.1 KB
    },
    {
      name: "microcoap codec, all of mod.ts",
      contents: 'export * from "./mod.ts";\n',
      resolveDir: codec,
    },
    {
      name: "microcoap facade: CoapClient + CoapServer (observe, block-wise)",
      contents: 'export { CoapClient } from "@microcoap/client";\n' +
        'export { CoapServer } from "@microcoap/server";\n',
      resolveDir: ROOT,
      target: 12 * 1024,
    },
    {
      name: "microcoap facade, all of @microcoap/coap",
      contents: 'export * from "@microcoap/coap";\n',
      resolveDir: ROOT,
      target: 12 * 1024,
    },
    {
      name: COAP_PACKET,
      contents: `export { generate, parse } from ${
        JSON.stringify(coapPacket)
      };\n`,
      resolveDir: codec,
    },
  ];
  if (existsSync(NODE_DIR + "node_modules/coap/package.json")) {
    list.push({
      name: NODE_COAP,
      contents: 'export * from "coap";\n',
      resolveDir: NODE_DIR,
      platform: "node",
    });
  }
  return list;
}

async function measure(entry: Entry): Promise<[number, number]> {
  const result = await esbuild.build({
    stdin: {
      contents: entry.contents,
      resolveDir: entry.resolveDir,
      loader: "ts",
    },
    bundle: true,
    minify: true,
    format: "esm",
    platform: entry.platform ?? "neutral",
    target: "es2022",
    write: false,
    logLevel: "error",
    plugins: [workspacePlugin],
    // node:* modules are the runtime's, not part of the library.
    external: ["node:*"],
  });
  const code = result.outputFiles[0]!.contents;
  return [code.length, gzipSync(code, { level: 9 }).length];
}

/** Measures every bundle. */
export async function sizeBench(): Promise<SizeRow[]> {
  const rows: SizeRow[] = [];
  for (const entry of entries()) {
    const [minified, gzipped] = await measure(entry);
    rows.push({ name: entry.name, minified, gzipped, target: entry.target });
  }
  return rows;
}

/** Prints the rows with ratios to coap-packet and node-coap. */
export function printSize(rows: readonly SizeRow[]): void {
  const packet = rows.find((row) => row.name === COAP_PACKET)?.gzipped;
  const nodeCoap = rows.find((row) => row.name === NODE_COAP)?.gzipped;
  console.table(rows.map((row) => ({
    bundle: row.name,
    "min bytes": row.minified,
    "min+gz bytes": row.gzipped,
    "vs coap-packet": packet ? (row.gzipped / packet).toFixed(2) + "×" : "n/a",
    "vs node-coap": nodeCoap
      ? (row.gzipped / nodeCoap).toFixed(2) + "×"
      : "n/a",
    target: row.target === undefined ? "" : `≤ ${row.target}`,
    met: row.target === undefined
      ? ""
      : row.gzipped <= row.target
      ? "yes"
      : "no",
  })));
}

if (import.meta.main) {
  try {
    printSize(await sizeBench());
  } finally {
    await stopEsbuild();
  }
}
