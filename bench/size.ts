// Copyright 2026 the microcoap authors. MIT license.
// Bundle size of the codec next to coap-packet: bundled and minified with
// esbuild, then gzipped (level 9). Run: `deno run -A bench/size.ts`.
import * as esbuild from "npm:esbuild@0.28.2";
import "npm:coap-packet@1.1.1"; // puts the package in the graph to resolve it
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const codec = fileURLToPath(new URL("../packages/codec/", import.meta.url));
const coapPacket = fileURLToPath(import.meta.resolve("npm:coap-packet@1.1.1"));

interface Entry {
  name: string;
  contents: string;
  resolveDir: string;
}

const entries: Entry[] = [
  {
    name: "microcoap codec core (encode + decode)",
    contents: 'export { encode } from "./encode.ts";\n' +
      'export { decode } from "./decode.ts";\n',
    resolveDir: codec,
  },
  {
    name: "microcoap codec, all of mod.ts",
    contents: 'export * from "./mod.ts";\n',
    resolveDir: codec,
  },
  {
    name: "coap-packet 1.1.1 (generate + parse)",
    contents: `export { generate, parse } from ${
      JSON.stringify(coapPacket)
    };\n`,
    resolveDir: codec,
  },
];

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
    platform: "neutral",
    target: "es2022",
    write: false,
    logLevel: "error",
  });
  const code = result.outputFiles[0]!.contents;
  return [code.length, gzipSync(code, { level: 9 }).length];
}

try {
  const sizes: [number, number][] = [];
  for (const entry of entries) sizes.push(await measure(entry));
  const baseline = sizes[sizes.length - 1]![1];
  const rows = entries.map((entry, i) => {
    const [minified, gzipped] = sizes[i]!;
    return {
      bundle: entry.name,
      "min bytes": minified,
      "min+gz bytes": gzipped,
      "vs coap-packet (gz)": (gzipped / baseline).toFixed(2),
      "≤ coap-packet": gzipped <= baseline ? "yes" : "no",
    };
  });
  console.table(rows);
} finally {
  await esbuild.stop();
}
