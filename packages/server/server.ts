// Copyright 2026 the microcoap authors. MIT license.
/**
 * {@linkcode CoapServer}: routes, piggybacked and separate responses, error
 * mapping, resource discovery, observable resources and block-wise transfers.
 *
 * @module
 */
import {
  CoapCode,
  CoapOptionNumber,
  decodeBlock,
  decodeObserve,
  EMPTY_BYTES,
  encodeBlock,
  encodeObserve,
  getOption,
  getOptions,
  optionInfo,
  stringifyLinkFormat,
  uriPath,
  uriPathname,
} from "@microcoap/codec";
import type {
  BlockValue,
  CoapMessage,
  CoapMethod,
  CoapOption,
  CoreLink,
  LinkAttributeValue,
} from "@microcoap/codec";
import { CoapEndpoint } from "@microcoap/endpoint";
import { equals } from "@std/bytes/equals";
import type {
  CoapEndpointOptions,
  EndpointLogEvent,
  IncomingRequest,
  ResponseInit,
  TransmissionParameters,
} from "@microcoap/endpoint";
import {
  bindDenoUdp,
  bindUdp,
  isDenoUdpAvailable,
  systemClock,
} from "@microcoap/transport";
import type { Clock, PeerAddress, Transport } from "@microcoap/transport";
import {
  Block1Assembler,
  etagOf,
  ExpiringMap,
  sliceBlock2,
} from "./_blockwise.ts";
import {
  CONFIRMABLE_INTERVAL,
  freshRetransmission,
  nextSequence,
  OBSERVE_MODULUS,
  ObserverRegistry,
} from "./_observe.ts";
import type { Observer, PendingNotification } from "./_observe.ts";
import { messageSize, PeerVerifier } from "./_amplification.ts";
import {
  bareResponse,
  buildResponse,
  notAcceptable,
  uintOf,
  uintOption,
} from "./_response.ts";
import type { BuiltResponse, ServerResponse } from "./_response.ts";
import { CoapRequest } from "./request.ts";
import { methodName, Router } from "./router.ts";
import type { MethodSelector, PathPattern, RouterEntry } from "./router.ts";
import { wellKnownCore } from "./well_known_core.ts";
import type { CoapServerMulticastOptions } from "./multicast.ts";
import {
  bindMulticastUdp,
  checkMulticast,
  endpointMulticast,
  udpMulticast,
} from "./_multicast.ts";

export type {
  /**
   * What a route handler answers: a plain description of the response. Every
   * field is optional; `{}` (or returning nothing) sends the method's default
   * success code without a payload.
   *
   * @example Usage
   * ```ts
   * import { CoapServer, type ServerResponse } from "@microcoap/server";
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { CoapCode, CoapOptionNumber, createOption, getUintOption, payloadJson } from "@microcoap/codec";
   * import { assertEquals } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * await using server = new CoapServer({ transport: network.bind() });
   * server.get("/temp", (): ServerResponse => ({ payload: { celsius: 21.5 }, maxAge: 30 }));
   * const address = await server.listen();
   * await using client = new CoapEndpoint(network.bind());
   * const response = await client.request(address, {
   *   code: CoapCode.GET,
   *   options: [createOption(CoapOptionNumber.URI_PATH, "temp")],
   * });
   * assertEquals(response.code, CoapCode.CONTENT);
   * assertEquals(getUintOption(response, CoapOptionNumber.MAX_AGE), 30);
   * assertEquals(payloadJson(response.payload), { celsius: 21.5 });
   * ```
   */
  ServerResponse,
} from "./_response.ts";

/**
 * Handles requests to a route: gets the request, returns (or resolves to) a
 * response description. Returning nothing sends the method's default success
 * code. A throw or rejection becomes 5.00 (and is logged).
 *
 * @example Usage
 * ```ts
 * import { CoapServer, type RouteHandler } from "@microcoap/server";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, CoapOptionNumber, createOption } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const lamps = new Set(["1", "2"]);
 * // Returns nothing: DELETE then answers its default success code, 2.02 Deleted.
 * const remove: RouteHandler = (request) => {
 *   lamps.delete(request.params.id!);
 * };
 * const network = new MemoryNetwork();
 * await using server = new CoapServer({ transport: network.bind() });
 * server.delete("/lamps/:id", remove);
 * const address = await server.listen();
 * await using client = new CoapEndpoint(network.bind());
 * const response = await client.request(address, {
 *   code: CoapCode.DELETE,
 *   options: [createOption(CoapOptionNumber.URI_PATH, "lamps"), createOption(CoapOptionNumber.URI_PATH, "2")],
 * });
 * assertEquals(response.code, CoapCode.DELETED);
 * assertEquals([...lamps], ["1"]);
 * ```
 */
export type RouteHandler = (
  request: CoapRequest,
) => ServerResponse | void | Promise<ServerResponse | void>;

/**
 * Options for a route: content negotiation, discovery attributes, observe.
 *
 * @example Usage
 * ```ts
 * import { CoapServer, type RouteOptions } from "@microcoap/server";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, CoapOptionNumber, ContentFormat, createOption } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapServer({ transport: network.bind() });
 * const options: RouteOptions = { produces: [ContentFormat.TEXT_PLAIN], rt: "temperature", observable: true };
 * server.get("/temp", () => ({ payload: "21.5" }), options);
 * assertEquals(server.links(), [{ href: "/temp", attributes: { rt: "temperature", ct: 0, obs: true } }]);
 * const address = await server.listen();
 * await using client = new CoapEndpoint(network.bind());
 * // Asking for JSON from a route that only produces text/plain: 4.06 Not Acceptable.
 * const response = await client.request(address, {
 *   code: CoapCode.GET,
 *   options: [
 *     createOption(CoapOptionNumber.URI_PATH, "temp"),
 *     createOption(CoapOptionNumber.ACCEPT, ContentFormat.JSON),
 *   ],
 * });
 * assertEquals(response.code, CoapCode.NOT_ACCEPTABLE);
 * ```
 */
export interface RouteOptions {
  /**
   * The request Content-Formats the route accepts. A request with another
   * one, or with a payload and no Content-Format, gets 4.15.
   *
   * @default {any}
   */
  contentFormats?: readonly number[];
  /**
   * The Content-Formats the route can answer with. A request whose Accept
   * is not among them gets 4.06 before the handler runs. (Whatever this says,
   * a success response with a payload in another format than Accept asked
   * for is replaced by 4.06.) Also the default `ct` link attribute.
   *
   * @default {any}
   */
  produces?: readonly number[];
  /**
   * Resource type(s), the `rt` link attribute.
   *
   * @default {none}
   */
  rt?: string | readonly string[];
  /**
   * Interface description(s), the `if` link attribute.
   *
   * @default {none}
   */
  if?: string | readonly string[];
  /**
   * Content-Format(s), the `ct` link attribute.
   *
   * @default {produces}
   */
  ct?: number | readonly number[];
  /**
   * Estimated size, the `sz` link attribute.
   *
   * @default {none}
   */
  sz?: number;
  /**
   * A human-readable title, the `title` link attribute.
   *
   * @default {none}
   */
  title?: string;
  /**
   * Further link attributes.
   *
   * @default {{}}
   */
  attributes?: Readonly<Record<string, LinkAttributeValue>>;
  /**
   * The link target to list for a pattern with parameters or a wildcard
   * (those are not listed otherwise).
   *
   * @default {the pattern itself when it is literal}
   */
  href?: string;
  /**
   * Leave the route out of `/.well-known/core`.
   *
   * @default {false}
   */
  hidden?: boolean;
  /**
   * GET (and FETCH) requests with Observe 0 register observers (RFC 7641).
   *
   * @default {false}
   */
  observable?: boolean;
  /**
   * Send this route's notifications as confirmable messages.
   *
   * @default {false}
   */
  confirmable?: boolean;
}

/**
 * Options for {@linkcode CoapResource.notify}.
 *
 * @example Usage
 * ```ts
 * import { CoapServer, type NotifyOptions } from "@microcoap/server";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, CoapOptionNumber, createOption, payloadText } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapServer({ transport: network.bind() });
 * let celsius = 21;
 * const temp = server.get("/temp", () => ({ payload: `${celsius}` }), { observable: true });
 * const address = await server.listen();
 *
 * // One observer, registered for /temp?unit=C.
 * await using client = new CoapEndpoint(network.bind());
 * const controller = new AbortController();
 * const seen: string[] = [];
 * const { promise: notified, resolve } = Promise.withResolvers<void>();
 * await client.request(address, {
 *   code: CoapCode.GET,
 *   options: [
 *     createOption(CoapOptionNumber.OBSERVE, 0),
 *     createOption(CoapOptionNumber.URI_PATH, "temp"),
 *     createOption(CoapOptionNumber.URI_QUERY, "unit=C"),
 *   ],
 * }, {
 *   signal: controller.signal,
 *   onResponse: (response) => {
 *     seen.push(payloadText(response.payload));
 *     if (seen.length === 2) resolve();
 *   },
 * });
 *
 * celsius = 22;
 * const fahrenheitOnly: NotifyOptions = { filter: (request) => request.query.get("unit") === "F" };
 * assertEquals(temp.notify(undefined, fahrenheitOnly), 0);
 * const nonConfirmable: NotifyOptions = { confirmable: false };
 * assertEquals(temp.notify(undefined, nonConfirmable), 1);
 * await notified;
 * assertEquals(seen, ["21", "22"]);
 * controller.abort();
 * ```
 */
export interface NotifyOptions {
  /**
   * Send this notification as a confirmable message.
   *
   * @default {the route's `confirmable`}
   */
  confirmable?: boolean;
  /**
   * Notify only the observers whose registering request passes this test.
   *
   * @default {all}
   */
  filter?: (request: CoapRequest) => boolean;
}

/**
 * A registered route: notify its observers, count them, remove it.
 *
 * @example Usage
 * ```ts
 * import { CoapServer } from "@microcoap/server";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * await using server = new CoapServer({ transport: new MemoryNetwork().bind() });
 * const time = server.get("/time", () => ({ payload: "now" }), { observable: true });
 * await server.listen();
 * assertEquals(time.notify(), 0); // nobody observes yet
 * ```
 */
export interface CoapResource {
  /** The path pattern. */
  readonly pattern: string;
  /** The methods it answers (`"*"` for all). */
  readonly methods: readonly CoapMethod[] | "*";
  /** The current number of observers. */
  readonly observers: number;
  /**
   * Sends every observer (that passes `options.filter`) a notification: the
   * given response, or, without one, the handler's answer to the observer's
   * registering request. A non-2.xx notification ends the observation.
   *
   * @param response What to send instead of re-running the handler.
   * @param options Confirmable or not, which observers.
   * @returns The number of observers notified.
   */
  notify(response?: ServerResponse, options?: NotifyOptions): number;
  /** Removes the route and ends its observations, telling each observer 4.04 Not Found. */
  remove(): void;
}

/**
 * Events for {@linkcode CoapServerOptions.logger}: the endpoint's, plus the server's own.
 *
 * @example Usage
 * ```ts
 * import { CoapServer, type ServerLogEvent } from "@microcoap/server";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, CoapOptionNumber, createOption } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * const events: ServerLogEvent[] = [];
 * await using server = new CoapServer({ transport: network.bind(), logger: (event) => events.push(event) });
 * const temp = server.get("/temp", () => ({ payload: "21" }), { observable: true });
 * const address = await server.listen();
 * await using client = new CoapEndpoint(network.bind());
 * const controller = new AbortController();
 * await client.request(address, {
 *   code: CoapCode.GET,
 *   options: [createOption(CoapOptionNumber.OBSERVE, 0), createOption(CoapOptionNumber.URI_PATH, "temp")],
 * }, { signal: controller.signal, onResponse: () => {} });
 * controller.abort();
 * temp.remove();
 *
 * const observerEvents = events.filter((event) => event.kind.startsWith("observer-"));
 * assertEquals(observerEvents.map(({ kind, path, peer }) => [kind, path, peer]), [
 *   ["observer-added", "/temp", client.localAddress],
 *   ["observer-removed", "/temp", client.localAddress],
 * ]);
 * assertEquals(typeof observerEvents[1]!.reason, "string");
 * ```
 */
export interface ServerLogEvent {
  /** What happened. */
  readonly kind:
    | EndpointLogEvent["kind"]
    | "observer-added"
    | "observer-removed"
    | "transfer-expired"
    | "peer-challenged"
    | "peer-verified";
  /** The peer involved. */
  readonly peer?: PeerAddress;
  /** The message involved. */
  readonly message?: CoapMessage;
  /** The error, for failures. */
  readonly error?: unknown;
  /** The request path, for server events. */
  readonly path?: string;
  /** Why an observer was removed. */
  readonly reason?: string;
}

/**
 * Receives {@linkcode ServerLogEvent}s.
 *
 * @example Usage
 * ```ts
 * import { CoapServer, type ServerLogger } from "@microcoap/server";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, formatCode } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const lines: string[] = [];
 * const logger: ServerLogger = ({ kind, message }) =>
 *   lines.push(`${kind} ${message?.type} ${formatCode(message?.code ?? 0)}`);
 * const network = new MemoryNetwork();
 * await using server = new CoapServer({ transport: network.bind(), logger });
 * const address = await server.listen();
 * await using client = new CoapEndpoint(network.bind());
 * await client.request(address, { code: CoapCode.GET });
 * // No route for "/": a piggybacked 4.04.
 * assertEquals(lines, ["received CON 0.01", "sent ACK 4.04"]);
 * ```
 */
export type ServerLogger = (event: ServerLogEvent) => void;

/**
 * Options for {@linkcode CoapServer}.
 *
 * @example Usage
 * ```ts
 * import { CoapServer, type CoapServerOptions } from "@microcoap/server";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, CoapOptionNumber, createOption, decodeBlock, getOption } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * const options: CoapServerOptions = { transport: network.bind(), blockSize: 16, discovery: false };
 * await using server = new CoapServer(options);
 * server.get("/log", () => ({ payload: "x".repeat(40) }));
 * const address = await server.listen();
 * await using client = new CoapEndpoint(network.bind());
 * // 40 bytes in 16-byte blocks: the first response is block 0 of 3.
 * const first = await client.request(address, {
 *   code: CoapCode.GET,
 *   options: [createOption(CoapOptionNumber.URI_PATH, "log")],
 * });
 * assertEquals(first.payload.length, 16);
 * assertEquals(decodeBlock(getOption(first, CoapOptionNumber.BLOCK2)!), { num: 0, more: true, szx: 0 });
 * // Without discovery, /.well-known/core is not served.
 * const discovery = await client.request(address, {
 *   code: CoapCode.GET,
 *   options: [
 *     createOption(CoapOptionNumber.URI_PATH, ".well-known"),
 *     createOption(CoapOptionNumber.URI_PATH, "core"),
 *   ],
 * });
 * assertEquals(discovery.code, CoapCode.NOT_FOUND);
 * ```
 */
export interface CoapServerOptions extends Partial<TransmissionParameters> {
  /**
   * Serve on this transport instead of binding a UDP socket (the server closes it).
   *
   * @default {undefined} a UDP socket bound to `hostname` and `port`
   */
  transport?: Transport;
  /**
   * The address to bind.
   *
   * @default {"0.0.0.0" ("::" with `ipv6`)}
   */
  hostname?: string;
  /**
   * The UDP port to bind (0 picks a free one).
   *
   * @default {5683}
   */
  port?: number;
  /**
   * Bind an IPv6 socket (dual-stack for the wildcard address).
   *
   * @default {false unless hostname has ":"}
   */
  ipv6?: boolean;
  /**
   * On Deno with `--unstable-net`, bind with `Deno.listenDatagram` instead
   * of `node:dgram` (about 40% more requests per second there). Ignored
   * where that API does not exist.
   *
   * @default {true}
   */
  nativeUdp?: boolean;
  /**
   * For the UDP socket the server binds: datagrams longer than this many
   * bytes are dropped (see `UdpTransportOptions.maxDatagramSize`).
   *
   * @default {8192}
   */
  maxDatagramSize?: number;
  /**
   * Accept transmission parameters below the RFC floors.
   *
   * @default {false}
   */
  force?: boolean;
  /**
   * The clock for timers.
   *
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * Uniform randomness in [0, 1): retransmission timeouts, message IDs, initial Observe values.
   *
   * @default {Math.random}
   */
  random?: () => number;
  /**
   * Random bytes for Echo values and tokens; they must be unpredictable.
   *
   * @default {crypto.getRandomValues}
   */
  randomBytes?: (length: number) => Uint8Array;
  /**
   * How long a handler may take before the response goes separately, in ms.
   *
   * @default {500}
   */
  separateResponseDelay?: number;
  /**
   * The most requests handled at once; more get 5.03.
   *
   * @default {1024}
   */
  maxPendingRequests?: number;
  /**
   * How long a handler may take before the request is answered with 5.00, in ms.
   *
   * @default {exchangeLifetime}
   */
  handlerTimeout?: number;
  /**
   * The most remembered exchanges for duplicate detection.
   *
   * @default {100000}
   */
  maxDedupEntries?: number;
  /**
   * The most peers tracked by the message layer.
   *
   * @default {10000}
   */
  maxPeers?: number;
  /**
   * The largest block size for block-wise transfers, 16 to 1024.
   *
   * @default {1024}
   */
  blockSize?: number;
  /**
   * The largest request body reassembled from blocks, in bytes.
   *
   * @default {1048576}
   */
  maxBodySize?: number;
  /**
   * The most unfinished block-wise transfers kept at once: Block1 uploads
   * being reassembled (further ones get 5.03), and, separately, large
   * responses of POST, PUT, FETCH and the like kept for their later Block2
   * blocks (a further one drops the oldest, whose later blocks get 4.08).
   *
   * @default {64}
   */
  maxTransfers?: number;
  /**
   * The most observers at once; further registrations are answered without Observe.
   *
   * @default {1024}
   */
  maxObservers?: number;
  /**
   * At most this many non-confirmable notifications in a row go to one
   * observer; the next is confirmable, so an observer that has gone away is
   * found (it never acknowledges) and removed instead of holding its slot
   * until the 24-hour confirmable RFC 7641 §4.5 requires. libcoap sends
   * every fifth as confirmable.
   *
   * @default {20}
   */
  maxNonNotifications?: number;
  /**
   * Serve `/.well-known/core`.
   *
   * @default {true}
   */
  discovery?: boolean;
  /**
   * Critical option numbers the handlers understand beyond the ones the
   * server does (requests with other unrecognised critical options get 4.02).
   *
   * @default {[]}
   */
  recognizedOptions?: readonly number[];
  /**
   * Amplification mitigation (RFC 7252 §11.3, RFC 9175 §2.4). With
   * `"echo"`, a host whose address is not verified gets 4.01 Unauthorized
   * with a fresh Echo option instead of a response more than
   * `maxAmplification` times the size of its request, and instead of any
   * observe registration; repeating the request with that Echo value
   * verifies the host. A POST, PUT, DELETE, PATCH or iPATCH has run its
   * handler by then, so its large response goes as a smaller first block
   * (down to 16 bytes) instead of 4.01.
   *
   * Off by default: clients without Echo support (node-coap 1.5.0, among
   * others) would get 4.01 for every large resource. Without it a small
   * request from any (possibly spoofed) address gets up to one block
   * (`blockSize`) back.
   *
   * @default {false}
   */
  verifyPeers?: "echo" | false;
  /**
   * With `verifyPeers`, the largest ratio of response size to request size
   * (CoAP message bytes) sent to an unverified peer. At least 1.
   *
   * @default {3}
   */
  maxAmplification?: number;
  /**
   * With `verifyPeers`, the most verified hosts (and outstanding Echo values) remembered.
   *
   * @default {10000}
   */
  maxVerifiedPeers?: number;
  /**
   * With `verifyPeers`, how long a host stays verified after it returned an
   * Echo value, in ms (requests alone do not extend it).
   *
   * @default {3600000}
   */
  verifiedPeerLifetime?: number;
  /**
   * Sees the endpoint's events and the server's own.
   *
   * @default {undefined}
   */
  logger?: ServerLogger;
  /**
   * Group communication (RFC 7252 §8): multicast groups to join, and how
   * requests that come by multicast are answered (see
   * {@linkcode CoapServerMulticastOptions}).
   *
   * @default {undefined} no groups joined
   */
  multicast?: CoapServerMulticastOptions;
}

interface RouteRecord {
  readonly handler: RouteHandler;
  readonly options: RouteOptions;
  readonly pattern: PathPattern;
  readonly methods: readonly CoapMethod[] | "*";
  readonly observers: Set<Observer<RouteRecord>>;
  entry: RouterEntry<RouteRecord> | undefined;
}

interface CachedResponse {
  readonly code: number;
  readonly options: CoapOption[];
  readonly body: Uint8Array;
  readonly szx: number;
}

/** Per-request context while it is handled. */
interface Context {
  readonly message: CoapMessage;
  readonly peer: PeerAddress;
  readonly peerKey: string;
  readonly method: CoapMethod;
  readonly route: RouteRecord;
  readonly request: CoapRequest;
  readonly block1: BlockValue | undefined;
  readonly block2: BlockValue | undefined;
  readonly observe: number | undefined;
  /** Whether the peer's address is verified (always, without `verifyPeers`). */
  readonly verified: boolean;
}

// ContentFormat.LINK_FORMAT as a literal: the ContentFormat table stays out
// of bundles that do not use it.
const LINK_FORMAT = 40;
// Registered critical options this server does not implement: OSCORE,
// Q-Block1 and Q-Block2 (RFC 9177). Requests carrying them get 4.02.
const UNSUPPORTED = new Set([9, 19, 31]);
// A literal, so that bundles that import the package without CoapServer
// drop it.
const BLOCK_NUMBERS = [27, 23]; // Block1, Block2

// A route's own discovery link, before merging with others on its path.
function linkOf(
  route: RouteRecord,
):
  | { href: string; attributes: Record<string, LinkAttributeValue> }
  | undefined {
  const options = route.options;
  if (options.hidden) return undefined;
  // The pattern's decoded segments, encoded as a URI path: its source
  // may hold characters a link target cannot ("/a b", "/t<x>").
  const href = options.href ??
    (route.pattern.literal ? literalHref(route.pattern) : undefined);
  if (href === undefined) return undefined;
  const attributes: Record<string, LinkAttributeValue> = {};
  const set = (name: string, value: LinkAttributeValue | undefined) => {
    if (value === undefined) return;
    if (typeof value === "object" && value.length === 1) value = value[0]!;
    attributes[name] = value;
  };
  set("rt", options.rt);
  set("if", options.if);
  set("ct", options.ct ?? options.produces);
  set("sz", options.sz);
  set("title", options.title);
  if (options.observable) attributes.obs = true;
  for (const [name, value] of Object.entries(options.attributes ?? {})) {
    if (!(name in attributes)) attributes[name] = value;
  }
  return { href, attributes };
}

function literalHref(pattern: PathPattern): string {
  const encoder = new TextEncoder();
  return uriPathname({
    options: pattern.segments.map((segment) => ({
      number: CoapOptionNumber.URI_PATH,
      value: encoder.encode(segment.kind === "literal" ? segment.value : ""),
    })),
  });
}

/**
 * A CoAP server: routes requests by method and path pattern to handlers that
 * return plain response descriptions.
 *
 * - Quick handlers are answered piggybacked; slow ones get an empty ACK and a
 *   separate response (after `separateResponseDelay`). NON requests get NON
 *   responses; duplicates are answered from the retransmission filter.
 * - 4.04 for unknown paths, 4.05 for another method, 4.02 for unrecognised
 *   critical options, 4.15/4.06 for content formats a route does not take or
 *   produce, 4.00 for malformed block options, 5.00 when a handler throws.
 * - `/.well-known/core` lists the routes (RFC 6690), filtered by query.
 * - Observable routes (RFC 7641): GET with Observe 0 registers; the
 *   {@linkcode CoapResource} a route method returns sends notifications.
 * - Block-wise transfers (RFC 7959): large responses are served in Block2
 *   blocks, Block1 request bodies are reassembled before the handler runs.
 *
 * @example Usage
 * ```ts
 * import { CoapServer } from "@microcoap/server";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, payloadText } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapServer({ transport: network.bind() });
 * server.get("/hello/:name", (request) => ({ payload: `Hello, ${request.params.name}` }));
 * const address = await server.listen();
 *
 * await using client = new CoapEndpoint(network.bind());
 * const response = await client.request(address, {
 *   code: CoapCode.GET,
 *   options: [
 *     { number: 11, value: new TextEncoder().encode("hello") },
 *     { number: 11, value: new TextEncoder().encode("world") },
 *   ],
 * });
 * assertEquals(response.code, CoapCode.CONTENT);
 * assertEquals(payloadText(response.payload), "Hello, world");
 * ```
 */
export class CoapServer implements AsyncDisposable {
  #options: CoapServerOptions;
  #router = new Router<RouteRecord>();
  #clock: Clock;
  #random: () => number;
  #szx: number;
  #maxBodySize: number;
  #maxTransfers: number;
  #lifetime: number;
  #logger: ServerLogger | undefined;
  #endpoint: CoapEndpoint | undefined;
  #listening: Promise<PeerAddress> | undefined;
  #observers: ObserverRegistry<RouteRecord>;
  #maxNon: number;
  #block1: Block1Assembler | undefined;
  #responses: ExpiringMap<CachedResponse> | undefined;
  #discovery: RouteRecord | undefined;
  #verifyPeers: boolean;
  #maxAmplification: number;
  #maxVerifiedPeers: number;
  #verifiedPeerLifetime: number;
  #verifier: PeerVerifier | undefined;
  // Responses to unverified peers that must go out as they are: an unsafe
  // method's handler has run, so a 4.01 asking to repeat it would run it twice.
  #committed = new WeakSet<ResponseInit>();
  #closed = false;

  /**
   * Constructs a new server. Nothing is bound until {@linkcode CoapServer.prototype.listen}.
   *
   * @param options Transport or address, timing, limits, logger.
   * @throws {RangeError} When a limit, the block size or an amplification setting is out of range.
   * @throws {TypeError} When `verifyPeers` is neither `"echo"` nor `false`.
   */
  constructor(options: CoapServerOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#logger = options.logger;
    const blockSize = options.blockSize ?? 1024;
    const szx = [16, 32, 64, 128, 256, 512, 1024].indexOf(blockSize);
    if (szx < 0) {
      throw new RangeError(
        `Cannot create server: blockSize is ${blockSize}, expected 16, 32, 64, 128, 256, 512 or 1024`,
      );
    }
    this.#szx = szx;
    this.#maxBodySize = positive(
      "maxBodySize",
      options.maxBodySize ?? 1_048_576,
    );
    this.#maxTransfers = positive("maxTransfers", options.maxTransfers ?? 64);
    this.#observers = new ObserverRegistry(
      positive("maxObservers", options.maxObservers ?? 1024),
    );
    this.#maxNon = positive(
      "maxNonNotifications",
      options.maxNonNotifications ?? 20,
    );
    // Validated again by the endpoint; needed here for transfer lifetimes.
    this.#lifetime = options.exchangeLifetime ?? 247_000;
    const verifyPeers = options.verifyPeers ?? false;
    if (verifyPeers !== false && verifyPeers !== "echo") {
      throw new TypeError(
        `Cannot create server: verifyPeers is ${
          JSON.stringify(verifyPeers)
        }, expected "echo" or false`,
      );
    }
    this.#verifyPeers = verifyPeers === "echo";
    const factor = options.maxAmplification ?? 3;
    if (typeof factor !== "number" || !(factor >= 1) || factor === Infinity) {
      throw new RangeError(
        `Cannot create server: maxAmplification is ${factor}, expected a finite number of at least 1`,
      );
    }
    this.#maxAmplification = factor;
    this.#maxVerifiedPeers = positive(
      "maxVerifiedPeers",
      options.maxVerifiedPeers ?? 10_000,
    );
    this.#verifiedPeerLifetime = positive(
      "verifiedPeerLifetime",
      options.verifiedPeerLifetime ?? 3_600_000,
    );
    if (options.discovery ?? true) {
      this.#discovery = {
        handler: (request) => ({
          payload: wellKnownCore(this.links(), request.query),
          contentFormat: LINK_FORMAT,
        }),
        options: { produces: [LINK_FORMAT] },
        pattern: { source: "/.well-known/core", segments: [], literal: true },
        methods: ["GET"],
        observers: new Set(),
        entry: undefined,
      };
    }
  }

  /** The bound address once listening. */
  get address(): PeerAddress | undefined {
    return this.#endpoint?.localAddress;
  }

  /** The message-layer endpoint once listening (for pings or requests from the server's port). */
  get endpoint(): CoapEndpoint | undefined {
    return this.#endpoint;
  }

  /** The number of registered observers across all routes. */
  get observers(): number {
    return this.#observers.size;
  }

  /** Whether {@linkcode CoapServer.prototype.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Adds a route.
   *
   * @param methods A method, a list of methods, or `"*"` for all.
   * @param pattern The path pattern: literal segments, `:name` parameters, a final `*`.
   * @param handler Answers the requests.
   * @param options Content formats, link attributes, observe.
   * @returns The resource handle (for notifications).
   * @throws {TypeError} When the pattern is malformed or already taken for a method.
   * @throws {TypeError} When discovery is on and the route's `href` or
   * link attributes cannot be written in link-format (a `>` in the href, an
   * attribute name that is not a token, a list item with a space).
   * @throws {RangeError} When discovery is on and `ct`, `sz` or another
   * numeric attribute is not a non-negative integer.
   *
   * @example Usage
   * ```ts
   * import { CoapServer } from "@microcoap/server";
   * import { assertEquals } from "@std/assert";
   *
   * const server = new CoapServer();
   * const items = server.route(["PUT", "POST"], "/items/:id", (request) => ({
   *   payload: `stored ${request.params.id}`,
   * }));
   * assertEquals(items.methods, ["PUT", "POST"]);
   * ```
   */
  route(
    methods: MethodSelector,
    pattern: string,
    handler: RouteHandler,
    options: RouteOptions = {},
  ): CoapResource {
    if (typeof handler !== "function") {
      throw new TypeError(
        `Cannot add route "${pattern}": handler is not a function`,
      );
    }
    const list = methods === "*"
      ? "*"
      : Object.freeze(typeof methods === "string" ? [methods] : [...methods]);
    const record: RouteRecord = {
      handler,
      options: { ...options },
      pattern: undefined as unknown as PathPattern,
      methods: list,
      observers: new Set(),
      entry: undefined,
    };
    const entry = this.#router.add(methods, pattern, record);
    (record as { pattern: PathPattern }).pattern = entry.pattern;
    if (this.#discovery !== undefined) {
      // Found now rather than as a 5.00 to every discovery request.
      const link = linkOf(record);
      try {
        if (link !== undefined) stringifyLinkFormat([link]);
      } catch (error) {
        this.#router.remove(entry);
        const Type = error instanceof RangeError ? RangeError : TypeError;
        throw new Type(
          `Cannot add route "${pattern}": ${(error as Error).message}`,
        );
      }
    }
    record.entry = entry;
    return this.#resource(record);
  }

  /**
   * Adds a GET route.
   *
   * @param pattern The path pattern.
   * @param handler Answers the requests.
   * @param options Content formats, link attributes, observe.
   * @returns The resource handle.
   * @throws {TypeError} When the pattern is malformed or already taken.
   *
   * @example Usage
   * ```ts
   * import { CoapServer } from "@microcoap/server";
   * import { assertEquals } from "@std/assert";
   *
   * const server = new CoapServer();
   * const temperature = server.get("/temp", () => ({ payload: "21.5" }), { observable: true, rt: "temperature" });
   * assertEquals(temperature.pattern, "/temp");
   * ```
   */
  get(
    pattern: string,
    handler: RouteHandler,
    options?: RouteOptions,
  ): CoapResource {
    return this.route("GET", pattern, handler, options);
  }

  /**
   * Adds a POST route.
   *
   * @param pattern The path pattern.
   * @param handler Answers the requests.
   * @param options Content formats, link attributes.
   * @returns The resource handle.
   * @throws {TypeError} When the pattern is malformed or already taken.
   *
   * @example Usage
   * ```ts
   * import { CoapServer } from "@microcoap/server";
   * import { assertEquals } from "@std/assert";
   *
   * const server = new CoapServer();
   * assertEquals(server.post("/items", () => ({ locationPath: "/items/1" })).methods, ["POST"]);
   * ```
   */
  post(
    pattern: string,
    handler: RouteHandler,
    options?: RouteOptions,
  ): CoapResource {
    return this.route("POST", pattern, handler, options);
  }

  /**
   * Adds a PUT route.
   *
   * @param pattern The path pattern.
   * @param handler Answers the requests.
   * @param options Content formats, link attributes.
   * @returns The resource handle.
   * @throws {TypeError} When the pattern is malformed or already taken.
   *
   * @example Usage
   * ```ts
   * import { CoapServer } from "@microcoap/server";
   * import { assertEquals } from "@std/assert";
   *
   * const server = new CoapServer();
   * assertEquals(server.put("/config", () => {}).methods, ["PUT"]);
   * ```
   */
  put(
    pattern: string,
    handler: RouteHandler,
    options?: RouteOptions,
  ): CoapResource {
    return this.route("PUT", pattern, handler, options);
  }

  /**
   * Adds a DELETE route.
   *
   * @param pattern The path pattern.
   * @param handler Answers the requests.
   * @param options Link attributes.
   * @returns The resource handle.
   * @throws {TypeError} When the pattern is malformed or already taken.
   *
   * @example Usage
   * ```ts
   * import { CoapServer } from "@microcoap/server";
   * import { assertEquals } from "@std/assert";
   *
   * const server = new CoapServer();
   * assertEquals(server.delete("/items/:id", () => {}).methods, ["DELETE"]);
   * ```
   */
  delete(
    pattern: string,
    handler: RouteHandler,
    options?: RouteOptions,
  ): CoapResource {
    return this.route("DELETE", pattern, handler, options);
  }

  /**
   * Adds a FETCH route (RFC 8132).
   *
   * @param pattern The path pattern.
   * @param handler Answers the requests.
   * @param options Content formats, link attributes, observe.
   * @returns The resource handle.
   * @throws {TypeError} When the pattern is malformed or already taken.
   *
   * @example Usage
   * ```ts
   * import { CoapServer } from "@microcoap/server";
   * import { assertEquals } from "@std/assert";
   *
   * const server = new CoapServer();
   * assertEquals(server.fetch("/query", () => {}).methods, ["FETCH"]);
   * ```
   */
  fetch(
    pattern: string,
    handler: RouteHandler,
    options?: RouteOptions,
  ): CoapResource {
    return this.route("FETCH", pattern, handler, options);
  }

  /**
   * Adds a PATCH route (RFC 8132).
   *
   * @param pattern The path pattern.
   * @param handler Answers the requests.
   * @param options Content formats, link attributes.
   * @returns The resource handle.
   * @throws {TypeError} When the pattern is malformed or already taken.
   *
   * @example Usage
   * ```ts
   * import { CoapServer } from "@microcoap/server";
   * import { assertEquals } from "@std/assert";
   *
   * const server = new CoapServer();
   * assertEquals(server.patch("/doc", () => {}).methods, ["PATCH"]);
   * ```
   */
  patch(
    pattern: string,
    handler: RouteHandler,
    options?: RouteOptions,
  ): CoapResource {
    return this.route("PATCH", pattern, handler, options);
  }

  /**
   * Adds an iPATCH route (RFC 8132).
   *
   * @param pattern The path pattern.
   * @param handler Answers the requests.
   * @param options Content formats, link attributes.
   * @returns The resource handle.
   * @throws {TypeError} When the pattern is malformed or already taken.
   *
   * @example Usage
   * ```ts
   * import { CoapServer } from "@microcoap/server";
   * import { assertEquals } from "@std/assert";
   *
   * const server = new CoapServer();
   * assertEquals(server.ipatch("/doc", () => {}).methods, ["IPATCH"]);
   * ```
   */
  ipatch(
    pattern: string,
    handler: RouteHandler,
    options?: RouteOptions,
  ): CoapResource {
    return this.route("IPATCH", pattern, handler, options);
  }

  /**
   * The links `/.well-known/core` lists: one per listed path (routes that
   * are not `hidden`, with a literal pattern or an `href`), with the `rt`,
   * `if`, `ct`, `sz`, `title`, `obs` and further attributes given at
   * registration. Routes sharing a path are merged (the first one's
   * attributes win).
   *
   * @returns The links, in registration order.
   *
   * @example Usage
   * ```ts
   * import { CoapServer } from "@microcoap/server";
   * import { assertEquals } from "@std/assert";
   *
   * const server = new CoapServer();
   * server.get("/temp", () => ({ payload: "21" }), { rt: "temperature", ct: 0, observable: true });
   * server.get("/items/:id", () => {});
   * assertEquals(server.links(), [
   *   { href: "/temp", attributes: { rt: "temperature", ct: 0, obs: true } },
   * ]);
   * ```
   */
  links(): CoreLink[] {
    const links = new Map<string, Record<string, LinkAttributeValue>>();
    for (const { value: route } of this.#router.entries) {
      const link = linkOf(route);
      if (link === undefined) continue;
      const merged = links.get(link.href);
      if (merged === undefined) links.set(link.href, link.attributes);
      else {
        for (const [name, value] of Object.entries(link.attributes)) {
          if (!(name in merged)) merged[name] = value;
        }
      }
    }
    return [...links].map(([href, attributes]) => ({ href, attributes }));
  }

  /**
   * Binds the transport (or takes the given one) and starts serving.
   * Calling it again returns the same address.
   *
   * @returns The bound address.
   * @throws {TransportError} When the socket cannot be bound.
   * @throws {Error} When the server was closed.
   *
   * @example Usage
   * ```ts
   * import { CoapServer } from "@microcoap/server";
   * import { assertEquals } from "@std/assert";
   *
   * await using server = new CoapServer({ hostname: "127.0.0.1", port: 0 });
   * const address = await server.listen();
   * assertEquals(address.hostname, "127.0.0.1");
   * ```
   */
  listen(): Promise<PeerAddress> {
    if (this.#closed) {
      return Promise.reject(new Error("Cannot listen: the server is closed"));
    }
    return this.#listening ??= this.#start();
  }

  async #start(): Promise<PeerAddress> {
    const options = this.#options;
    let transport = options.transport;
    if (transport === undefined) {
      const ipv6 = options.ipv6 ?? options.hostname?.includes(":") ?? false;
      const hostname = options.hostname ?? (ipv6 ? "::" : "0.0.0.0");
      const port = options.port ?? 5683;
      const limit = options.maxDatagramSize === undefined
        ? {}
        : { maxDatagramSize: options.maxDatagramSize };
      const multicast = checkMulticast(options.multicast);
      transport = multicast !== undefined
        ? await bindMulticastUdp({
          hostname,
          port,
          family: ipv6 ? "IPv6" : "IPv4",
          ...limit,
          multicast: udpMulticast(multicast),
        })
        : (options.nativeUdp ?? true) && isDenoUdpAvailable()
        ? await bindDenoUdp({ hostname, port, ...limit })
        : await bindUdp({
          hostname,
          port,
          family: ipv6 ? "IPv6" : "IPv4",
          ...limit,
        });
      if (this.#closed) {
        await transport.close();
        throw new Error("Cannot listen: the server was closed while binding");
      }
    }
    const logger = this.#logger;
    const extra = new Set(options.recognizedOptions ?? []);
    const endpoint = new CoapEndpoint(transport, {
      ...pick(options),
      clock: this.#clock,
      random: this.#random,
      isRecognizedOption: (number) =>
        extra.has(number) ||
        (optionInfo(number) !== undefined && !UNSUPPORTED.has(number)),
      handler: (request) => this.#endOnError(request, this.#respond(request)),
      ...endpointMulticast(options.multicast),
      ...(logger ? { logger: (event: EndpointLogEvent) => logger(event) } : {}),
    });
    this.#endpoint = endpoint;
    this.#lifetime = endpoint.parameters.exchangeLifetime;
    this.#block1 = new Block1Assembler({
      clock: this.#clock,
      lifetime: this.#lifetime,
      maxBodySize: this.#maxBodySize,
      maxTransfers: this.#maxTransfers,
      maxSzx: this.#szx,
      onExpire: (key) =>
        this.#logger?.({ kind: "transfer-expired", reason: key }),
    });
    // Each cached response is a Block2 transfer in progress: bounded like
    // the Block1 ones, the oldest dropped (its later blocks get 4.08).
    this.#responses = new ExpiringMap(
      this.#clock,
      this.#lifetime,
      undefined,
      this.#maxTransfers,
    );
    if (this.#verifyPeers) {
      this.#verifier = new PeerVerifier({
        clock: this.#clock,
        randomBytes: options.randomBytes ??
          ((length) => crypto.getRandomValues(new Uint8Array(length))),
        maxPeers: this.#maxVerifiedPeers,
        // An Echo value answers one request: it is fresh for as long as an
        // exchange can last.
        echoLifetime: this.#lifetime,
        verifiedLifetime: this.#verifiedPeerLifetime,
      });
    }
    return endpoint.localAddress;
  }

  /**
   * Stops serving: ends every observation (without notifying), cancels
   * timers and unfinished transfers, and releases the transport. Safe to
   * call more than once.
   *
   * @example Usage
   * ```ts
   * import { CoapServer } from "@microcoap/server";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { assert } from "@std/assert";
   *
   * const server = new CoapServer({ transport: new MemoryNetwork().bind() });
   * await server.listen();
   * await server.close();
   * assert(server.closed);
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const observer of [...this.#observers.values()]) {
      this.#removeObserver(observer, "closed");
    }
    this.#observers.clear();
    this.#block1?.clear();
    this.#responses?.clear();
    this.#verifier?.clear();
    if (this.#listening) {
      try {
        await this.#listening;
      } catch {
        // Never bound: nothing to release.
      }
    } else if (this.#options.transport) await this.#options.transport.close();
    await this.#endpoint?.close();
  }

  /** Closes the server. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- request handling --------------------------------------------------------

  #respond(
    incoming: IncomingRequest,
  ): ResponseInit | undefined | Promise<ResponseInit | undefined> {
    const verifier = this.#verifier;
    if (verifier === undefined) return this.#handle(incoming, true);
    const { peer, message } = incoming;
    const status = verifier.admit(
      peer.hostname,
      getOption(message, CoapOptionNumber.ECHO),
    );
    if (status === "proved") {
      this.#logger?.({ kind: "peer-verified", peer, message });
    }
    const verified = status !== "unverified";
    const result = this.#handle(incoming, verified);
    if (verified) return result;
    return result instanceof Promise
      ? result.then((response) => this.#bound(incoming, response))
      : this.#bound(incoming, result);
  }

  /**
   * RFC 7641 §3.2: an error answer to a request with Observe that names an
   * observation (same peer and token) ends it; the client takes the answer
   * as the last notification.
   */
  #endOnError(
    incoming: IncomingRequest,
    result: ResponseInit | undefined | Promise<ResponseInit | undefined>,
  ): ResponseInit | undefined | Promise<ResponseInit | undefined> {
    const { message, peer } = incoming;
    if (
      this.#observers.size === 0 ||
      getOption(message, CoapOptionNumber.OBSERVE) === undefined
    ) return result;
    const end = (response: ResponseInit | undefined) => {
      if (response !== undefined && response.code >>> 5 !== 2) {
        this.#endObservation(
          observerKey(keyOf(peer), message.token),
          "error response",
        );
      }
      return response;
    };
    return result instanceof Promise ? result.then(end) : end(result);
  }

  /** A response to an unverified peer, or 4.01 with Echo when it is too large. */
  #bound(
    incoming: IncomingRequest,
    response: ResponseInit | undefined,
  ): ResponseInit | undefined {
    if (
      response === undefined || this.#committed.has(response) ||
      this.#fits(incoming.message, response)
    ) {
      return response;
    }
    return this.#challenge(incoming.peer, incoming.message);
  }

  /** Whether a response stays within `maxAmplification` times its request. */
  #fits(request: CoapMessage, response: ResponseInit): boolean {
    const limit = this.#maxAmplification *
      messageSize(
        request.token.length,
        request.options,
        request.payload.length,
      );
    return messageSize(
      request.token.length,
      response.options ?? [],
      response.payload?.length ?? 0,
    ) <= limit;
  }

  // RFC 9175 §2.4 item 3: 4.01 with a fresh Echo value; the peer repeats the
  // request with it, which proves it receives what is sent to its address.
  #challenge(peer: PeerAddress, message: CoapMessage): ResponseInit {
    const echo = this.#verifier!.challenge(peer.hostname);
    this.#logger?.({ kind: "peer-challenged", peer, message });
    return {
      code: CoapCode.UNAUTHORIZED,
      options: [{ number: CoapOptionNumber.ECHO, value: echo }],
    };
  }

  #handle(
    incoming: IncomingRequest,
    verified: boolean,
  ): ResponseInit | undefined | Promise<ResponseInit | undefined> {
    const { message, peer } = incoming;
    const method = methodName(message.code);
    // RFC 7252 §5.8: an unknown method code gets 4.05.
    if (method === undefined) return { code: CoapCode.METHOD_NOT_ALLOWED };
    // RFC 7252 §5.7.2: this is not a forward proxy.
    if (
      getOption(message, CoapOptionNumber.PROXY_URI) !== undefined ||
      getOption(message, CoapOptionNumber.PROXY_SCHEME) !== undefined
    ) {
      return { code: CoapCode.PROXYING_NOT_SUPPORTED };
    }
    let path = uriPath(message);
    // RFC 7252 §6.5: one empty Uri-Path composes to the URI "/", the same
    // as none (libcoap serves its root for it too).
    if (path.length === 1 && path[0] === "") path = [];
    let route: RouteRecord;
    let params: Record<string, string> = {};
    const match = this.#router.match(method, path);
    if (match.status === "found") {
      route = match.entry.value;
      params = match.params;
    } else if (
      this.#discovery && path.length === 2 && path[0] === ".well-known" &&
      path[1] === "core"
    ) {
      if (method !== "GET") return { code: CoapCode.METHOD_NOT_ALLOWED };
      route = this.#discovery;
    } else {
      return {
        code: match.status === "not-found"
          ? CoapCode.NOT_FOUND
          : CoapCode.METHOD_NOT_ALLOWED,
      };
    }

    // Options this layer interprets: malformed ones are answered here.
    const blocks: (BlockValue | undefined)[] = [];
    for (const number of BLOCK_NUMBERS) {
      const value = getOption(message, number);
      if (value === undefined) {
        blocks.push(undefined);
        continue;
      }
      // RFC 7252 §5.4.3: a value of the wrong length is an unrecognised
      // option (critical: 4.02); a reserved SZX is a malformed request.
      if (value.length > 3) return { code: CoapCode.BAD_OPTION };
      try {
        blocks.push(decodeBlock(value));
      } catch {
        return { code: CoapCode.BAD_REQUEST };
      }
    }
    const [block1, block2] = blocks;
    const observeValue = getOption(message, CoapOptionNumber.OBSERVE);
    let observe: number | undefined;
    if (observeValue !== undefined && observeValue.length <= 3) {
      observe = decodeObserve(observeValue);
    }

    const options = route.options;
    const contentFormat = uintOf(
      message.options,
      CoapOptionNumber.CONTENT_FORMAT,
    );
    if (
      options.contentFormats !== undefined &&
      (contentFormat === undefined
        ? message.payload.length > 0
        : !options.contentFormats.includes(contentFormat))
    ) {
      return { code: CoapCode.UNSUPPORTED_CONTENT_FORMAT };
    }
    const accept = uintOf(message.options, CoapOptionNumber.ACCEPT);
    if (
      accept !== undefined && options.produces !== undefined &&
      !options.produces.includes(accept)
    ) {
      return { code: CoapCode.NOT_ACCEPTABLE };
    }

    const peerKey = keyOf(peer);
    const safe = method === "GET" || method === "FETCH";
    // Further blocks of an unsafe method's large response come from the
    // cache, and so do those of a FETCH asked for without its body (as
    // libcoap does, after RFC 7959 §3.3): running the handler on no body
    // would answer another request.
    const bodyless = method === "FETCH" && message.payload.length === 0;
    if (
      (!safe || bodyless) && block2 !== undefined && block2.num > 0 &&
      block1 === undefined
    ) {
      const cached = this.#responses?.get(cacheKey(peerKey, message));
      if (cached === undefined) {
        return { code: CoapCode.REQUEST_ENTITY_INCOMPLETE };
      }
      return this.#serveBlock(
        cached.code,
        cached.options,
        cached.body,
        block2,
        message,
        cached.szx,
      );
    }

    let payload = message.payload;
    if (block1 !== undefined && this.#block1 !== undefined) {
      const result = this.#block1.receive(
        block1Key(peerKey, message),
        block1,
        message.payload,
        uintOf(message.options, CoapOptionNumber.SIZE1),
      );
      switch (result.status) {
        case "continue":
          return {
            code: CoapCode.CONTINUE,
            options: [{
              number: CoapOptionNumber.BLOCK1,
              value: encodeBlock(result.block),
            }],
          };
        case "incomplete":
          return { code: CoapCode.REQUEST_ENTITY_INCOMPLETE };
        case "too-large":
          return {
            code: CoapCode.REQUEST_ENTITY_TOO_LARGE,
            options: [uintOption(CoapOptionNumber.SIZE1, result.size1)],
          };
        case "bad-request":
          return {
            code: CoapCode.BAD_REQUEST,
            payload: new TextEncoder().encode(result.reason),
          };
        case "busy":
          return {
            code: CoapCode.SERVICE_UNAVAILABLE,
            options: [uintOption(CoapOptionNumber.MAX_AGE, result.retryAfter)],
          };
        case "complete":
          payload = result.body;
      }
    } else if (payload.length > this.#maxBodySize) {
      return {
        code: CoapCode.REQUEST_ENTITY_TOO_LARGE,
        options: [uintOption(CoapOptionNumber.SIZE1, this.#maxBodySize)],
      };
    }

    // A GET for the same token without Observe ends an observation, unless
    // it only asks for a further block of a notification (RFC 7641 §3.6).
    // While nothing is observed there is no key to build.
    if (this.#observers.size > 0) {
      const key = observerKey(peerKey, message.token);
      if (
        safe && observe === undefined &&
        (block2 === undefined || block2.num === 0)
      ) {
        this.#endObservation(key, "request without Observe");
      } else if (observe === 1) this.#endObservation(key, "deregistered");
    }

    const request = new CoapRequest({
      message,
      peer,
      method,
      params,
      payload,
      group: incoming.group,
    });
    const context: Context = {
      message,
      peer,
      peerKey,
      method,
      route,
      request,
      block1,
      block2,
      observe,
      verified,
    };
    let result: ServerResponse | void | Promise<ServerResponse | void>;
    try {
      result = route.handler(request);
    } catch (error) {
      return this.#failed(context, error);
    }
    if (result instanceof Promise) {
      return result.then(
        (description) => this.#finish(context, description),
        (error) => this.#failed(context, error),
      );
    }
    return this.#finish(context, result);
  }

  #failed(context: Context, error: unknown): ResponseInit {
    this.#logger?.({
      kind: "handler-error",
      peer: context.peer,
      message: context.message,
      error,
      path: context.request.path,
    });
    return { code: CoapCode.INTERNAL_SERVER_ERROR };
  }

  #finish(
    context: Context,
    description: ServerResponse | void,
  ): ResponseInit | undefined {
    if (this.#closed) return undefined;
    let built: BuiltResponse;
    try {
      built = buildResponse(context.method, description);
    } catch (error) {
      return this.#failed(context, error);
    }
    const { message, route, method, block1, block2 } = context;
    let { code } = built;
    let options = built.options;
    let body = built.payload;
    const success = code >>> 5 === 2;
    if (notAcceptable(built, message.options)) {
      return { code: CoapCode.NOT_ACCEPTABLE };
    }

    const extra: CoapOption[] = [];
    if (block1 !== undefined) {
      extra.push({
        number: CoapOptionNumber.BLOCK1,
        value: encodeBlock({ num: block1.num, more: false, szx: block1.szx }),
      });
    }
    const safe = method === "GET" || method === "FETCH";
    // RFC 7641: a successful GET with Observe 0 on an observable route registers.
    if (
      context.observe === 0 && safe && route.options.observable && success &&
      !this.#closed &&
      (block2 === undefined || block2.num === 0)
    ) {
      // A registration makes notifications for as long as it lasts, whatever
      // the size of this response: only for a verified address.
      if (!context.verified) return this.#challenge(context.peer, message);
      const observer = this.#register(context, built);
      if (observer) {
        extra.push({
          number: CoapOptionNumber.OBSERVE,
          value: encodeObserve(observer.sequence),
        });
      }
    }
    // RFC 7252 §5.10.6.2: a GET naming the current ETag gets 2.03 Valid.
    if (
      code === CoapCode.CONTENT && method === "GET" && built.etag !== undefined
    ) {
      const etag = built.etag;
      if (
        getOptions(message, CoapOptionNumber.ETAG).some((tag) =>
          equals(tag, etag)
        )
      ) {
        code = CoapCode.VALID;
        body = EMPTY_BYTES;
        options = options.filter((option) =>
          option.number === CoapOptionNumber.ETAG ||
          option.number === CoapOptionNumber.MAX_AGE
        );
      }
    }
    options = extra.length === 0 ? options : [...options, ...extra];
    if (!success) {
      const response = { code, options, payload: body };
      if (safe || context.verified || this.#fits(message, response)) {
        return response;
      }
      // The handler ran, so no 4.01 asking to repeat it: the diagnostic
      // payload is optional (RFC 7252 §5.5.2), leave it out.
      return this.#commit({ code, options });
    }
    const szx = Math.min(this.#szx, block2?.szx ?? 6);
    let firstSzx = this.#szx;
    let response = this.#serveBlock(
      code,
      options,
      body,
      block2,
      message,
      firstSzx,
    );
    const cut = !safe && !context.verified;
    // The handler ran, so no 4.01 asking to repeat it: a smaller first block
    // instead, down to 16 bytes. Later blocks come from the cache, without
    // running the handler, so those may get 4.01.
    while (cut && firstSzx > 0 && !this.#fits(message, response)) {
      firstSzx--;
      response = this.#serveBlock(
        code,
        options,
        body,
        block2,
        message,
        firstSzx,
      );
    }
    if (
      (!safe || method === "FETCH") &&
      body.length > 16 << Math.min(szx, firstSzx)
    ) {
      // Later blocks answer requests without Block1 or Observe: do not
      // echo those there.
      this.#responses?.set(cacheKey(context.peerKey, message), {
        code,
        options: options.filter((option) =>
          option.number !== CoapOptionNumber.BLOCK1 &&
          option.number !== CoapOptionNumber.OBSERVE
        ),
        body,
        szx,
      });
    }
    return cut ? this.#commit(response) : response;
  }

  #commit(response: ResponseInit): ResponseInit {
    this.#committed.add(response);
    return response;
  }

  /** Slices a success response for Block2; 4.02 when the block is past the end. */
  #serveBlock(
    code: number,
    options: CoapOption[],
    body: Uint8Array,
    block2: BlockValue | undefined,
    request: CoapMessage,
    maxSzx: number,
  ): ResponseInit {
    const slice = sliceBlock2(body, block2, maxSzx);
    if (slice === undefined) return { code: CoapCode.BAD_OPTION };
    if (slice.block === undefined) {
      return getOption(request, CoapOptionNumber.SIZE2) === undefined
        ? { code, options, payload: body }
        : {
          code,
          options: [
            ...options,
            uintOption(CoapOptionNumber.SIZE2, body.length),
          ],
          payload: body,
        };
    }
    const out = [...options];
    out.push({
      number: CoapOptionNumber.BLOCK2,
      value: encodeBlock(slice.block),
    });
    const multiple = slice.block.num > 0 || slice.block.more;
    if (
      multiple && getOption({ options }, CoapOptionNumber.ETAG) === undefined
    ) {
      const contentFormat = uintOf(options, CoapOptionNumber.CONTENT_FORMAT);
      out.push({
        number: CoapOptionNumber.ETAG,
        value: etagOf(code, contentFormat, body),
      });
    }
    if (
      (multiple && slice.block.num === 0) ||
      getOption(request, CoapOptionNumber.SIZE2) !== undefined
    ) {
      out.push(uintOption(CoapOptionNumber.SIZE2, body.length));
    }
    return { code, options: out, payload: slice.payload };
  }

  // --- observe -----------------------------------------------------------------

  #register(
    context: Context,
    built: BuiltResponse,
  ): Observer<RouteRecord> | undefined {
    const { peer, peerKey, message, route, request } = context;
    const key = observerKey(peerKey, message.token);
    const existing = this.#observers.get(key);
    if (existing) this.#removeObserver(existing, "re-registered");
    if (this.#observers.full(key)) return undefined;
    const observer: Observer<RouteRecord> = {
      key,
      peer,
      token: message.token.slice(),
      request: message,
      params: request.params,
      route,
      szx: Math.min(this.#szx, context.block2?.szx ?? 6),
      // A re-registration continues the sequence the client has seen (RFC
      // 7641 §4.4: strictly increasing); a new one starts anywhere.
      sequence: existing
        ? nextSequence(existing.sequence)
        : Math.floor(this.#random() * OBSERVE_MODULUS) % OBSERVE_MODULUS,
      lastConfirmable: this.#clock.now(),
      nonInARow: 0,
      requested: 0,
      sent: 0,
      inFlight: undefined,
      pending: undefined,
      replacement: undefined,
      retransmission: freshRetransmission(),
      refresh: undefined,
      removed: false,
    };
    this.#observers.set(observer);
    route.observers.add(observer);
    this.#scheduleRefresh(observer, built.maxAge, undefined);
    this.#logger?.({ kind: "observer-added", peer, path: request.path });
    return observer;
  }

  /** Ends the observation under `key`, if there is one. */
  #endObservation(key: string, reason: string): void {
    const existing = this.#observers.get(key);
    if (existing) this.#removeObserver(existing, reason);
  }

  #removeObserver(observer: Observer<RouteRecord>, reason: string): void {
    if (observer.removed) return;
    observer.removed = true;
    this.#observers.delete(observer);
    observer.route.observers.delete(observer);
    observer.inFlight?.abort();
    observer.inFlight = undefined;
    this.#clearPending(observer);
    if (observer.refresh !== undefined) {
      this.#clock.clearTimeout(observer.refresh);
    }
    this.#logger?.({
      kind: "observer-removed",
      peer: observer.peer,
      path: "/" + uriPath(observer.request).join("/"),
      reason,
    });
  }

  // RFC 7641 §4.3.1: keep the observer's copy fresh before Max-Age runs out.
  #scheduleRefresh(
    observer: Observer<RouteRecord>,
    maxAge: number | undefined,
    description: ServerResponse | undefined,
  ): void {
    if (observer.refresh !== undefined) {
      this.#clock.clearTimeout(observer.refresh);
    }
    observer.refresh = undefined;
    if (maxAge === undefined || maxAge <= 0 || observer.removed) return;
    const ms = maxAge > 1 ? (maxAge - 1) * 1000 : 500;
    observer.refresh = this.#clock.setTimeout(() => {
      observer.refresh = undefined;
      this.#notifyOne(observer, description, {});
    }, ms);
  }

  #notify(
    route: RouteRecord,
    description: ServerResponse | undefined,
    options: NotifyOptions,
  ): number {
    if (this.#closed) return 0;
    let count = 0;
    for (const observer of [...route.observers]) {
      if (options.filter) {
        let pass: boolean;
        try {
          pass = options.filter(this.#observerRequest(observer));
        } catch (error) {
          this.#logger?.({ kind: "handler-error", peer: observer.peer, error });
          continue;
        }
        if (!pass) continue;
      }
      this.#notifyOne(observer, description, options);
      count++;
    }
    return count;
  }

  #observerRequest(observer: Observer<RouteRecord>): CoapRequest {
    return new CoapRequest({
      message: observer.request,
      peer: observer.peer,
      method: methodName(observer.request.code)!,
      params: observer.params,
    });
  }

  #notifyOne(
    observer: Observer<RouteRecord>,
    description: ServerResponse | undefined,
    options: NotifyOptions,
  ): void {
    const generation = ++observer.requested;
    const deliver = (result: ServerResponse | void) =>
      this.#sendNotification(
        observer,
        generation,
        result ?? undefined,
        options,
        description,
      );
    if (description !== undefined) {
      deliver(description);
      return;
    }
    const request = this.#observerRequest(observer);
    let result: ServerResponse | void | Promise<ServerResponse | void>;
    try {
      result = observer.route.handler(request);
    } catch (error) {
      this.#notificationFailed(observer, generation, error, options);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        deliver,
        (error) =>
          this.#notificationFailed(observer, generation, error, options),
      );
    } else deliver(result);
  }

  #notificationFailed(
    observer: Observer<RouteRecord>,
    generation: number,
    error: unknown,
    options: NotifyOptions,
  ): void {
    this.#logger?.({ kind: "handler-error", peer: observer.peer, error });
    this.#sendNotification(
      observer,
      generation,
      { code: CoapCode.INTERNAL_SERVER_ERROR },
      options,
      undefined,
    );
  }

  #sendNotification(
    observer: Observer<RouteRecord>,
    generation: number,
    result: ServerResponse | undefined,
    options: NotifyOptions,
    description: ServerResponse | undefined,
  ): void {
    const endpoint = this.#endpoint;
    // Stale: a newer state has been sent already (handlers may finish out of order).
    if (
      observer.removed || this.#closed || !endpoint ||
      generation < observer.sent
    ) return;
    observer.sent = generation;
    let built: BuiltResponse;
    try {
      built = buildResponse(methodName(observer.request.code)!, result);
    } catch (error) {
      this.#logger?.({ kind: "handler-error", peer: observer.peer, error });
      built = bareResponse(CoapCode.INTERNAL_SERVER_ERROR);
    }
    // What a GET at this time would get (RFC 7641 §4.2): 4.06 when the
    // representation is not in the Content-Format the registration accepts.
    if (notAcceptable(built, observer.request.options)) {
      built = bareResponse(CoapCode.NOT_ACCEPTABLE);
    }
    const success = built.code >>> 5 === 2;
    let sendOptions = built.options;
    let payload = built.payload;
    if (success) {
      observer.sequence = nextSequence(observer.sequence);
      sendOptions = [
        ...sendOptions,
        {
          number: CoapOptionNumber.OBSERVE,
          value: encodeObserve(observer.sequence),
        },
      ];
      // The rest of a large FETCH notification is asked for without the
      // body: from the cache, as for the registration's response.
      if (
        observer.request.code === CoapCode.FETCH &&
        payload.length > 16 << observer.szx
      ) {
        this.#responses?.set(cacheKey(keyOf(observer.peer), observer.request), {
          code: built.code,
          options: built.options,
          body: payload,
          szx: observer.szx,
        });
      }
      // A notification larger than a block goes as its first block (RFC 7959 §2.6).
      const sliced = this.#serveBlock(
        built.code,
        sendOptions,
        payload,
        undefined,
        observer.request,
        observer.szx,
      );
      sendOptions = [...(sliced.options ?? [])];
      payload = sliced.payload ?? EMPTY_BYTES;
    }
    const confirmable = options.confirmable ??
      observer.route.options.confirmable ?? false;
    if (!success) {
      // A non-2.xx notification ends the observation (RFC 7641 §3.2).
      const con = this.#confirmableNext(observer, confirmable);
      this.#removeObserver(observer, "error notification");
      endpoint.send(observer.peer, {
        type: con ? "CON" : "NON",
        code: built.code,
        token: observer.token,
        options: sendOptions,
        payload,
      }).catch(() => {});
      return;
    }
    this.#scheduleRefresh(observer, built.maxAge, description);
    const notification: PendingNotification = {
      code: built.code,
      options: sendOptions,
      payload,
      confirmable,
    };
    if (observer.inFlight !== undefined) {
      // One confirmable at a time (RFC 7641 §4.5.1): the newest state waits,
      // replacing any older one waiting, until the one in flight is
      // acknowledged, or goes in place of its next retransmission, taking
      // over its counter and timeout (§4.5.2). A burst of notify() calls
      // costs one message, not one each.
      observer.pending = notification;
      this.#scheduleReplacement(observer);
      return;
    }
    this.#transmit(observer, notification, false);
  }

  /** Whether the next notification must be confirmable; counts the NONs. */
  #confirmableNext(
    observer: Observer<RouteRecord>,
    confirmable: boolean,
  ): boolean {
    const now = this.#clock.now();
    const con = confirmable || observer.nonInARow >= this.#maxNon ||
      now - observer.lastConfirmable >= CONFIRMABLE_INTERVAL;
    observer.nonInARow = con ? 0 : observer.nonInARow + 1;
    if (con) observer.lastConfirmable = now;
    return con;
  }

  /** Sends a notification; `replacing` continues the backoff of the CON it replaces. */
  #transmit(
    observer: Observer<RouteRecord>,
    notification: PendingNotification,
    replacing: boolean,
  ): void {
    const endpoint = this.#endpoint;
    if (observer.removed || this.#closed || !endpoint) return;
    const con = this.#confirmableNext(
      observer,
      replacing || notification.confirmable,
    );
    const init = {
      type: con ? "CON" as const : "NON" as const,
      code: notification.code,
      token: observer.token,
      options: notification.options,
      payload: notification.payload,
    };
    if (!con) {
      endpoint.send(observer.peer, init, {
        onReset: () => this.#removeObserver(observer, "reset"),
      }).catch((error) =>
        this.#logger?.({ kind: "transport-error", peer: observer.peer, error })
      );
      return;
    }
    const controller = new AbortController();
    observer.inFlight = controller;
    endpoint.send(observer.peer, init, {
      signal: controller.signal,
      retransmission: observer.retransmission,
    }).then(
      () => {
        if (observer.inFlight !== controller) return;
        observer.inFlight = undefined;
        observer.retransmission = freshRetransmission();
        // Acknowledged: the newest state waiting goes now, afresh.
        const pending = observer.pending;
        this.#clearPending(observer);
        if (pending) this.#transmit(observer, pending, false);
      },
      (error) => {
        if (controller.signal.aborted) return;
        if (observer.inFlight === controller) observer.inFlight = undefined;
        // Timed out or reset: the client is gone or no longer interested.
        this.#removeObserver(
          observer,
          error instanceof Error && error.name === "CoapResetError"
            ? "reset"
            : "timeout",
        );
      },
    );
  }

  // The waiting state goes just before the retransmission of the one in
  // flight would, in its place. With no retransmission left it waits for the
  // ACK, or the observer times out.
  #scheduleReplacement(observer: Observer<RouteRecord>): void {
    const state = observer.retransmission;
    if (
      observer.replacement !== undefined ||
      state.attempt >= this.#endpoint!.parameters.maxRetransmit
    ) return;
    const clock = this.#clock;
    observer.replacement = clock.setTimeout(() => {
      observer.replacement = undefined;
      const pending = observer.pending;
      observer.pending = undefined;
      if (pending === undefined || observer.removed) return;
      observer.inFlight?.abort();
      observer.inFlight = undefined;
      this.#transmit(observer, pending, true);
    }, Math.max(0, state.due - 1 - clock.now()));
  }

  #clearPending(observer: Observer<RouteRecord>): void {
    observer.pending = undefined;
    if (observer.replacement !== undefined) {
      this.#clock.clearTimeout(observer.replacement);
      observer.replacement = undefined;
    }
  }

  #resource(record: RouteRecord): CoapResource {
    const notify = (
      response?: ServerResponse,
      options: NotifyOptions = {},
    ): number => this.#notify(record, response, options);
    const remove = (): void => {
      if (record.entry) this.#router.remove(record.entry);
      record.entry = undefined;
      for (const observer of [...record.observers]) {
        // RFC 7641 §3.2: a deleted resource's observers get a 4.04
        // notification, which ends the observation.
        this.#sendNotification(
          observer,
          ++observer.requested,
          { code: CoapCode.NOT_FOUND },
          {},
          undefined,
        );
        this.#removeObserver(observer, "removed");
      }
    };
    return Object.freeze({
      pattern: record.pattern.source,
      methods: record.methods,
      get observers(): number {
        return record.observers.size;
      },
      notify,
      remove,
    });
  }
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create server: ${name} is ${value}, expected a positive integer`,
    );
  }
  return value;
}

/** The endpoint options the server passes through. */
function pick(options: CoapServerOptions): CoapEndpointOptions {
  const out: Record<string, unknown> = {};
  for (
    const name of [
      "ackTimeout",
      "ackRandomFactor",
      "maxRetransmit",
      "nstart",
      "exchangeLifetime",
      "nonLifetime",
      "force",
      "separateResponseDelay",
      "maxPendingRequests",
      "handlerTimeout",
      "maxDedupEntries",
      "maxPeers",
      "randomBytes",
    ] as const
  ) {
    if (options[name] !== undefined) out[name] = options[name];
  }
  return out as CoapEndpointOptions;
}

function keyOf(peer: PeerAddress): string {
  return peer.hostname + "#" + peer.port;
}

const HEX = Array.from(
  { length: 256 },
  (_, byte) => byte.toString(16).padStart(2, "0"),
);

/** The key of an observation: the peer and the token. */
function observerKey(peerKey: string, token: Uint8Array): string {
  return peerKey + "|" + hex(token);
}

function hex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]!;
  return out;
}

/**
 * The key that Block1 blocks of one request body share: the peer, the code
 * and every option but Block1, Block2 and the NoCacheKey ones (Size1, Size2,
 * Echo). Blocks are "matchable" only when these agree (RFC 9175 §3.3, RFC
 * 7959 §2.5), so uploads to other URIs, queries or Content-Formats, or with
 * another Request-Tag, never mix; the token may change between blocks.
 */
function block1Key(peerKey: string, message: CoapMessage): string {
  let key = peerKey + "|" + message.code;
  for (const option of message.options) {
    const number = option.number;
    if (
      number === CoapOptionNumber.BLOCK1 ||
      number === CoapOptionNumber.BLOCK2 || (number & 0x1e) === 0x1c
    ) continue;
    key += "|" + number + "=" + hex(option.value);
  }
  return key;
}

function cacheKey(peerKey: string, message: CoapMessage): string {
  let key = peerKey + "|" + message.code;
  for (const option of message.options) {
    if (
      option.number === CoapOptionNumber.URI_PATH ||
      option.number === CoapOptionNumber.URI_QUERY
    ) {
      key += "|" + option.number + "=" + hex(option.value);
    }
  }
  return key;
}
