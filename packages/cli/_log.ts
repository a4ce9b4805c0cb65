// Copyright 2026 the microcoap authors. MIT license.
// The lines `--verbose` prints for every message sent and received.
import { codeName, formatCode, isRequestCode } from "@microcoap/codec";
import type { CoapMessage } from "@microcoap/codec";
import { formatPeerAddress } from "@microcoap/transport";
import type { PeerAddress } from "@microcoap/transport";
import { describeCode, describeOption } from "./format.ts";
import { toHex } from "./_hex.ts";

function codeOf(message: CoapMessage): string {
  if (message.code === 0) return "Empty";
  if (isRequestCode(message.code)) {
    // The method's name (CoapCode keys them as GET ... IPATCH).
    return codeName(message.code) ?? formatCode(message.code);
  }
  return describeCode(message.code);
}

/**
 * One message, over several lines: direction, type, code, message ID, token
 * and peer, then one line per option and the payload size.
 */
export function describeMessage(
  direction: "sent" | "received",
  message: CoapMessage,
  peer: PeerAddress | undefined,
): string {
  const arrow = direction === "sent" ? ">" : "<";
  const where = peer === undefined
    ? ""
    : `${direction === "sent" ? " to " : " from "}${formatPeerAddress(peer)}`;
  const token = message.token.length > 0
    ? ` token=${toHex(message.token)}`
    : "";
  let text = `${arrow} ${message.type} ${
    codeOf(message)
  } mid=${message.messageId}${token}${where}\n`;
  for (const option of message.options) {
    text += `    ${describeOption(option)}\n`;
  }
  if (message.payload.length > 0) {
    text += `    Payload: ${message.payload.length} bytes\n`;
  }
  return text;
}
