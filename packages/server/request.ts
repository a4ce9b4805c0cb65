// Copyright 2026 the microcoap authors. MIT license.
/**
 * The request object handed to route handlers.
 *
 * @module
 */
import {
  CoapOptionNumber,
  decodeBlock,
  decodeObserve,
  getOption,
  getOptions,
  payloadJson,
  payloadText,
  uriPath,
  uriQuery,
} from "@microcoap/codec";
import type {
  BlockValue,
  CoapMessage,
  CoapMethod,
  CoapOption,
} from "@microcoap/codec";
import type { PeerAddress } from "@microcoap/transport";
import { decodeUint } from "@microcoap/codec";

/**
 * What {@linkcode CoapRequest} is built from.
 *
 * @example Usage
 * ```ts
 * import { CoapRequest, type CoapRequestInit } from "@microcoap/server";
 * import { assertEquals } from "@std/assert";
 *
 * const init: CoapRequestInit = {
 *   method: "GET",
 *   peer: { hostname: "127.0.0.1", port: 40000 },
 *   params: { room: "kitchen" },
 *   message: {
 *     type: "NON",
 *     code: 0x01,
 *     messageId: 2,
 *     token: new Uint8Array([1]),
 *     options: [{ number: 11, value: new TextEncoder().encode("kitchen") }],
 *     payload: new Uint8Array(0),
 *   },
 * };
 * const request = new CoapRequest(init);
 * assertEquals(request.path, "/kitchen");
 * assertEquals(request.params.room, "kitchen");
 * assertEquals(request.peer.port, 40000);
 * ```
 */
export interface CoapRequestInit {
  /** The request message as received. */
  readonly message: CoapMessage;
  /** Who sent it. */
  readonly peer: PeerAddress;
  /** The method name of `message.code`. */
  readonly method: CoapMethod;
  /**
   * The route parameters.
   *
   * @default {{}}
   */
  readonly params?: Readonly<Record<string, string>>;
  /**
   * The request body when it differs from `message.payload` (after
   * block-wise reassembly).
   *
   * @default {message.payload}
   */
  readonly payload?: Uint8Array;
  /**
   * The multicast group the request was sent to.
   *
   * @default {undefined} it came by unicast
   */
  readonly group?: string | undefined;
}

/**
 * An incoming request as a route handler sees it: method, path, route
 * parameters, query, the (reassembled) payload and typed option getters.
 *
 * @example Usage
 * ```ts
 * import { CoapRequest } from "@microcoap/server";
 * import { assertEquals } from "@std/assert";
 *
 * const utf8 = (s: string) => new TextEncoder().encode(s);
 * const request = new CoapRequest({
 *   method: "PUT",
 *   peer: { hostname: "127.0.0.1", port: 40000 },
 *   params: { id: "7" },
 *   message: {
 *     type: "CON",
 *     code: 0x03,
 *     messageId: 1,
 *     token: new Uint8Array([1]),
 *     options: [
 *       { number: 11, value: utf8("sensors") },
 *       { number: 11, value: utf8("7") },
 *       { number: 12, value: new Uint8Array([50]) },
 *       { number: 15, value: utf8("unit=C") },
 *     ],
 *     payload: utf8('{"target":21}'),
 *   },
 * });
 * assertEquals(request.path, "/sensors/7");
 * assertEquals(request.params.id, "7");
 * assertEquals(request.query.get("unit"), "C");
 * assertEquals(request.contentFormat, 50);
 * assertEquals(request.json(), { target: 21 });
 * ```
 */
export class CoapRequest {
  /** The method name. */
  readonly method: CoapMethod;
  /** The request code (e.g. `0x01` for GET). */
  readonly code: number;
  /** The route parameters; a wildcard's match is under `"*"`. */
  readonly params: Readonly<Record<string, string>>;
  /** The request body (reassembled when it came block-wise). */
  readonly payload: Uint8Array;
  /** Who sent the request. */
  readonly peer: PeerAddress;
  /** The request message as received (for a block-wise body: the last block). */
  readonly message: CoapMessage;
  /**
   * The multicast group the request was sent to (RFC 7252 §8), or
   * `undefined` when it came by unicast.
   */
  readonly group: string | undefined;
  #segments: readonly string[] | undefined;
  #query: URLSearchParams | undefined;

  /**
   * Constructs a new request view.
   *
   * @param init The message, peer, method, parameters and body.
   */
  constructor(init: CoapRequestInit) {
    this.message = init.message;
    this.peer = init.peer;
    this.method = init.method;
    this.code = init.message.code;
    this.params = init.params ?? {};
    this.payload = init.payload ?? init.message.payload;
    this.group = init.group;
  }

  /** The Uri-Path segments, decoded. */
  get segments(): readonly string[] {
    return this.#segments ??= Object.freeze(uriPath(this.message));
  }

  /** The path: `"/"` plus the segments joined with `"/"` (not percent-encoded). */
  get path(): string {
    return "/" + this.segments.join("/");
  }

  /**
   * The Uri-Query options as search parameters: `a=b` becomes `a` → `b`, an
   * option without `=` a key with the empty value.
   */
  get query(): URLSearchParams {
    if (this.#query === undefined) {
      const query = new URLSearchParams();
      for (const argument of uriQuery(this.message)) {
        const at = argument.indexOf("=");
        if (at < 0) query.append(argument, "");
        else query.append(argument.slice(0, at), argument.slice(at + 1));
      }
      this.#query = query;
    }
    return this.#query;
  }

  /** The token. */
  get token(): Uint8Array {
    return this.message.token;
  }

  /** Whether the request came as a confirmable message. */
  get confirmable(): boolean {
    return this.message.type === "CON";
  }

  /** The raw options in wire order. */
  get options(): readonly CoapOption[] {
    return this.message.options;
  }

  /** The Content-Format of the payload, if given. */
  get contentFormat(): number | undefined {
    return this.#uint(CoapOptionNumber.CONTENT_FORMAT);
  }

  /** The Accept option: the content format the client wants, if given. */
  get accept(): number | undefined {
    return this.#uint(CoapOptionNumber.ACCEPT);
  }

  /** The Observe option (0 registers, 1 deregisters), if given. */
  get observe(): number | undefined {
    const value = getOption(this.message, CoapOptionNumber.OBSERVE);
    if (value === undefined) return undefined;
    try {
      return decodeObserve(value);
    } catch {
      return undefined;
    }
  }

  /** The Block1 option (the request body's block), if given and well-formed. */
  get block1(): BlockValue | undefined {
    return this.#block(CoapOptionNumber.BLOCK1);
  }

  /** The Block2 option (the wanted response block), if given and well-formed. */
  get block2(): BlockValue | undefined {
    return this.#block(CoapOptionNumber.BLOCK2);
  }

  /** The Size1 option (the whole request body's size), if given. */
  get size1(): number | undefined {
    return this.#uint(CoapOptionNumber.SIZE1);
  }

  /** The Size2 option, if given (a request asks for the response size with 0). */
  get size2(): number | undefined {
    return this.#uint(CoapOptionNumber.SIZE2);
  }

  /** The ETag options: the representations the client already has. */
  get etags(): Uint8Array[] {
    return getOptions(this.message, CoapOptionNumber.ETAG);
  }

  /** The first ETag option, if any. */
  get etag(): Uint8Array | undefined {
    return getOption(this.message, CoapOptionNumber.ETAG);
  }

  /** The If-Match options (an empty value matches any representation). */
  get ifMatch(): Uint8Array[] {
    return getOptions(this.message, CoapOptionNumber.IF_MATCH);
  }

  /** Whether If-None-Match is present. */
  get ifNoneMatch(): boolean {
    return getOption(this.message, CoapOptionNumber.IF_NONE_MATCH) !==
      undefined;
  }

  /** The Uri-Host option, if given. */
  get uriHost(): string | undefined {
    const value = getOption(this.message, CoapOptionNumber.URI_HOST);
    return value === undefined ? undefined : new TextDecoder().decode(value);
  }

  /** The Request-Tag options (RFC 9175). */
  get requestTags(): Uint8Array[] {
    return getOptions(this.message, CoapOptionNumber.REQUEST_TAG);
  }

  /**
   * The first value of an option.
   *
   * @param number The option number.
   * @returns The raw value, or `undefined` when the option is absent.
   */
  option(number: number): Uint8Array | undefined {
    return getOption(this.message, number);
  }

  /**
   * The payload as UTF-8 text.
   *
   * @returns The text.
   */
  text(): string {
    return payloadText(this.payload);
  }

  /**
   * The payload parsed as JSON.
   *
   * @returns The parsed value.
   * @throws {SyntaxError} When the payload is not JSON.
   */
  json(): unknown {
    return payloadJson(this.payload);
  }

  #uint(number: number): number | undefined {
    const value = getOption(this.message, number);
    if (value === undefined || value.length > 4) return undefined;
    return decodeUint(value);
  }

  #block(number: number): BlockValue | undefined {
    const value = getOption(this.message, number);
    if (value === undefined) return undefined;
    try {
      return decodeBlock(value);
    } catch {
      return undefined;
    }
  }
}
