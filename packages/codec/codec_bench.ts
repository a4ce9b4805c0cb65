// Copyright 2026 the microcoap authors. MIT license.
// `deno bench -A packages/codec`: encode and decode of two typical messages,
// side by side with coap-packet (the baseline, so ratios read as speed-ups).
import { Buffer } from "node:buffer";
import { generate, parse } from "npm:coap-packet@1.1.1";
import type { ParsedPacket } from "npm:coap-packet@1.1.1";
import { decode } from "./decode.ts";
import { encode } from "./encode.ts";
import type { CoapMessage } from "./message.ts";

const text = new TextEncoder();
const token = new Uint8Array([0x1a, 0x2b, 0x3c, 0x4d]);

// CON GET /sensors/temp?unit=C with a 4-byte token.
const get: CoapMessage = {
  type: "CON",
  code: 0x01,
  messageId: 0x7d34,
  token,
  options: [
    { number: 11, value: text.encode("sensors") },
    { number: 11, value: text.encode("temp") },
    { number: 15, value: text.encode("unit=C") },
  ],
  payload: new Uint8Array(0),
};
const getPacket = {
  confirmable: true,
  code: "0.01",
  messageId: 0x7d34,
  token: Buffer.from(token),
  options: [
    { name: "Uri-Path" as const, value: Buffer.from("sensors") },
    { name: "Uri-Path" as const, value: Buffer.from("temp") },
    { name: "Uri-Query" as const, value: Buffer.from("unit=C") },
  ],
};

// ACK 2.05 with Content-Format application/json and an 11-byte payload.
const content: CoapMessage = {
  type: "ACK",
  code: 0x45,
  messageId: 0x7d34,
  token,
  options: [{ number: 12, value: new Uint8Array([50]) }],
  payload: text.encode('{"t":22.35}'),
};
const contentPacket = {
  ack: true,
  code: "2.05",
  messageId: 0x7d34,
  token: Buffer.from(token),
  options: [{ name: "Content-Format" as const, value: Buffer.from([50]) }],
  payload: Buffer.from('{"t":22.35}'),
};

const getBytes = encode(get);
const contentBytes = encode(content);
const getBuffer = Buffer.from(getBytes);
const contentBuffer = Buffer.from(contentBytes);

// Keeps results alive so the work cannot be optimised away.
let sink: Uint8Array | CoapMessage | ParsedPacket | undefined;

Deno.bench({
  name: "coap-packet generate",
  group: "encode GET",
  baseline: true,
  fn: () => {
    sink = generate(getPacket);
  },
});
Deno.bench({
  name: "microcoap encode",
  group: "encode GET",
  fn: () => {
    sink = encode(get);
  },
});
Deno.bench({
  name: "coap-packet generate",
  group: "encode 2.05",
  baseline: true,
  fn: () => {
    sink = generate(contentPacket);
  },
});
Deno.bench({
  name: "microcoap encode",
  group: "encode 2.05",
  fn: () => {
    sink = encode(content);
  },
});
Deno.bench({
  name: "coap-packet parse",
  group: "decode GET",
  baseline: true,
  fn: () => {
    sink = parse(getBuffer);
  },
});
Deno.bench({
  name: "microcoap decode",
  group: "decode GET",
  fn: () => {
    sink = decode(getBytes);
  },
});
Deno.bench({
  name: "coap-packet parse",
  group: "decode 2.05",
  baseline: true,
  fn: () => {
    sink = parse(contentBuffer);
  },
});
Deno.bench({
  name: "microcoap decode",
  group: "decode 2.05",
  fn: () => {
    sink = decode(contentBytes);
  },
});

globalThis.addEventListener("unload", () => {
  if (sink === undefined) console.log("no result");
});
