// Copyright 2026 the microcoap authors. MIT license.
/**
 * Types and defaults for CoAP group communication (RFC 7252 §8) on a
 * {@linkcode CoapEndpoint}.
 *
 * @module
 */
import type { CoapMessage } from "@microcoap/codec";
import type { PeerAddress } from "@microcoap/transport";

/**
 * DEFAULT_LEISURE of RFC 7252 §8.2: a server picks a random moment within
 * this many milliseconds to answer a request that came by multicast.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_LEISURE } from "@microcoap/endpoint";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(DEFAULT_LEISURE, 5000);
 * ```
 */
export const DEFAULT_LEISURE = 5000;

/**
 * Which responses to a request that came by multicast are sent, when the
 * request has no No-Response option (RFC 7967; with one, its value decides
 * for every class, errors included):
 *
 * - `"useful"`: 2.xx responses with a payload (RFC 7252 §8.2: a server may
 *   ignore a multicast request when it has only an empty payload or an
 *   error to answer with; RFC 6690 §4.1: no answer when a discovery filter
 *   matches nothing);
 * - `"success"`: every 2.xx response;
 * - `"all"`: errors too.
 *
 * @example Usage
 * ```ts
 * import { CoapEndpoint, type MulticastResponsePolicy } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const policy: MulticastResponsePolicy = "success";
 * await using endpoint = new CoapEndpoint(new MemoryNetwork().bind(), { multicastResponses: policy });
 * assertEquals(endpoint.closed, false);
 * ```
 */
export type MulticastResponsePolicy = "useful" | "success" | "all";

/**
 * Options for {@linkcode CoapEndpoint.prototype.multicast}.
 *
 * @example Usage
 * ```ts
 * import { CoapEndpoint, type EndpointMulticastOptions } from "@microcoap/endpoint";
 * import { CoapCode } from "@microcoap/codec";
 * import { FakeClock, MemoryNetwork, type PeerAddress } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683, groups: ["224.0.1.187"] }), {
 *   clock,
 *   random: () => 0.5, // answers 2.5 s (half the leisure) after the request
 *   handler: () => ({ code: CoapCode.CONTENT, payload: new Uint8Array([1]) }),
 * });
 * await using client = new CoapEndpoint(network.bind(), { clock });
 * const answered: [string, number][] = [];
 * const options: EndpointMulticastOptions = {
 *   timeout: 3000,
 *   onResponse: (_response, peer: PeerAddress) => answered.push([peer.hostname, clock.now()]),
 * };
 * const done = client.multicast({ hostname: "224.0.1.187", port: 5683 }, { code: CoapCode.GET }, options);
 * await clock.tick(3000);
 * await done;
 * assertEquals(answered, [["10.0.0.1", 2500]]);
 * ```
 */
export interface EndpointMulticastOptions {
  /**
   * Called with each response and the server that sent it (responses to a
   * multicast request are matched by token alone, from any source).
   */
  onResponse: (response: CoapMessage, peer: PeerAddress) => void;
  /**
   * How long to collect responses, in ms; then the promise resolves.
   *
   * @default {multicastLeisure + ackTimeout} (7 s with the defaults)
   */
  timeout?: number;
  /** Ends the collection early: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Use this token instead of a fresh random one.
   *
   * @default {undefined} a fresh random token of `tokenLength` bytes
   */
  token?: Uint8Array;
  /** Called with the request message (with its message ID) when it is sent. */
  onSent?: (message: CoapMessage) => void;
}
