// Copyright 2026 the microcoap authors. MIT license.
// The codec against coap-packet: runs packages/codec/codec_bench.ts with
// `deno bench --json` and prints messages per second with the ratios and
// their targets (encode ≥ 10×, decode ≥ 3×).
//
// `deno run -A bench/codec.ts`
import { ROOT, run } from "./_util.ts";

/** One benchmark group (e.g. "encode GET"): ours and coap-packet's rate. */
export interface CodecRow {
  group: string;
  ours: number;
  coapPacket: number;
  target: number;
}

interface BenchJson {
  benches: {
    group: string | null;
    name: string;
    baseline: boolean;
    results: { ok?: { avg: number } }[];
  }[];
}

/** Runs the codec benchmark and returns one row per group. */
export async function codecBench(): Promise<CodecRow[]> {
  const out = await run("deno", [
    "bench",
    "-A",
    "--json",
    ROOT + "packages/codec/codec_bench.ts",
  ]);
  const json = JSON.parse(out) as BenchJson;
  const rows = new Map<string, CodecRow>();
  for (const bench of json.benches) {
    const group = bench.group ?? bench.name;
    const avg = bench.results[0]?.ok?.avg;
    if (avg === undefined) continue;
    const row = rows.get(group) ??
      {
        group,
        ours: NaN,
        coapPacket: NaN,
        target: group.startsWith("encode") ? 10 : 3,
      };
    if (bench.baseline) row.coapPacket = 1e9 / avg;
    else row.ours = 1e9 / avg;
    rows.set(group, row);
  }
  return [...rows.values()];
}

/** Prints the codec rows. */
export function printCodec(rows: readonly CodecRow[]): void {
  console.table(rows.map((row) => {
    const speedup = row.ours / row.coapPacket;
    return {
      benchmark: row.group,
      "microcoap msgs/s": Math.round(row.ours).toLocaleString("en"),
      "coap-packet msgs/s": Math.round(row.coapPacket).toLocaleString("en"),
      ratio: speedup.toFixed(2) + "×",
      target: `≥ ${row.target}×`,
      met: speedup >= row.target ? "yes" : "no",
    };
  }));
}

if (import.meta.main) printCodec(await codecBench());
