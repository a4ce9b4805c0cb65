// Copyright 2026 the microcoap authors. MIT license.
// The checks that start every socket transport's send().
import { checkDestination } from "./_address.ts";
import type { ReceiverSlot } from "./_receiver_slot.ts";
import { badDestination } from "./_to_transport_error.ts";
import type { PeerAddress } from "./types.ts";

/**
 * Whether a send may go ahead. Data that is not a Uint8Array is a caller's
 * bug and throws; after close it is `false`; an unusable destination is
 * reported to the receiver like any other send failure, and is `false` too.
 */
export function checkSend(
  slot: ReceiverSlot,
  data: Uint8Array,
  to: PeerAddress,
): boolean {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError("Cannot send datagram: data must be a Uint8Array");
  }
  if (slot.closed) return false;
  const problem = checkDestination(to);
  if (problem !== undefined) {
    slot.error(badDestination(to, problem));
    return false;
  }
  return true;
}
