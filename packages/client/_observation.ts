// Copyright 2026 the microcoap authors. MIT license.
// The observe (RFC 7641) client behind CoapClient.observe().
import {
  CoapOptionNumber,
  decodeObserve,
  encodeObserve,
  getOption,
  isObserveNewer,
} from "@microcoap/codec";
import type { CoapMessage } from "@microcoap/codec";
import type { CoapEndpoint, RequestInit } from "@microcoap/endpoint";
import type { Clock, PeerAddress, TimerHandle } from "@microcoap/transport";
import { CoapTimeoutError } from "@microcoap/endpoint";
import {
  completeBlock2,
  continuationTemplate,
  withOption,
  withoutOptions,
} from "./_blockwise.ts";
import type { CoapProgress } from "./progress.ts";
import type { CoapObservation } from "./observe.ts";
import { echoChallenge, echoing, withEcho } from "./_echo.ts";
import { CoapResponse } from "./response.ts";

/** Where and what to observe, once the URL is resolved. */
export interface ObservationTarget {
  readonly endpoint: CoapEndpoint;
  readonly peer: PeerAddress;
  /** The registration request, with Observe 0. */
  readonly init: RequestInit;
}

/** What an observation needs from its client. */
export interface ObservationHost {
  readonly clock: Clock;
  /** Resolves the URL and builds the request; rejects on bad input or when aborted. */
  target(signal: AbortSignal): Promise<ObservationTarget>;
  /** Called once when the observation ends. */
  forget(observation: Observation): void;
}

/** Validated settings of one observation. */
export interface ObservationSettings {
  readonly confirmable: boolean;
  readonly signal: AbortSignal | undefined;
  readonly timeout: number | undefined;
  readonly bufferSize: number;
  readonly reregister: boolean;
  readonly reregisterMargin: number;
  readonly maxBodySize: number;
  readonly onProgress: ((progress: CoapProgress) => void) | undefined;
}

interface Arrival {
  readonly message: CoapMessage;
  readonly at: number;
  readonly first: boolean;
}

type Waiter = {
  resolve(result: IteratorResult<CoapResponse, undefined>): void;
  reject(error: unknown): void;
};

// RFC 7641 §3.4: after this long, a notification counts as newer whatever its number.
const FRESHNESS_WINDOW = 128_000;

// Re-registrations are at least this far apart, so that Max-Age 0 with no
// margin is not a request loop.
const MIN_REREGISTER_DELAY = 1000;

function observeValue(message: CoapMessage): number | undefined {
  const value = getOption(message, CoapOptionNumber.OBSERVE);
  if (value === undefined) return undefined;
  try {
    return decodeObserve(value);
  } catch {
    return undefined;
  }
}

/** One observation; see {@linkcode CoapObservation}. */
export class Observation implements CoapObservation {
  #host: ObservationHost;
  #settings: ObservationSettings;
  #life = new AbortController();
  #target: ObservationTarget | undefined;
  #token: Uint8Array | undefined;
  #registration: AbortController | undefined;
  // Whether this registration was repeated with an Echo value already.
  #echoed = false;
  #nextIsFirst = true;
  // What the server holds: nothing yet, a registration request in flight or accepted, or none any more.
  #server: "none" | "pending" | "observing" | "ended" = "none";
  #queue: Arrival[] = [];
  #draining = false;
  #buffer: CoapResponse[] = [];
  #waiter: Waiter | undefined;
  #ended = false;
  #error: { value: unknown } | undefined;
  #lastSequence: number | undefined;
  #lastAt = 0;
  #firstTimer: TimerHandle | undefined;
  #reregisterTimer: TimerHandle | undefined;
  #deregistration: Promise<void> | undefined;
  #onAbort: (() => void) | undefined;

  constructor(host: ObservationHost, settings: ObservationSettings | Error) {
    this.#host = host;
    if (settings instanceof Error) {
      this.#settings = {
        confirmable: true,
        signal: undefined,
        timeout: undefined,
        bufferSize: 1,
        reregister: false,
        reregisterMargin: 0,
        maxBodySize: 0,
        onProgress: undefined,
      };
      this.#end({ value: settings }, false, false);
      return;
    }
    this.#settings = settings;
    const { signal } = settings;
    if (signal?.aborted) {
      this.#end({ value: signal.reason }, false, true);
      return;
    }
    if (signal) {
      this.#onAbort = () => this.#end({ value: signal.reason }, true, true);
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    if (settings.timeout !== undefined) {
      const timeout = settings.timeout;
      this.#firstTimer = host.clock.setTimeout(() => {
        this.#firstTimer = undefined;
        this.#end(
          {
            value: new CoapTimeoutError(
              `Cannot observe: no first response within ${timeout} ms`,
            ),
          },
          true,
          false,
        );
      }, timeout);
    }
    this.#start().catch((error) => this.#end({ value: error }, true, false));
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Ends the observation because the client closed. */
  shutdown(error: unknown): void {
    this.#end({ value: error }, false, true);
  }

  next(): Promise<IteratorResult<CoapResponse, undefined>> {
    const value = this.#buffer.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.#ended) {
      const error = this.#error;
      if (error) {
        this.#error = undefined;
        return Promise.reject(error.value);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#waiter) {
      return Promise.reject(
        new TypeError("Cannot iterate observation: next() is already waiting"),
      );
    }
    return new Promise((resolve, reject) => this.#waiter = { resolve, reject });
  }

  // Leaving a `for await` loop waits for the deregistration, so that a client
  // closed right after does not cut it off and leave the server observing.
  async return(): Promise<IteratorResult<CoapResponse, undefined>> {
    await this.cancel().catch(() => {});
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  cancel(): Promise<void> {
    this.#end(undefined, true, true);
    return this.#deregistration ?? Promise.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.cancel().catch(() => {});
  }

  async #start(): Promise<void> {
    const target = await this.#host.target(this.#life.signal);
    if (this.#ended) return;
    this.#target = target;
    this.#token = target.endpoint.newToken(target.peer);
    this.#register();
  }

  #register(echo?: Uint8Array): void {
    const { endpoint, peer, init } = this.#target!;
    const registration = new AbortController();
    this.#registration = registration;
    this.#nextIsFirst = true;
    this.#echoed = echo !== undefined;
    this.#server = "pending";
    const request = echo === undefined ? init : withEcho(init, echo);
    endpoint.request(peer, request, {
      token: this.#token!,
      confirmable: this.#settings.confirmable,
      signal: registration.signal,
      onResponse: (message) => this.#arrive(message, registration),
    }).catch((error) => {
      if (registration !== this.#registration || this.#ended) return;
      // Timed out or reset: the server holds no registration to remove.
      this.#server = "ended";
      this.#end({ value: error }, false, false);
    });
  }

  #arrive(message: CoapMessage, registration: AbortController): void {
    if (registration !== this.#registration || this.#ended) return;
    if (this.#nextIsFirst && !this.#echoed) {
      // RFC 9175 §2.3: register again, once, with the Echo value asked for
      // (same token: the server registered nothing).
      const echo = echoChallenge(message);
      if (echo !== undefined) {
        registration.abort();
        this.#register(echo);
        return;
      }
    }
    const first = this.#nextIsFirst;
    this.#nextIsFirst = false;
    if (first && this.#firstTimer !== undefined) {
      this.#host.clock.clearTimeout(this.#firstTimer);
      this.#firstTimer = undefined;
    }
    // While one arrival is completed block-wise, at most bufferSize more
    // wait, the oldest dropped: a flood must not queue without bound, nor
    // cost a block-wise transfer per stale state.
    if (this.#queue.length >= this.#settings.bufferSize) this.#queue.shift();
    this.#queue.push({ message, at: this.#host.clock.now(), first });
    if (!this.#draining) {
      this.#drain().catch((error) => this.#end({ value: error }, true, false));
    }
  }

  // One arrival at a time, in order: block-wise completion of one never lets
  // a later one overtake it.
  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      for (;;) {
        const arrival = this.#queue.shift();
        if (arrival === undefined || this.#ended) break;
        await this.#handle(arrival);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #handle({ message, at, first }: Arrival): Promise<void> {
    const sequence = observeValue(message);
    if (sequence === undefined || message.code >>> 5 !== 2) {
      // No Observe option: not observable, refused, or ended by the server.
      // A non-2.xx response ends it too, with Observe or not (RFC 7641 §3.2;
      // node-coap sends Observe on errors).
      this.#server = "ended";
      this.#registration?.abort();
      const response = await this.#complete(message);
      this.#push(response);
      this.#end(undefined, false, false);
      return;
    }
    if (!first && this.#lastSequence !== undefined) {
      const newer = isObserveNewer(this.#lastSequence, sequence) ||
        at > this.#lastAt + FRESHNESS_WINDOW;
      if (!newer) return; // Reordered: older than the newest state seen.
    }
    this.#lastSequence = sequence;
    this.#lastAt = at;
    this.#server = "observing";
    const response = await this.#complete(message);
    if (this.#ended) return;
    this.#scheduleReregistration(response.maxAge);
    this.#push(response);
  }

  async #complete(message: CoapMessage): Promise<CoapResponse> {
    const { endpoint, peer, init } = this.#target!;
    const { confirmable, maxBodySize, onProgress } = this.#settings;
    const signal = this.#life.signal;
    // The observation holds its own token; the blocks share another one.
    let token: Uint8Array | undefined;
    const whole = await completeBlock2(
      message,
      continuationTemplate(init, false),
      echoing((request) =>
        endpoint.request(peer, request, {
          confirmable,
          signal,
          token: token ??= endpoint.newToken(peer),
        })
      ),
      { maxBodySize, onProgress },
    );
    return new CoapResponse(whole.message, { peer, payload: whole.payload });
  }

  #push(response: CoapResponse): void {
    if (this.#ended) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve({ value: response, done: false });
      return;
    }
    if (this.#buffer.length >= this.#settings.bufferSize) this.#buffer.shift();
    this.#buffer.push(response);
  }

  #scheduleReregistration(maxAge: number): void {
    if (!this.#settings.reregister) return;
    const clock = this.#host.clock;
    if (this.#reregisterTimer !== undefined) {
      clock.clearTimeout(this.#reregisterTimer);
    }
    this.#reregisterTimer = clock.setTimeout(
      () => {
        this.#reregisterTimer = undefined;
        if (this.#ended) return;
        // Same token, Observe 0 (RFC 7641 §3.3.1); the old exchange makes way.
        this.#registration?.abort();
        this.#register();
      },
      Math.max(
        MIN_REREGISTER_DELAY,
        maxAge * 1000 + this.#settings.reregisterMargin,
      ),
    );
  }

  /**
   * Ends the observation once: with an error to report (or none), clearing
   * what is buffered or not, and deregistering when the server may still
   * hold a registration.
   */
  #end(
    error: { value: unknown } | undefined,
    deregister: boolean,
    clear: boolean,
  ): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    if (clear) this.#buffer.length = 0;
    const clock = this.#host.clock;
    if (this.#firstTimer !== undefined) clock.clearTimeout(this.#firstTimer);
    if (this.#reregisterTimer !== undefined) {
      clock.clearTimeout(this.#reregisterTimer);
    }
    this.#firstTimer = this.#reregisterTimer = undefined;
    if (this.#onAbort) {
      this.#settings.signal?.removeEventListener("abort", this.#onAbort);
    }
    this.#queue.length = 0;
    this.#life.abort(
      error?.value ?? new DOMException("Observation ended", "AbortError"),
    );
    this.#registration?.abort();
    this.#host.forget(this);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter) {
      if (error) {
        this.#error = undefined;
        waiter.reject(error.value);
      } else waiter.resolve({ value: undefined, done: true });
    }
    if (
      deregister && (this.#server === "pending" || this.#server === "observing")
    ) {
      this.#deregistration = this.#deregister();
    }
    this.#server = "ended";
  }

  async #deregister(): Promise<void> {
    const { endpoint, peer, init } = this.#target!;
    const options = withOption(
      withoutOptions(init.options ?? [], [
        CoapOptionNumber.OBSERVE,
        CoapOptionNumber.BLOCK2,
      ]),
      { number: CoapOptionNumber.OBSERVE, value: encodeObserve(1) },
    );
    const request: RequestInit = init.payload
      ? { code: init.code, options, payload: init.payload }
      : { code: init.code, options };
    try {
      await endpoint.request(peer, request, {
        token: this.#token!,
        confirmable: this.#settings.confirmable,
      });
    } catch {
      // Best effort: a server that never hears it drops us on its next CON notification (RST).
    }
  }
}
