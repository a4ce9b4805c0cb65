// Copyright 2026 the microcoap authors. MIT license.
// Test helpers: a client and a tiny endpoint-based server on a MemoryNetwork
// driven by a FakeClock.
import {
  CoapCode,
  CoapOptionNumber,
  decodeBlock,
  encodeBlock,
  encodeUint,
  getOption,
} from "@microcoap/codec";
import type { CoapMessage, CoapOption } from "@microcoap/codec";
import { CoapEndpoint } from "@microcoap/endpoint";
import type {
  CoapEndpointOptions,
  IncomingRequest,
  RequestHandler,
  ResponseInit,
} from "@microcoap/endpoint";
import { FakeClock, MemoryNetwork } from "@microcoap/transport";
import type { LinkConditions, PeerAddress } from "@microcoap/transport";
import { CoapClient } from "./client.ts";
import type { CoapClientOptions } from "./client.ts";
import { tap } from "../../test_util/tap.ts";
import type { Sent as Wire } from "../../test_util/tap.ts";

export { tap };
export type { Wire };

export const SERVER: PeerAddress = { hostname: "10.0.0.1", port: 5683 };
export const SERVER_URL = "coap://10.0.0.1";

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => new TextDecoder().decode(b);

export interface Setup {
  clock: FakeClock;
  network: MemoryNetwork;
  server: CoapEndpoint;
  client: CoapClient;
  /** Requests the server's handler saw (duplicates filtered by the endpoint). */
  requests: IncomingRequest[];
  /** What the client sent. */
  clientWire: Wire[];
  /** What the server sent. */
  serverWire: Wire[];
  close(): Promise<void>;
}

export interface SetupOptions {
  seed?: number;
  conditions?: LinkConditions;
  client?: Omit<CoapClientOptions, "transport" | "clock">;
  server?: Omit<CoapEndpointOptions, "clock" | "handler">;
}

export function setup(
  handler: RequestHandler | undefined,
  options: SetupOptions = {},
): Setup {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock, seed: options.seed ?? 1 });
  if (options.conditions) network.setDefault(options.conditions);
  const requests: IncomingRequest[] = [];
  const clientWire: Wire[] = [];
  const serverWire: Wire[] = [];
  const server = new CoapEndpoint(
    tap(network.bind(SERVER), clock, serverWire),
    {
      clock,
      random: () => 0.5,
      ...options.server,
      handler: handler
        ? (request) => {
          requests.push(request);
          return handler(request);
        }
        : undefined,
    },
  );
  const client = new CoapClient({
    transport: tap(network.bind({ hostname: "10.0.0.2" }), clock, clientWire),
    clock,
    random: () => 0,
    ...options.client,
  });
  return {
    clock,
    network,
    server,
    client,
    requests,
    clientWire,
    serverWire,
    async close() {
      await client.close();
      await server.close();
      network.close();
    },
  };
}

export type Outcome<T> = { value: T; error?: undefined } | {
  value?: undefined;
  error: unknown;
};

/** Moves the fake clock in steps until the promise settles (or `limit` ms passed). */
export async function settle<T>(
  clock: FakeClock,
  promise: Promise<T>,
  limit = 600_000,
  step = 100,
): Promise<Outcome<T>> {
  let outcome: Outcome<T> | undefined;
  promise.then((value) => outcome = { value }, (error) => outcome = { error });
  await clock.tick(0);
  for (let t = 0; t < limit && !outcome; t += step) await clock.tick(step);
  if (!outcome) {
    throw new Error(`settle(): the promise did not settle within ${limit} ms`);
  }
  return outcome;
}

/** Settles and returns the value, or throws the error. */
export async function run<T>(
  clock: FakeClock,
  promise: Promise<T>,
  limit?: number,
): Promise<T> {
  const outcome = await settle(clock, promise, limit);
  if (outcome.error !== undefined || !("value" in outcome)) throw outcome.error;
  return outcome.value as T;
}

/** The body of a test resource: `length` bytes of a repeating pattern. */
export function body(length: number, salt = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + salt + (i >> 8)) & 0xff;
  return out;
}

export function option(
  message: CoapMessage,
  number: number,
): Uint8Array | undefined {
  return getOption(message, number);
}

export function block2Of(message: CoapMessage) {
  const value = getOption(message, CoapOptionNumber.BLOCK2);
  return value === undefined ? undefined : decodeBlock(value);
}

export function block1Of(message: CoapMessage) {
  const value = getOption(message, CoapOptionNumber.BLOCK1);
  return value === undefined ? undefined : decodeBlock(value);
}

/** Options of a response, in number order. */
export function sorted(options: CoapOption[]): CoapOption[] {
  return options.sort((a, b) => a.number - b.number);
}

export interface BlockServing {
  /** The representation to serve (read per request, so a test can change it). */
  body(): Uint8Array;
  /** Its ETag, if any. */
  etag?(): Uint8Array | undefined;
  /** The largest block size the server uses. @default 1024 */
  maxSize?: number;
  /** Extra options for every response. */
  options?: CoapOption[];
  /** The response code. @default 2.05 */
  code?: number;
}

/**
 * Answers a GET with block `num` of `body()`: the block size asked for (or
 * `maxSize` when smaller / none was asked), Block2 only when the body does not
 * fit in one block, and Size2 with block 0.
 */
export function serveBlock(
  request: CoapMessage,
  serving: BlockServing,
): ResponseInit {
  const maxSize = serving.maxSize ?? 1024;
  const whole = serving.body();
  const asked = block2Of(request);
  let size = maxSize;
  let num = 0;
  if (asked) {
    const askedSize = 16 << asked.szx;
    if (askedSize <= maxSize) {
      size = askedSize;
      num = asked.num;
    } else num = (asked.num * askedSize) / size;
  }
  const options: CoapOption[] = [...(serving.options ?? [])];
  const etag = serving.etag?.();
  if (etag) options.push({ number: CoapOptionNumber.ETAG, value: etag });
  if (whole.length <= size && num === 0 && !asked) {
    return {
      code: serving.code ?? CoapCode.CONTENT,
      options: sorted(options),
      payload: whole,
    };
  }
  const start = num * size;
  const chunk = whole.subarray(start, start + size);
  const more = start + size < whole.length;
  options.push({
    number: CoapOptionNumber.BLOCK2,
    value: encodeBlock({ num, more, szx: Math.log2(size) - 4 }),
  });
  if (num === 0) {
    options.push({
      number: CoapOptionNumber.SIZE2,
      value: encodeUint(whole.length),
    });
  }
  return {
    code: serving.code ?? CoapCode.CONTENT,
    options: sorted(options),
    payload: chunk,
  };
}
