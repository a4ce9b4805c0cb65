// Copyright 2026 the microcoap authors. MIT license.
/**
 * `Coap`, a class compatible with microCoAPy's (the MicroPython CoAP
 * library), on top of the microcoap message layer: ports of microCoAPy
 * programs run with the same calls, and get RFC 7252 reliability for free.
 *
 * @module
 */
import {
  CoapCode,
  EMPTY_BYTES,
  encodeUint,
  formatCode,
  MESSAGE_TYPES,
  optionInfo,
  uriPath,
} from "@microcoap/codec";
import type { CoapMessage, CoapOption } from "@microcoap/codec";
import { CoapEndpoint } from "@microcoap/endpoint";
import type { CoapEndpointOptions, ResponseInit } from "@microcoap/endpoint";
import {
  bindUdp,
  canonicalHostname,
  socketAdapter,
} from "@microcoap/transport";
import type {
  Clock,
  CustomSocket,
  PeerAddress,
  Transport,
} from "@microcoap/transport";

/**
 * microCoAPy's message types.
 *
 * @example Usage
 * ```ts
 * import { COAP_TYPE, CoapPacket, MESSAGE_TYPES } from "@microcoap/coap";
 * import { assertEquals } from "@std/assert";
 *
 * const packet = new CoapPacket();
 * packet.type = COAP_TYPE.COAP_NONCON;
 * assertEquals(packet.toString(), "type: NONCON, method: 0.01, messageid: 0, payload: None");
 * // The values are the 2-bit type field of the header.
 * assertEquals(MESSAGE_TYPES[COAP_TYPE.COAP_RESET], "RST");
 * ```
 */
export const COAP_TYPE = {
  COAP_CON: 0,
  COAP_NONCON: 1,
  COAP_ACK: 2,
  COAP_RESET: 3,
} as const;

/**
 * microCoAPy's protocol versions.
 *
 * @example Usage
 * ```ts
 * import { COAP_VERSION, CoapPacket, PROTOCOL_VERSION } from "@microcoap/coap";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(COAP_VERSION.COAP_VERSION_1, PROTOCOL_VERSION);
 * // A packet not parsed from the wire has no version yet.
 * assertEquals(new CoapPacket().version, COAP_VERSION.COAP_VERSION_UNSUPPORTED);
 * ```
 */
export const COAP_VERSION = {
  COAP_VERSION_UNSUPPORTED: 0,
  COAP_VERSION_1: 1,
} as const;

/**
 * microCoAPy's methods, plus FETCH, PATCH and iPATCH (RFC 8132).
 *
 * @example Usage
 * ```ts
 * import { COAP_METHOD, CoapCode } from "@microcoap/coap";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(COAP_METHOD.COAP_GET, CoapCode.GET);
 * assertEquals(COAP_METHOD.COAP_IPATCH, CoapCode.IPATCH);
 * assertEquals(COAP_METHOD.COAP_EMPTY_MESSAGE, CoapCode.EMPTY);
 * ```
 */
export const COAP_METHOD = {
  COAP_EMPTY_MESSAGE: 0,
  COAP_GET: 1,
  COAP_POST: 2,
  COAP_PUT: 3,
  COAP_DELETE: 4,
  COAP_FETCH: 5,
  COAP_PATCH: 6,
  COAP_IPATCH: 7,
} as const;

/**
 * microCoAPy's response codes, with its misspelled names kept as aliases
 * (`COAP_NOT_FOUNT`, `COAP_METHOD_NOT_ALLOWD`, `COAP_SERVICE_UNAVALIABLE`).
 *
 * @example Usage
 * ```ts
 * import { COAP_RESPONSE_CODE, formatCode } from "@microcoap/coap";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(formatCode(COAP_RESPONSE_CODE.COAP_CONTENT), "2.05");
 * // The misspelled aliases are the same codes.
 * assertEquals(COAP_RESPONSE_CODE.COAP_NOT_FOUNT, COAP_RESPONSE_CODE.COAP_NOT_FOUND);
 * assertEquals(formatCode(COAP_RESPONSE_CODE.COAP_SERVICE_UNAVALIABLE), "5.03");
 * ```
 */
// Literals rather than CoapCode.X reads, which a bundler must keep at load:
// bundles that import @microcoap/coap without this table drop it.
export const COAP_RESPONSE_CODE = {
  COAP_CREATED: 65, // 2.01
  COAP_DELETED: 66, // 2.02
  COAP_VALID: 67, // 2.03
  COAP_CHANGED: 68, // 2.04
  COAP_CONTENT: 69, // 2.05
  COAP_CONTINUE: 95, // 2.31
  COAP_BAD_REQUEST: 128, // 4.00
  COAP_UNAUTHORIZED: 129, // 4.01
  COAP_BAD_OPTION: 130, // 4.02
  COAP_FORBIDDEN: 131, // 4.03
  COAP_NOT_FOUND: 132, // 4.04
  COAP_NOT_FOUNT: 132, // 4.04
  COAP_METHOD_NOT_ALLOWED: 133, // 4.05
  COAP_METHOD_NOT_ALLOWD: 133, // 4.05
  COAP_NOT_ACCEPTABLE: 134, // 4.06
  COAP_REQUEST_ENTITY_INCOMPLETE: 136, // 4.08
  COAP_PRECONDITION_FAILED: 140, // 4.12
  COAP_REQUEST_ENTITY_TOO_LARGE: 141, // 4.13
  COAP_UNSUPPORTED_CONTENT_FORMAT: 143, // 4.15
  COAP_INTERNAL_SERVER_ERROR: 160, // 5.00
  COAP_NOT_IMPLEMENTED: 161, // 5.01
  COAP_BAD_GATEWAY: 162, // 5.02
  COAP_SERVICE_UNAVAILABLE: 163, // 5.03
  COAP_SERVICE_UNAVALIABLE: 163, // 5.03
  COAP_GATEWAY_TIMEOUT: 164, // 5.04
  COAP_PROXYING_NOT_SUPPORTED: 165, // 5.05
} as const;

/**
 * microCoAPy's option numbers, plus Observe, Block and Size options.
 *
 * @example Usage
 * ```ts
 * import { COAP_OPTION_NUMBER, CoapOptionNumber, CoapPacket } from "@microcoap/coap";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(COAP_OPTION_NUMBER.COAP_URI_PATH, CoapOptionNumber.URI_PATH);
 * const packet = new CoapPacket();
 * packet.setUriPath("sensors/temp");
 * assertEquals(packet.options.map((option) => option.number), [
 *   COAP_OPTION_NUMBER.COAP_URI_PATH,
 *   COAP_OPTION_NUMBER.COAP_URI_PATH,
 * ]);
 * ```
 */
export const COAP_OPTION_NUMBER = {
  COAP_IF_MATCH: 1,
  COAP_URI_HOST: 3,
  COAP_E_TAG: 4,
  COAP_IF_NONE_MATCH: 5,
  COAP_OBSERVE: 6,
  COAP_URI_PORT: 7,
  COAP_LOCATION_PATH: 8,
  COAP_URI_PATH: 11,
  COAP_CONTENT_FORMAT: 12,
  COAP_MAX_AGE: 14,
  COAP_URI_QUERY: 15,
  COAP_ACCEPT: 17,
  COAP_LOCATION_QUERY: 20,
  COAP_BLOCK2: 23,
  COAP_BLOCK1: 27,
  COAP_SIZE2: 28,
  COAP_PROXY_URI: 35,
  COAP_PROXY_SCHEME: 39,
  COAP_SIZE1: 60,
} as const;

/**
 * microCoAPy's content formats; `COAP_NONE` (-1) means "no Content-Format option".
 *
 * @example Usage
 * ```ts
 * import { COAP_CONTENT_FORMAT, CoapPacket, ContentFormat } from "@microcoap/coap";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(COAP_CONTENT_FORMAT.COAP_APPLICATION_JSON, ContentFormat.JSON);
 * // A new packet sends no Content-Format option.
 * assertEquals(new CoapPacket().content_format, COAP_CONTENT_FORMAT.COAP_NONE);
 * ```
 */
export const COAP_CONTENT_FORMAT = {
  COAP_NONE: -1,
  COAP_TEXT_PLAIN: 0,
  COAP_APPLICATION_LINK_FORMAT: 40,
  COAP_APPLICATION_XML: 41,
  COAP_APPLICATION_OCTET_STREAM: 42,
  COAP_APPLICATION_EXI: 47,
  COAP_APPLICATION_JSON: 50,
  COAP_APPLICATION_CBOR: 60,
} as const;

/**
 * The older name of {@linkcode COAP_CONTENT_FORMAT}.
 *
 * @example Usage
 * ```ts
 * import { COAP_CONTENT_FORMAT, COAP_CONTENT_TYPE } from "@microcoap/coap";
 * import { assertEquals, assertStrictEquals } from "@std/assert";
 *
 * assertStrictEquals(COAP_CONTENT_TYPE, COAP_CONTENT_FORMAT);
 * assertEquals(COAP_CONTENT_TYPE.COAP_TEXT_PLAIN, 0);
 * ```
 */
export const COAP_CONTENT_TYPE: typeof COAP_CONTENT_FORMAT =
  COAP_CONTENT_FORMAT;

/**
 * What microCoAPy accepts where it takes bytes: a string (UTF-8) or bytes.
 *
 * @example Usage
 * ```ts
 * import { CoapPacket, type Bytes } from "@microcoap/coap";
 * import { assertEquals } from "@std/assert";
 *
 * const text: Bytes = "temp";
 * const raw: Bytes = new Uint8Array([0x74, 0x65, 0x6d, 0x70]);
 * const packet = new CoapPacket();
 * packet.addOption(11, text);
 * packet.addOption(11, raw);
 * // Both become the same option value.
 * assertEquals(packet.options[0]!.buffer, packet.options[1]!.buffer);
 * ```
 */
export type Bytes = string | Uint8Array;

const encoder = /* @__PURE__ */ new TextEncoder();

function toBytes(value: Bytes | null | undefined): Uint8Array {
  if (value === null || value === undefined) return EMPTY_BYTES;
  return typeof value === "string" ? encoder.encode(value) : value;
}

/**
 * An option of a {@linkcode CoapPacket}: microCoAPy's `CoapOption`, renamed
 * to keep it apart from the codec's `CoapOption` interface.
 *
 * @example Usage
 * ```ts
 * import { CoapPacketOption } from "@microcoap/coap";
 * import { assertEquals } from "@std/assert";
 *
 * const option = new CoapPacketOption(11, "temp");
 * assertEquals(option.toString(), "Opt(number:11, buffer:bytearray(b'temp'))");
 * ```
 */
export class CoapPacketOption {
  /** The option number. */
  number: number;
  /** The option value. */
  buffer: Uint8Array;

  /**
   * Constructs a new instance.
   *
   * @param number The option number.
   * @param buffer The value, as bytes or a UTF-8 string.
   */
  constructor(number = -1, buffer?: Bytes | null) {
    this.number = number;
    this.buffer = toBytes(buffer).slice();
  }

  /**
   * microCoAPy's text form.
   *
   * @returns `Opt(number:N, buffer:bytearray(b'...'))`.
   */
  toString(): string {
    return `Opt(number:${this.number}, buffer:${pythonBytes(this.buffer)})`;
  }
}

/**
 * A CoAP packet in microCoAPy's shape (`type`, `method`, `token`, `payload`,
 * `messageid`, `content_format`, `query`, `options`).
 *
 * @example Usage
 * ```ts
 * import { COAP_METHOD, CoapPacket } from "@microcoap/coap";
 * import { assertEquals } from "@std/assert";
 *
 * const packet = new CoapPacket();
 * packet.method = COAP_METHOD.COAP_GET;
 * packet.messageid = 7;
 * packet.payload = new TextEncoder().encode("222");
 * assertEquals(packet.toString(), "type: CON, method: 0.01, messageid: 7, payload: bytearray(b'222')");
 * ```
 */
export class CoapPacket {
  /** The protocol version (1 once parsed). */
  version: number = COAP_VERSION.COAP_VERSION_UNSUPPORTED;
  /** The message type, a {@linkcode COAP_TYPE} value. */
  type: number = COAP_TYPE.COAP_CON;
  /** The code: a method for requests, a response code for responses. */
  method: number = COAP_METHOD.COAP_GET;
  /** The token. */
  token: Uint8Array = EMPTY_BYTES;
  /** The payload. */
  payload: Uint8Array = EMPTY_BYTES;
  /** The message ID. */
  messageid = 0;
  /** The Content-Format to send, or `COAP_NONE` (-1). */
  content_format: number = COAP_CONTENT_FORMAT.COAP_NONE;
  /** One Uri-Query value to send (microCoAPy's `query`). */
  query: Uint8Array = EMPTY_BYTES;
  /** The options. */
  options: CoapPacketOption[] = [];

  /** The code (the older microCoAPy name of {@linkcode CoapPacket.prototype.method}). */
  get code(): number {
    return this.method;
  }

  set code(code: number) {
    this.method = code;
  }

  /**
   * Adds an option (no 10-option cap, unlike microCoAPy).
   *
   * @param number The option number.
   * @param value The value.
   */
  addOption(number: number, value: Bytes): void {
    this.options.push(new CoapPacketOption(number, value));
  }

  /**
   * Adds a Uri-Host option.
   *
   * @param address The host.
   */
  setUriHost(address: string): void {
    this.addOption(COAP_OPTION_NUMBER.COAP_URI_HOST, address);
  }

  /**
   * Adds Uri-Path options for each non-empty segment of `url`, and Uri-Query
   * options for a `?query` part (microCoAPy sent the query inside the path).
   *
   * @param url A path such as `"current/measure"` or `"led?state=on"`.
   */
  setUriPath(url: string): void {
    const at = url.indexOf("?");
    const path = at < 0 ? url : url.slice(0, at);
    for (const segment of path.split("/")) {
      if (segment) {
        this.addOption(
          COAP_OPTION_NUMBER.COAP_URI_PATH,
          decodeSegment(segment),
        );
      }
    }
    if (at >= 0) {
      for (const part of url.slice(at + 1).split("&")) {
        if (part) {
          this.addOption(
            COAP_OPTION_NUMBER.COAP_URI_QUERY,
            decodeSegment(part),
          );
        }
      }
    }
  }

  /**
   * microCoAPy's one-line form.
   *
   * @returns `type: CON, method: 2.05, messageid: 1, payload: bytearray(b'...')`.
   */
  toString(): string {
    return `type: ${TYPE_NAMES[this.type] ?? "INVALID"}, method: ${
      formatCode(this.method)
    }, messageid: ${this.messageid}, payload: ${
      this.payload.length === 0 ? "None" : pythonBytes(this.payload)
    }`;
  }
}

const TYPE_NAMES = ["CON", "NONCON", "ACK", "RESET"];

// poll() waits on this: unlike systemClock, its timers keep the process alive,
// as a program blocked in microCoAPy's poll() stays alive.
const waitingClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as number),
};

/**
 * A microCoAPy request callback: `(packet, senderIp, senderPort)`.
 *
 * @example Usage
 * ```ts
 * import {
 *   Coap,
 *   COAP_CONTENT_FORMAT,
 *   COAP_RESPONSE_CODE,
 *   CoapClient,
 *   type IncomingRequestCallback,
 * } from "@microcoap/coap";
 * import { assertEquals } from "@std/assert";
 *
 * const server = new Coap();
 * const onLed: IncomingRequestCallback = async (packet, ip, port) => {
 *   const state = new TextDecoder().decode(packet.payload);
 *   await server.sendResponse(ip, port, packet.messageid, `led ${state}`,
 *     COAP_RESPONSE_CODE.COAP_CHANGED, COAP_CONTENT_FORMAT.COAP_TEXT_PLAIN, packet.token);
 * };
 * server.addIncomingRequestCallback("led", onLed);
 * await server.start(0, "127.0.0.1");
 *
 * await using client = new CoapClient({ hostname: "127.0.0.1" });
 * const [response] = await Promise.all([
 *   client.put(`coap://127.0.0.1:${server.port}/led`, { payload: "on" }),
 *   server.poll(2000),
 * ]);
 * assertEquals(response.codeText, "2.04");
 * assertEquals(response.text(), "led on");
 * await server.stop();
 * ```
 */
export type IncomingRequestCallback = (
  packet: CoapPacket,
  senderIp: string,
  senderPort: number,
) => void | Promise<void>;

/**
 * A microCoAPy response callback: `(packet, [senderIp, senderPort])`.
 *
 * @example Usage
 * ```ts
 * import { Coap, formatCode, type ResponseCallback } from "@microcoap/coap";
 * import { assertEquals } from "@std/assert";
 *
 * // No request callbacks: every path gets 4.04.
 * const server = new Coap();
 * await server.start(0, "127.0.0.1");
 *
 * const client = new Coap();
 * const responses: [string, string, number][] = [];
 * const onResponse: ResponseCallback = (packet, [ip, port]) => {
 *   responses.push([formatCode(packet.method), ip, port]);
 * };
 * client.responseCallback = onResponse;
 * await client.start(0, "127.0.0.1");
 * await client.get("127.0.0.1", server.port, "missing");
 * await client.poll(2000);
 * assertEquals(responses, [["4.04", "127.0.0.1", server.port]]);
 * await client.stop();
 * await server.stop();
 * ```
 */
export type ResponseCallback = (
  packet: CoapPacket,
  sender: [string, number],
) => void;

/**
 * Options for {@linkcode Coap}.
 *
 * @example Usage
 * ```ts
 * import { Coap, formatCode, type CoapOptions } from "@microcoap/coap";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const lines: string[] = [];
 * const options: CoapOptions = { hostname: "127.0.0.1", debug: true, log: (line) => lines.push(line) };
 * const coap = new Coap(options);
 * await coap.start(0); // binds options.hostname
 * assertEquals(coap.endpoint?.localAddress.hostname, "127.0.0.1");
 *
 * // A request to itself, for a path without a callback.
 * const codes: string[] = [];
 * coap.responseCallback = (packet) => codes.push(formatCode(packet.method));
 * await coap.get("127.0.0.1", coap.port, "nothing");
 * await coap.poll(2000);
 * assertEquals(codes, ["4.04"]);
 * assert(lines.includes("[microcoapy]: Callback for url [nothing] not found"));
 * await coap.stop();
 * ```
 */
export interface CoapOptions
  extends Omit<CoapEndpointOptions, "handler" | "logger"> {
  /**
   * The local address to bind in {@linkcode Coap.prototype.start}.
   *
   * @default {"0.0.0.0"}
   */
  hostname?: string;
  /**
   * Prints debug lines (microCoAPy printed them by default).
   *
   * @default {false}
   */
  debug?: boolean;
  /**
   * Where debug lines go.
   *
   * @default {console.log}
   */
  log?: (line: string) => void;
  /**
   * Whether an option number is understood; requests with an unrecognised
   * critical option get 4.02. Block1 is not by default: a request callback
   * gets one datagram's payload, so a block-wise request body would reach it
   * cut at the first block.
   *
   * @default {every option registered in @microcoap/codec but OSCORE, Q-Block1, Q-Block2 and Block1}
   */
  isRecognizedOption?: (number: number) => boolean;
}

interface InboxItem {
  packet: CoapPacket;
  peer: PeerAddress;
  /** The request's Uri-Path, joined with "/" (requests only). */
  path?: string;
  respond?: (response: ResponseInit | undefined) => void;
  responded?: boolean;
}

/**
 * The microCoAPy `Coap` class: a UDP endpoint with `get/put/post`, a server
 * that calls your function for a path, custom sockets, and `poll`/`loop`.
 * Methods that did I/O in MicroPython return promises here.
 *
 * Differences from microCoAPy, all fixes: requests are confirmable with RFC
 * 7252 retransmission; duplicates never reach callbacks (so
 * `discardRetransmissions` is always in effect); queries are split from the
 * path; a separate response is acknowledged with a proper empty ACK; requests
 * to unknown paths get 4.04 even when a `responseCallback` is set; no
 * 10-option or 1024-byte caps; Uri-Host is not sent for IP addresses;
 * `sendResponse` to a NON request sends a NON response; `debug` is off by
 * default.
 *
 * @example Usage
 * ```ts
 * import { Coap, COAP_CONTENT_FORMAT, COAP_RESPONSE_CODE, CoapPacket } from "@microcoap/coap";
 * import { assertEquals } from "@std/assert";
 *
 * const server = new Coap();
 * server.addIncomingRequestCallback("current/measure", (packet, ip, port) => {
 *   server.sendResponse(ip, port, packet.messageid, "222",
 *     COAP_RESPONSE_CODE.COAP_CONTENT, COAP_CONTENT_FORMAT.COAP_NONE, packet.token);
 * });
 * await server.start(0, "127.0.0.1");
 *
 * const client = new Coap();
 * const received: CoapPacket[] = [];
 * client.responseCallback = (packet) => received.push(packet);
 * await client.start(0, "127.0.0.1");
 * await client.get("127.0.0.1", server.port, "current/measure");
 * await server.poll(2000);
 * await client.poll(2000);
 * assertEquals(new TextDecoder().decode(received[0]!.payload), "222");
 * await client.stop();
 * await server.stop();
 * ```
 */
export class Coap {
  /** Prints a line for every packet sent and received. */
  debug: boolean;
  /**
   * Kept for compatibility: duplicates are always discarded (RFC 7252 §4.5),
   * so this flag changes nothing.
   */
  discardRetransmissions = false;
  /** Called by `loop`/`poll` with each response to this endpoint's requests. */
  responseCallback: ResponseCallback | undefined = undefined;

  #options: CoapOptions;
  #clock: Clock;
  #log: (line: string) => void;
  #endpoint: CoapEndpoint | undefined;
  #callbacks = new Map<string, IncomingRequestCallback>();
  #inbox: InboxItem[] = [];
  #waiters: (() => void)[] = [];
  #pending = new Map<string, InboxItem>();

  /**
   * Constructs a new instance (no socket until `start` or `setCustomSocket`).
   *
   * @param options Endpoint options, bind address, debug.
   */
  constructor(options: CoapOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? waitingClock;
    this.debug = options.debug ?? false;
    this.#log = options.log ?? ((line) => console.log(line));
  }

  /** microCoAPy's misspelled name of {@linkcode Coap.prototype.responseCallback}. */
  get resposeCallback(): ResponseCallback | undefined {
    return this.responseCallback;
  }

  set resposeCallback(callback: ResponseCallback | undefined) {
    this.responseCallback = callback;
  }

  /** The bound local port (0 before `start`). */
  get port(): number {
    return this.#endpoint?.localAddress.port ?? 0;
  }

  /** The underlying message-layer endpoint, once started. */
  get endpoint(): CoapEndpoint | undefined {
    return this.#endpoint;
  }

  /**
   * Creates the UDP socket and binds it.
   *
   * @param port The local port. @default {5683}
   * @param hostname The local address. @default {"0.0.0.0"}
   */
  async start(port = 5683, hostname?: string): Promise<void> {
    await this.stop();
    this.#use(
      await bindUdp({
        hostname: hostname ?? this.#options.hostname ?? "0.0.0.0",
        port,
      }),
    );
  }

  /** Closes the socket; pending requests are dropped. Safe to call twice. */
  async stop(): Promise<void> {
    const endpoint = this.#endpoint;
    this.#endpoint = undefined;
    this.#inbox.length = 0;
    this.#pending.clear();
    for (const wake of this.#waiters.splice(0)) wake();
    await endpoint?.close();
  }

  /**
   * Uses a microCoAPy-style custom socket (`sendto`, `recvfrom`,
   * `setblocking`) instead of a UDP socket.
   *
   * @param socket The custom socket.
   */
  setCustomSocket(socket: CustomSocket): void {
    void this.stop();
    this.#use(
      socketAdapter(
        socket,
        this.#options.clock ? { clock: this.#options.clock } : {},
      ),
    );
  }

  /**
   * Calls `callback(packet, ip, port)` for requests to `url` (a path such as
   * `"current/measure"`), during `loop`/`poll`. Answer with
   * {@linkcode Coap.prototype.sendResponse}.
   *
   * @param url The path, without leading slash.
   * @param callback The request callback.
   */
  addIncomingRequestCallback(
    url: string,
    callback: IncomingRequestCallback,
  ): void {
    this.#callbacks.set(url.split("/").filter(Boolean).join("/"), callback);
  }

  /**
   * Sends a packet as it is (type, message ID, token, options), adding
   * Content-Format and Uri-Query from `content_format` and `query`.
   *
   * @param ip The peer's address.
   * @param port The peer's port.
   * @param packet The packet.
   * @returns The message ID, or 0 when it could not be sent.
   */
  sendPacket(ip: string, port: number, packet: CoapPacket): Promise<number> {
    const endpoint = this.#endpoint;
    if (!endpoint) return Promise.resolve(0);
    try {
      endpoint.sendMessage({ hostname: ip, port }, toMessage(packet));
      return Promise.resolve(packet.messageid);
    } catch (error) {
      this.#debug(`Exception while sending packet: ${error}`);
      return Promise.resolve(0);
    }
  }

  /**
   * Sends a request; its response reaches `responseCallback` in `loop`/`poll`.
   *
   * @param ip The server's address.
   * @param port The server's port.
   * @param url The path (and `?query`).
   * @param type `COAP_CON` (retransmitted until acknowledged) or `COAP_NONCON`.
   * @param method The method code.
   * @param token The token; a random one when empty.
   * @param payload The payload.
   * @param contentFormat The Content-Format, or `COAP_NONE`.
   * @param queryOption One more Uri-Query value.
   * @returns The message ID, or 0 when it could not be sent.
   */
  send(
    ip: string,
    port: number,
    url: string,
    type: number,
    method: number,
    token: Bytes | null | undefined,
    payload: Bytes | null | undefined,
    contentFormat: number,
    queryOption: Bytes | null | undefined,
  ): Promise<number> {
    const packet = new CoapPacket();
    packet.type = type;
    packet.method = method;
    packet.token = toBytes(token);
    packet.payload = toBytes(payload);
    packet.content_format = contentFormat;
    packet.query = toBytes(queryOption);
    return this.sendEx(ip, port, url, packet);
  }

  /**
   * Sends a request packet to `url`.
   *
   * @param ip The server's address.
   * @param port The server's port.
   * @param url The path (and `?query`).
   * @param packet The request (type, method, token, payload, content format, query).
   * @returns The message ID, or 0 when it could not be sent.
   */
  sendEx(
    ip: string,
    port: number,
    url: string,
    packet: CoapPacket,
  ): Promise<number> {
    const endpoint = this.#endpoint;
    if (!endpoint) return Promise.resolve(0);
    if (!/^[\d.]+$/.test(ip) && !ip.includes(":")) packet.setUriHost(ip);
    packet.setUriPath(url);
    // As the socket will report the server (`0:0::1` as `::1`), for the callback.
    const peer = { hostname: canonicalHostname(ip), port };
    const message = toMessage(packet);
    return new Promise((resolve) => {
      endpoint.request(peer, message, {
        confirmable: packet.type !== COAP_TYPE.COAP_NONCON,
        ...(packet.token.length > 0 ? { token: packet.token } : {}),
        onSent: (sent) => resolve(sent.messageId),
      }).then(
        (response) => this.#push({ packet: fromMessage(response), peer }),
        (error) => {
          this.#debug(`Request to ${ip}:${port}/${url} failed: ${error}`);
          resolve(0);
        },
      );
    });
  }

  /**
   * Answers a request handed to an incoming request callback. For a CON
   * request still being handled this becomes the piggybacked ACK (or the
   * separate response, if the ACK already went out); for a NON request, a NON
   * response.
   *
   * @param ip The requester's address.
   * @param port The requester's port.
   * @param messageid The request's message ID.
   * @param payload The payload.
   * @param code The response code.
   * @param contentFormat The Content-Format, or `COAP_NONE`.
   * @param token The request's token.
   * @returns The message ID used, or 0 when it could not be sent.
   */
  sendResponse(
    ip: string,
    port: number,
    messageid: number,
    payload: Bytes | null | undefined,
    code: number,
    contentFormat: number,
    token: Bytes | null | undefined,
  ): Promise<number> {
    const item = this.#pending.get(`${ip}:${port}#${messageid}`);
    const options: CoapOption[] = contentFormat >= 0
      ? [{ number: 12, value: encodeUint(contentFormat) }]
      : [];
    if (item?.respond && !item.responded) {
      item.responded = true;
      item.respond({ code, options, payload: toBytes(payload) });
      return Promise.resolve(messageid);
    }
    // Not a request we are handling: send an ACK as microCoAPy did.
    const packet = new CoapPacket();
    packet.type = COAP_TYPE.COAP_ACK;
    packet.method = code;
    packet.messageid = messageid;
    packet.token = toBytes(token);
    packet.payload = toBytes(payload);
    packet.content_format = contentFormat;
    return this.sendPacket(ip, port, packet);
  }

  /**
   * Confirmable GET.
   *
   * @param ip The server's address.
   * @param port The server's port.
   * @param url The path (and `?query`).
   * @param token The token; a random one when empty.
   * @returns The message ID, or 0.
   */
  get(ip: string, port: number, url: string, token?: Bytes): Promise<number> {
    return this.send(ip, port, url, 0, 1, token, null, -1, null);
  }

  /**
   * Confirmable PUT.
   *
   * @param ip The server's address.
   * @param port The server's port.
   * @param url The path (and `?query`).
   * @param payload The payload.
   * @param queryOption One more Uri-Query value.
   * @param contentFormat The Content-Format, or `COAP_NONE`.
   * @param token The token; a random one when empty.
   * @returns The message ID, or 0.
   */
  put(
    ip: string,
    port: number,
    url: string,
    payload?: Bytes | null,
    queryOption?: Bytes | null,
    contentFormat = -1,
    token?: Bytes,
  ): Promise<number> {
    return this.send(
      ip,
      port,
      url,
      0,
      3,
      token,
      payload,
      contentFormat,
      queryOption,
    );
  }

  /**
   * Confirmable POST.
   *
   * @param ip The server's address.
   * @param port The server's port.
   * @param url The path (and `?query`).
   * @param payload The payload.
   * @param queryOption One more Uri-Query value.
   * @param contentFormat The Content-Format, or `COAP_NONE`.
   * @param token The token; a random one when empty.
   * @returns The message ID, or 0.
   */
  post(
    ip: string,
    port: number,
    url: string,
    payload?: Bytes | null,
    queryOption?: Bytes | null,
    contentFormat = -1,
    token?: Bytes,
  ): Promise<number> {
    return this.send(
      ip,
      port,
      url,
      0,
      2,
      token,
      payload,
      contentFormat,
      queryOption,
    );
  }

  /**
   * Non-confirmable GET.
   *
   * @param ip The server's address.
   * @param port The server's port.
   * @param url The path (and `?query`).
   * @param token The token; a random one when empty.
   * @returns The message ID, or 0.
   */
  getNonConf(
    ip: string,
    port: number,
    url: string,
    token?: Bytes,
  ): Promise<number> {
    return this.send(ip, port, url, 1, 1, token, null, -1, null);
  }

  /**
   * Non-confirmable PUT.
   *
   * @param ip The server's address.
   * @param port The server's port.
   * @param url The path (and `?query`).
   * @param payload The payload.
   * @param queryOption One more Uri-Query value.
   * @param contentFormat The Content-Format, or `COAP_NONE`.
   * @param token The token; a random one when empty.
   * @returns The message ID, or 0.
   */
  putNonConf(
    ip: string,
    port: number,
    url: string,
    payload?: Bytes | null,
    queryOption?: Bytes | null,
    contentFormat = -1,
    token?: Bytes,
  ): Promise<number> {
    return this.send(
      ip,
      port,
      url,
      1,
      3,
      token,
      payload,
      contentFormat,
      queryOption,
    );
  }

  /**
   * Non-confirmable POST.
   *
   * @param ip The server's address.
   * @param port The server's port.
   * @param url The path (and `?query`).
   * @param payload The payload.
   * @param queryOption One more Uri-Query value.
   * @param contentFormat The Content-Format, or `COAP_NONE`.
   * @param token The token; a random one when empty.
   * @returns The message ID, or 0.
   */
  postNonConf(
    ip: string,
    port: number,
    url: string,
    payload?: Bytes | null,
    queryOption?: Bytes | null,
    contentFormat = -1,
    token?: Bytes,
  ): Promise<number> {
    return this.send(
      ip,
      port,
      url,
      1,
      2,
      token,
      payload,
      contentFormat,
      queryOption,
    );
  }

  /**
   * Handles one received packet: calls the request callback for its path or
   * `responseCallback`.
   *
   * @param blocking Wait for a packet when none is waiting. @default {true}
   * @returns `true` when a packet was handled.
   */
  async loop(blocking = true): Promise<boolean> {
    for (;;) {
      if (!this.#endpoint) return false;
      const item = this.#inbox.shift();
      if (item) {
        await this.#dispatch(item);
        return true;
      }
      if (!blocking) return false;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /**
   * Waits up to `timeoutMs` for one packet and handles it.
   *
   * @param timeoutMs How long to wait; negative checks once. @default {-1}
   * @param pollPeriodMs Accepted for compatibility; packets are handled as they arrive.
   * @returns `true` when a packet was handled.
   */
  async poll(timeoutMs = -1, pollPeriodMs = 500): Promise<boolean> {
    void pollPeriodMs;
    if (await this.loop(false)) return true;
    if (timeoutMs < 0 || !this.#endpoint) return false;
    let expired = false;
    let wake: () => void = () => {};
    const timer = this.#clock.setTimeout(() => {
      expired = true;
      wake();
    }, timeoutMs);
    try {
      while (!expired && this.#endpoint) {
        if (await this.loop(false)) return true;
        await new Promise<void>((resolve) => {
          wake = resolve;
          this.#waiters.push(resolve);
        });
      }
      return false;
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  #use(transport: Transport): void {
    const { hostname: _h, debug: _d, log: _l, ...endpointOptions } =
      this.#options;
    this.#endpoint = new CoapEndpoint(transport, {
      isRecognizedOption: recognized,
      ...endpointOptions,
      handler: (request) => this.#handle(request.message, request.peer),
      logger: (event) => {
        if (!this.debug) return;
        if (event.kind === "sent" && event.message) {
          this.#debug(
            `Packet sent to ${address(event.peer)}: ${
              fromMessage(event.message)
            }`,
          );
        } else if (event.kind === "received" && event.message) {
          this.#debug(
            `Incoming packet from ${address(event.peer)}: ${
              fromMessage(event.message)
            }`,
          );
        } else this.#debug(`${event.kind}: ${event.error ?? ""}`);
      },
    });
  }

  #handle(
    message: CoapMessage,
    peer: PeerAddress,
  ): Promise<ResponseInit | undefined> {
    const path = uriPath(message).join("/");
    if (!this.#callbacks.has(path)) {
      this.#debug(`Callback for url [${path}] not found`);
      return Promise.resolve({ code: CoapCode.NOT_FOUND });
    }
    return new Promise((resolve) => {
      const item: InboxItem = {
        packet: fromMessage(message),
        peer,
        path,
        respond: resolve,
      };
      this.#push(item);
    });
  }

  #push(item: InboxItem): void {
    this.#inbox.push(item);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #dispatch(item: InboxItem): Promise<void> {
    const { packet, peer } = item;
    if (!item.respond) {
      this.responseCallback?.(packet, [peer.hostname, peer.port]);
      return;
    }
    const key = `${peer.hostname}:${peer.port}#${packet.messageid}`;
    this.#pending.set(key, item);
    const path = item.path ?? "";
    try {
      await this.#callbacks.get(path)?.(packet, peer.hostname, peer.port);
    } catch (error) {
      this.#debug(`Request callback for [${path}] failed: ${error}`);
      if (!item.responded) {
        item.responded = true;
        item.respond({ code: CoapCode.INTERNAL_SERVER_ERROR });
      }
    } finally {
      this.#pending.delete(key);
      // No response given: a CON request is still acknowledged.
      if (!item.responded) {
        item.responded = true;
        item.respond(undefined);
      }
    }
  }

  #debug(line: string): void {
    if (this.debug) this.#log(`[microcoapy]: ${line}`);
  }
}

function toMessage(packet: CoapPacket): CoapMessage {
  const options: CoapOption[] = packet.options.map((o) => ({
    number: o.number,
    value: o.buffer,
  }));
  if (packet.content_format >= 0) {
    options.push({ number: 12, value: encodeUint(packet.content_format) });
  }
  if (packet.query.length > 0) {
    options.push({ number: 15, value: packet.query });
  }
  return {
    type: MESSAGE_TYPES[packet.type & 3]!,
    code: packet.method,
    messageId: packet.messageid,
    token: packet.token,
    options,
    payload: packet.payload,
  };
}

function fromMessage(message: CoapMessage): CoapPacket {
  const packet = new CoapPacket();
  packet.version = 1;
  packet.type = MESSAGE_TYPES.indexOf(message.type);
  packet.method = message.code;
  packet.messageid = message.messageId;
  packet.token = message.token;
  packet.payload = message.payload;
  for (const option of message.options) {
    packet.options.push(new CoapPacketOption(option.number, option.value));
    if (option.number === 12) {
      packet.content_format = option.value.reduce((n, b) => n * 256 + b, 0);
    }
  }
  return packet;
}

// Registered options the Coap class does not implement: OSCORE, Q-Block1 and
// Q-Block2, and Block1, as a callback gets one datagram's payload (a
// block-wise body would reach it cut at the first block). All are critical,
// so requests carrying them get 4.02 (RFC 7252 §5.4.1, RFC 7959 §2.2).
const UNIMPLEMENTED = new Set([9, 19, 27, 31]);

function recognized(number: number): boolean {
  return optionInfo(number) !== undefined && !UNIMPLEMENTED.has(number);
}

function address(peer: PeerAddress | undefined): string {
  return peer ? `${peer.hostname}:${peer.port}` : "?";
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Python's repr of a bytearray, as microCoAPy prints payloads. */
function pythonBytes(bytes: Uint8Array): string {
  let out = "bytearray(b'";
  for (const byte of bytes) {
    if (byte === 0x5c) out += "\\\\";
    else if (byte === 0x27) out += "\\'";
    else if (byte === 0x0a) out += "\\n";
    else if (byte === 0x0d) out += "\\r";
    else if (byte === 0x09) out += "\\t";
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += "\\x" + byte.toString(16).padStart(2, "0");
  }
  return out + "')";
}
