// Copyright 2026 the microcoap authors. MIT license.
// The messages of RFC 7252 Appendix A (Figures 16 to 23) with their bytes.
import type { CoapMessage, CoapType } from "../message.ts";
import { hex, utf8 } from "../_testing.ts";

/** One example message and its wire form. */
export interface Example {
  readonly name: string;
  readonly message: CoapMessage;
  readonly bytes: Uint8Array;
}

const NONE = new Uint8Array(0);
const TEMPERATURE = "74 65 6d 70 65 72 61 74 75 72 65"; // "temperature"
const C22_3 = "32 32 2e 33 20 43"; // "22.3 C"

function get(
  type: CoapType,
  messageId: number,
  token: string,
): CoapMessage {
  return {
    type,
    code: 0x01,
    messageId,
    token: hex(token),
    options: [{ number: 11, value: utf8("temperature") }],
    payload: NONE,
  };
}

function content(
  type: CoapType,
  messageId: number,
  token: string,
  payload = "22.3 C",
): CoapMessage {
  return {
    type,
    code: 0x45,
    messageId,
    token: hex(token),
    options: [],
    payload: utf8(payload),
  };
}

function empty(type: CoapType, messageId: number): CoapMessage {
  return { type, code: 0, messageId, token: NONE, options: [], payload: NONE };
}

export const EXAMPLES: readonly Example[] = [
  {
    name: "Figure 16 request: CON GET /temperature, empty token",
    message: get("CON", 0x7d34, ""),
    bytes: hex(`40 01 7d 34 bb ${TEMPERATURE}`),
  },
  {
    name: "Figure 16 response: piggybacked ACK 2.05",
    message: content("ACK", 0x7d34, ""),
    bytes: hex(`60 45 7d 34 ff ${C22_3}`),
  },
  {
    name: "Figure 17 request: token 0x20",
    message: get("CON", 0x7d35, "20"),
    bytes: hex(`41 01 7d 35 20 bb ${TEMPERATURE}`),
  },
  {
    name: "Figure 17 response: token 0x20",
    message: content("ACK", 0x7d35, "20"),
    bytes: hex(`61 45 7d 35 20 ff ${C22_3}`),
  },
  {
    name: "Figure 18 request (retransmitted)",
    message: get("CON", 0x7d36, "31"),
    bytes: hex(`41 01 7d 36 31 bb ${TEMPERATURE}`),
  },
  {
    name: "Figure 18 response",
    message: content("ACK", 0x7d36, "31"),
    bytes: hex(`61 45 7d 36 31 ff ${C22_3}`),
  },
  {
    name: "Figure 19 request",
    message: get("CON", 0x7d37, "42"),
    bytes: hex(`41 01 7d 37 42 bb ${TEMPERATURE}`),
  },
  {
    name: "Figure 19 response (retransmitted)",
    message: content("ACK", 0x7d37, "42"),
    bytes: hex(`61 45 7d 37 42 ff ${C22_3}`),
  },
  {
    name: "Figure 20 request",
    message: get("CON", 0x7d38, "53"),
    bytes: hex(`41 01 7d 38 53 bb ${TEMPERATURE}`),
  },
  {
    name: "Figure 20 empty ACK",
    message: empty("ACK", 0x7d38),
    bytes: hex("60 00 7d 38"),
  },
  {
    name: "Figure 20 separate CON response",
    message: content("CON", 0xad7b, "53"),
    bytes: hex(`41 45 ad 7b 53 ff ${C22_3}`),
  },
  {
    name: "Figure 20 empty ACK of the response",
    message: empty("ACK", 0xad7b),
    bytes: hex("60 00 ad 7b"),
  },
  {
    name: "Figure 21 request",
    message: get("CON", 0x7d39, "64"),
    bytes: hex(`41 01 7d 39 64 bb ${TEMPERATURE}`),
  },
  {
    name: "Figure 21 separate CON response",
    message: content("CON", 0xad7c, "64"),
    bytes: hex(`41 45 ad 7c 64 ff ${C22_3}`),
  },
  {
    name: "Figure 21 RST",
    message: empty("RST", 0xad7c),
    bytes: hex("70 00 ad 7c"),
  },
  {
    name: "Figure 22 NON request",
    message: get("NON", 0x7d40, "75"),
    bytes: hex(`51 01 7d 40 75 bb ${TEMPERATURE}`),
  },
  {
    name: "Figure 22 NON response",
    message: content("NON", 0xad7d, "75"),
    bytes: hex(`51 45 ad 7d 75 ff ${C22_3}`),
  },
  {
    name: "Figure 23 multicast NON request",
    message: get("NON", 0x7d41, "86"),
    bytes: hex(`51 01 7d 41 86 bb ${TEMPERATURE}`),
  },
  {
    name: "Figure 23 response from A",
    message: content("NON", 0x60b1, "86"),
    bytes: hex(`51 45 60 b1 86 ff ${C22_3}`),
  },
  {
    name: "Figure 23 response from B",
    message: content("NON", 0x01a0, "86", "20.9 C"),
    bytes: hex("51 45 01 a0 86 ff 32 30 2e 39 20 43"),
  },
  {
    name: "Figure 23 4.04 from C",
    message: {
      type: "NON",
      code: 0x84,
      messageId: 0x952a,
      token: hex("86"),
      options: [],
      payload: NONE,
    },
    bytes: hex("51 84 95 2a 86"),
  },
];
