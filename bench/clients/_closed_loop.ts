// Copyright 2026 the microcoap authors. MIT license.

/** What a client benchmark measured. */
export interface ClientResult {
  /** Responses per second. */
  rps: number;
  /** Requests answered. */
  count: number;
  /** Median latency, ms. */
  p50: number;
  /** 99th percentile latency, ms. */
  p99: number;
  /** Requests that failed or got another code than 2.05. */
  errors: number;
}

/**
 * Runs `count` requests, `concurrency` at a time; `request` resolves to
 * whether the response was the expected one.
 */
export async function closedLoop(
  count: number,
  concurrency: number,
  request: () => Promise<boolean>,
): Promise<ClientResult> {
  const latencies = new Float64Array(count);
  let issued = 0;
  let done = 0;
  let errors = 0;
  // Warm-up: a few requests that are not counted.
  for (let i = 0; i < Math.min(200, count); i++) {
    await request().catch(() => false);
  }
  const start = performance.now();
  const lane = async () => {
    while (issued < count) {
      issued++;
      const sent = performance.now();
      let ok = false;
      try {
        ok = await request();
      } catch {
        ok = false;
      }
      if (!ok) errors++;
      latencies[done++] = performance.now() - sent;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const elapsed = performance.now() - start;
  const sorted = latencies.subarray(0, done).sort();
  return {
    rps: done / (elapsed / 1000),
    count: done,
    p50: sorted[Math.floor(done * 0.5)] ?? NaN,
    p99: sorted[Math.min(done - 1, Math.floor(done * 0.99))] ?? NaN,
    errors,
  };
}
