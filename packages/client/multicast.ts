// Copyright 2026 the microcoap authors. MIT license.
/**
 * Options of {@linkcode CoapClient.prototype.multicast}, the client side of
 * CoAP group communication (RFC 7252 §8).
 *
 * @module
 */
import type {
  CoapMethodOptions,
  CoapRequestOptions,
} from "./request_options.ts";

/**
 * How the sockets a {@linkcode CoapClient} binds for multicast requests send
 * them ({@linkcode CoapClientOptions.multicast}).
 *
 * @example Usage
 * ```ts
 * import { CoapClient, type CoapClientMulticastOptions } from "@microcoap/client";
 * import { assertEquals } from "@std/assert";
 *
 * // Multicast goes out of the loopback interface, to this host only.
 * const multicast: CoapClientMulticastOptions = { interface: "127.0.0.1", hops: 1 };
 * await using client = new CoapClient({ multicast });
 * assertEquals(client.closed, false);
 * ```
 */
export interface CoapClientMulticastOptions {
  /**
   * The interface multicast requests leave from: its IPv4 address
   * (`"127.0.0.1"`) or, for IPv6, `"::%eth0"`.
   *
   * @default {undefined} the system's choice (the route to the group)
   */
  readonly interface?: string;
  /**
   * The IPv4 TTL or IPv6 hop limit of multicast requests.
   *
   * @default {undefined} the system default (1)
   */
  readonly hops?: number;
  /**
   * Whether multicast requests also reach servers on this host.
   *
   * @default {undefined} the system default (on)
   */
  readonly loopback?: boolean;
}

/**
 * Options for {@linkcode CoapClient.prototype.multicast}: those of a request
 * except the ones a multicast request cannot have (it is always NON, fits one
 * datagram and carries no ETag in a GET, RFC 7252 §8.2.1), `timeout`,
 * which here is how long responses are collected, and `bufferSize`, how many
 * wait for the reader.
 *
 * @example Usage
 * ```ts
 * import { CoapClient, type CoapMulticastOptions } from "@microcoap/client";
 * import { CoapServer } from "@microcoap/server";
 * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * await using server = new CoapServer({
 *   transport: network.bind({ hostname: "10.0.0.1", port: 5683, groups: ["224.0.1.187"] }),
 *   clock,
 * });
 * server.get("/lamp", () => ({ payload: "on" }), { rt: "light" });
 * await server.listen();
 * await using client = new CoapClient({ transport: network.bind(), clock });
 * const options: CoapMulticastOptions = { query: { rt: "light" }, timeout: 6000, bufferSize: 64 };
 * const found: string[] = [];
 * const collecting = (async () => {
 *   for await (const response of client.multicast("coap://224.0.1.187/.well-known/core", options)) {
 *     found.push(`${response.peer.hostname} ${response.text()}`);
 *   }
 * })();
 * await clock.tick(6000);
 * await collecting;
 * assertEquals(found, ['10.0.0.1 </lamp>;rt="light"']);
 * ```
 */
export interface CoapMulticastOptions extends
  Omit<
    CoapMethodOptions,
    | "confirmable"
    | "timeout"
    | "observe"
    | "etag"
    | "blockSize"
    | "requestTag"
    | "onProgress"
  > {
  /**
   * The method.
   *
   * @default {"GET"}
   */
  method?: CoapRequestOptions["method"];
  /**
   * How long to collect responses, in ms; servers answer within their
   * leisure (5 s by default, RFC 7252 §8.2).
   *
   * @default {7000} DEFAULT_LEISURE + ACK_TIMEOUT
   */
  timeout?: number;
  /**
   * How many responses wait for a reader that is away (or busy completing a
   * block-wise one); later ones are dropped until it catches up, so that a
   * flood of answers cannot grow memory without bound.
   *
   * @default {256}
   */
  bufferSize?: number;
}
