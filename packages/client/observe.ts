// Copyright 2026 the microcoap authors. MIT license.
/**
 * Observing resources (RFC 7641): {@linkcode CoapObservation}, the async
 * iterable that {@linkcode CoapClient.prototype.observe} returns.
 *
 * @module
 */
import type { CoapResponse } from "./response.ts";
import type { CoapMethodOptions } from "./request_options.ts";
// deno-lint-ignore no-unused-vars
import type { CoapClient } from "./client.ts";

/**
 * Options for {@linkcode CoapClient.prototype.observe}.
 *
 * @example Usage
 * ```ts
 * import { CoapClient, type CoapObserveOptions } from "@microcoap/client";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, CoapOptionNumber, encodeObserve } from "@microcoap/codec";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
 *   handler: () => ({
 *     code: CoapCode.CONTENT,
 *     options: [{ number: CoapOptionNumber.OBSERVE, value: encodeObserve(1) }],
 *     payload: new TextEncoder().encode("21 C"),
 *   }),
 * });
 * await using client = new CoapClient({ transport: network.bind() });
 * const controller = new AbortController();
 * const options: CoapObserveOptions = { signal: controller.signal, timeout: 5000, bufferSize: 1 };
 * const observation = client.observe("coap://10.0.0.1/temp", options);
 * const first = await observation.next();
 * assertEquals(first.done ? undefined : first.value.text(), "21 C");
 * // Aborting the signal deregisters; the iteration rejects with its reason.
 * controller.abort(new Error("enough"));
 * await assertRejects(() => observation.next(), Error, "enough");
 * ```
 */
export interface CoapObserveOptions extends
  Pick<
    CoapMethodOptions,
    | "payload"
    | "contentFormat"
    | "accept"
    | "confirmable"
    | "query"
    | "options"
    | "etag"
    | "blockSize"
    | "onProgress"
  > {
  /**
   * GET, or FETCH (RFC 8132) with a payload that selects what to observe.
   *
   * @default {"GET"}
   */
  method?: "GET" | "FETCH";
  /**
   * Ends the observation: it is deregistered and the iteration rejects with
   * the signal's reason.
   */
  signal?: AbortSignal;
  /**
   * The most time to wait for the first response, in ms; past it the
   * iteration rejects with `CoapTimeoutError`.
   *
   * @default {the client's timeout}
   */
  timeout?: number;
  /**
   * How many responses wait for a slow consumer; when more arrive the
   * oldest are dropped, since only the newest state matters. The same bound
   * holds for notifications that arrive while an earlier one is being
   * completed block-wise: at most this many wait, and only those are
   * completed.
   *
   * @default {16}
   */
  bufferSize?: number;
  /**
   * Register again (same token, Observe 0) when no notification came for
   * the last one's Max-Age plus `reregisterMargin` (RFC 7641 §3.3.1), and
   * at least 1 second. The response to it is yielded like a notification;
   * when it fails (no answer: the server is gone) the iteration rejects, and
   * when it comes without Observe or is not 2.xx (a restarted server that no
   * longer observes the resource) it is yielded and the iteration ends.
   * Without it, a server that lost the registration leaves the observation
   * silent until it is cancelled.
   *
   * @default {false}
   */
  reregister?: boolean;
  /**
   * The extra silence, past Max-Age, before registering again, in ms.
   *
   * @default {5000}
   */
  reregisterMargin?: number;
}

/**
 * A running observation (RFC 7641): an async iterable of the first response
 * and then each notification, in order, newest state last.
 *
 * Notifications older than the newest one seen are dropped (RFC 7641 §3.4,
 * 24-bit sequence numbers and the 128-second rule). Notifications larger
 * than one block are completed block-wise before they are yielded. When the
 * first response has no Observe option or is not 2.xx (the server does not
 * observe this resource, or refused), it is yielded and the iteration ends;
 * the same when a later notification has none or is not 2.xx (the server
 * ended it, RFC 7641 §3.2).
 *
 * Leaving a `for await` loop early, {@linkcode CoapObservation.cancel} and
 * aborting the `signal` deregister actively (a GET with Observe 1 and the
 * same token); later notifications are then rejected with RST. Leaving the
 * loop (and `await using`) waits until that deregistration is over.
 *
 * It iterates once: a second `for await` continues where the first stopped.
 *
 * @example Usage
 * ```ts
 * import { CoapClient } from "@microcoap/client";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, CoapOptionNumber, encodeObserve } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
 *   handler: () => ({
 *     code: CoapCode.CONTENT,
 *     options: [{ number: CoapOptionNumber.OBSERVE, value: encodeObserve(1) }],
 *     payload: new TextEncoder().encode("21 C"),
 *   }),
 * });
 * await using client = new CoapClient({ transport: network.bind() });
 * const observation = client.observe("coap://10.0.0.1/temp");
 * for await (const response of observation) {
 *   assertEquals(response.text(), "21 C");
 *   break; // deregisters
 * }
 * ```
 */
export interface CoapObservation
  extends AsyncIterableIterator<CoapResponse>, AsyncDisposable {
  /**
   * Ends the observation and deregisters from the server.
   *
   * @returns A promise that settles when the deregistration exchange is over
   * (it never rejects).
   */
  cancel(): Promise<void>;
  /** Whether the observation has ended (cancelled, failed, or ended by the server). */
  readonly ended: boolean;
}
