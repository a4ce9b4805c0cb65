// Copyright 2026 the microcoap authors. MIT license.
/**
 * The server of `microcoap serve`: a few resources to try CoAP with
 * (`/hello`, `/echo`, an observable `/time`, a block-wise `/large`,
 * `/.well-known/core`) and, optionally, the files of a directory under
 * `/files/...`. Tests and demos build it with {@linkcode createServeServer}.
 *
 * @module
 */
import { CoapCode } from "@microcoap/codec";
import { CoapServer } from "@microcoap/server";
import type {
  CoapServerMulticastOptions,
  CoapServerOptions,
  ServerLogger,
} from "@microcoap/server";
import { systemClock } from "@microcoap/transport";
import type {
  Clock,
  PeerAddress,
  TimerHandle,
  Transport,
} from "@microcoap/transport";
import { addFileRoutes } from "./_files.ts";

/**
 * Options for {@linkcode createServeServer}.
 *
 * @example Usage
 * ```ts
 * import { createServeServer } from "@microcoap/cli/serve";
 * import type { ServeOptions } from "@microcoap/cli/serve";
 * import { MemoryNetwork } from "@microcoap/transport";
 * import { assertEquals } from "@std/assert";
 *
 * const options: ServeOptions = { transport: new MemoryNetwork().bind(), timeInterval: 500 };
 * await using serve = createServeServer(options);
 * assertEquals((await serve.listen()).port > 0, true);
 * ```
 */
export interface ServeOptions {
  /**
   * The address to bind: `"127.0.0.1"`, `"::1"`, or `"0.0.0.0"` / `"::"`
   * for every address.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The UDP port (0 picks a free one).
   *
   * @default {5683}
   */
  port?: number;
  /**
   * Serve the files under this directory at `/files/...`: GET (a file, or a
   * directory as a link-format list), PUT (block-wise uploads welcome) and
   * DELETE. Paths never leave the directory: `..` and empty segments are
   * refused, and symbolic links are followed only when they stay inside.
   *
   * @default {undefined} no `/files`
   */
  dir?: string;
  /**
   * Amplification mitigation: the server's `verifyPeers` (`microcoap serve
   * --verify-peers` sets `"echo"`).
   *
   * @default {false}
   */
  verifyPeers?: "echo" | false;
  /**
   * Multicast groups to answer too (`microcoap serve --group 224.0.1.187
   * --interface 127.0.0.1`): the server's `multicast` option.
   *
   * @default {undefined} none
   */
  multicast?: CoapServerMulticastOptions;
  /**
   * Serve on this transport instead of binding UDP (for tests with a
   * `MemoryNetwork`); `hostname` and `port` are then ignored.
   *
   * @default {undefined}
   */
  transport?: Transport;
  /**
   * The clock for the server's timers and the `/time` notifications.
   *
   * @default {systemClock}
   */
  clock?: Clock;
  /**
   * The time `/time` reports.
   *
   * @default {() => new Date()}
   */
  now?: () => Date;
  /**
   * The time between `/time` notifications, in ms.
   *
   * @default {1000}
   */
  timeInterval?: number;
  /**
   * Sees the server's messages and events (`microcoap serve -v` prints them).
   *
   * @default {undefined}
   */
  logger?: ServerLogger;
}

/**
 * A built serve server: the `CoapServer` plus the `/time` ticker.
 *
 * @example Usage
 * ```ts
 * import { createServeServer } from "@microcoap/cli/serve";
 * import type { ServeServer } from "@microcoap/cli/serve";
 * import { assertEquals } from "@std/assert";
 *
 * const serve: ServeServer = createServeServer({ port: 0 });
 * serve.server.get("/extra", () => ({ payload: "more" }));
 * const address = await serve.listen();
 * assertEquals(serve.address, address);
 * await serve.close();
 * ```
 */
export interface ServeServer extends AsyncDisposable {
  /** The underlying server (add routes before `listen`). */
  readonly server: CoapServer;
  /** The bound address once listening. */
  readonly address: PeerAddress | undefined;
  /**
   * Binds and starts serving, and starts the `/time` notifications.
   *
   * @returns The bound address.
   */
  listen(): Promise<PeerAddress>;
  /**
   * Stops the notifications and closes the server.
   *
   * @returns A promise that resolves once the socket is closed.
   */
  close(): Promise<void>;
}

/**
 * The body of `/large`: 1,000 lines `line 0000\n` … `line 0999\n`, 10,000
 * bytes, more than one block, so it is served block-wise.
 *
 * @returns The text.
 *
 * @example Usage
 * ```ts
 * import { largeText } from "@microcoap/cli/serve";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const text = largeText();
 * assertEquals(text.length, 10_000);
 * assertEquals(text.slice(0, 20), "line 0000\nline 0001\n");
 * assert(text.endsWith("line 0999\n"));
 * ```
 */
export function largeText(): string {
  let text = "";
  for (let i = 0; i < 1000; i++) text += `line ${String(i).padStart(4, "0")}\n`;
  return text;
}

/**
 * Builds the server of `microcoap serve`:
 *
 * - `/hello`: GET → 2.05 text/plain `hello world`
 * - `/echo`: POST and PUT → 2.04 with the request's payload and
 *   Content-Format (and the same for PATCH and iPATCH, and FETCH → 2.05)
 * - `/time`: GET → the ISO time as text/plain; observable, with a
 *   notification every second
 * - `/large`: GET → 2.05 text/plain, 10,000 bytes, served block-wise
 * - `/files/...` with `dir`: GET, PUT and DELETE of the directory's files
 * - `/.well-known/core`: the list of resources
 *
 * @param options Address, directory, and for tests a transport and clock.
 * @returns The server, not yet listening.
 * @throws {RangeError} When `timeInterval` is not a positive number.
 *
 * @example Usage
 * ```ts
 * import { createServeServer } from "@microcoap/cli/serve";
 * import { CoapClient } from "@microcoap/client";
 * import { assertEquals } from "@std/assert";
 *
 * await using serve = createServeServer({ port: 0 });
 * const { port } = await serve.listen();
 * await using client = new CoapClient();
 * const response = await client.get(`coap://127.0.0.1:${port}/hello`);
 * assertEquals(response.text(), "hello world");
 * ```
 */
export function createServeServer(options: ServeOptions = {}): ServeServer {
  const clock = options.clock ?? systemClock;
  const now = options.now ?? (() => new Date());
  const interval = options.timeInterval ?? 1000;
  if (!(typeof interval === "number" && interval > 0)) {
    throw new RangeError(
      `Cannot create serve server: timeInterval is ${interval}, expected a positive number of ms`,
    );
  }
  const serverOptions: CoapServerOptions = { clock };
  if (options.transport !== undefined) {
    serverOptions.transport = options.transport;
  } else {
    serverOptions.hostname = options.hostname ?? "127.0.0.1";
    serverOptions.port = options.port ?? 5683;
  }
  if (options.logger !== undefined) serverOptions.logger = options.logger;
  if (options.verifyPeers !== undefined) {
    serverOptions.verifyPeers = options.verifyPeers;
  }
  if (options.multicast !== undefined) {
    serverOptions.multicast = options.multicast;
  }
  const server = new CoapServer(serverOptions);

  server.get("/hello", () => ({ payload: "hello world", contentFormat: 0 }), {
    ct: 0,
    title: "Hello",
  });
  server.route(
    ["POST", "PUT", "FETCH", "PATCH", "IPATCH"],
    "/echo",
    (request) => ({
      code: request.method === "FETCH" ? CoapCode.CONTENT : CoapCode.CHANGED,
      payload: request.payload,
      ...(request.contentFormat === undefined
        ? {}
        : { contentFormat: request.contentFormat }),
    }),
    { title: "Echo" },
  );
  const time = server.get(
    "/time",
    () => ({ payload: now().toISOString(), contentFormat: 0 }),
    { observable: true, ct: 0, rt: "time", title: "Current time" },
  );
  const large = largeText();
  server.get("/large", () => ({ payload: large, contentFormat: 0 }), {
    ct: 0,
    sz: large.length,
    title: "Large text",
  });
  if (options.dir !== undefined) addFileRoutes(server, options.dir);

  let timer: TimerHandle | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    if (time.observers > 0) time.notify();
    timer = clock.setTimeout(tick, interval);
  };

  const serve: ServeServer = {
    server,
    get address(): PeerAddress | undefined {
      return server.address;
    },
    async listen(): Promise<PeerAddress> {
      const address = await server.listen();
      if (timer === undefined && !stopped) {
        timer = clock.setTimeout(tick, interval);
      }
      return address;
    },
    async close(): Promise<void> {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      await server.close();
    },
    [Symbol.asyncDispose](): Promise<void> {
      return serve.close();
    },
  };
  return serve;
}
