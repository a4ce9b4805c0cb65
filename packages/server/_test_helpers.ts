// Copyright 2026 the microcoap authors. MIT license.
// Shared test scaffolding: a server and a raw-endpoint client on a
// MemoryNetwork driven by a FakeClock. Only imported by *_test.ts files.
import { decode, encode, parseUri } from "@microcoap/codec";
import type { CoapMessage, CoapOption, CoapType } from "@microcoap/codec";
import { CoapEndpoint } from "@microcoap/endpoint";
import type {
  CoapEndpointOptions,
  EndpointRequestOptions,
} from "@microcoap/endpoint";
import { FakeClock, MemoryNetwork } from "@microcoap/transport";
import type { PeerAddress } from "@microcoap/transport";
import { CoapServer } from "./server.ts";
import type { CoapServerOptions, ServerLogEvent } from "./server.ts";
import { tap } from "../../test_util/tap.ts";
import type { Sent as Sent } from "../../test_util/tap.ts";

export { tap };
export type { Sent };

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Uri-Path and Uri-Query options of a path like "/a/b?x=1". */
export function uri(path: string): CoapOption[] {
  return parseUri("coap://127.0.0.1" + path).options;
}

export interface Harness {
  clock: FakeClock;
  network: MemoryNetwork;
  server: CoapServer;
  client: CoapEndpoint;
  address: PeerAddress;
  serverLog: Sent[];
  clientLog: Sent[];
  events: ServerLogEvent[];
  /** Sends a request and moves the clock until it is answered. */
  request(
    code: number,
    path: string,
    init?:
      & { options?: CoapOption[]; payload?: Uint8Array }
      & EndpointRequestOptions,
  ): Promise<CoapMessage>;
  /** Moves the clock until the promise settles (or `limit` ms pass). */
  settle<T>(promise: Promise<T>, limit?: number): Promise<T>;
  close(): Promise<void>;
}

export async function setup(
  options: CoapServerOptions = {},
  clientOptions: CoapEndpointOptions = {},
  routes: (server: CoapServer) => void = () => {},
): Promise<Harness> {
  const clock = new FakeClock();
  const network = new MemoryNetwork({ clock });
  const serverLog: Sent[] = [];
  const clientLog: Sent[] = [];
  const events: ServerLogEvent[] = [];
  const server = new CoapServer({
    transport: tap(network.bind(), clock, serverLog),
    clock,
    logger: (event) => {
      if (event.kind !== "sent" && event.kind !== "received") {
        events.push(event);
      }
    },
    ...options,
  });
  routes(server);
  const address = await server.listen();
  const client = new CoapEndpoint(tap(network.bind(), clock, clientLog), {
    clock,
    ...clientOptions,
  });
  const settle = async <T>(
    promise: Promise<T>,
    limit = 600_000,
  ): Promise<T> => {
    let done = false;
    promise.then(() => done = true, () => done = true);
    for (let t = 0; t < limit && !done; t += 100) {
      await clock.tick(t === 0 ? 0 : 100);
    }
    return await promise;
  };
  return {
    clock,
    network,
    server,
    client,
    address,
    serverLog,
    clientLog,
    events,
    request(code, path, init = {}) {
      const { options = [], payload, ...rest } = init;
      return settle(
        client.request(address, {
          code,
          options: [...uri(path), ...options],
          ...(payload ? { payload } : {}),
        }, rest),
      );
    },
    settle,
    async close() {
      await client.close();
      await server.close();
      network.close();
    },
  };
}

/** A bare peer on the network: sends hand-made messages, records what arrives. */
export interface RawPeer {
  address: PeerAddress;
  received: CoapMessage[];
  send(
    to: PeerAddress,
    message: Partial<CoapMessage> & {
      type: CoapType;
      code: number;
      messageId: number;
    },
  ): void;
  sendBytes(to: PeerAddress, bytes: Uint8Array): void;
  close(): Promise<void>;
}

export function rawPeer(network: MemoryNetwork): RawPeer {
  const transport = network.bind();
  const received: CoapMessage[] = [];
  transport.listen({ onDatagram: (data) => received.push(decode(data)) });
  return {
    address: transport.localAddress,
    received,
    send(to, message) {
      transport.send(
        encode({
          token: new Uint8Array(0),
          options: [],
          payload: new Uint8Array(0),
          ...message,
        }),
        to,
      );
    },
    sendBytes: (to, bytes) => transport.send(bytes, to),
    close: () => transport.close(),
  };
}
