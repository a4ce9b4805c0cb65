// Copyright 2026 the microcoap authors. MIT license.
// Helpers for this package's tests.
import { assertEquals } from "@std/assert";
import type {
  DatagramInfo,
  PeerAddress,
  Transport,
  TransportReceiver,
} from "./types.ts";

/** Records what a transport delivers and lets a test wait for it. */
export class Collector implements TransportReceiver {
  readonly datagrams: {
    data: Uint8Array;
    from: PeerAddress;
    info?: DatagramInfo;
  }[] = [];
  readonly errors: Error[] = [];
  #wake: (() => void)[] = [];

  onDatagram(data: Uint8Array, from: PeerAddress, info?: DatagramInfo): void {
    this.datagrams.push(
      info === undefined ? { data, from } : { data, from, info },
    );
    this.#notify();
  }

  onError(error: Error): void {
    this.errors.push(error);
    this.#notify();
  }

  /** The payloads received so far, decoded as UTF-8. */
  get texts(): string[] {
    return this.datagrams.map(({ data }) => new TextDecoder().decode(data));
  }

  /**
   * Resolves once `done()` holds, checked after every event; rejects after
   * `timeout` real milliseconds (generous: this is not a timing test).
   */
  async until(done: () => boolean, timeout = 5000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `Timed out after ${timeout} ms with ${this.datagrams.length} datagrams and ${this.errors.length} errors`,
            ),
          ),
        timeout,
      );
    });
    try {
      while (!done()) {
        await Promise.race([
          new Promise<void>((resolve) => this.#wake.push(resolve)),
          expired,
        ]);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = [];
    for (const resolve of wake) resolve();
  }
}

/** UTF-8 bytes of `text`. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * Sends `request` from `a` to `b`, and `response` back to the address it came
 * from; asserts each arrives once, from the other's local address, and that
 * neither side saw an error.
 */
export async function assertRoundTrip(
  a: Transport,
  b: Transport,
  [request, response]: [string, string] = ["ping", "pong"],
): Promise<void> {
  const atA = new Collector();
  const atB = new Collector();
  a.listen(atA);
  b.listen(atB);
  a.send(bytes(request), b.localAddress);
  await atB.until(() => atB.datagrams.length === 1);
  assertEquals(atB.texts, [request]);
  assertEquals(atB.datagrams[0]!.from, a.localAddress);
  b.send(bytes(response), atB.datagrams[0]!.from);
  await atA.until(() => atA.datagrams.length === 1);
  assertEquals(atA.texts, [response]);
  assertEquals(atA.datagrams[0]!.from, b.localAddress);
  assertEquals([...atA.errors, ...atB.errors], []);
}
