// Copyright 2026 the microcoap authors. MIT license.
/**
 * microcoap: CoAP (RFC 7252) for TypeScript, small, fast and complete.
 *
 * This module re-exports the public API of the `@microcoap/*` packages, and
 * adds {@linkcode Coap}, a class compatible with microCoAPy's.
 *
 * ```ts
 * import { Coap } from "@microcoap/coap";
 * import { assert } from "@std/assert";
 *
 * const coap = new Coap();
 * await coap.start(0, "127.0.0.1");
 * assert(coap.port > 0);
 * await coap.stop();
 * ```
 *
 * @module
 */
export * from "@microcoap/codec";
export * from "@microcoap/transport";
export * from "@microcoap/endpoint";
export * from "@microcoap/client";
export * from "@microcoap/server";
export * from "./microcoapy.ts";
