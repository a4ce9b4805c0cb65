// Copyright 2026 the microcoap authors. MIT license.
/**
 * Datagram transports for CoAP: the {@linkcode Transport} interface, UDP on
 * `node:dgram` (Deno, Node, Bun), Deno's native datagram API, an in-memory
 * network for deterministic tests, an adapter for microCoAPy-style custom
 * sockets, and injectable clocks.
 *
 * ```ts
 * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * const a = network.bind();
 * const b = network.bind();
 * const received: string[] = [];
 * b.listen({ onDatagram: (data) => received.push(new TextDecoder().decode(data)) });
 * a.send(new TextEncoder().encode("hello"), b.localAddress);
 * await clock.tick(0);
 * assertEquals(received, ["hello"]);
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./clock.ts";
export * from "./transport_error.ts";
export * from "./udp.ts";
export * from "./deno_udp.ts";
export * from "./memory_network.ts";
export * from "./socket_adapter.ts";
export * from "./multicast.ts";
export * from "./format_peer_address.ts";
export * from "./canonical_hostname.ts";
