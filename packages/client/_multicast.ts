// Copyright 2026 the microcoap authors. MIT license.
// Group requests (RFC 7252 §8) as an async iterable of responses.
import { CoapCode, CoapOptionNumber, parseUri } from "@microcoap/codec";
import type { CoapMessage } from "@microcoap/codec";
import type { CoapEndpoint, RequestInit } from "@microcoap/endpoint";
import { bindUdp, isMulticastAddress } from "@microcoap/transport";
import type { PeerAddress, UdpTransport } from "@microcoap/transport";
import { checkTimeout } from "./_abort.ts";
import { completeBlock2, continuationTemplate } from "./_blockwise.ts";
import { buildRequest, checkDestinationPort } from "./_request.ts";
import { type Lookup, resolveHost } from "./_resolve.ts";
import type {
  CoapClientMulticastOptions,
  CoapMulticastOptions,
} from "./multicast.ts";
import { CoapResponse } from "./response.ts";

const DEFAULT_BUFFER_SIZE = 256;

/** What a multicast request needs from its client. */
export interface MulticastHost {
  readonly lookup: Lookup;
  /** The endpoint multicast requests go out of. */
  endpoint(family: 4 | 6): Promise<CoapEndpoint>;
  /** The endpoint for unicast follow-ups (further Block2 blocks). */
  unicast(family: 4 | 6): Promise<CoapEndpoint>;
  readonly maxBodySize: number;
}

/**
 * Sends one NON request to a group and yields each server's response as it
 * comes (with the rest of a block-wise body fetched from that server by
 * unicast), until the timeout; abort rejects the iteration with the reason.
 */
export async function* multicastResponses(
  host: MulticastHost,
  url: string | URL,
  options: CoapMulticastOptions,
): AsyncGenerator<CoapResponse, void, undefined> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      "Cannot send multicast request: options must be an object",
    );
  }
  const timeout = checkTimeout(options.timeout, "timeout");
  const bufferSize = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
  if (!Number.isInteger(bufferSize) || bufferSize < 1) {
    throw new RangeError(
      `Cannot send multicast request: bufferSize is ${bufferSize}, expected a positive integer`,
    );
  }
  const unsupported = ["confirmable", "etag", "observe", "blockSize"] as const;
  for (const name of unsupported) {
    if ((options as Record<string, unknown>)[name] !== undefined) {
      throw new TypeError(
        `Cannot send multicast request: ${name} is not allowed (a multicast request is NON, in one datagram, without ETag)`,
      );
    }
  }
  const uri = parseUri(url);
  checkDestinationPort(uri.port, "send multicast request");
  const signal = options.signal;
  signal?.throwIfAborted();
  const resolved = await resolveHost(uri.hostname, host.lookup);
  if (!isMulticastAddress(resolved.address)) {
    throw new TypeError(
      `Cannot send multicast request: ${resolved.address} is not a multicast address; use request()`,
    );
  }
  const init = buildRequest(
    uri.options,
    { ...options, method: options.method ?? "GET" },
    undefined,
  );
  if (
    init.code === CoapCode.GET &&
    init.options?.some((option) => option.number === CoapOptionNumber.ETAG)
  ) {
    throw new TypeError(
      "Cannot send multicast request: a GET to a group must not carry an ETag (RFC 7252 §8.2.1)",
    );
  }
  const endpoint = await host.endpoint(resolved.family);
  const group: PeerAddress = { hostname: resolved.address, port: uri.port };
  const queue: [CoapMessage, PeerAddress][] = [];
  let wake: (() => void) | undefined;
  let outcome: { error?: unknown } | undefined;
  const life = new AbortController();
  const onAbort = () => life.abort(signal!.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  endpoint.multicast(group, init, {
    signal: life.signal,
    ...(timeout === undefined ? {} : { timeout }),
    onResponse: (message, peer) => {
      // Bounded: a reader that is away drops what comes after.
      if (queue.length >= bufferSize) return;
      queue.push([message, peer]);
      wake?.();
    },
  }).then(
    () => outcome = {},
    (error) => outcome = { error },
  ).finally(() => wake?.());
  try {
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) {
        const response = await complete(host, init, next[0], next[1], signal);
        if (response !== undefined) yield response;
        continue;
      }
      if (outcome !== undefined) {
        if ("error" in outcome) throw outcome.error;
        return;
      }
      await new Promise<void>((resolve) => wake = resolve);
      wake = undefined;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    life.abort(new DOMException("Multicast request ended", "AbortError"));
  }
}

/**
 * The response with its whole body: further Block2 blocks come from the
 * server that answered, by unicast (RFC 7959 §2.8). A transfer that fails
 * leaves that response out.
 */
async function complete(
  host: MulticastHost,
  init: RequestInit,
  message: CoapMessage,
  peer: PeerAddress,
  signal: AbortSignal | undefined,
): Promise<CoapResponse | undefined> {
  const more = message.options.some((option) =>
    option.number === CoapOptionNumber.BLOCK2
  );
  if (!more) return new CoapResponse(message, { peer });
  try {
    const unicast = await host.unicast(peer.hostname.includes(":") ? 6 : 4);
    const whole = await completeBlock2(
      message,
      continuationTemplate(init, false),
      (request) =>
        unicast.request(
          peer,
          request,
          signal === undefined ? {} : { signal },
        ),
      { maxBodySize: host.maxBodySize },
    );
    return new CoapResponse(whole.message, { peer, payload: whole.payload });
  } catch (error) {
    if (signal?.aborted) throw error;
    return undefined;
  }
}

/** Binds the socket multicast requests of one family go out of. */
export function bindMulticastSender(
  family: 4 | 6,
  settings: CoapClientMulticastOptions,
  maxDatagramSize: number | undefined,
): Promise<UdpTransport> {
  const { interface: iface, hops, loopback } = settings;
  return bindUdp({
    hostname: family === 4 ? "0.0.0.0" : "::",
    family: family === 4 ? "IPv4" : "IPv6",
    ...(family === 6 ? { ipv6Only: true } : {}),
    ...(maxDatagramSize === undefined ? {} : { maxDatagramSize }),
    multicast: {
      groups: [],
      ...(iface === undefined ? {} : { interface: iface }),
      ...(hops === undefined ? {} : { hops }),
      ...(loopback === undefined ? {} : { loopback }),
    },
  });
}
