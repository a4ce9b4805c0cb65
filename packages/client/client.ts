// Copyright 2026 the microcoap authors. MIT license.
/**
 * {@linkcode CoapClient}: CoAP requests by URL, observe and block-wise
 * transfer on top of `@microcoap/endpoint`.
 *
 * @module
 */
import {
  CoapCode,
  CoapOptionNumber,
  decodeBlock,
  getOption,
  parseUri,
} from "@microcoap/codec";
import type { CoapMessage, CoapUri } from "@microcoap/codec";
import {
  CoapClosedError,
  CoapEndpoint,
  CoapTimeoutError,
  resolveTransmissionParameters,
} from "@microcoap/endpoint";
import type {
  CoapEndpointOptions,
  EndpointLogger,
  RequestInit,
  TransmissionParameters,
} from "@microcoap/endpoint";
import { bindUdp, systemClock } from "@microcoap/transport";
import type { Clock, PeerAddress, Transport } from "@microcoap/transport";
import { abortable, checkTimeout, deadline } from "./_abort.ts";
import {
  completeBlock2,
  continuationTemplate,
  smallerBlockSize,
  uploadBlock1,
} from "./_blockwise.ts";
import { echoChallenge, echoing, withEcho } from "./_echo.ts";
import { Observation } from "./_observation.ts";
import type { ObservationSettings, ObservationTarget } from "./_observation.ts";
import {
  buildRequest,
  checkBlockSize,
  checkDestinationPort,
  noResponseBits,
  suppressesAll,
} from "./_request.ts";
import { literalFamily, resolveHost, systemLookup } from "./_resolve.ts";
import type { CoapObservation, CoapObserveOptions } from "./observe.ts";
import type {
  CoapMethodOptions,
  CoapRequestOptions,
  CoapSendOptions,
} from "./request_options.ts";
import { CoapResponse } from "./response.ts";
import { bindMulticastSender, multicastResponses } from "./_multicast.ts";
import type {
  CoapClientMulticastOptions,
  CoapMulticastOptions,
} from "./multicast.ts";
import { isMulticastAddress } from "@microcoap/transport";

/**
 * An address a host name resolved to.
 *
 * @example Usage
 * ```ts
 * import { CoapClient, type CoapLookupResult } from "@microcoap/client";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode, CoapOptionNumber, getStringOption } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
 *   handler: ({ message }) => ({
 *     code: CoapCode.CONTENT,
 *     payload: new TextEncoder().encode(getStringOption(message, CoapOptionNumber.URI_HOST)),
 *   }),
 * });
 * const result: CoapLookupResult = { address: "10.0.0.1", family: 4 };
 * await using client = new CoapClient({ transport: network.bind(), lookup: () => Promise.resolve(result) });
 * // Sent to 10.0.0.1, with the host name as Uri-Host.
 * const response = await client.get("coap://sensor.example/temp");
 * assertEquals(response.text(), "sensor.example");
 * ```
 */
export interface CoapLookupResult {
  /** The numeric IPv4 or IPv6 address. */
  readonly address: string;
  /** The address family. */
  readonly family: 4 | 6;
}

/**
 * Resolves a host name from a request URL to one address.
 *
 * @example Usage
 * ```ts
 * import { CoapClient, CoapDnsError, type CoapLookup } from "@microcoap/client";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode } from "@microcoap/codec";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * // A fixed table instead of the system resolver.
 * const hosts = new Map([["lamp.example", "10.0.0.2"]]);
 * const lookup: CoapLookup = (hostname) => {
 *   const address = hosts.get(hostname);
 *   return address === undefined
 *     ? Promise.reject(Object.assign(new Error("not found"), { code: "ENOTFOUND" }))
 *     : Promise.resolve({ address, family: 4 });
 * };
 * const network = new MemoryNetwork();
 * await using lamp = new CoapEndpoint(network.bind({ hostname: "10.0.0.2", port: 5683 }), {
 *   handler: () => ({ code: CoapCode.CHANGED }),
 * });
 * await using client = new CoapClient({ transport: network.bind(), lookup });
 * assertEquals((await client.put("coap://lamp.example/on")).codeText, "2.04");
 * await assertRejects(() => client.get("coap://fridge.example/"), CoapDnsError);
 * ```
 */
export type CoapLookup = (hostname: string) => Promise<CoapLookupResult>;

/**
 * Options for {@linkcode CoapClient}.
 *
 * @example Usage
 * ```ts
 * import { CoapClient, CoapTimeoutError, type CoapClientOptions } from "@microcoap/client";
 * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals, assertInstanceOf } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * const options: CoapClientOptions = { transport: network.bind(), clock, timeout: 1000 };
 * await using client = new CoapClient(options);
 * // Nobody answers at 10.0.0.9: the request gives up after `timeout`.
 * let failedAt = -1;
 * const done = client.get("coap://10.0.0.9/temp").catch((error) => {
 *   assertInstanceOf(error, CoapTimeoutError);
 *   failedAt = clock.now();
 * });
 * await clock.tick(1000);
 * await done;
 * assertEquals(failedAt, 1000);
 * ```
 */
export interface CoapClientOptions extends Partial<TransmissionParameters> {
  /**
   * Use this transport (for example a `MemoryNetwork` endpoint) for every
   * request instead of binding UDP sockets. The client owns it and closes it.
   *
   * @default {undefined} UDP sockets bound on first use, one per address family
   */
  transport?: Transport;
  /**
   * The local address to bind the socket of its family to (IPv4 `0.0.0.0`
   * and IPv6 `::` otherwise).
   *
   * @default {undefined} every address
   */
  hostname?: string;
  /**
   * The local port for the socket of `hostname`'s family (IPv4 when no
   * `hostname` is given); the other family's socket takes a free port.
   *
   * @default {0} a free port
   */
  port?: number;
  /**
   * For the UDP sockets the client binds: datagrams longer than this many
   * bytes (from 1 to 65,507) are dropped (see
   * `UdpTransportOptions.maxDatagramSize`).
   *
   * @default {8192}
   */
  maxDatagramSize?: number;
  /**
   * Accept transmission parameters below the RFC 7252 floors (for tests).
   *
   * @default {false}
   */
  force?: boolean;
  /**
   * The token length of new requests, 1 to 8 bytes.
   *
   * @default {4}
   */
  tokenLength?: number;
  /**
   * Sees every message the client's endpoints send and receive.
   *
   * @default {undefined}
   */
  logger?: EndpointLogger;
  /**
   * The clock for timers (retransmission, timeouts, observe freshness).
   *
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * Uniform randomness in [0, 1) for retransmission timeouts and message IDs.
   *
   * @default {Math.random}
   */
  random?: () => number;
  /**
   * Random bytes for tokens and Request-Tags.
   *
   * @default {crypto.getRandomValues}
   */
  randomBytes?: (length: number) => Uint8Array;
  /**
   * The default overall timeout of a request, in ms.
   *
   * @default {undefined} only the message layer's limits (MAX_TRANSMIT_WAIT, EXCHANGE_LIFETIME)
   */
  timeout?: number;
  /**
   * The block size for block-wise transfer: larger payloads are sent in
   * Block1 blocks of this size. When given, GET and FETCH also ask for
   * response blocks of this size from the start.
   *
   * @default {1024} (without early negotiation)
   */
  blockSize?: number;
  /**
   * The most bytes of a block-wise response to reassemble; beyond it the
   * request rejects with a `CoapBlockwiseError` ("too-large").
   *
   * @default {16777216} (16 MiB)
   */
  maxBodySize?: number;
  /**
   * Resolves host names in URLs.
   *
   * @default {the system resolver} (`lookup` of `node:dns/promises`; of a
   * name's addresses the first IPv4 one, else the first, so that
   * `coap://localhost` reaches a server on 127.0.0.1 where the resolver
   * lists `::1` first)
   */
  lookup?: CoapLookup;
  /**
   * How multicast requests ({@linkcode CoapClient.prototype.multicast}) are
   * sent from the sockets bound for them: interface, hops, loopback.
   *
   * @default {undefined} the system defaults
   */
  multicast?: CoapClientMulticastOptions;
}

/**
 * Options for {@linkcode CoapClient.prototype.ping}.
 *
 * @example Usage
 * ```ts
 * import { CoapClient, CoapTimeoutError, type CoapPingOptions } from "@microcoap/client";
 * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
 * import { assertInstanceOf } from "@std/assert";
 *
 * const clock = new FakeClock();
 * using network = new MemoryNetwork({ clock });
 * await using client = new CoapClient({ transport: network.bind(), clock });
 * const options: CoapPingOptions = { timeout: 500 };
 * // Nothing at 10.0.0.9 answers the ping.
 * const outcome = client.ping("coap://10.0.0.9", options).catch((error) => error);
 * await clock.tick(500);
 * assertInstanceOf(await outcome, CoapTimeoutError);
 * ```
 */
export interface CoapPingOptions {
  /** Aborts the ping; it rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * The most time to wait, in ms.
   *
   * @default {the client's timeout}
   */
  timeout?: number;
}

interface Target {
  readonly endpoint: CoapEndpoint;
  readonly peer: PeerAddress;
}

const DEFAULT_BLOCK_SIZE = 1024;
const DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024;
const DEFAULT_RESPONSE_WAIT = 5000;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function describeUrl(url: string | URL): string {
  return String(url);
}

/**
 * A CoAP client: requests by `coap://` (or `coap+udp://`) URL with every
 * method, observe as an async iterable, block-wise transfer in both
 * directions, ping, timeouts and `AbortSignal`.
 *
 * It binds a UDP socket per address family on first use (IPv4 for
 * `coap://192.0.2.1/` and host names that resolve to IPv4, IPv6 for
 * `coap://[2001:db8::1]/`), or uses the given `transport`. Host names are
 * resolved once per request and sent as Uri-Host. Failures are promise
 * rejections with named errors (`CoapTimeoutError`, `CoapResetError`,
 * `CoapClosedError`, `CoapDnsError`, `CoapBlockwiseError`, or the abort
 * signal's reason); 4.xx and 5.xx are responses.
 *
 * @example Usage
 * ```ts
 * import { CoapClient } from "@microcoap/client";
 * import { CoapEndpoint } from "@microcoap/endpoint";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { CoapCode } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
 *   handler: ({ message }) => ({ code: CoapCode.CONTENT, payload: message.payload }),
 * });
 * await using client = new CoapClient({ transport: network.bind() });
 * const response = await client.post("coap://10.0.0.1/echo", { payload: { on: true } });
 * assertEquals(response.codeText, "2.05");
 * assertEquals(response.json(), { on: true });
 * ```
 */
export class CoapClient implements AsyncDisposable {
  #endpointOptions: CoapEndpointOptions;
  #params: TransmissionParameters;
  #clock: Clock;
  #randomBytes: (length: number) => Uint8Array;
  #fixed: CoapEndpoint | undefined;
  #bindHostname: string | undefined;
  #bindPort: number;
  #maxDatagramSize: number | undefined;
  #endpoints = new Map<4 | 6, Promise<CoapEndpoint>>();
  #timeout: number | undefined;
  #blockSize: number;
  #negotiate: number | undefined;
  #maxBodySize: number;
  #lookup: CoapLookup;
  #observations = new Set<Observation>();
  #multicast: CoapClientMulticastOptions;
  #multicastEndpoints = new Map<4 | 6, Promise<CoapEndpoint>>();
  #closed = false;
  #closing: Promise<void> | undefined;

  /**
   * Constructs a new client. Sockets are bound on first use.
   *
   * @param options Transport or bind address, transmission parameters,
   * defaults for requests, and injectable clock, randomness and resolver.
   * @throws {RangeError} When a transmission parameter, the token length,
   * `timeout`, `blockSize` or `maxBodySize` is out of range.
   * @throws {TypeError} When both `transport` and `hostname`/`port` are given.
   */
  constructor(options: CoapClientOptions = {}) {
    const force = options.force ?? false;
    this.#params = resolveTransmissionParameters(options, { force });
    const tokenLength = options.tokenLength ?? 4;
    if (!Number.isInteger(tokenLength) || tokenLength < 1 || tokenLength > 8) {
      throw new RangeError(
        `Cannot create client: tokenLength is ${tokenLength}, expected 1 to 8`,
      );
    }
    this.#timeout = checkTimeout(options.timeout, "timeout");
    this.#negotiate = options.blockSize === undefined
      ? undefined
      : checkBlockSize(options.blockSize, "blockSize");
    this.#blockSize = this.#negotiate ?? DEFAULT_BLOCK_SIZE;
    const maxBodySize = options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
    if (!Number.isInteger(maxBodySize) || maxBodySize < 0) {
      throw new RangeError(
        `Cannot create client: maxBodySize is ${maxBodySize}, expected a non-negative integer`,
      );
    }
    this.#maxBodySize = maxBodySize;
    this.#clock = options.clock ?? systemClock;
    this.#randomBytes = options.randomBytes ??
      ((length) => crypto.getRandomValues(new Uint8Array(length)));
    this.#lookup = options.lookup ?? systemLookup;
    const endpointOptions: CoapEndpointOptions = {
      ...this.#params,
      force,
      clock: this.#clock,
      randomBytes: this.#randomBytes,
      tokenLength,
    };
    if (options.random) endpointOptions.random = options.random;
    if (options.logger) endpointOptions.logger = options.logger;
    this.#endpointOptions = endpointOptions;
    if (options.transport !== undefined) {
      if (options.hostname !== undefined || options.port !== undefined) {
        throw new TypeError(
          "Cannot create client: give either a transport or a hostname and port to bind",
        );
      }
      this.#fixed = this.#adopt(options.transport);
    }
    if (
      options.hostname !== undefined && typeof options.hostname !== "string"
    ) {
      throw new TypeError("Cannot create client: hostname must be a string");
    }
    this.#bindHostname = options.hostname;
    this.#bindPort = options.port ?? 0;
    const max = options.maxDatagramSize;
    if (
      max !== undefined &&
      !(Number.isInteger(max) && max >= 1 && max <= 65507)
    ) {
      throw new RangeError(
        `Cannot create client: maxDatagramSize is ${max}, expected an integer from 1 to 65507`,
      );
    }
    this.#maxDatagramSize = max;
    this.#multicast = options.multicast ?? {};
  }

  /**
   * Whether {@linkcode CoapClient.prototype.close} was called.
   *
   * @returns `true` once closed.
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends a request and resolves with its response, reassembled when the
   * server sends it block-wise; a payload larger than the block size is sent
   * block-wise.
   *
   * @param url A `coap://` or `coap+udp://` URL.
   * @param options The method, payload, options, signal and timeout.
   * @returns The response (4.xx and 5.xx included).
   * @throws {TypeError} When the URL or an option is malformed (an unsupported
   * scheme is named), or `noResponse` suppresses every response (use
   * {@linkcode CoapClient.prototype.send}).
   * @throws {RangeError} When an option value is out of range.
   * @throws {CoapTimeoutError} When no response arrives in time.
   * @throws {CoapResetError} When the server rejects the request with RST.
   * @throws {CoapClosedError} When the client is closed.
   * @throws {CoapDnsError} When the host name does not resolve.
   * @throws {CoapBlockwiseError} When a block-wise transfer fails.
   *
   * @example Usage
   * ```ts
   * import { CoapClient } from "@microcoap/client";
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { CoapCode, uriQuery } from "@microcoap/codec";
   * import { assertEquals } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
   *   handler: ({ message }) => ({
   *     code: CoapCode.CHANGED,
   *     payload: new TextEncoder().encode(uriQuery(message).join("&")),
   *   }),
   * });
   * await using client = new CoapClient({ transport: network.bind() });
   * const response = await client.request("coap://10.0.0.1/lamp?x=1", {
   *   method: "PUT",
   *   payload: "on",
   *   query: { level: 3 },
   * });
   * assertEquals(response.codeName, "CHANGED");
   * assertEquals(response.text(), "x=1&level=3");
   * ```
   */
  request(
    url: string | URL,
    options: CoapRequestOptions = {},
  ): Promise<CoapResponse> {
    return this.#request(url, options);
  }

  /**
   * Sends a GET request.
   *
   * @param url The URL.
   * @param options Options, as for {@linkcode CoapClient.prototype.request}.
   * @returns The response.
   * @throws {CoapTimeoutError} As for {@linkcode CoapClient.prototype.request}; the same for the other errors.
   *
   * @example Usage
   * ```ts
   * import { CoapClient } from "@microcoap/client";
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { assertEquals } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }));
   * await using client = new CoapClient({ transport: network.bind() });
   * const response = await client.get("coap://10.0.0.1/missing");
   * assertEquals(response.codeText, "4.04");
   * assertEquals(response.ok, false);
   * ```
   */
  get(
    url: string | URL,
    options: CoapMethodOptions = {},
  ): Promise<CoapResponse> {
    return this.#request(url, { ...options, method: "GET" });
  }

  /**
   * Sends a POST request.
   *
   * @param url The URL.
   * @param options Options, as for {@linkcode CoapClient.prototype.request}.
   * @returns The response.
   * @throws {CoapTimeoutError} As for {@linkcode CoapClient.prototype.request}; the same for the other errors.
   *
   * @example Usage
   * ```ts
   * import { CoapClient } from "@microcoap/client";
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { CoapCode, CoapOptionNumber } from "@microcoap/codec";
   * import { assertEquals } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
   *   handler: () => ({
   *     code: CoapCode.CREATED,
   *     options: [{ number: CoapOptionNumber.LOCATION_PATH, value: new TextEncoder().encode("7") }],
   *   }),
   * });
   * await using client = new CoapClient({ transport: network.bind() });
   * const response = await client.post("coap://10.0.0.1/items", { payload: { name: "x" } });
   * assertEquals(response.locationPath, ["7"]);
   * ```
   */
  post(
    url: string | URL,
    options: CoapMethodOptions = {},
  ): Promise<CoapResponse> {
    return this.#request(url, { ...options, method: "POST" });
  }

  /**
   * Sends a PUT request.
   *
   * @param url The URL.
   * @param options Options, as for {@linkcode CoapClient.prototype.request}.
   * @returns The response.
   * @throws {CoapTimeoutError} As for {@linkcode CoapClient.prototype.request}; the same for the other errors.
   *
   * @example Usage
   * ```ts
   * import { CoapClient } from "@microcoap/client";
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { CoapCode } from "@microcoap/codec";
   * import { assertEquals } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
   *   handler: () => ({ code: CoapCode.CHANGED }),
   * });
   * await using client = new CoapClient({ transport: network.bind() });
   * assertEquals((await client.put("coap://10.0.0.1/lamp", { payload: "on" })).codeText, "2.04");
   * ```
   */
  put(
    url: string | URL,
    options: CoapMethodOptions = {},
  ): Promise<CoapResponse> {
    return this.#request(url, { ...options, method: "PUT" });
  }

  /**
   * Sends a DELETE request.
   *
   * @param url The URL.
   * @param options Options, as for {@linkcode CoapClient.prototype.request}.
   * @returns The response.
   * @throws {CoapTimeoutError} As for {@linkcode CoapClient.prototype.request}; the same for the other errors.
   *
   * @example Usage
   * ```ts
   * import { CoapClient } from "@microcoap/client";
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { CoapCode } from "@microcoap/codec";
   * import { assertEquals } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
   *   handler: () => ({ code: CoapCode.DELETED }),
   * });
   * await using client = new CoapClient({ transport: network.bind() });
   * assertEquals((await client.delete("coap://10.0.0.1/items/7")).codeName, "DELETED");
   * ```
   */
  delete(
    url: string | URL,
    options: CoapMethodOptions = {},
  ): Promise<CoapResponse> {
    return this.#request(url, { ...options, method: "DELETE" });
  }

  /**
   * Sends a FETCH request (RFC 8132).
   *
   * @param url The URL.
   * @param options Options, as for {@linkcode CoapClient.prototype.request}.
   * @returns The response.
   * @throws {CoapTimeoutError} As for {@linkcode CoapClient.prototype.request}; the same for the other errors.
   *
   * @example Usage
   * ```ts
   * import { CoapClient } from "@microcoap/client";
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { CoapCode } from "@microcoap/codec";
   * import { assertEquals } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
   *   handler: ({ message }) => ({ code: CoapCode.CONTENT, payload: message.payload }),
   * });
   * await using client = new CoapClient({ transport: network.bind() });
   * const response = await client.fetch("coap://10.0.0.1/q", { payload: ["a"] });
   * assertEquals(response.json(), ["a"]);
   * ```
   */
  fetch(
    url: string | URL,
    options: CoapMethodOptions = {},
  ): Promise<CoapResponse> {
    return this.#request(url, { ...options, method: "FETCH" });
  }

  /**
   * Sends a PATCH request (RFC 8132).
   *
   * @param url The URL.
   * @param options Options, as for {@linkcode CoapClient.prototype.request}.
   * @returns The response.
   * @throws {CoapTimeoutError} As for {@linkcode CoapClient.prototype.request}; the same for the other errors.
   *
   * @example Usage
   * ```ts
   * import { CoapClient } from "@microcoap/client";
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { CoapCode } from "@microcoap/codec";
   * import { assertEquals } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
   *   handler: ({ message }) => ({ code: message.code === CoapCode.PATCH ? CoapCode.CHANGED : CoapCode.BAD_REQUEST }),
   * });
   * await using client = new CoapClient({ transport: network.bind() });
   * const response = await client.patch("coap://10.0.0.1/x", {
   *   payload: { a: 1 },
   *   contentFormat: "application/merge-patch+json",
   * });
   * assertEquals(response.codeName, "CHANGED");
   * ```
   */
  patch(
    url: string | URL,
    options: CoapMethodOptions = {},
  ): Promise<CoapResponse> {
    return this.#request(url, { ...options, method: "PATCH" });
  }

  /**
   * Sends an iPATCH request (RFC 8132).
   *
   * @param url The URL.
   * @param options Options, as for {@linkcode CoapClient.prototype.request}.
   * @returns The response.
   * @throws {CoapTimeoutError} As for {@linkcode CoapClient.prototype.request}; the same for the other errors.
   *
   * @example Usage
   * ```ts
   * import { CoapClient } from "@microcoap/client";
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { CoapCode } from "@microcoap/codec";
   * import { assertEquals } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
   *   handler: ({ message }) => ({ code: message.code === CoapCode.IPATCH ? CoapCode.CHANGED : CoapCode.BAD_REQUEST }),
   * });
   * await using client = new CoapClient({ transport: network.bind() });
   * assertEquals((await client.ipatch("coap://10.0.0.1/x", { payload: "+1" })).codeName, "CHANGED");
   * ```
   */
  ipatch(
    url: string | URL,
    options: CoapMethodOptions = {},
  ): Promise<CoapResponse> {
    return this.#request(url, { ...options, method: "IPATCH" });
  }

  /**
   * Sends a request with a No-Response option (RFC 7967) and does not wait
   * for a response that is not wanted.
   *
   * When every class is suppressed (`noResponse: "all"`, the default), it
   * resolves with `undefined` as soon as the request was delivered: a CON
   * when it is acknowledged, a NON when it is sent. When some classes are
   * still wanted, it waits up to `responseWait` ms after the acknowledgement
   * (or after sending a NON) and resolves with the response, or `undefined`
   * when none came. A response the server sends anyway, piggybacked on the
   * acknowledgement, is returned. The payload must fit in one block.
   *
   * @param url The URL.
   * @param options As for {@linkcode CoapClient.prototype.request}, with
   * `noResponse` defaulting to `"all"`, and `responseWait`.
   * @returns The response, or `undefined` when none was wanted or none came.
   * @throws {CoapTimeoutError} When a CON request is never acknowledged.
   * @throws {CoapResetError} When the server rejects the request with RST.
   * @throws {RangeError} When the payload is larger than the block size.
   *
   * @example Usage
   * ```ts
   * import { CoapClient } from "@microcoap/client";
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { CoapCode } from "@microcoap/codec";
   * import { assertEquals } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * const seen: string[] = [];
   * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
   *   handler: ({ message }) => {
   *     seen.push(new TextDecoder().decode(message.payload));
   *     return { code: CoapCode.CHANGED };
   *   },
   * });
   * await using client = new CoapClient({ transport: network.bind() });
   * assertEquals(await client.send("coap://10.0.0.1/log", { method: "POST", payload: "boot" }), undefined);
   * assertEquals(seen, ["boot"]);
   * ```
   */
  send(
    url: string | URL,
    options: CoapSendOptions = {},
  ): Promise<CoapResponse | undefined> {
    return this.#send(url, options);
  }

  /**
   * Observes a resource (RFC 7641): registers with Observe 0 and yields the
   * first response and then every newer notification. See
   * {@linkcode CoapObservation}.
   *
   * Errors (a bad URL, a timeout of the registration, a reset, a closed
   * client) are reported by the iteration, not thrown here.
   *
   * @param url The URL.
   * @param options Request options, `signal`, `timeout` for the first
   * response, `bufferSize`, `reregister`.
   * @returns The observation: an async iterable with `cancel()`.
   *
   * @example Usage
   * ```ts
   * import { CoapClient } from "@microcoap/client";
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { CoapCode } from "@microcoap/codec";
   * import { assertEquals } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * // A server that does not support observe: one plain response, then the end.
   * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }), {
   *   handler: () => ({ code: CoapCode.CONTENT, payload: new TextEncoder().encode("once") }),
   * });
   * await using client = new CoapClient({ transport: network.bind() });
   * const texts: string[] = [];
   * for await (const response of client.observe("coap://10.0.0.1/x")) texts.push(response.text());
   * assertEquals(texts, ["once"]);
   * ```
   */
  observe(
    url: string | URL,
    options: CoapObserveOptions = {},
  ): CoapObservation {
    let settings: ObservationSettings | Error;
    let uri: CoapUri | undefined;
    let init: RequestInit | undefined;
    try {
      if (this.#closed) {
        throw new CoapClosedError("Cannot observe: the client is closed");
      }
      const method = options.method ?? "GET";
      if (method !== "GET" && method !== "FETCH") {
        throw new TypeError(
          `Cannot observe: method is "${method}", expected GET or FETCH`,
        );
      }
      const bufferSize = options.bufferSize ?? 16;
      if (!Number.isInteger(bufferSize) || bufferSize < 1) {
        throw new RangeError(
          `Cannot observe: bufferSize is ${bufferSize}, expected a positive integer`,
        );
      }
      const margin = options.reregisterMargin ?? 5000;
      if (typeof margin !== "number" || !(margin >= 0)) {
        throw new RangeError(
          `Cannot observe: reregisterMargin is ${margin}, expected at least 0`,
        );
      }
      const negotiate = options.blockSize === undefined
        ? this.#negotiate
        : checkBlockSize(options.blockSize, "blockSize");
      uri = parseUri(url);
      init = buildRequest(
        uri.options,
        { ...options, method, observe: 0 },
        negotiate,
      );
      settings = {
        confirmable: options.confirmable ?? true,
        signal: options.signal,
        timeout: checkTimeout(options.timeout, "timeout") ?? this.#timeout,
        bufferSize,
        reregister: options.reregister ?? false,
        reregisterMargin: margin,
        maxBodySize: this.#maxBodySize,
        onProgress: options.onProgress,
      };
    } catch (error) {
      settings = error instanceof Error ? error : new TypeError(String(error));
    }
    const observation = new Observation({
      clock: this.#clock,
      target: async (signal): Promise<ObservationTarget> => {
        const target = await this.#target(uri!, signal);
        return { ...target, init: init! };
      },
      forget: (done) => this.#observations.delete(done),
    }, settings);
    if (!observation.ended) this.#observations.add(observation);
    return observation;
  }

  /**
   * Sends a request to a multicast group (RFC 7252 §8), such as
   * `coap://224.0.1.187/.well-known/core` (All CoAP Nodes), and yields each
   * server's response as it arrives, with the server's address in
   * `response.peer`, until `timeout` (7 s by default: servers answer within
   * a 5 s leisure). The request is NON; responses are matched by token from
   * any source; a CON response is acknowledged; a server's duplicates are
   * dropped; a block-wise response is completed from that server by unicast.
   * Servers leave out errors and empty answers by default (ask for them with
   * `noResponse: []`, a No-Response option of 0).
   *
   * Without a `transport`, the request goes out of a socket bound for
   * multicast requests (see {@linkcode CoapClientOptions.multicast} for the
   * interface); nothing is sent before iteration starts. Leaving the loop
   * ends the collection; aborting `signal` ends it with the signal's reason.
   * Other methods reject multicast URLs with a TypeError.
   *
   * @param url A `coap://` URL whose host is a multicast address.
   * @param options Method, payload, options, `timeout`, `signal`,
   * `bufferSize` (how many responses wait for the reader, 256 by default).
   * @returns An async iterable of the responses.
   * @throws {TypeError} (from the iteration) When the host is not a multicast
   * address, or an option a multicast request cannot have is given.
   *
   * @example Usage
   * ```ts
   * import { CoapClient } from "@microcoap/client";
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { FakeClock, MemoryNetwork } from "@microcoap/transport";
   * import { CoapCode } from "@microcoap/codec";
   * import { assertEquals } from "@std/assert";
   *
   * const clock = new FakeClock();
   * using network = new MemoryNetwork({ clock });
   * for (const hostname of ["10.0.0.1", "10.0.0.2"]) {
   *   new CoapEndpoint(network.bind({ hostname, port: 5683, groups: ["224.0.1.187"] }), {
   *     clock,
   *     handler: () => ({ code: CoapCode.CONTENT, payload: new TextEncoder().encode("21.5") }),
   *   });
   * }
   * await using client = new CoapClient({ transport: network.bind(), clock });
   * const readings: string[] = [];
   * const collecting = (async () => {
   *   for await (const response of client.multicast("coap://224.0.1.187/temperature")) {
   *     readings.push(`${response.peer.hostname}: ${response.text()}`);
   *   }
   * })();
   * await clock.tick(7000);
   * await collecting;
   * assertEquals(readings.sort(), ["10.0.0.1: 21.5", "10.0.0.2: 21.5"]);
   * ```
   */
  multicast(
    url: string | URL,
    options: CoapMulticastOptions = {},
  ): AsyncGenerator<CoapResponse, void, undefined> {
    return multicastResponses(
      {
        lookup: this.#lookup,
        endpoint: (family) => this.#multicastEndpointFor(family),
        unicast: (family) => this.#endpointFor(family),
        maxBodySize: this.#maxBodySize,
      },
      url,
      options,
    );
  }

  /**
   * Checks that a CoAP endpoint is alive with an empty CON ("CoAP ping",
   * RFC 7252 §4.3), which it answers with RST. The URL's path is ignored.
   *
   * @param url The URL of the endpoint, such as `coap://[::1]:5683`.
   * @param options Signal and timeout.
   * @returns The round-trip time in ms.
   * @throws {CoapTimeoutError} When nothing answers.
   * @throws {TypeError} When the URL is malformed.
   *
   * @example Usage
   * ```ts
   * import { CoapClient } from "@microcoap/client";
   * import { CoapEndpoint } from "@microcoap/endpoint";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { assert } from "@std/assert";
   *
   * const network = new MemoryNetwork();
   * await using server = new CoapEndpoint(network.bind({ hostname: "10.0.0.1", port: 5683 }));
   * await using client = new CoapClient({ transport: network.bind() });
   * assert((await client.ping("coap://10.0.0.1")) >= 0);
   * ```
   */
  ping(url: string | URL, options: CoapPingOptions = {}): Promise<number> {
    return this.#ping(url, options);
  }

  /**
   * Ends every request and observation (they reject with
   * `CoapClosedError`) and closes the sockets. Safe to call more than once.
   *
   * @returns A promise that resolves when the sockets are closed.
   *
   * @example Usage
   * ```ts
   * import { CoapClient } from "@microcoap/client";
   * import { MemoryNetwork } from "@microcoap/transport";
   * import { assert, assertRejects } from "@std/assert";
   *
   * const client = new CoapClient({ transport: new MemoryNetwork().bind() });
   * await client.close();
   * assert(client.closed);
   * await assertRejects(() => client.get("coap://10.0.0.1/"), Error, "closed");
   * ```
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    const closed = new CoapClosedError("Cannot observe: the client was closed");
    for (const observation of [...this.#observations]) {
      observation.shutdown(closed);
    }
    this.#observations.clear();
    const pending = [
      ...this.#endpoints.values(),
      ...this.#multicastEndpoints.values(),
    ];
    this.#closing = (async () => {
      await this.#fixed?.close();
      const settled = await Promise.allSettled(pending);
      for (const result of settled) {
        if (result.status === "fulfilled") await result.value.close();
      }
    })();
    return this.#closing;
  }

  /**
   * Closes the client (for `await using`).
   *
   * @returns A promise that resolves when the client is closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- internals --------------------------------------------------------------

  #adopt(transport: Transport): CoapEndpoint {
    return new CoapEndpoint(transport, this.#endpointOptions);
  }

  #endpointFor(family: 4 | 6): Promise<CoapEndpoint> {
    return this.#cachedEndpoint(
      this.#endpoints,
      family,
      () => this.#bind(family),
    );
  }

  #multicastEndpointFor(family: 4 | 6): Promise<CoapEndpoint> {
    return this.#cachedEndpoint(
      this.#multicastEndpoints,
      family,
      () => bindMulticastSender(family, this.#multicast, this.#maxDatagramSize),
    );
  }

  // One endpoint per family, bound on first use; a failed bind is
  // forgotten, so that a later request tries again.
  #cachedEndpoint(
    cache: Map<4 | 6, Promise<CoapEndpoint>>,
    family: 4 | 6,
    bind: () => Promise<Transport>,
  ): Promise<CoapEndpoint> {
    if (this.#closed) {
      return Promise.reject(
        new CoapClosedError("Cannot send request: the client is closed"),
      );
    }
    if (this.#fixed) return Promise.resolve(this.#fixed);
    let pending = cache.get(family);
    if (pending === undefined) {
      const created = bind().then(async (transport) => {
        if (this.#closed) {
          await transport.close();
          throw new CoapClosedError(
            "Cannot send request: the client is closed",
          );
        }
        return this.#adopt(transport);
      });
      pending = created;
      cache.set(family, created);
      created.catch(() => {
        if (cache.get(family) === created) cache.delete(family);
      });
    }
    return pending;
  }

  #bind(family: 4 | 6): Promise<Transport> {
    const hostname = this.#bindHostname;
    const hostFamily = hostname === undefined
      ? 4
      : literalFamily(hostname) ?? 4;
    const mine = hostFamily === family;
    const limit = this.#maxDatagramSize === undefined
      ? {}
      : { maxDatagramSize: this.#maxDatagramSize };
    return bindUdp(
      family === 4
        ? {
          hostname: mine && hostname !== undefined ? hostname : "0.0.0.0",
          port: mine ? this.#bindPort : 0,
          family: "IPv4",
          ...limit,
        }
        : {
          hostname: mine && hostname !== undefined ? hostname : "::",
          port: mine ? this.#bindPort : 0,
          family: "IPv6",
          ipv6Only: true,
          ...limit,
        },
    );
  }

  async #target(uri: CoapUri, signal: AbortSignal): Promise<Target> {
    if (this.#closed) {
      throw new CoapClosedError("Cannot send request: the client is closed");
    }
    checkDestinationPort(uri.port, "send request");
    const resolved = await abortable(
      resolveHost(uri.hostname, this.#lookup),
      signal,
    );
    if (isMulticastAddress(resolved.address)) {
      // No response would match its source (RFC 7252 §8.2): never wait for one.
      throw new TypeError(
        `Cannot send request: ${resolved.address} is a multicast address; use multicast()`,
      );
    }
    const endpoint = await abortable(
      this.#endpointFor(resolved.family),
      signal,
    );
    return { endpoint, peer: { hostname: resolved.address, port: uri.port } };
  }

  async #request(
    url: string | URL,
    options: CoapRequestOptions,
  ): Promise<CoapResponse> {
    if (options === null || typeof options !== "object") {
      throw new TypeError("Cannot send request: options must be an object");
    }
    if (
      options.noResponse !== undefined &&
      suppressesAll(noResponseBits(options.noResponse))
    ) {
      throw new TypeError(
        "Cannot send request: noResponse suppresses every response, so there is none to wait for; use send()",
      );
    }
    const timeout = checkTimeout(options.timeout, "timeout") ?? this.#timeout;
    const negotiate = options.blockSize === undefined
      ? this.#negotiate
      : checkBlockSize(options.blockSize, "blockSize");
    const blockSize = negotiate ?? this.#blockSize;
    const uri = parseUri(url);
    const init = buildRequest(uri.options, options, negotiate);
    const requestTag = this.#requestTag(options.requestTag);
    const limit = deadline(
      this.#clock,
      options.signal,
      timeout,
      `Cannot get a response from ${describeUrl(url)}`,
    );
    try {
      const { endpoint, peer } = await this.#target(uri, limit.signal);
      const confirmable = options.confirmable ?? true;
      const signal = limit.signal;
      // One token for every block of the transfer: the exchanges follow one
      // another, and servers such as node-coap key block-wise state by token.
      const token = endpoint.newToken(peer);
      // A 4.01 with Echo (RFC 9175 §2.3) is answered by repeating that one
      // exchange with the value, whichever block it was.
      const exchange = echoing((request: RequestInit): Promise<CoapMessage> =>
        endpoint.request(peer, request, { confirmable, signal, token })
      );
      const onProgress = options.onProgress;
      const payload = init.payload;
      let message: CoapMessage;
      let uploaded = false;
      if (payload !== undefined && payload.length > blockSize) {
        message = await uploadBlock1(init, exchange, {
          blockSize,
          requestTag,
          onProgress,
        });
        uploaded = true;
      } else {
        message = await exchange(init);
        if (
          message.code === CoapCode.REQUEST_ENTITY_TOO_LARGE &&
          payload !== undefined &&
          payload.length > 0
        ) {
          // The server wants smaller pieces (RFC 7959 §2.9.3): send it block-wise.
          const smaller = smallerBlockSize(message, payload.length);
          if (smaller !== undefined) {
            message = await uploadBlock1(init, exchange, {
              blockSize: smaller,
              requestTag,
              onProgress,
            });
            uploaded = true;
          }
        }
      }
      // A request for one block other than the first (random access, RFC
      // 7959 §2.4) gets that block: there is nothing to reassemble.
      if (asksLaterBlock(init)) {
        return new CoapResponse(message, { peer, payload: message.payload });
      }
      const whole = await completeBlock2(
        message,
        continuationTemplate(init, uploaded),
        exchange,
        { maxBodySize: this.#maxBodySize, onProgress },
      );
      return new CoapResponse(whole.message, { peer, payload: whole.payload });
    } finally {
      limit.dispose();
    }
  }

  async #send(
    url: string | URL,
    options: CoapSendOptions,
  ): Promise<CoapResponse | undefined> {
    if (options === null || typeof options !== "object") {
      throw new TypeError("Cannot send request: options must be an object");
    }
    const bits = noResponseBits(options.noResponse ?? "all");
    const timeout = checkTimeout(options.timeout, "timeout") ?? this.#timeout;
    const responseWait = checkTimeout(options.responseWait, "responseWait") ??
      DEFAULT_RESPONSE_WAIT;
    const blockSize = options.blockSize === undefined
      ? this.#blockSize
      : checkBlockSize(options.blockSize, "blockSize");
    const uri = parseUri(url);
    const init = buildRequest(
      uri.options,
      { ...options, noResponse: bits },
      undefined,
    );
    if (init.payload !== undefined && init.payload.length > blockSize) {
      throw new RangeError(
        `Cannot send request without response: the payload is ${init.payload.length} bytes, at most ${blockSize} (one block) allowed; use request()`,
      );
    }
    const confirmable = options.confirmable ?? true;
    const limit = deadline(
      this.#clock,
      options.signal,
      timeout,
      `Cannot send to ${describeUrl(url)}`,
    );
    try {
      const { endpoint, peer } = await this.#target(uri, limit.signal);
      const signal = limit.signal;
      const token = endpoint.newToken(peer);
      if (suppressesAll(bits)) {
        const post = (request: RequestInit) =>
          endpoint.send(peer, {
            type: confirmable ? "CON" : "NON",
            code: request.code,
            token,
            options: request.options ?? [],
            payload: request.payload ?? new Uint8Array(0),
          }, { signal });
        // A response piggybacked anyway is ours only with our token (RFC
        // 7252 §5.3.2); with another it merely acknowledges the request.
        const answer = (ack: CoapMessage | undefined) =>
          ack !== undefined && ack.code !== CoapCode.EMPTY &&
            sameBytes(ack.token, token)
            ? ack
            : undefined;
        let response = answer(await post(init));
        // A 4.01 with Echo piggybacked anyway: once more with the value.
        const echo = response === undefined
          ? undefined
          : echoChallenge(response);
        if (echo !== undefined) {
          response = answer(await post(withEcho(init, echo)));
        }
        return response === undefined
          ? undefined
          : new CoapResponse(response, { peer });
      }
      let acked = !confirmable;
      const ask = (request: RequestInit) => {
        acked = !confirmable;
        return endpoint.request(peer, request, {
          confirmable,
          signal,
          token,
          responseTimeout: responseWait,
          onAck: () => acked = true,
        });
      };
      try {
        let message = await ask(init);
        const echo = echoChallenge(message);
        if (echo !== undefined) message = await ask(withEcho(init, echo));
        return new CoapResponse(message, { peer });
      } catch (error) {
        // Silence after delivery is the answer the request asked for.
        if (error instanceof CoapTimeoutError && !signal.aborted && acked) {
          return undefined;
        }
        throw error;
      }
    } finally {
      limit.dispose();
    }
  }

  async #ping(url: string | URL, options: CoapPingOptions): Promise<number> {
    if (options === null || typeof options !== "object") {
      throw new TypeError("Cannot ping: options must be an object");
    }
    const timeout = checkTimeout(options.timeout, "timeout") ?? this.#timeout;
    const uri = parseUri(url);
    const limit = deadline(
      this.#clock,
      options.signal,
      timeout,
      `Cannot ping ${describeUrl(url)}`,
    );
    try {
      const { endpoint, peer } = await this.#target(uri, limit.signal);
      return await endpoint.ping(peer, { signal: limit.signal });
    } finally {
      limit.dispose();
    }
  }

  #requestTag(
    option: boolean | Uint8Array | undefined,
  ): Uint8Array | undefined {
    if (option === undefined || option === false) return undefined;
    if (option === true) return this.#randomBytes(4);
    if (option instanceof Uint8Array && option.length <= 8) return option;
    throw new TypeError(
      "Cannot send request: requestTag must be a boolean or up to 8 bytes",
    );
  }
}

/** Whether a request's own Block2 option asks for a block past the first. */
function asksLaterBlock(init: RequestInit): boolean {
  const value = getOption(
    { options: init.options ?? [] },
    CoapOptionNumber.BLOCK2,
  );
  if (value === undefined) return false;
  try {
    return decodeBlock(value).num > 0;
  } catch {
    return false;
  }
}
