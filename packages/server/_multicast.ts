// Copyright 2026 the microcoap authors. MIT license.
// Turning the server's multicast option into transport and endpoint settings.
import type { CoapEndpointOptions } from "@microcoap/endpoint";
import type { UdpMulticastOptions } from "@microcoap/transport";
import type { CoapServerMulticastOptions } from "./multicast.ts";

export { bindMulticastUdp } from "@microcoap/transport";

/** Validates the option; `undefined` when no groups are to be joined. */
export function checkMulticast(
  multicast: CoapServerMulticastOptions | undefined,
): CoapServerMulticastOptions | undefined {
  if (multicast === undefined) return undefined;
  if (
    multicast === null || typeof multicast !== "object" ||
    !Array.isArray(multicast.groups)
  ) {
    throw new TypeError(
      "Cannot listen: multicast.groups must be an array of group addresses",
    );
  }
  return multicast;
}

/** The socket settings: join on the interface, send from it with hop limit 1. */
export function udpMulticast(
  multicast: CoapServerMulticastOptions,
): UdpMulticastOptions {
  return multicast.interface === undefined
    ? { groups: multicast.groups }
    : { groups: multicast.groups, interface: multicast.interface };
}

/** The endpoint settings for answering requests that came by multicast. */
export function endpointMulticast(
  multicast: CoapServerMulticastOptions | undefined,
): Pick<CoapEndpointOptions, "multicastLeisure" | "multicastResponses"> {
  const out: Pick<
    CoapEndpointOptions,
    "multicastLeisure" | "multicastResponses"
  > = {};
  if (multicast?.leisure !== undefined) {
    out.multicastLeisure = multicast.leisure;
  }
  if (multicast?.responses !== undefined) {
    out.multicastResponses = multicast.responses;
  }
  return out;
}
