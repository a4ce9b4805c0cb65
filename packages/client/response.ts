// Copyright 2026 the microcoap authors. MIT license.
/**
 * {@linkcode CoapResponse}: a response as the client hands it to the
 * application, with typed access to its code, payload and options.
 *
 * @module
 */
import {
  CoapOptionNumber,
  codeName,
  decodeBlock,
  decodeObserve,
  decodeString,
  decodeUint,
  formatCode,
  getOptions,
  optionInfo,
  payloadJson,
  payloadText,
} from "@microcoap/codec";
import type {
  BlockValue,
  CoapCodeName,
  CoapMessage,
  CoapOption,
  CoapType,
} from "@microcoap/codec";
import type { PeerAddress } from "@microcoap/transport";

/**
 * Options for {@linkcode CoapResponse}.
 *
 * @example Usage
 * ```ts
 * import { CoapResponse, type CoapResponseInit } from "@microcoap/client";
 * import { CoapCode } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const firstBlock = {
 *   type: "ACK",
 *   code: CoapCode.CONTENT,
 *   messageId: 1,
 *   token: new Uint8Array([1]),
 *   options: [],
 *   payload: new TextEncoder().encode("0123456789abcdef"),
 * } as const;
 * // After reassembly, the whole representation replaces the first block's payload.
 * const init: CoapResponseInit = {
 *   peer: { hostname: "10.0.0.1", port: 5683 },
 *   payload: new TextEncoder().encode("0123456789abcdefghij"),
 * };
 * const response = new CoapResponse(firstBlock, init);
 * assertEquals(response.text(), "0123456789abcdefghij");
 * assertEquals(response.peer, { hostname: "10.0.0.1", port: 5683 });
 * ```
 */
export interface CoapResponseInit {
  /** Who sent the response. */
  readonly peer: PeerAddress;
  /**
   * The complete payload when it differs from the message's own (after a
   * block-wise transfer was reassembled).
   *
   * @default {message.payload}
   */
  readonly payload?: Uint8Array;
}

/**
 * A CoAP response: its code, type, payload, options and sender. 4.xx and
 * 5.xx responses are responses, not errors; check {@linkcode CoapResponse.ok}.
 *
 * After a block-wise transfer (RFC 7959) the payload is the whole
 * representation and `options` are those of the first block, without the
 * Block2 option.
 *
 * @example Usage
 * ```ts
 * import { CoapResponse } from "@microcoap/client";
 * import { CoapCode } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const response = new CoapResponse({
 *   type: "ACK",
 *   code: CoapCode.CONTENT,
 *   messageId: 7,
 *   token: new Uint8Array([1]),
 *   options: [{ number: 12, value: new Uint8Array([50]) }],
 *   payload: new TextEncoder().encode('{"t":21.5}'),
 * }, { peer: { hostname: "127.0.0.1", port: 5683 } });
 * assertEquals(response.codeText, "2.05");
 * assertEquals(response.codeName, "CONTENT");
 * assertEquals(response.ok, true);
 * assertEquals(response.contentFormat, 50);
 * assertEquals(response.json(), { t: 21.5 });
 * assertEquals(response.maxAge, 60);
 * ```
 */
export class CoapResponse {
  #message: CoapMessage;
  #peer: PeerAddress;
  #payload: Uint8Array;

  /**
   * Constructs a new response from a decoded message.
   *
   * @param message The response message (for a block-wise transfer, its first block).
   * @param init The sender and, after reassembly, the whole payload.
   */
  constructor(message: CoapMessage, init: CoapResponseInit) {
    this.#message = message;
    this.#peer = init.peer;
    this.#payload = init.payload ?? message.payload;
  }

  /**
   * The response code: `class << 5 | detail`, such as `0x45` for 2.05.
   *
   * @returns The code.
   */
  get code(): number {
    return this.#message.code;
  }

  /**
   * The code in its dotted form, such as `"2.05"`.
   *
   * @returns The dotted code.
   */
  get codeText(): string {
    return formatCode(this.#message.code);
  }

  /**
   * The registered name of the code, such as `"CONTENT"`, or `undefined` for
   * an unregistered code.
   *
   * @returns The name.
   */
  get codeName(): CoapCodeName | undefined {
    return codeName(this.#message.code);
  }

  /**
   * Whether the code is a success (class 2).
   *
   * @returns `true` for 2.xx.
   */
  get ok(): boolean {
    return this.#message.code >>> 5 === 2;
  }

  /**
   * The message type the response came in: ACK (piggybacked), CON or NON.
   *
   * @returns The type.
   */
  get type(): CoapType {
    return this.#message.type;
  }

  /**
   * The payload (the whole representation after a block-wise transfer).
   *
   * @returns The bytes; empty when there is no payload.
   */
  get payload(): Uint8Array {
    return this.#payload;
  }

  /**
   * The options as sent, in order.
   *
   * @returns The raw options.
   */
  get options(): readonly CoapOption[] {
    return this.#message.options;
  }

  /**
   * The sender's address.
   *
   * @returns The peer.
   */
  get peer(): PeerAddress {
    return this.#peer;
  }

  /**
   * The message ID of the (first) response message.
   *
   * @returns The message ID.
   */
  get messageId(): number {
    return this.#message.messageId;
  }

  /**
   * The token the response carried.
   *
   * @returns The token.
   */
  get token(): Uint8Array {
    return this.#message.token;
  }

  /**
   * The Content-Format option, or `undefined` when there is none.
   *
   * @returns The content format number, such as 50 for application/json.
   */
  get contentFormat(): number | undefined {
    return this.#uint(CoapOptionNumber.CONTENT_FORMAT);
  }

  /**
   * How long the response may be cached, in seconds: the Max-Age option or
   * its default of 60.
   *
   * @returns Seconds.
   */
  get maxAge(): number {
    return this.#uint(CoapOptionNumber.MAX_AGE) ?? 60;
  }

  /**
   * The ETag option, or `undefined` when there is none.
   *
   * @returns The entity tag.
   */
  get etag(): Uint8Array | undefined {
    return this.#values(CoapOptionNumber.ETAG)[0];
  }

  /**
   * The Location-Path segments of a 2.01 Created, such as `["items", "7"]`.
   *
   * @returns The segments; empty when there are none.
   */
  get locationPath(): string[] {
    return this.#values(CoapOptionNumber.LOCATION_PATH).map(decodeString);
  }

  /**
   * The Location-Query arguments.
   *
   * @returns The arguments; empty when there are none.
   */
  get locationQuery(): string[] {
    return this.#values(CoapOptionNumber.LOCATION_QUERY).map(decodeString);
  }

  /**
   * The Observe sequence number of a notification, or `undefined` when the
   * response has no (valid) Observe option.
   *
   * @returns The 24-bit sequence number.
   */
  get observe(): number | undefined {
    const value = this.#values(CoapOptionNumber.OBSERVE)[0];
    if (value === undefined) return undefined;
    try {
      return decodeObserve(value);
    } catch {
      return undefined;
    }
  }

  /**
   * The Size2 option: the size of the whole representation, when the
   * server told it.
   *
   * @returns Bytes, or `undefined`.
   */
  get size2(): number | undefined {
    return this.#uint(CoapOptionNumber.SIZE2);
  }

  /**
   * The Block2 option of the message, or `undefined` (always `undefined`
   * after the client reassembled a block-wise transfer).
   *
   * @returns The block number, more flag and size exponent.
   */
  get block2(): BlockValue | undefined {
    const value = this.#values(CoapOptionNumber.BLOCK2)[0];
    if (value === undefined) return undefined;
    try {
      return decodeBlock(value);
    } catch {
      return undefined;
    }
  }

  /**
   * The payload decoded as UTF-8.
   *
   * @returns The text (invalid sequences become U+FFFD).
   *
   * @example Usage
   * ```ts
   * import { CoapResponse } from "@microcoap/client";
   * import { assertEquals } from "@std/assert";
   *
   * const response = new CoapResponse({
   *   type: "ACK", code: 0x45, messageId: 1, token: new Uint8Array(0), options: [],
   *   payload: new TextEncoder().encode("22.5 C"),
   * }, { peer: { hostname: "::1", port: 5683 } });
   * assertEquals(response.text(), "22.5 C");
   * ```
   */
  text(): string {
    return payloadText(this.#payload);
  }

  /**
   * The payload parsed as JSON.
   *
   * @returns The parsed value.
   * @throws {SyntaxError} When the payload is not JSON.
   *
   * @example Usage
   * ```ts
   * import { CoapResponse } from "@microcoap/client";
   * import { assertEquals } from "@std/assert";
   *
   * const response = new CoapResponse({
   *   type: "ACK", code: 0x45, messageId: 1, token: new Uint8Array(0), options: [],
   *   payload: new TextEncoder().encode("[1,2]"),
   * }, { peer: { hostname: "::1", port: 5683 } });
   * assertEquals(response.json(), [1, 2]);
   * ```
   */
  json(): unknown {
    return payloadJson(this.#payload);
  }

  #uint(number: number): number | undefined {
    const value = this.#values(number)[0];
    if (value === undefined || value.length > 4) return undefined;
    return decodeUint(value);
  }

  // An option whose length is outside its range is treated as unrecognised
  // (RFC 7252 §5.4.3); these getters read elective ones, so it is ignored.
  #values(number: number): Uint8Array[] {
    const info = optionInfo(number);
    const values = getOptions(this.#message, number);
    return info === undefined
      ? values
      : values.filter((value) =>
        value.length >= info.minLength && value.length <= info.maxLength
      );
  }
}
