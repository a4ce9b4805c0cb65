// Copyright 2026 the microcoap authors. MIT license.
/**
 * Options for a {@linkcode CoapServer} that takes part in CoAP group
 * communication (RFC 7252 §8).
 *
 * @module
 */
import type { MulticastResponsePolicy } from "@microcoap/endpoint";

/**
 * Group communication settings of {@linkcode CoapServerOptions.multicast}.
 *
 * Requests that come by multicast are answered as RFC 7252 §8.1 and §8.2
 * ask: never with RST (a CON sent to a group is ignored, as are requests
 * with unrecognised critical options), with a unicast NON response from the
 * server's own address at a random moment within `leisure`, and by default
 * only with 2.xx responses that have a payload (a `/.well-known/core` query
 * that matches nothing gets no answer, RFC 6690 §4.1), unless the request's
 * No-Response option (RFC 7967) asks for other classes. Handlers see the
 * group in `request.group`.
 *
 * @example Usage
 * ```ts
 * import { CoapServer, type CoapServerMulticastOptions } from "@microcoap/server";
 * import { assertEquals } from "@std/assert";
 *
 * const multicast: CoapServerMulticastOptions = {
 *   groups: ["224.0.1.187"], // All CoAP Nodes
 *   interface: "127.0.0.1",
 *   leisure: 1000,
 * };
 * await using server = new CoapServer({ hostname: "127.0.0.1", port: 0, multicast });
 * const address = await server.listen();
 * assertEquals(address.hostname, "127.0.0.1");
 * ```
 */
export interface CoapServerMulticastOptions {
  /**
   * The groups to join, such as `"224.0.1.187"` or `"ff02::fd"` (All CoAP
   * Nodes). Ignored with a `transport` (it decides what it receives; a
   * `MemoryNetwork` endpoint joins groups with its `groups` option).
   */
  readonly groups: readonly string[];
  /**
   * The interface to join on: its IPv4 address (`"127.0.0.1"`) or, for
   * IPv6, `"::%eth0"`.
   *
   * @default {undefined} the system's choice
   */
  readonly interface?: string;
  /**
   * The leisure in ms: each response goes at a random moment within it.
   *
   * @default {5000} DEFAULT_LEISURE
   */
  readonly leisure?: number;
  /**
   * Which responses are sent (see `MulticastResponsePolicy` of
   * `@microcoap/endpoint`).
   *
   * @default {"useful"} 2.xx with a payload
   */
  readonly responses?: MulticastResponsePolicy;
}
