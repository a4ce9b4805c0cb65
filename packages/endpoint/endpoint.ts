// Copyright 2026 the microcoap authors. MIT license.
/**
 * The CoAP message layer (RFC 7252 §4): one endpoint on one transport, both
 * client and server.
 *
 * @module
 */
import {
  CoapCode,
  CoapDecodeFailure,
  decode,
  EMPTY_BYTES,
  encode,
  optionInfo,
  tryDecode,
} from "@microcoap/codec";
import type { CoapMessage, CoapOption, CoapType } from "@microcoap/codec";
import { DedupFilter } from "@microcoap/dedup";
import {
  formatPeerAddress,
  isMulticastAddress,
  systemClock,
} from "@microcoap/transport";
import type {
  Clock,
  PeerAddress,
  TimerHandle,
  Transport,
} from "@microcoap/transport";
import { CoapClosedError, CoapResetError, CoapTimeoutError } from "./errors.ts";
import {
  maxTransmitWait,
  resolveTransmissionParameters,
} from "./parameters.ts";
import type { TransmissionParameters } from "./parameters.ts";
import { canonicalPeer, peerKey, tokenKey } from "./_keys.ts";
import {
  checkLeisure,
  checkPolicy,
  freeMessageId,
  GroupExchanges,
  multicastAnswer,
} from "./_multicast.ts";
import { DEFAULT_LEISURE } from "./multicast.ts";
import type {
  EndpointMulticastOptions,
  MulticastResponsePolicy,
} from "./multicast.ts";

/**
 * A request as the application gives it; the endpoint adds message ID and token.
 *
 * @example Usage
 * ```ts
 * import { CoapEndpoint, type RequestInit } from "@microcoap/endpoint";
 * import { CoapCode, CoapOptionNumber, createOption, uriPathname } from "@microcoap/codec";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind(), {
 *   handler: ({ message }) => ({ code: CoapCode.CHANGED, payload: new TextEncoder().encode(uriPathname(message)) }),
 * });
 * await using client = new CoapEndpoint(network.bind());
 * const init: RequestInit = {
 *   code: CoapCode.PUT,
 *   options: [createOption(CoapOptionNumber.URI_PATH, "lamp")],
 *   payload: new TextEncoder().encode("on"),
 * };
 * const response = await client.request(server.localAddress, init);
 * assertEquals(response.code, CoapCode.CHANGED);
 * assertEquals(new TextDecoder().decode(response.payload), "/lamp");
 * ```
 */
export interface RequestInit {
  /** The method code, e.g. `CoapCode.GET`. */
  readonly code: number;
  /**
   * The options.
   *
   * @default {[]}
   */
  readonly options?: readonly CoapOption[];
  /**
   * The payload.
   *
   * @default {new Uint8Array(0)}
   */
  readonly payload?: Uint8Array;
}

/**
 * Options for {@linkcode CoapEndpoint.prototype.request}.
 *
 * @example Usage
 * ```ts
 * import { CoapEndpoint, type EndpointRequestOptions } from "@microcoap/endpoint";
 * import { CoapCode, type CoapMessage } from "@microcoap/codec";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind(), {
 *   handler: () => ({ code: CoapCode.CONTENT }),
 * });
 * await using client = new CoapEndpoint(network.bind());
 * const sent: CoapMessage[] = [];
 * const options: EndpointRequestOptions = {
 *   confirmable: false,
 *   token: new Uint8Array([0xbe, 0xef]),
 *   onSent: (message) => sent.push(message),
 * };
 * const response = await client.request(server.localAddress, { code: CoapCode.GET }, options);
 * assertEquals(sent.map((message) => message.type), ["NON"]);
 * // A NON request gets a NON response with the same token.
 * assertEquals(response.type, "NON");
 * assertEquals(response.token, new Uint8Array([0xbe, 0xef]));
 * ```
 */
export interface EndpointRequestOptions {
  /**
   * Send as CON (with retransmission) or NON.
   *
   * @default {true}
   */
  confirmable?: boolean;
  /** Aborts the exchange: retransmission stops and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Use this token instead of a fresh random one (for observe re-registration).
   *
   * @default {undefined} a fresh random token of `tokenLength` bytes
   */
  token?: Uint8Array;
  /**
   * Called for every response, the first one included. While it is set the
   * exchange stays open after the first response (for observe
   * notifications) until `signal` aborts.
   */
  onResponse?: (response: CoapMessage) => void;
  /**
   * How long to wait for the response once the request is known to have
   * arrived (after the empty ACK of a CON) or was sent (NON), in ms.
   *
   * @default {EXCHANGE_LIFETIME for CON, MAX_TRANSMIT_WAIT for NON}
   */
  responseTimeout?: number;
  /** Called with the request message (with its message ID) when it is first sent. */
  onSent?: (message: CoapMessage) => void;
  /** Called when a CON request is acknowledged, with the ACK (empty, or the piggybacked response). */
  onAck?: (ack: CoapMessage) => void;
}

/**
 * Retransmission progress that a chain of confirmable messages shares (see
 * {@linkcode EndpointSendOptions.retransmission}). The endpoint updates it on
 * every (re)transmission.
 *
 * @example Usage
 * ```ts
 * import { CoapEndpoint, type RetransmissionState } from "@microcoap/endpoint";
 * import { CoapCode } from "@microcoap/codec";
 * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * // random: () => 0 makes the first timeout exactly ACK_TIMEOUT (2 s).
 * await using endpoint = new CoapEndpoint(network.bind(), { clock, random: () => 0 });
 * const state: RetransmissionState = { attempt: -1, timeout: 0, due: 0 };
 * const controller = new AbortController();
 * // Nobody answers at 10.0.0.9, so the CON is retransmitted.
 * const sent = endpoint.send(
 *   { hostname: "10.0.0.9", port: 5683 },
 *   { type: "CON", code: CoapCode.CONTENT, token: new Uint8Array([1]) },
 *   { signal: controller.signal, retransmission: state },
 * );
 * assertEquals(state, { attempt: 0, timeout: 2000, due: 2000 });
 * await clock.tick(2000);
 * assertEquals(state, { attempt: 1, timeout: 4000, due: 6000 });
 * controller.abort();
 * await assertRejects(() => sent);
 * ```
 */
export interface RetransmissionState {
  /** Retransmissions so far; -1 before the first transmission. */
  attempt: number;
  /** The current retransmission timeout, in ms. */
  timeout: number;
  /** When the current timeout runs out, in clock time. */
  due: number;
}

/**
 * Options for {@linkcode CoapEndpoint.prototype.send}.
 *
 * @example Usage
 * ```ts
 * import { CoapEndpoint, type EndpointSendOptions } from "@microcoap/endpoint";
 * import { CoapCode, decode, EMPTY_BYTES, encode } from "@microcoap/codec";
 * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
 * import { assert } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * // A peer that rejects every message with RST.
 * const peer = network.bind();
 * peer.listen({
 *   onDatagram: (data, from) => {
 *     const { messageId } = decode(data);
 *     const rst = { type: "RST", code: CoapCode.EMPTY, messageId, token: EMPTY_BYTES, options: [], payload: EMPTY_BYTES } as const;
 *     peer.send(encode(rst), from);
 *   },
 * });
 * await using endpoint = new CoapEndpoint(network.bind(), { clock });
 * let reset = false;
 * const options: EndpointSendOptions = { onReset: () => reset = true };
 * await endpoint.send(peer.localAddress, { type: "NON", code: CoapCode.CONTENT, token: new Uint8Array([1]) }, options);
 * await clock.tick(0);
 * assert(reset);
 * ```
 */
export interface EndpointSendOptions {
  /** Stops retransmitting; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called when the peer rejects a NON message with RST (within NON_LIFETIME). */
  onReset?: () => void;
  /**
   * For a CON that replaces an unacknowledged one (RFC 7641 §4.5.2: a newer
   * notification takes over the retransmission counter and timeout of the
   * one in flight, which the caller aborts): the state of the chain, starting
   * as `{ attempt: -1, timeout: 0, due: 0 }`. A message sent with a state
   * that has progressed counts as the next retransmission (timeout doubled);
   * past MAX_RETRANSMIT it keeps the previous deadline.
   */
  retransmission?: RetransmissionState;
}

/**
 * A message to send with {@linkcode CoapEndpoint.prototype.send}: the endpoint assigns the message ID.
 *
 * @example Usage
 * ```ts
 * import { CoapEndpoint, type SendInit } from "@microcoap/endpoint";
 * import { CoapCode } from "@microcoap/codec";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind(), {
 *   handler: () => ({ code: CoapCode.CHANGED }),
 * });
 * await using client = new CoapEndpoint(network.bind());
 * const init: SendInit = {
 *   type: "CON",
 *   code: CoapCode.PUT,
 *   token: new Uint8Array([7]),
 *   payload: new TextEncoder().encode("on"),
 * };
 * // A CON resolves with its ACK, here carrying the piggybacked response.
 * const ack = await client.send(server.localAddress, init);
 * assertEquals(ack?.type, "ACK");
 * assertEquals(ack?.code, CoapCode.CHANGED);
 * ```
 */
export interface SendInit {
  /** CON (retransmitted until ACKed) or NON. */
  readonly type: "CON" | "NON";
  /** The code. */
  readonly code: number;
  /**
   * The token.
   *
   * @default {new Uint8Array(0)}
   */
  readonly token?: Uint8Array;
  /**
   * The options.
   *
   * @default {[]}
   */
  readonly options?: readonly CoapOption[];
  /**
   * The payload.
   *
   * @default {new Uint8Array(0)}
   */
  readonly payload?: Uint8Array;
}

/**
 * A request handed to the request handler.
 *
 * @example Usage
 * ```ts
 * import { CoapEndpoint, type IncomingRequest } from "@microcoap/endpoint";
 * import { CoapCode } from "@microcoap/codec";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * const seen: IncomingRequest[] = [];
 * await using server = new CoapEndpoint(network.bind(), {
 *   handler: (request) => {
 *     seen.push(request);
 *     return { code: CoapCode.CONTENT };
 *   },
 * });
 * await using client = new CoapEndpoint(network.bind());
 * await client.request(server.localAddress, { code: CoapCode.GET });
 * assertEquals(seen.length, 1);
 * assertEquals(seen[0]!.peer, client.localAddress);
 * assertEquals(seen[0]!.message.code, CoapCode.GET);
 * ```
 */
export interface IncomingRequest {
  /** The decoded request. */
  readonly message: CoapMessage;
  /** Who sent it. */
  readonly peer: PeerAddress;
  /** The multicast group it was sent to, when it came by multicast. */
  readonly group?: string;
}

/**
 * What a request handler answers with.
 *
 * @example Usage
 * ```ts
 * import { CoapEndpoint, type ResponseInit } from "@microcoap/endpoint";
 * import { CoapCode, CoapOptionNumber, ContentFormat, createOption, getUintOption } from "@microcoap/codec";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const reading: ResponseInit = {
 *   code: CoapCode.CONTENT,
 *   options: [createOption(CoapOptionNumber.CONTENT_FORMAT, ContentFormat.JSON)],
 *   payload: new TextEncoder().encode('{"celsius":21.5}'),
 * };
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind(), { handler: () => reading });
 * await using client = new CoapEndpoint(network.bind());
 * const response = await client.request(server.localAddress, { code: CoapCode.GET });
 * assertEquals(getUintOption(response, CoapOptionNumber.CONTENT_FORMAT), ContentFormat.JSON);
 * assertEquals(new TextDecoder().decode(response.payload), '{"celsius":21.5}');
 * ```
 */
export interface ResponseInit {
  /** The response code, e.g. `CoapCode.CONTENT`. */
  readonly code: number;
  /**
   * The options.
   *
   * @default {[]}
   */
  readonly options?: readonly CoapOption[];
  /**
   * The payload.
   *
   * @default {new Uint8Array(0)}
   */
  readonly payload?: Uint8Array;
}

/**
 * Handles one request. Returning `undefined` sends no response (a CON
 * request is still acknowledged). A thrown error or rejection becomes 5.00.
 *
 * @example Usage
 * ```ts
 * import { CoapEndpoint, type RequestHandler } from "@microcoap/endpoint";
 * import { CoapCode } from "@microcoap/codec";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * // Answers GET, fails everything else.
 * const handler: RequestHandler = async ({ message }) => {
 *   await Promise.resolve();
 *   if (message.code !== CoapCode.GET) throw new Error("read-only");
 *   return { code: CoapCode.CONTENT, payload: new TextEncoder().encode("ok") };
 * };
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind(), { handler });
 * await using client = new CoapEndpoint(network.bind());
 * assertEquals((await client.request(server.localAddress, { code: CoapCode.GET })).code, CoapCode.CONTENT);
 * assertEquals(
 *   (await client.request(server.localAddress, { code: CoapCode.DELETE })).code,
 *   CoapCode.INTERNAL_SERVER_ERROR,
 * );
 * ```
 */
export type RequestHandler = (
  request: IncomingRequest,
) => ResponseInit | undefined | Promise<ResponseInit | undefined>;

/**
 * One event seen by the endpoint's logger.
 *
 * @example Usage
 * ```ts
 * import { CoapEndpoint, type EndpointLogEvent } from "@microcoap/endpoint";
 * import { CoapDecodeError } from "@microcoap/codec";
 * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals, assertInstanceOf } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * const events: EndpointLogEvent[] = [];
 * await using endpoint = new CoapEndpoint(network.bind(), { clock, logger: (event) => events.push(event) });
 * const sender = network.bind();
 * sender.send(new Uint8Array([0xff]), endpoint.localAddress);
 * await clock.tick(0);
 * assertEquals(events.map((event) => event.kind), ["malformed"]);
 * assertEquals(events[0]!.peer, sender.localAddress);
 * assertInstanceOf(events[0]!.error, CoapDecodeError);
 * ```
 */
export interface EndpointLogEvent {
  /** What happened. */
  readonly kind:
    | "sent"
    | "received"
    | "malformed"
    | "ignored"
    | "handler-error"
    | "transport-error";
  /** The peer involved, when there is one. */
  readonly peer?: PeerAddress;
  /** The message, when it was decoded or is being sent. */
  readonly message?: CoapMessage;
  /** The error, for malformed input and failures. */
  readonly error?: unknown;
}

/**
 * Receives every message the endpoint sends and receives, and what it drops.
 *
 * @example Usage
 * ```ts
 * import { CoapEndpoint, type EndpointLogger } from "@microcoap/endpoint";
 * import { CoapCode, formatCode } from "@microcoap/codec";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const lines: string[] = [];
 * const logger: EndpointLogger = ({ kind, message }) =>
 *   lines.push(`${kind} ${message?.type} ${formatCode(message?.code ?? 0)}`);
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind(), { logger });
 * await using client = new CoapEndpoint(network.bind());
 * await client.request(server.localAddress, { code: CoapCode.GET });
 * // No handler: the request is answered with a piggybacked 4.04.
 * assertEquals(lines, ["received CON 0.01", "sent ACK 4.04"]);
 * ```
 */
export type EndpointLogger = (event: EndpointLogEvent) => void;

/**
 * Options for {@linkcode CoapEndpoint}.
 *
 * @example Usage
 * ```ts
 * import { CoapEndpoint, CoapTimeoutError, type CoapEndpointOptions } from "@microcoap/endpoint";
 * import { CoapCode } from "@microcoap/codec";
 * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals, assertInstanceOf } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * const options: CoapEndpointOptions = { clock, random: () => 0, ackTimeout: 1000, maxRetransmit: 1 };
 * await using endpoint = new CoapEndpoint(network.bind(), options);
 * assertEquals(endpoint.parameters.ackTimeout, 1000);
 * // Sent at 0 and retransmitted at 1000; the second timeout (2000) runs out at 3000.
 * let failedAt = -1;
 * const done = endpoint.request({ hostname: "10.0.0.9", port: 5683 }, { code: CoapCode.GET })
 *   .catch((error) => {
 *     assertInstanceOf(error, CoapTimeoutError);
 *     failedAt = clock.now();
 *   });
 * await clock.tick(3000);
 * await done;
 * assertEquals(failedAt, 3000);
 * ```
 */
export interface CoapEndpointOptions extends Partial<TransmissionParameters> {
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
   * Uniform randomness in [0, 1) for retransmission timeouts and initial message IDs.
   *
   * @default {Math.random}
   */
  random?: () => number;
  /**
   * Random bytes for tokens.
   *
   * @default {crypto.getRandomValues}
   */
  randomBytes?: (length: number) => Uint8Array;
  /**
   * Token length for new requests, 1 to 8 bytes.
   *
   * @default {4}
   */
  tokenLength?: number;
  /**
   * The request handler; without one, requests get 4.04.
   *
   * @default {undefined} none: every request gets 4.04
   */
  handler?: RequestHandler;
  /**
   * How long a handler may take before the request is acknowledged with an
   * empty ACK and the response follows as a separate CON, in ms. A
   * retransmission of the request gets that ACK at once.
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
   * How long a handler may take, in ms; then the request is answered with
   * 5.00 and its pending slot freed. The default is EXCHANGE_LIFETIME, after
   * which no requester is still waiting.
   *
   * @default {exchangeLifetime}
   */
  handlerTimeout?: number;
  /**
   * The most remembered incoming exchanges for duplicate detection.
   *
   * @default {100000}
   */
  maxDedupEntries?: number;
  /**
   * The most peers whose message ID sequences are remembered; past it, the
   * least recently used is forgotten and starts again at a random ID.
   *
   * @default {10000}
   */
  maxPeers?: number;
  /**
   * Whether an option number is understood; CON requests with an
   * unrecognised critical option get 4.02, NON ones a RST (RFC 7252 §5.4.1,
   * §4.3; never for a multicast request, §8.2). A registered critical option
   * with a value of the wrong length, or repeated when it is not repeatable,
   * counts as unrecognised too (§5.4.3, §5.4.5).
   *
   * @default {every option registered in @microcoap/codec but OSCORE, Q-Block1 and Q-Block2}
   */
  isRecognizedOption?: (number: number) => boolean;
  /**
   * Sees every message sent and received.
   *
   * @default {undefined}
   */
  logger?: EndpointLogger;
  /**
   * For requests that came by multicast (RFC 7252 §8.2): the response goes
   * at a random moment within this many ms after the request.
   *
   * @default {5000} DEFAULT_LEISURE
   */
  multicastLeisure?: number;
  /**
   * Which responses to requests that came by multicast are sent (see
   * {@linkcode MulticastResponsePolicy}).
   *
   * @default {"useful"} 2.xx with a payload
   */
  multicastResponses?: MulticastResponsePolicy;
}

interface Transmission {
  readonly key: string;
  readonly peer: PeerAddress;
  bytes: Uint8Array;
  attempt: number;
  timeout: number;
  timer: TimerHandle;
  carried?: RetransmissionState | undefined;
  onAck(message: CoapMessage): void;
  onReset(): void;
  onTimeout(): void;
  /** Called when the endpoint closes with the message still unacknowledged. */
  onClose?(): void;
}

interface Exchange {
  readonly key: string;
  readonly peer: PeerAddress;
  readonly peerKey: string;
  readonly token: Uint8Array;
  readonly init: RequestInit;
  readonly options: EndpointRequestOptions;
  readonly resolve: (message: CoapMessage) => void;
  readonly reject: (reason: unknown) => void;
  tx: Transmission | undefined;
  timer: TimerHandle | undefined;
  holdsSlot: boolean;
  answered: boolean;
  done: boolean;
  abort: (() => void) | undefined;
}

interface Slots {
  active: number;
  readonly queue: (() => void)[];
}

const RESPONSE_SUPPRESS_BITS = [0, 0, 2, 0, 8, 16, 0, 0];

/**
 * A CoAP endpoint: the message layer of RFC 7252 §4 over one transport,
 * acting as client and server at once.
 *
 * It assigns message IDs and tokens, retransmits confirmable messages with
 * exponential backoff, matches responses to requests by peer and token,
 * acknowledges separate responses, answers pings, filters duplicates, limits
 * outstanding requests per peer (NSTART) and dispatches requests to a handler
 * with piggybacked or separate responses.
 *
 * @example Usage
 * ```ts
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * const server = new CoapEndpoint(network.bind(), {
 *   handler: () => ({ code: CoapCode.CONTENT, payload: new TextEncoder().encode("hi") }),
 * });
 * const client = new CoapEndpoint(network.bind());
 * const response = await client.request(server.localAddress, { code: CoapCode.GET });
 * assertEquals(response.code, CoapCode.CONTENT);
 * assertEquals(new TextDecoder().decode(response.payload), "hi");
 * await client.close();
 * await server.close();
 * ```
 */
export class CoapEndpoint implements AsyncDisposable {
  #transport: Transport;
  #params: TransmissionParameters;
  #clock: Clock;
  #random: () => number;
  #randomBytes: (length: number) => Uint8Array;
  #tokenLength: number;
  #separateDelay: number;
  #maxPending: number;
  #handlerTimeout: number;
  #maxPeers: number;
  #recognized: (number: number) => boolean;
  #logger: EndpointLogger | undefined;
  #dedup: DedupFilter;
  #handler: RequestHandler | undefined;
  #messageIds = new Map<string, number>();
  #transmissions = new Map<string, Transmission>();
  #exchanges = new Map<string, Exchange>();
  #nonResets = new Map<string, { at: number; onReset: () => void }>();
  // CON requests whose handler runs and whose empty ACK has not gone yet,
  // by peer key + "#" + message ID: sends that ACK now.
  #earlyAcks = new Map<string, () => void>();
  #slots = new Map<string, Slots>();
  #pending = 0;
  #closed = false;
  #leisure: number;
  #multicastResponses: MulticastResponsePolicy;
  #groupExchanges = new GroupExchanges();
  #leisureTimers = new Set<TimerHandle>();

  /**
   * Constructs a new endpoint on a transport and starts receiving.
   *
   * @param transport The transport to own; closed with the endpoint.
   * @param options Transmission parameters, clock, randomness, limits, handler, logger.
   * @throws {RangeError} When a parameter is out of range.
   */
  constructor(transport: Transport, options: CoapEndpointOptions = {}) {
    this.#params = resolveTransmissionParameters(options, {
      force: options.force ?? false,
    });
    this.#transport = transport;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#randomBytes = options.randomBytes ??
      ((length) => crypto.getRandomValues(new Uint8Array(length)));
    this.#tokenLength = options.tokenLength ?? 4;
    if (
      !Number.isInteger(this.#tokenLength) || this.#tokenLength < 1 ||
      this.#tokenLength > 8
    ) {
      throw new RangeError(
        `Cannot create endpoint: tokenLength is ${this.#tokenLength}, expected 1 to 8`,
      );
    }
    const separateDelay: unknown = options.separateResponseDelay ?? 500;
    if (
      typeof separateDelay !== "number" ||
      !(separateDelay >= 0 && separateDelay < Infinity)
    ) {
      throw new RangeError(
        `Cannot create endpoint: separateResponseDelay is ${separateDelay}, expected a finite number of at least 0`,
      );
    }
    this.#separateDelay = separateDelay;
    this.#maxPending = positive(
      "maxPendingRequests",
      options.maxPendingRequests ?? 1024,
    );
    this.#handlerTimeout = positive(
      "handlerTimeout",
      options.handlerTimeout ?? this.#params.exchangeLifetime,
    );
    this.#maxPeers = positive("maxPeers", options.maxPeers ?? 10_000);
    this.#recognized = options.isRecognizedOption ?? isRegistered;
    this.#logger = options.logger;
    this.#handler = options.handler;
    const clock = this.#clock;
    this.#dedup = new DedupFilter({
      exchangeLifetime: this.#params.exchangeLifetime,
      nonLifetime: this.#params.nonLifetime,
      maxEntries: positive(
        "maxDedupEntries",
        options.maxDedupEntries ?? 100_000,
      ),
      now: () => clock.now(),
    });
    this.#leisure = checkLeisure(options.multicastLeisure ?? DEFAULT_LEISURE);
    this.#multicastResponses = checkPolicy(
      options.multicastResponses ?? "useful",
    );
    transport.listen({
      onDatagram: (data, from, info) =>
        info?.group === undefined
          ? this.#receive(data, from)
          : this.#receiveMulticast(data, from, info.group),
      onError: (error) => this.#logger?.({ kind: "transport-error", error }),
    });
  }

  /** The transport's local address. */
  get localAddress(): PeerAddress {
    return this.#transport.localAddress;
  }

  /** The transmission parameters in force. */
  get parameters(): TransmissionParameters {
    return this.#params;
  }

  /** The request handler (settable; `undefined` answers every request with 4.04). */
  get handler(): RequestHandler | undefined {
    return this.#handler;
  }

  set handler(handler: RequestHandler | undefined) {
    this.#handler = handler;
  }

  /** The logger (settable). */
  get logger(): EndpointLogger | undefined {
    return this.#logger;
  }

  set logger(logger: EndpointLogger | undefined) {
    this.#logger = logger;
  }

  /** Whether {@linkcode CoapEndpoint.prototype.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends a request and resolves with the first response (piggybacked,
   * separate or NON). 4.xx and 5.xx are responses, not errors.
   *
   * @param peer Where to send it (an IPv6 address in any spelling: it is
   * written as transports report senders, see `canonicalHostname()`).
   * @param init The method, options and payload.
   * @param options CON/NON, abort signal, token, further responses, timeout.
   * @returns The first response.
   * @throws {CoapTimeoutError} When no acknowledgement or response arrives in time.
   * @throws {CoapResetError} When the peer resets the request.
   * @throws {CoapClosedError} When the endpoint is closed first.
   * @throws {RangeError} When `init.code` is not a request code (0.01 to
   * 0.31) or the token is in use by another exchange with the peer.
   * @throws {TypeError} When a CON request is for a multicast address.
   *
   * @example Usage
   * ```ts
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { CoapCode } from "@microcoap/codec";
   * import { assertEquals } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * await using server = new CoapEndpoint(network.bind());
   * await using client = new CoapEndpoint(network.bind());
   * const response = await client.request(server.localAddress, { code: CoapCode.GET });
   * assertEquals(response.code, CoapCode.NOT_FOUND);
   * ```
   */
  request(
    peer: PeerAddress,
    init: RequestInit,
    options: EndpointRequestOptions = {},
  ): Promise<CoapMessage> {
    if (this.#closed) {
      return Promise.reject(
        new CoapClosedError("Cannot send request: the endpoint is closed"),
      );
    }
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const badCode = checkRequestCode("Cannot send request", init?.code);
    if (badCode) return Promise.reject(badCode);
    if ((options.confirmable ?? true) && isMulticastAddress(peer?.hostname)) {
      return Promise.reject(multicastCon("Cannot send request", peer));
    }
    peer = canonicalPeer(peer);
    const key = peerKey(peer);
    let token: Uint8Array;
    try {
      token = options.token ?? this.#newToken(key);
    } catch (error) {
      return Promise.reject(error);
    }
    const exchangeKey = key + "|" + tokenKey(token);
    if (this.#exchanges.has(exchangeKey)) {
      return Promise.reject(
        new RangeError(
          "Cannot send request: the token is in use by another exchange",
        ),
      );
    }
    return new Promise<CoapMessage>((resolve, reject) => {
      const exchange: Exchange = {
        key: exchangeKey,
        peer,
        peerKey: key,
        token,
        init,
        options,
        resolve,
        reject,
        tx: undefined,
        timer: undefined,
        holdsSlot: false,
        answered: false,
        done: false,
        abort: undefined,
      };
      this.#exchanges.set(exchangeKey, exchange);
      if (signal) {
        const onAbort = () => this.#finish(exchange, signal.reason, true);
        signal.addEventListener("abort", onAbort, { once: true });
        exchange.abort = () => signal.removeEventListener("abort", onAbort);
      }
      this.#acquire(exchange);
    });
  }

  /**
   * Sends a message with a fresh message ID: CON is retransmitted until
   * acknowledged; NON is sent once. Used for separate responses, observe
   * notifications and requests that expect no response.
   *
   * @param peer Where to send it (an IPv6 address in any spelling: it is
   * written as transports report senders, see `canonicalHostname()`).
   * @param init The message without its ID.
   * @param options Abort signal, reset callback for NON.
   * @returns For CON, the ACK (empty or piggybacked) once it arrives; for NON, `undefined` once sent.
   * @throws {CoapTimeoutError} When a CON is never acknowledged.
   * @throws {CoapResetError} When the peer resets a CON.
   * @throws {RangeError} When an Empty message (code 0) has a token, options
   * or payload.
   * @throws {TypeError} When a CON message is for a multicast address.
   *
   * @example Usage
   * ```ts
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { assertEquals } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * await using a = new CoapEndpoint(network.bind());
   * await using b = new CoapEndpoint(network.bind());
   * // An unexpected CON response is rejected with RST.
   * const sent = a.send(b.localAddress, { type: "CON", code: 0x45, token: new Uint8Array([9]) });
   * const error = await sent.catch((e) => e);
   * assertEquals(error.name, "CoapResetError");
   * ```
   */
  send(
    peer: PeerAddress,
    init: SendInit,
    options: EndpointSendOptions = {},
  ): Promise<CoapMessage | undefined> {
    if (this.#closed) {
      return Promise.reject(
        new CoapClosedError("Cannot send message: the endpoint is closed"),
      );
    }
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (
      init?.code === CoapCode.EMPTY &&
      ((init.token?.length ?? 0) > 0 || (init.options?.length ?? 0) > 0 ||
        (init.payload?.length ?? 0) > 0)
    ) {
      // A peer drops it as a message format error (§4.1).
      return Promise.reject(
        new RangeError(
          "Cannot send message: an Empty message (code 0.00) has no token, options or payload",
        ),
      );
    }
    if (init?.type === "CON" && isMulticastAddress(peer?.hostname)) {
      return Promise.reject(multicastCon("Cannot send message", peer));
    }
    peer = canonicalPeer(peer);
    const key = peerKey(peer);
    let message: CoapMessage;
    let bytes: Uint8Array;
    try {
      message = {
        type: init.type,
        code: init.code,
        messageId: this.#nextMessageId(key),
        token: init.token ?? EMPTY_BYTES,
        options: init.options ?? [],
        payload: init.payload ?? EMPTY_BYTES,
      };
      bytes = encode(message);
    } catch (error) {
      return Promise.reject(error);
    }
    if (init.type === "NON") {
      if (options.onReset) {
        this.#rememberNon(key + "#" + message.messageId, options.onReset);
      }
      this.#sendBytes(bytes, peer, message);
      return Promise.resolve(undefined);
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#stop(tx);
        reject(signal!.reason);
      };
      const done = () => signal?.removeEventListener("abort", onAbort);
      const tx = this.#transmit(peer, key, message, bytes, {
        carried: options.retransmission,
        onAck: (ack) => {
          done();
          resolve(ack);
        },
        onReset: () => {
          done();
          reject(
            new CoapResetError(
              `Cannot deliver message: ${formatPeerAddress(peer)} reset it`,
            ),
          );
        },
        onTimeout: () => {
          done();
          reject(
            new CoapTimeoutError(
              `Cannot deliver message: no acknowledgement from ${
                formatPeerAddress(peer)
              } after ${this.#params.maxRetransmit} retransmissions`,
            ),
          );
        },
        onClose: () => {
          done();
          reject(
            new CoapClosedError(
              "Cannot deliver message: the endpoint was closed",
            ),
          );
        },
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Sends one message exactly as given (its own message ID and type), once,
   * with no reliability or matching. For protocol tools and compatibility
   * layers; prefer {@linkcode CoapEndpoint.prototype.request} and
   * {@linkcode CoapEndpoint.prototype.send}.
   *
   * @param peer Where to send it (an IPv6 address in any spelling: it is
   * written as transports report senders, see `canonicalHostname()`).
   * @param message The complete message.
   * @returns The encoded bytes that were sent.
   * @throws {TypeError} When the message type is invalid.
   * @throws {RangeError} When a field is out of range.
   *
   * @example Usage
   * ```ts
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { assertEquals } from "@std/assert";
   *
   * await using endpoint = new CoapEndpoint(new MemoryNetwork().bind());
   * const bytes = endpoint.sendMessage({ hostname: "nowhere", port: 1 }, {
   *   type: "NON",
   *   code: 0x45,
   *   messageId: 7,
   *   token: new Uint8Array(0),
   *   options: [],
   *   payload: new Uint8Array(0),
   * });
   * assertEquals(bytes.length, 4);
   * ```
   */
  sendMessage(peer: PeerAddress, message: CoapMessage): Uint8Array {
    const bytes = encode(message);
    this.#sendBytes(bytes, canonicalPeer(peer), message);
    return bytes;
  }

  /**
   * Checks that a peer is alive with an empty CON ("CoAP ping", RFC 7252
   * §4.3), which it answers with RST.
   *
   * @param peer Whom to ping.
   * @param options Abort signal.
   * @returns The round-trip time in ms.
   * @throws {CoapTimeoutError} When nothing answers.
   *
   * @example Usage
   * ```ts
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { assert } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * await using a = new CoapEndpoint(network.bind());
   * await using b = new CoapEndpoint(network.bind());
   * assert((await a.ping(b.localAddress)) >= 0);
   * ```
   */
  async ping(
    peer: PeerAddress,
    options: { signal?: AbortSignal } = {},
  ): Promise<number> {
    const start = this.#clock.now();
    try {
      await this.send(peer, { type: "CON", code: CoapCode.EMPTY }, options);
    } catch (error) {
      if (!(error instanceof CoapResetError)) throw error;
    }
    return this.#clock.now() - start;
  }

  /**
   * Sends a request to a multicast group (RFC 7252 §8) as NON and hands
   * every response, from whichever server, to `onResponse` until `timeout`
   * runs out. Responses match by token alone; a CON response is
   * acknowledged; a server's duplicates (same message ID) are dropped. The
   * message ID is one no message in flight to any peer uses (§8.1).
   *
   * @param group The group address and port, e.g. `224.0.1.187:5683`.
   * @param init The method, options and payload.
   * @param options `onResponse`, timeout, abort signal, token.
   * @returns A promise that resolves when the timeout ends the collection.
   * @throws {CoapClosedError} When the endpoint is closed first.
   * @throws {RangeError} When the token is in use by another multicast
   * request, `timeout` is negative or `init.code` is not a request code.
   *
   * @example Usage
   * ```ts
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { CoapCode, payloadText } from "@microcoap/codec";
   * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
   * import { assertEquals } from "@std/assert";
   *
   * const clock = new FakeClock();
   * using network = new MemoryNetwork({ clock });
   * const groups = ["224.0.1.187"];
   * for (const hostname of ["10.0.0.1", "10.0.0.2"]) {
   *   new CoapEndpoint(network.bind({ hostname, port: 5683, groups }), {
   *     clock,
   *     handler: () => ({ code: CoapCode.CONTENT, payload: new TextEncoder().encode(hostname) }),
   *   });
   * }
   * await using client = new CoapEndpoint(network.bind(), { clock });
   * const texts: string[] = [];
   * const done = client.multicast({ hostname: "224.0.1.187", port: 5683 }, { code: CoapCode.GET }, {
   *   onResponse: (response) => texts.push(payloadText(response.payload)),
   * });
   * await clock.tick(7000); // leisure (5 s) + ACK_TIMEOUT (2 s)
   * await done;
   * assertEquals(texts.sort(), ["10.0.0.1", "10.0.0.2"]);
   * ```
   */
  multicast(
    group: PeerAddress,
    init: RequestInit,
    options: EndpointMulticastOptions,
  ): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new CoapClosedError("Cannot send request: the endpoint is closed"),
      );
    }
    const { signal, onResponse } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const badCode = checkRequestCode(
      "Cannot send multicast request",
      init?.code,
    );
    if (badCode) return Promise.reject(badCode);
    if (typeof onResponse !== "function") {
      return Promise.reject(
        new TypeError("Cannot send multicast request: onResponse is required"),
      );
    }
    const timeout = options.timeout ??
      this.#leisure + this.#params.ackTimeout;
    if (typeof timeout !== "number" || !(timeout >= 0)) {
      return Promise.reject(
        new RangeError(
          `Cannot send multicast request: timeout is ${timeout}, expected at least 0`,
        ),
      );
    }
    const key = peerKey(group);
    let token = options.token;
    if (token === undefined) {
      const groups = this.#groupExchanges;
      const exchanges = this.#exchanges;
      try {
        token = this.#freeToken(
          groups.size + exchanges.size,
          (fresh) =>
            groups.has(tokenKey(fresh)) ||
            exchanges.has(key + "|" + tokenKey(fresh)),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const tokenId = tokenKey(token);
    if (this.#groupExchanges.has(tokenId)) {
      return Promise.reject(
        new RangeError(
          "Cannot send multicast request: the token is in use by another multicast request",
        ),
      );
    }
    let message: CoapMessage;
    let bytes: Uint8Array;
    try {
      message = {
        type: "NON",
        code: init.code,
        messageId: freeMessageId(
          this.#nextMessageId(key),
          this.#transmissions.keys(),
        ),
        token,
        options: init.options ?? [],
        payload: init.payload ?? EMPTY_BYTES,
      };
      bytes = encode(message);
    } catch (error) {
      return Promise.reject(error);
    }
    const done = this.#groupExchanges.open(tokenId, {
      clock: this.#clock,
      timeout,
      signal,
      onResponse,
    });
    try {
      options.onSent?.(message);
    } catch (error) {
      this.#logger?.({ kind: "handler-error", peer: group, message, error });
    }
    this.#sendBytes(bytes, group, message);
    return done;
  }

  /**
   * A fresh random token, unique among this endpoint's open exchanges with
   * the peer.
   *
   * @param peer The peer the token is for.
   * @returns The token.
   * @throws {RangeError} When every token of `tokenLength` bytes is in use
   * with that peer.
   *
   * @example Usage
   * ```ts
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { assertEquals } from "@std/assert";
   *
   * await using endpoint = new CoapEndpoint(new MemoryNetwork().bind());
   * assertEquals(endpoint.newToken({ hostname: "a", port: 1 }).length, 4);
   * ```
   */
  newToken(peer: PeerAddress): Uint8Array {
    return this.#newToken(peerKey(canonicalPeer(peer)));
  }

  /**
   * Stops all exchanges (their promises reject with {@linkcode CoapClosedError})
   * and closes the transport. Safe to call more than once.
   *
   * @example Usage
   * ```ts
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { assert } from "@std/assert";
   *
   * const endpoint = new CoapEndpoint(new MemoryNetwork().bind());
   * await endpoint.close();
   * assert(endpoint.closed);
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new CoapClosedError(
      "Cannot finish exchange: the endpoint was closed",
    );
    for (const exchange of [...this.#exchanges.values()]) {
      this.#finish(exchange, closed, false);
    }
    this.#groupExchanges.finishAll(closed);
    for (const timer of this.#leisureTimers) this.#clock.clearTimeout(timer);
    this.#leisureTimers.clear();
    for (const tx of [...this.#transmissions.values()]) {
      this.#stop(tx);
      tx.onClose?.();
    }
    this.#transmissions.clear();
    for (const slots of this.#slots.values()) slots.queue.length = 0;
    this.#slots.clear();
    this.#nonResets.clear();
    this.#earlyAcks.clear();
    this.#dedup.clear();
    await this.#transport.close();
  }

  /** Closes the endpoint. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- sending ---------------------------------------------------------------

  #sendBytes(
    bytes: Uint8Array,
    peer: PeerAddress,
    message: CoapMessage | undefined,
  ): void {
    if (this.#closed) return;
    if (this.#logger) {
      this.#logger(
        message ? { kind: "sent", peer, message } : { kind: "sent", peer },
      );
    }
    this.#transport.send(bytes, peer);
  }

  #nextMessageId(key: string): number {
    let next = this.#messageIds.get(key);
    if (next === undefined) {
      if (this.#messageIds.size >= this.#maxPeers) {
        const oldest = this.#messageIds.keys().next().value;
        if (oldest !== undefined) this.#messageIds.delete(oldest);
      }
      next = Math.floor(this.#random() * 0x10000) & 0xffff;
    } else {
      // Re-inserted below, so the map stays in least-recently-used order and
      // eviction forgets an idle peer's sequence, not a busy one's (§4.4).
      this.#messageIds.delete(key);
    }
    // Skip IDs still in flight to this peer (possible only after 65536 sends).
    for (
      let i = 0;
      i < 0x10000 && this.#transmissions.has(key + "#" + next);
      i++
    ) {
      next = (next + 1) & 0xffff;
    }
    this.#messageIds.set(key, (next + 1) & 0xffff);
    return next;
  }

  #newToken(key: string): Uint8Array {
    const exchanges = this.#exchanges;
    return this.#freeToken(
      exchanges.size,
      (token) => exchanges.has(key + "|" + tokenKey(token)),
    );
  }

  // A random token, or else the next one not in use counting up from it
  // (big-endian): of `used` + 1 consecutive tokens one is free unless there
  // are fewer tokens than that. Drawing again until one is free looped
  // forever on a full token space or a repeating random source.
  #freeToken(
    used: number,
    inUse: (token: Uint8Array) => boolean,
  ): Uint8Array {
    const token = this.#randomBytes(this.#tokenLength).slice();
    for (let tries = 0; tries <= used; tries++) {
      if (!inUse(token)) return token;
      for (let i = token.length - 1; i >= 0; i--) {
        token[i] = (token[i]! + 1) & 0xff;
        if (token[i] !== 0) break;
      }
    }
    throw new RangeError(
      `Cannot choose a token: all ${token.length}-byte tokens are in use`,
    );
  }

  #transmit(
    peer: PeerAddress,
    key: string,
    message: CoapMessage,
    bytes: Uint8Array,
    handlers: Pick<
      Transmission,
      "onAck" | "onReset" | "onTimeout" | "onClose" | "carried"
    >,
  ): Transmission {
    const { ackTimeout, ackRandomFactor, maxRetransmit } = this.#params;
    const tx: Transmission = {
      key: key + "#" + message.messageId,
      peer,
      bytes,
      attempt: 0,
      timeout: ackTimeout * (1 + this.#random() * (ackRandomFactor - 1)),
      timer: undefined,
      ...handlers,
    };
    const carried = tx.carried;
    const now = this.#clock.now();
    let wait = tx.timeout;
    if (carried !== undefined && carried.attempt >= 0) {
      // Continues the backoff of the message this one replaces.
      if (carried.attempt < maxRetransmit) {
        tx.attempt = carried.attempt + 1;
        tx.timeout = wait = carried.timeout * 2;
      } else {
        tx.attempt = carried.attempt;
        tx.timeout = carried.timeout;
        wait = Math.max(0, carried.due - now);
      }
    }
    this.#transmissions.set(tx.key, tx);
    this.#sendBytes(bytes, peer, message);
    tx.timer = this.#clock.setTimeout(() => this.#retransmit(tx), wait);
    if (carried !== undefined) {
      carried.attempt = tx.attempt;
      carried.timeout = tx.timeout;
      carried.due = now + wait;
    }
    return tx;
  }

  #retransmit(tx: Transmission): void {
    if (this.#transmissions.get(tx.key) !== tx) return;
    if (tx.attempt >= this.#params.maxRetransmit) {
      this.#transmissions.delete(tx.key);
      tx.onTimeout();
      return;
    }
    tx.attempt++;
    tx.timeout *= 2;
    if (this.#logger) {
      this.#logger({ kind: "sent", peer: tx.peer, message: decode(tx.bytes) });
    }
    this.#transport.send(tx.bytes, tx.peer);
    tx.timer = this.#clock.setTimeout(() => this.#retransmit(tx), tx.timeout);
    if (tx.carried !== undefined) {
      tx.carried.attempt = tx.attempt;
      tx.carried.timeout = tx.timeout;
      tx.carried.due = this.#clock.now() + tx.timeout;
    }
  }

  #stop(tx: Transmission | undefined): void {
    if (!tx) return;
    this.#clock.clearTimeout(tx.timer);
    if (this.#transmissions.get(tx.key) === tx) {
      this.#transmissions.delete(tx.key);
    }
  }

  #rememberNon(key: string, onReset: () => void): void {
    const now = this.#clock.now();
    // Sweep expired entries from the head (insertion order is time order).
    for (const [k, entry] of this.#nonResets) {
      if (
        now - entry.at < this.#params.nonLifetime &&
        this.#nonResets.size < this.#maxPeers
      ) break;
      this.#nonResets.delete(k);
    }
    this.#nonResets.set(key, { at: now, onReset });
  }

  // --- client exchanges ---------------------------------------------------------

  #acquire(exchange: Exchange): void {
    let slots = this.#slots.get(exchange.peerKey);
    if (!slots) {
      slots = { active: 0, queue: [] };
      this.#slots.set(exchange.peerKey, slots);
    }
    if (slots.active < this.#params.nstart) {
      slots.active++;
      exchange.holdsSlot = true;
      this.#start(exchange);
    } else {
      slots.queue.push(() => {
        exchange.holdsSlot = true;
        this.#start(exchange);
      });
    }
  }

  #release(exchange: Exchange): void {
    if (!exchange.holdsSlot) return;
    exchange.holdsSlot = false;
    const slots = this.#slots.get(exchange.peerKey);
    if (!slots) return;
    for (;;) {
      const next = slots.queue.shift();
      if (!next) break;
      next();
      return;
    }
    slots.active--;
    if (slots.active <= 0) this.#slots.delete(exchange.peerKey);
  }

  #start(exchange: Exchange): void {
    if (exchange.done) {
      this.#release(exchange);
      return;
    }
    const { peer, peerKey: key, init, options } = exchange;
    const confirmable = options.confirmable ?? true;
    let message: CoapMessage;
    let bytes: Uint8Array;
    try {
      message = {
        type: confirmable ? "CON" : "NON",
        code: init.code,
        messageId: this.#nextMessageId(key),
        token: exchange.token,
        options: init.options ?? [],
        payload: init.payload ?? EMPTY_BYTES,
      };
      bytes = encode(message);
    } catch (error) {
      this.#finish(exchange, error, false);
      return;
    }
    if (options.onSent) {
      try {
        options.onSent(message);
      } catch (error) {
        this.#logger?.({ kind: "handler-error", peer, message, error });
      }
    }
    if (!confirmable) {
      this.#rememberNon(key + "#" + message.messageId, () => {
        this.#finish(
          exchange,
          new CoapResetError(
            `Cannot get a response: ${
              formatPeerAddress(peer)
            } reset the request`,
          ),
          false,
        );
      });
      this.#sendBytes(bytes, peer, message);
      this.#awaitResponse(
        exchange,
        options.responseTimeout ?? maxTransmitWait(this.#params),
      );
      return;
    }
    exchange.tx = this.#transmit(peer, key, message, bytes, {
      onAck: (ack) => {
        exchange.tx = undefined;
        if (options.onAck) {
          try {
            options.onAck(ack);
          } catch (error) {
            this.#logger?.({
              kind: "handler-error",
              peer,
              message: ack,
              error,
            });
          }
        }
        if (
          ack.code === CoapCode.EMPTY ||
          tokenKey(ack.token) !== tokenKey(exchange.token)
        ) {
          // Separate response follows (a piggybacked response with another
          // token still acknowledges the request, but is not its response);
          // the interaction is no longer outstanding (§4.7).
          this.#release(exchange);
          this.#awaitResponse(
            exchange,
            options.responseTimeout ?? this.#params.exchangeLifetime,
          );
        } else {
          this.#deliver(exchange, ack);
        }
      },
      onReset: () => {
        exchange.tx = undefined;
        this.#finish(
          exchange,
          new CoapResetError(
            `Cannot get a response: ${
              formatPeerAddress(peer)
            } reset the request`,
          ),
          false,
        );
      },
      onTimeout: () => {
        exchange.tx = undefined;
        this.#finish(
          exchange,
          new CoapTimeoutError(
            `Cannot get a response: no acknowledgement from ${
              formatPeerAddress(peer)
            } after ${this.#params.maxRetransmit} retransmissions`,
          ),
          false,
        );
      },
    });
  }

  #awaitResponse(exchange: Exchange, timeout: number): void {
    if (exchange.done || exchange.answered) return;
    exchange.timer = this.#clock.setTimeout(() => {
      exchange.timer = undefined;
      this.#finish(
        exchange,
        new CoapTimeoutError(
          `Cannot get a response: none from ${
            formatPeerAddress(exchange.peer)
          } in time`,
        ),
        false,
      );
    }, timeout);
  }

  #deliver(exchange: Exchange, response: CoapMessage): void {
    if (exchange.done) return;
    // A response also acknowledges the request (the ACK may have been lost).
    if (exchange.tx) {
      this.#stop(exchange.tx);
      exchange.tx = undefined;
    }
    this.#release(exchange);
    if (exchange.timer !== undefined) {
      this.#clock.clearTimeout(exchange.timer);
      exchange.timer = undefined;
    }
    const { onResponse } = exchange.options;
    const first = !exchange.answered;
    exchange.answered = true;
    if (first) exchange.resolve(response);
    if (onResponse) {
      try {
        onResponse(response);
      } catch (error) {
        this.#logger?.({ kind: "handler-error", peer: exchange.peer, error });
      }
    } else {
      this.#finish(exchange, undefined, false);
    }
  }

  #finish(exchange: Exchange, error: unknown, aborted: boolean): void {
    if (exchange.done) return;
    exchange.done = true;
    if (this.#exchanges.get(exchange.key) === exchange) {
      this.#exchanges.delete(exchange.key);
    }
    if (exchange.tx) {
      this.#stop(exchange.tx);
      exchange.tx = undefined;
    }
    if (exchange.timer !== undefined) this.#clock.clearTimeout(exchange.timer);
    exchange.abort?.();
    this.#release(exchange);
    if (!exchange.answered && (error !== undefined || aborted)) {
      exchange.reject(error);
    }
  }

  // --- receiving -------------------------------------------------------------

  #receive(data: Uint8Array, from: PeerAddress): void {
    if (this.#closed) return;
    const message = tryDecode(data);
    if (message instanceof CoapDecodeFailure) {
      this.#malformed(message, from);
      return;
    }
    if (this.#logger) this.#logger({ kind: "received", peer: from, message });
    const code = message.code;
    const codeClass = code >>> 5;
    const key = peerKey(from);
    if (code === CoapCode.EMPTY) this.#receiveEmpty(message, from, key);
    else if (codeClass === 0) this.#receiveRequest(message, from, key);
    else if (codeClass === 2 || codeClass === 4 || codeClass === 5) {
      this.#receiveResponse(message, from, key);
    } else if (message.type === "CON") {
      // Reserved code classes are message format errors (§4.2): reject.
      this.#sendEmpty("RST", message.messageId, from);
    } else this.#ignore(from, message);
  }

  #malformed(failure: CoapDecodeFailure, from: PeerAddress): void {
    this.#logger?.({ kind: "malformed", peer: from, error: failure.toError() });
    if (
      failure.type === 0 && failure.messageId !== undefined &&
      failure.reason !== "bad-version" && failure.reason !== "too-short"
    ) {
      // A malformed CON is rejected with RST (§4.2); other types are dropped.
      this.#sendEmpty("RST", failure.messageId, from);
    }
  }

  #ignore(from: PeerAddress, message: CoapMessage): void {
    this.#logger?.({ kind: "ignored", peer: from, message });
  }

  #sendEmpty(type: CoapType, messageId: number, to: PeerAddress): Uint8Array {
    const message: CoapMessage = {
      type,
      code: 0,
      messageId,
      token: EMPTY_BYTES,
      options: [],
      payload: EMPTY_BYTES,
    };
    const bytes = encode(message);
    this.#sendBytes(bytes, to, message);
    return bytes;
  }

  #receiveEmpty(message: CoapMessage, from: PeerAddress, key: string): void {
    switch (message.type) {
      case "CON": // ping
        this.#sendEmpty("RST", message.messageId, from);
        return;
      case "ACK": {
        const tx = this.#transmissions.get(key + "#" + message.messageId);
        if (!tx) return this.#ignore(from, message);
        this.#stop(tx);
        tx.onAck(message);
        return;
      }
      case "RST": {
        const txKey = key + "#" + message.messageId;
        const tx = this.#transmissions.get(txKey);
        if (tx) {
          this.#stop(tx);
          tx.onReset();
          return;
        }
        const non = this.#nonResets.get(txKey);
        if (non) {
          this.#nonResets.delete(txKey);
          non.onReset();
          return;
        }
        return this.#ignore(from, message);
      }
      default: // An empty NON is a format error: dropped.
        return this.#ignore(from, message);
    }
  }

  #receiveResponse(message: CoapMessage, from: PeerAddress, key: string): void {
    const type = message.type;
    if (type === "ACK") {
      const tx = this.#transmissions.get(key + "#" + message.messageId);
      // A piggybacked response we cannot process is rejected: an ACK is
      // rejected by ignoring it (RFC 7252 §4.2, §5.4.1).
      if (!tx || !this.#criticalOptionsRecognized(message)) {
        return this.#ignore(from, message);
      }
      this.#stop(tx);
      tx.onAck(message);
      return;
    }
    if (type === "RST") return this.#ignore(from, message);
    const confirmable = type === "CON";
    if (!this.#isNew(message, from, key, confirmable)) return;
    const exchange = this.#exchanges.get(key + "|" + tokenKey(message.token));
    const group = exchange || this.#groupExchanges.size === 0
      ? undefined
      : this.#groupExchanges.get(tokenKey(message.token));
    if (group !== undefined && this.#criticalOptionsRecognized(message)) {
      // RFC 7252 §8.2: a response to a multicast request matches by token
      // alone, from whichever server answers.
      if (confirmable) {
        const reply = this.#sendEmpty("ACK", message.messageId, from);
        this.#dedup.setReply(key, message.messageId, reply);
      }
      try {
        group.onResponse(withoutBadElectives(message), from);
      } catch (error) {
        this.#logger?.({ kind: "handler-error", peer: from, message, error });
      }
      return;
    }
    if (!exchange || !this.#criticalOptionsRecognized(message)) {
      // Unknown token, or a response we cannot process: reject a CON, ignore a NON.
      if (confirmable) {
        const reply = this.#sendEmpty("RST", message.messageId, from);
        this.#dedup.setReply(key, message.messageId, reply);
      } else this.#ignore(from, message);
      return;
    }
    if (confirmable) {
      const reply = this.#sendEmpty("ACK", message.messageId, from);
      this.#dedup.setReply(key, message.messageId, reply);
    }
    this.#deliver(exchange, withoutBadElectives(message));
  }

  /** Runs the retransmission filter: replays the cached reply to a duplicate, drops others. */
  #isNew(
    message: CoapMessage,
    from: PeerAddress,
    key: string,
    confirmable: boolean,
  ): boolean {
    const seen = this.#dedup.check(
      key,
      message.messageId,
      message.token,
      confirmable,
    );
    if (seen.status === "new") return true;
    if (seen.status === "replay") this.#sendBytes(seen.reply, from, undefined);
    else {
      // A retransmitted CON request while its handler runs: the client's ACK
      // timer has run out, so the empty ACK goes now (§4.5, §5.2.2).
      const early = seen.status === "pending" && confirmable
        ? this.#earlyAcks.get(key + "#" + message.messageId)
        : undefined;
      if (early !== undefined) early();
      else this.#ignore(from, message);
    }
    return false;
  }

  #criticalOptionsRecognized(message: CoapMessage): boolean {
    const options = message.options;
    for (let i = 0; i < options.length; i++) {
      const option = options[i]!;
      const number = option.number;
      if ((number & 1) === 0) continue;
      if (!this.#recognized(number)) return false;
      // RFC 7252 §5.4.3, §5.4.5: a value of the wrong length, or a repeat of
      // a non-repeatable option, counts as unrecognised.
      const info = optionInfo(number);
      if (info === undefined) continue;
      const length = option.value.length;
      if (length < info.minLength || length > info.maxLength) return false;
      if (!info.repeatable && i > 0 && options[i - 1]!.number === number) {
        return false;
      }
    }
    return true;
  }

  /** A handler that never settles must not hold its pending slot for good. */
  #handlerDeadline(
    settle: (response: ResponseInit, error: unknown) => void,
  ): TimerHandle {
    return this.#clock.setTimeout(
      () =>
        settle(
          { code: CoapCode.INTERNAL_SERVER_ERROR },
          new CoapTimeoutError(
            `Cannot answer request: the handler did not finish in ${this.#handlerTimeout} ms`,
          ),
        ),
      this.#handlerTimeout,
    );
  }

  #receiveRequest(message: CoapMessage, from: PeerAddress, key: string): void {
    const type = message.type;
    if (type === "ACK" || type === "RST") return this.#ignore(from, message);
    const confirmable = type === "CON";
    if (!this.#isNew(message, from, key, confirmable)) return;
    if (!this.#criticalOptionsRecognized(message)) {
      // A NON is rejected (§5.4.1): a RST (§4.3) ends the client's wait at
      // once instead of at its timeout.
      if (confirmable) {
        this.#respond(message, from, key, { code: CoapCode.BAD_OPTION }, false);
      } else {
        this.#sendEmpty("RST", message.messageId, from);
      }
      return;
    }
    const handler = this.#handler;
    if (!handler) {
      this.#respond(message, from, key, { code: CoapCode.NOT_FOUND }, false);
      return;
    }
    if (this.#pending >= this.#maxPending) {
      this.#respond(
        message,
        from,
        key,
        { code: CoapCode.SERVICE_UNAVAILABLE },
        false,
      );
      return;
    }
    let result: ResponseInit | undefined | Promise<ResponseInit | undefined>;
    try {
      result = handler({ message: withoutBadElectives(message), peer: from });
    } catch (error) {
      this.#logger?.({ kind: "handler-error", peer: from, message, error });
      this.#respond(message, from, key, {
        code: CoapCode.INTERNAL_SERVER_ERROR,
      }, false);
      return;
    }
    if (!(result instanceof Promise)) {
      this.#respond(message, from, key, result, false);
      return;
    }
    this.#pending++;
    let settled = false;
    let separate = false;
    const ackKey = key + "#" + message.messageId;
    const sendAck = () => {
      if (ackTimer !== undefined) this.#clock.clearTimeout(ackTimer);
      if (this.#earlyAcks.get(ackKey) === sendAck) {
        this.#earlyAcks.delete(ackKey);
      }
      if (settled || this.#closed || separate) return;
      separate = true;
      const ack = this.#sendEmpty("ACK", message.messageId, from);
      this.#dedup.setReply(key, message.messageId, ack);
    };
    const ackTimer = confirmable
      ? this.#clock.setTimeout(sendAck, this.#separateDelay)
      : undefined;
    if (confirmable) this.#earlyAcks.set(ackKey, sendAck);
    const settle = (response: ResponseInit | undefined, error?: unknown) => {
      if (settled) return;
      settled = true;
      this.#pending--;
      if (ackTimer !== undefined) this.#clock.clearTimeout(ackTimer);
      if (this.#earlyAcks.get(ackKey) === sendAck) {
        this.#earlyAcks.delete(ackKey);
      }
      this.#clock.clearTimeout(deadline);
      if (error !== undefined) {
        this.#logger?.({ kind: "handler-error", peer: from, message, error });
      }
      this.#respond(message, from, key, response, separate);
    };
    const deadline = this.#handlerDeadline(settle);
    settleWhenDone(result, settle);
  }

  /**
   * A datagram that came to a multicast group (RFC 7252 §8.1, §8.2): only a
   * NON request is valid; nothing gets RST or an error implosion; the
   * response goes unicast, NON, at a random moment within the leisure.
   */
  #receiveMulticast(data: Uint8Array, from: PeerAddress, group: string): void {
    if (this.#closed) return;
    const message = tryDecode(data);
    if (message instanceof CoapDecodeFailure) {
      this.#logger?.({
        kind: "malformed",
        peer: from,
        error: message.toError(),
      });
      return;
    }
    this.#logger?.({ kind: "received", peer: from, message });
    const key = peerKey(from);
    if (
      message.type !== "NON" || message.code === CoapCode.EMPTY ||
      message.code >>> 5 !== 0
    ) return this.#ignore(from, message);
    if (!this.#isNew(message, from, key, false)) return;
    // A NON with an unrecognised critical option is rejected by silence.
    if (!this.#criticalOptionsRecognized(message)) {
      return this.#ignore(from, message);
    }
    const handler = this.#handler;
    const busy = this.#pending >= this.#maxPending;
    const clock = this.#clock;
    const due = clock.now() + this.#random() * this.#leisure;
    let settled = false;
    const settle = (response: ResponseInit | undefined, error?: unknown) => {
      if (settled) return;
      settled = true;
      this.#pending--;
      clock.clearTimeout(deadline);
      if (error !== undefined) {
        this.#logger?.({ kind: "handler-error", peer: from, message, error });
      }
      if (
        this.#closed || response === undefined ||
        !multicastAnswer(
          message,
          response.code,
          response.payload?.length ?? 0,
          this.#multicastResponses,
        )
      ) return;
      const timer = clock.setTimeout(() => {
        this.#leisureTimers.delete(timer);
        this.#respond(message, from, key, response, false);
      }, Math.max(0, due - clock.now()));
      this.#leisureTimers.add(timer);
    };
    this.#pending++;
    const deadline = this.#handlerDeadline(settle);
    try {
      // As for unicast: 4.04 without a handler, 5.03 when busy (sent only
      // when the policy or No-Response asks for errors).
      const result = handler === undefined
        ? { code: CoapCode.NOT_FOUND }
        : busy
        ? { code: CoapCode.SERVICE_UNAVAILABLE }
        : handler({ message: withoutBadElectives(message), peer: from, group });
      if (result instanceof Promise) settleWhenDone(result, settle);
      else settle(result);
    } catch (error) {
      settle({ code: CoapCode.INTERNAL_SERVER_ERROR }, error);
    }
  }

  #respond(
    request: CoapMessage,
    peer: PeerAddress,
    key: string,
    response: ResponseInit | undefined,
    separate: boolean,
  ): void {
    if (this.#closed) return;
    const confirmable = request.type === "CON";
    if (response === undefined || suppressed(request, response.code)) {
      if (confirmable && !separate) {
        this.#dedup.setReply(
          key,
          request.messageId,
          this.#sendEmpty("ACK", request.messageId, peer),
        );
      }
      return;
    }
    const piggybacked = confirmable && !separate;
    let message: CoapMessage;
    let bytes: Uint8Array;
    try {
      const code = response.code;
      if (
        !Number.isInteger(code) || code < 0x40 || code > 0xbf ||
        code >>> 5 === 3
      ) {
        // A request code in an ACK is ignored (§4.2), 0.00 with a token is a
        // malformed Empty message, 3.xx is reserved (§12.1.2).
        throw new RangeError(
          `Cannot answer request: code is ${code}, expected a 2.xx, 4.xx or 5.xx response code`,
        );
      }
      message = {
        type: piggybacked ? "ACK" : separate ? "CON" : "NON",
        code,
        messageId: piggybacked ? request.messageId : this.#nextMessageId(key),
        token: request.token,
        options: response.options ?? [],
        payload: response.payload ?? EMPTY_BYTES,
      };
      bytes = encode(message);
    } catch (error) {
      this.#logger?.({ kind: "handler-error", peer, message: request, error });
      if (response.code === CoapCode.INTERNAL_SERVER_ERROR) return;
      this.#respond(request, peer, key, {
        code: CoapCode.INTERNAL_SERVER_ERROR,
      }, separate);
      return;
    }
    if (piggybacked) {
      this.#dedup.setReply(key, request.messageId, bytes);
      this.#sendBytes(bytes, peer, message);
    } else if (separate) {
      this.#transmit(peer, key, message, bytes, {
        onAck: () => {},
        onReset: () => this.#logger?.({ kind: "ignored", peer, message }),
        onTimeout: () => this.#logger?.({ kind: "ignored", peer, message }),
      });
    } else {
      this.#sendBytes(bytes, peer, message);
    }
  }
}

/** Settles with the handler's response, or with 5.00 and why it failed. */
function settleWhenDone(
  result: Promise<ResponseInit | undefined>,
  settle: (response: ResponseInit | undefined, error?: unknown) => void,
): void {
  result.then(
    (response) => settle(response),
    (error) =>
      settle(
        { code: CoapCode.INTERNAL_SERVER_ERROR },
        error ?? new Error("rejected"),
      ),
  );
}

/**
 * The message without the elective options RFC 7252 makes unrecognised, which
 * are then ignored (§5.4.1): a value of the wrong length (§5.4.3) or a repeat
 * of a non-repeatable option (§5.4.5). The message itself when it has none.
 */
function withoutBadElectives(message: CoapMessage): CoapMessage {
  const options = message.options;
  let kept: CoapOption[] | undefined;
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    const number = option.number;
    let bad = false;
    if ((number & 1) === 0) {
      const info = optionInfo(number);
      if (info !== undefined) {
        const length = option.value.length;
        // Decoded options come sorted by number, so a repeat is adjacent.
        bad = length < info.minLength || length > info.maxLength ||
          (!info.repeatable && i > 0 && options[i - 1]!.number === number);
      }
    }
    if (bad) kept ??= options.slice(0, i);
    else kept?.push(option);
  }
  return kept === undefined ? message : { ...message, options: kept };
}

/** Whether the request's No-Response option (RFC 7967) suppresses a response of this code. */
function suppressed(request: CoapMessage, code: number): boolean {
  const options = request.options;
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!;
    if (option.number === 258) {
      const value = option.value;
      // A value longer than 1 byte is an unrecognised elective option:
      // ignored (RFC 7252 §5.4.3).
      if (value.length > 1) return false;
      const bits = value.length === 0 ? 0 : value[0]!;
      return (bits & (RESPONSE_SUPPRESS_BITS[code >>> 5] ?? 0)) !== 0;
    }
    if (option.number > 258) break;
  }
  return false;
}

// Registered, but nothing in this stack implements them: OSCORE (9),
// Q-Block1 (19) and Q-Block2 (31). A peer relying on them must get 4.02.
function isRegistered(number: number): boolean {
  return optionInfo(number) !== undefined && number !== 9 && number !== 19 &&
    number !== 31;
}

// RFC 7252 §8.1: a message to a group MUST be NON (and the answers to a
// group request match by token from any server: multicast()).
function multicastCon(action: string, peer: PeerAddress): TypeError {
  return new TypeError(
    `${action}: ${
      formatPeerAddress(peer)
    } is a multicast address, and a CON cannot go to a group (use NON or multicast())`,
  );
}

// A request code is class 0 and not 0.00 (Empty), RFC 7252 §12.1.1: any
// other in a request is a response or a format error to the peer.
function checkRequestCode(
  action: string,
  code: number,
): RangeError | undefined {
  return Number.isInteger(code) && code >= 1 && code <= 31
    ? undefined
    : new RangeError(
      `${action}: code is ${code}, expected a request code (0.01 to 0.31)`,
    );
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create endpoint: ${name} is ${value}, expected a positive integer`,
    );
  }
  return value;
}
