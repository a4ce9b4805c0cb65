// Copyright 2026 the microcoap authors. MIT license.
/**
 * A {@linkcode Transport} over a microCoAPy-style custom socket: any object
 * with Python-socket-like `sendto`, `recvfrom` and `setblocking` methods (a
 * modem driver, a test double, a bridge to another stack).
 *
 * @module
 */
import type { Clock, TimerHandle } from "./clock.ts";
import { formatAddress, normalizeHostname } from "./_address.ts";
import { checkSend } from "./_check_send.ts";
import { ReceiverSlot } from "./_receiver_slot.ts";
import { checkTimerClock, refClock } from "./_ref_clock.ts";
import { toTransportError } from "./_to_transport_error.ts";
import { TransportError } from "./transport_error.ts";
import type { PeerAddress, Transport, TransportReceiver } from "./types.ts";

/**
 * A Python `(host, port)` address tuple, as a JavaScript array.
 *
 * @example Usage
 * ```ts
 * import { CustomSocketTransport, type CustomSocketAddress } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const address: CustomSocketAddress = ["192.0.2.7", 5683];
 * await using transport = new CustomSocketTransport({
 *   sendto: (bytes) => bytes.length,
 *   recvfrom: () => null,
 *   setblocking: () => {},
 *   getsockname: () => address,
 * });
 * assertEquals(transport.localAddress, { hostname: "192.0.2.7", port: 5683 });
 * ```
 */
export type CustomSocketAddress = readonly [hostname: string, port: number];

/**
 * What `recvfrom` returns: `[bytes, [host, port]]`, or "nothing available"
 * as `null`, `undefined` or `[null, null]` (microCoAPy's `(None, None)`).
 *
 * @example Usage
 * ```ts
 * import { CustomSocketTransport, FakeClock, type CustomSocketReceived } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * // One datagram, then microCoAPy's "(None, None)": nothing more waiting.
 * const queue: CustomSocketReceived[] = [[new Uint8Array([0x40, 0, 0, 1]), ["192.0.2.1", 5683]]];
 * const clock = new FakeClock();
 * await using transport = new CustomSocketTransport({
 *   sendto: (bytes) => bytes.length,
 *   recvfrom: (): CustomSocketReceived => queue.shift() ?? [null, null],
 *   setblocking: () => {},
 * }, { clock });
 * const received: number[] = [];
 * transport.listen({ onDatagram: (data) => received.push(data.length) });
 * await clock.tick(0);
 * assertEquals(received, [4]);
 * ```
 */
export type CustomSocketReceived =
  | readonly [
    data: Uint8Array | null | undefined,
    address: CustomSocketAddress | null | undefined,
  ]
  | null
  | undefined;

/**
 * The socket shape microCoAPy's `setCustomSocket` accepts, in JavaScript
 * terms.
 *
 * @example Usage
 * ```ts
 * import type { CustomSocket, CustomSocketAddress } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const inbox: [Uint8Array, CustomSocketAddress][] = [];
 * const sent: [Uint8Array, CustomSocketAddress][] = [];
 * const socket: CustomSocket = {
 *   sendto: (bytes, address) => {
 *     sent.push([bytes, address]);
 *     return bytes.length;
 *   },
 *   recvfrom: () => inbox.shift() ?? null,
 *   setblocking: () => {},
 * };
 * assertEquals(socket.recvfrom(1152), null);
 * ```
 */
export interface CustomSocket {
  /**
   * Sends `bytes` to `address`. Returns the number of bytes sent (a
   * negative number means failure), or a promise of it, or nothing; throwing
   * or rejecting means failure. Must not keep `bytes` beyond the call unless
   * it leaves them unmodified.
   */
  sendto(bytes: Uint8Array, address: CustomSocketAddress): unknown;
  /**
   * Returns one datagram of at most `bufsize` bytes and its sender, or
   * nothing when none is waiting (non-blocking), or a promise of either.
   * Throwing an error coded `EAGAIN` or `EWOULDBLOCK` (or named
   * `BlockingIOError`) also means "nothing waiting".
   */
  recvfrom(
    bufsize: number,
  ): CustomSocketReceived | Promise<CustomSocketReceived>;
  /** Switches blocking mode; called once with `false` by the adapter. */
  setblocking(flag: boolean): unknown;
  /** Releases the socket; called by the adapter's `close()` when present. */
  close?(): unknown;
  /** The socket's own address, when it knows it. */
  getsockname?(): CustomSocketAddress;
}

/**
 * Options for {@linkcode CustomSocketTransport}.
 *
 * @example Usage
 * ```ts
 * import { CustomSocketTransport, FakeClock, type CustomSocketAddress, type CustomSocketTransportOptions } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const inbox: [Uint8Array, CustomSocketAddress][] = [];
 * let closed = false;
 * const clock = new FakeClock();
 * const options: CustomSocketTransportOptions = {
 *   clock,
 *   pollInterval: 100,
 *   localAddress: { hostname: "10.0.0.5", port: 5683 },
 *   closeSocket: false,
 * };
 * const transport = new CustomSocketTransport({
 *   sendto: (bytes) => bytes.length,
 *   recvfrom: () => inbox.shift() ?? null,
 *   setblocking: () => {},
 *   close: () => closed = true,
 * }, options);
 * assertEquals(transport.localAddress, { hostname: "10.0.0.5", port: 5683 });
 * const received: number[] = [];
 * transport.listen({ onDatagram: (data) => received.push(data[0]!) });
 * await clock.tick(0);
 * inbox.push([new Uint8Array([0x50, 0, 0, 9]), ["10.0.0.6", 5683]]);
 * await clock.tick(99);
 * assertEquals(received, []);
 * await clock.tick(1);
 * assertEquals(received, [0x50]);
 * await transport.close();
 * assertEquals(closed, false);
 * ```
 */
export interface CustomSocketTransportOptions {
  /**
   * The clock that drives polling. With a {@linkcode FakeClock}, the socket
   * is polled when the test moves the clock.
   *
   * @default {undefined} the real clock, whose poll timer keeps the process
   * alive until `close()`
   */
  clock?: Clock;
  /**
   * Milliseconds between polls of `recvfrom`.
   *
   * @default {10}
   */
  pollInterval?: number;
  /**
   * The `bufsize` passed to `recvfrom`.
   *
   * @default {65507} the largest UDP payload
   */
  bufferSize?: number;
  /**
   * The most datagrams read in one poll (the rest wait for the next).
   *
   * @default {64}
   */
  maxBatch?: number;
  /**
   * The address to report as {@linkcode CustomSocketTransport.localAddress}.
   *
   * @default {undefined} from `getsockname()` when the socket has it, else
   * `{ hostname: "0.0.0.0", port: 0 }`
   */
  localAddress?: PeerAddress;
  /**
   * Whether `close()` calls the socket's `close()`.
   *
   * @default {true}
   */
  closeSocket?: boolean;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" &&
    typeof (value as { then?: unknown }).then === "function";
}

function wouldBlock(error: unknown): boolean {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return code === "EAGAIN" || code === "EWOULDBLOCK" ||
    name === "BlockingIOError";
}

function isAddress(value: unknown): value is CustomSocketAddress {
  if (!Array.isArray(value) || value.length < 2) return false;
  const [hostname, port] = value;
  return typeof hostname === "string" && hostname !== "" &&
    typeof port === "number" && port >= 0 && port <= 65535 &&
    Math.floor(port) === port;
}

function positive(value: unknown, name: string, integer: boolean): void {
  if (
    typeof value !== "number" || !(value > 0 && value < Infinity) ||
    (integer && Math.floor(value) !== value)
  ) {
    throw new RangeError(
      `Cannot adapt custom socket: ${name} is ${value}, expected a positive ${
        integer ? "integer" : "number"
      }`,
    );
  }
}

/**
 * A {@linkcode Transport} over a {@linkcode CustomSocket}. The constructor
 * calls `setblocking(false)`; the first {@linkcode CustomSocketTransport.listen}
 * starts polling `recvfrom` every `pollInterval` ms (up to `maxBatch`
 * datagrams per poll), so datagrams wait in the socket until there is a
 * receiver. Each received datagram is copied (the socket may reuse its
 * buffer); IPv4-mapped sender addresses are reported as IPv4. Failures of
 * `sendto` or `recvfrom`, and malformed results, go to the receiver's
 * `onError` as a `TransportError`; nothing is thrown from the poll loop.
 *
 * @example Usage
 * ```ts
 * import { CustomSocketTransport, FakeClock } from "@microcoap/transport";
 * import type { CustomSocketAddress } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const inbox: [Uint8Array, CustomSocketAddress][] = [];
 * const sent: CustomSocketAddress[] = [];
 * const clock = new FakeClock();
 * await using transport = new CustomSocketTransport({
 *   sendto: (bytes, address) => (sent.push(address), bytes.length),
 *   recvfrom: () => inbox.shift() ?? null,
 *   setblocking: () => {},
 * }, { clock, pollInterval: 50 });
 * const from: string[] = [];
 * transport.listen({ onDatagram: (_data, peer) => from.push(peer.hostname) });
 * inbox.push([new Uint8Array([0x40, 1, 0, 7]), ["192.0.2.1", 5683]]);
 * await clock.tick(0);
 * assertEquals(from, ["192.0.2.1"]);
 * transport.send(new Uint8Array([0x60, 0, 0, 7]), { hostname: "192.0.2.1", port: 5683 });
 * assertEquals(sent, [["192.0.2.1", 5683]]);
 * ```
 */
export class CustomSocketTransport implements Transport {
  #socket: CustomSocket;
  #clock: Clock;
  #pollInterval: number;
  #bufferSize: number;
  #maxBatch: number;
  #closeSocket: boolean;
  #localAddress: PeerAddress;
  #slot = new ReceiverSlot();
  #timer: TimerHandle | undefined;
  #started = false;
  #polling: Promise<number> | undefined;
  #closing: Promise<void> | undefined;

  /**
   * Adapts a socket and calls its `setblocking(false)`.
   *
   * @param socket The custom socket.
   * @param options Polling and addressing options.
   * @throws {TypeError} When `socket` lacks `sendto`, `recvfrom` or
   * `setblocking`, or an option has the wrong type.
   * @throws {RangeError} When `pollInterval`, `bufferSize` or `maxBatch` is
   * not positive (or not an integer, for the last two).
   * @throws {TransportError} When `setblocking(false)` throws (code from the
   * error, else `"EIO"`).
   */
  constructor(
    socket: CustomSocket,
    options: CustomSocketTransportOptions = {},
  ) {
    if (socket === null || typeof socket !== "object") {
      throw new TypeError(
        "Cannot adapt custom socket: socket must be an object",
      );
    }
    for (const method of ["sendto", "recvfrom", "setblocking"] as const) {
      if (typeof socket[method] !== "function") {
        throw new TypeError(
          `Cannot adapt custom socket: ${method} is not a function`,
        );
      }
    }
    const {
      clock = refClock,
      pollInterval = 10,
      bufferSize = 65507,
      maxBatch = 64,
      closeSocket = true,
      localAddress,
    } = options ?? {};
    checkTimerClock(clock, "adapt custom socket");
    positive(pollInterval, "pollInterval", false);
    positive(bufferSize, "bufferSize", true);
    positive(maxBatch, "maxBatch", true);
    if (typeof closeSocket !== "boolean") {
      throw new TypeError(
        "Cannot adapt custom socket: closeSocket must be a boolean",
      );
    }
    if (
      localAddress !== undefined &&
      !isAddress([localAddress?.hostname, localAddress?.port])
    ) {
      throw new TypeError(
        "Cannot adapt custom socket: localAddress must have a hostname and a port",
      );
    }
    this.#socket = socket;
    this.#clock = clock;
    this.#pollInterval = pollInterval;
    this.#bufferSize = bufferSize;
    this.#maxBatch = maxBatch;
    this.#closeSocket = closeSocket;
    this.#localAddress = localAddress === undefined
      ? ownAddress(socket)
      : { hostname: localAddress.hostname, port: localAddress.port };
    try {
      socket.setblocking(false);
    } catch (error) {
      throw toTransportError(
        error,
        "Cannot make custom socket non-blocking",
        undefined,
        "EIO",
      );
    }
  }

  /**
   * The socket's address, as given or reported by `getsockname()`.
   *
   * @returns The local address.
   */
  get localAddress(): PeerAddress {
    return this.#localAddress;
  }

  /**
   * Sets the receiver (replacing any earlier one); the first call starts
   * polling, with a first poll after 0 ms. Does nothing after close.
   *
   * @param receiver Gets datagrams and errors.
   * @throws {TypeError} When `receiver` has no `onDatagram` method.
   */
  listen(receiver: TransportReceiver): void {
    this.#slot.listen(receiver);
    if (!this.#started && !this.#slot.closed) {
      this.#started = true;
      this.#schedule(0);
    }
  }

  /**
   * Sends one datagram with `sendto(data, [hostname, port])`. Failures (a
   * throw, a rejection, a negative result, a bad destination) go to the
   * receiver's `onError` as a `TransportError` with the peer. Does nothing
   * after close.
   *
   * @param data The datagram.
   * @param to The peer.
   * @throws {TypeError} When `data` is not a Uint8Array.
   */
  send(data: Uint8Array, to: PeerAddress): void {
    if (!checkSend(this.#slot, data, to)) return;
    const peer = { hostname: to.hostname, port: to.port };
    let result: unknown;
    try {
      result = this.#socket.sendto(data, [peer.hostname, peer.port]);
    } catch (error) {
      this.#sendFailed(error, peer);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (sent) => this.#checkSent(sent, peer),
        (error) => this.#sendFailed(error, peer),
      );
    } else this.#checkSent(result, peer);
  }

  /**
   * Reads what the socket has now (up to `maxBatch` datagrams) and delivers
   * it; the poll timer does this every `pollInterval` ms. A call while a poll
   * is running joins it.
   *
   * @returns The number of datagrams delivered (or queued before `listen()`).
   */
  poll(): Promise<number> {
    if (this.#polling === undefined) {
      this.#polling = this.#drain().finally(() => {
        this.#polling = undefined;
      });
    }
    return this.#polling;
  }

  /**
   * Stops polling and closes the socket (when it has `close()` and
   * `closeSocket` is on; its failures are ignored). Safe to call more than
   * once.
   *
   * @returns A promise that resolves when done.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /**
   * Closes the transport, for `await using`.
   *
   * @returns A promise that resolves when done.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.#slot.close();
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    // A poll still waiting on recvfrom is not awaited (it might never
    // settle); whatever it yields after this point is dropped.
    if (this.#closeSocket && typeof this.#socket.close === "function") {
      try {
        await this.#socket.close();
      } catch {
        // Closing is best effort: the transport is closed regardless.
      }
    }
  }

  #schedule(delay: number): void {
    if (this.#slot.closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      const next = () => this.#schedule(this.#pollInterval);
      this.poll().then(next, next);
    }, delay);
  }

  async #drain(): Promise<number> {
    let delivered = 0;
    for (let i = 0; i < this.#maxBatch && !this.#slot.closed; i++) {
      let result: unknown;
      try {
        result = this.#socket.recvfrom(this.#bufferSize);
        if (isThenable(result)) result = await result;
      } catch (error) {
        if (!wouldBlock(error)) {
          this.#slot.error(
            toTransportError(
              error,
              "Cannot receive from custom socket",
              undefined,
              "EIO",
            ),
          );
        }
        break;
      }
      if (this.#slot.closed || result === null || result === undefined) break;
      if (!Array.isArray(result)) {
        this.#malformed("recvfrom returned neither a tuple nor nothing");
        continue;
      }
      const [data, address] = result as unknown[];
      if (
        data === null || data === undefined || address === null ||
        address === undefined
      ) break;
      if (!(data instanceof Uint8Array)) {
        this.#malformed("recvfrom returned data that is not a Uint8Array");
        continue;
      }
      if (!isAddress(address)) {
        this.#malformed(
          "recvfrom returned an address that is not [hostname, port]",
        );
        continue;
      }
      this.#slot.deliver(new Uint8Array(data), {
        hostname: normalizeHostname(address[0]),
        port: address[1],
      });
      delivered++;
    }
    return delivered;
  }

  #malformed(reason: string): void {
    this.#slot.error(
      new TransportError(`Cannot receive from custom socket: ${reason}`, {
        code: "EINVAL",
      }),
    );
  }

  #checkSent(sent: unknown, peer: PeerAddress): void {
    if (typeof sent === "number" && sent < 0) {
      this.#slot.error(
        new TransportError(
          `Cannot send datagram to ${
            formatAddress(peer)
          }: sendto returned ${sent} (EIO)`,
          { code: "EIO", peer },
        ),
      );
    }
  }

  #sendFailed(error: unknown, peer: PeerAddress): void {
    this.#slot.error(
      toTransportError(
        error,
        `Cannot send datagram to ${formatAddress(peer)}`,
        peer,
        "EIO",
      ),
    );
  }
}

function ownAddress(socket: CustomSocket): PeerAddress {
  if (typeof socket.getsockname === "function") {
    try {
      const address: unknown = socket.getsockname();
      if (isAddress(address)) {
        return { hostname: normalizeHostname(address[0]), port: address[1] };
      }
    } catch {
      // Not known: fall through to the wildcard.
    }
  }
  return { hostname: "0.0.0.0", port: 0 };
}

/**
 * Adapts a microCoAPy-style custom socket as a {@linkcode Transport}; the
 * same as `new CustomSocketTransport(socket, options)`.
 *
 * @param socket The custom socket.
 * @param options Polling and addressing options.
 * @returns The transport.
 * @throws {TypeError} When `socket` lacks a method or an option has the
 * wrong type.
 * @throws {RangeError} When a numeric option is out of range.
 * @throws {TransportError} When `setblocking(false)` throws.
 *
 * @example Usage
 * ```ts
 * import { FakeClock, socketAdapter } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const calls: boolean[] = [];
 * await using transport = socketAdapter({
 *   sendto: (bytes) => bytes.length,
 *   recvfrom: () => null,
 *   setblocking: (flag) => void calls.push(flag),
 *   getsockname: () => ["10.0.0.5", 5683],
 * }, { clock: new FakeClock() });
 * assertEquals(calls, [false]);
 * assertEquals(transport.localAddress, { hostname: "10.0.0.5", port: 5683 });
 * ```
 */
export function socketAdapter(
  socket: CustomSocket,
  options: CustomSocketTransportOptions = {},
): CustomSocketTransport {
  return new CustomSocketTransport(socket, options);
}
