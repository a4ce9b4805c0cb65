// Copyright 2026 the microcoap authors. MIT license.
// Group communication rules (RFC 7252 §8) the endpoint applies.
import type { CoapMessage } from "@microcoap/codec";
import type { Clock, PeerAddress } from "@microcoap/transport";
import type { MulticastResponsePolicy } from "./multicast.ts";

const NO_RESPONSE = 258;

/**
 * Whether a response to a request that came by multicast goes out (before
 * the No-Response check every response gets). A request with a valid
 * No-Response option has said which classes it wants, errors included.
 */
export function multicastAnswer(
  request: CoapMessage,
  code: number,
  payloadLength: number,
  policy: MulticastResponsePolicy,
): boolean {
  for (const option of request.options) {
    if (option.number === NO_RESPONSE && option.value.length <= 1) return true;
    if (option.number > NO_RESPONSE) break;
  }
  const codeClass = code >>> 5;
  if (policy === "all") return codeClass === 2 || codeClass >= 4;
  if (codeClass !== 2) return false;
  return policy === "success" || payloadLength > 0;
}

/**
 * A message ID from `start` on that no message still in flight uses, with
 * any peer (§8.1: a Reset to the multicast request must not be taken for one
 * to a unicast message). `inFlight` keys end in `#<message ID>`.
 */
export function freeMessageId(
  start: number,
  inFlight: Iterable<string>,
): number {
  const used = new Set<number>();
  for (const key of inFlight) {
    used.add(Number(key.slice(key.lastIndexOf("#") + 1)));
  }
  let id = start;
  for (let i = 0; i < 0x10000 && used.has(id); i++) id = (id + 1) & 0xffff;
  return id;
}

/** Checks a multicast option value. */
export function checkLeisure(value: unknown): number {
  if (typeof value !== "number" || !(value >= 0 && value < Infinity)) {
    throw new RangeError(
      `Cannot create endpoint: multicastLeisure is ${value}, expected a finite number of at least 0`,
    );
  }
  return value;
}

/** Checks the response policy. */
export function checkPolicy(value: unknown): MulticastResponsePolicy {
  if (value !== "useful" && value !== "success" && value !== "all") {
    throw new TypeError(
      `Cannot create endpoint: multicastResponses is ${
        JSON.stringify(value)
      }, expected "useful", "success" or "all"`,
    );
  }
  return value;
}

/** One open multicast request: who gets its responses, and how it ends. */
export interface GroupExchange {
  readonly onResponse: (response: CoapMessage, peer: PeerAddress) => void;
  readonly finish: (error?: unknown) => void;
}

/** How {@linkcode GroupExchanges.open} collects. */
export interface OpenOptions {
  readonly clock: Clock;
  readonly timeout: number;
  readonly signal: AbortSignal | undefined;
  readonly onResponse: (response: CoapMessage, peer: PeerAddress) => void;
}

/** The open multicast requests of an endpoint, by token. */
export class GroupExchanges {
  #open = new Map<string, GroupExchange>();

  get size(): number {
    return this.#open.size;
  }

  has(tokenId: string): boolean {
    return this.#open.has(tokenId);
  }

  get(tokenId: string): GroupExchange | undefined {
    return this.#open.get(tokenId);
  }

  /**
   * Takes responses for a token until the timeout (the promise resolves),
   * the signal aborts (it rejects with the reason) or `finishAll`.
   */
  open(tokenId: string, options: OpenOptions): Promise<void> {
    const { clock, timeout, signal, onResponse } = options;
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const onAbort = () => finish(signal!.reason);
      const finish = (error?: unknown) => {
        if (done) return;
        done = true;
        this.#open.delete(tokenId);
        clock.clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (error === undefined) resolve();
        else reject(error);
      };
      const timer = clock.setTimeout(() => finish(), timeout);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#open.set(tokenId, { onResponse, finish });
    });
  }

  /** Ends every open request with `error`. */
  finishAll(error: unknown): void {
    for (const exchange of [...this.#open.values()]) exchange.finish(error);
  }
}
