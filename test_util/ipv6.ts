// Copyright 2026 the microcoap authors. MIT license.
// Whether this machine has an IPv6 loopback (containers and CI runners
// without IPv6 have none): tests over ::1 are ignored without it.
// Only imported by *_test.ts files.
import { createSocket } from "node:dgram";

/** Whether a UDP socket can bind ::1 and send a datagram to itself there. */
export const hasIpv6Loopback: boolean = await new Promise<boolean>(
  (resolve) => {
    const socket = createSocket({ type: "udp6", ipv6Only: true });
    const done = (result: boolean) => {
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // Never bound.
      }
      resolve(result);
    };
    const timer = setTimeout(() => done(false), 2_000);
    socket.once("error", () => done(false));
    socket.once("message", () => done(true));
    socket.bind(0, "::1", () => {
      socket.send(new Uint8Array([0]), socket.address().port, "::1");
    });
  },
);

if (!hasIpv6Loopback) {
  console.warn("No IPv6 loopback (::1): IPv6 tests are ignored");
}
