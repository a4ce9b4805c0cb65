// Copyright 2026 the microcoap authors. MIT license.
/**
 * Datagram transports for CoAP: the {@linkcode Transport} interface, UDP,
 * an in-memory network for tests, and injectable clocks.
 *
 * ```ts
 * import { FakeClock } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * await clock.tick(10);
 * assertEquals(clock.now(), 10);
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./clock.ts";
