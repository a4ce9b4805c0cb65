// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals } from "@std/assert";
import { decode } from "./decode.ts";
import { encode } from "./encode.ts";
import type { CoapMessage, CoapOption } from "./message.ts";
import { maxOptionLength } from "./options.ts";
import {
  EDGE_DELTAS,
  EDGE_LENGTHS,
  randomMessage,
  Xorshift32,
} from "./_testing.ts";

function sorted(message: CoapMessage): CoapMessage {
  // Array.prototype.sort is stable, as encode's ordering must be.
  return {
    ...message,
    options: [...message.options].sort((a, b) => a.number - b.number),
  };
}

function shuffled(
  random: Xorshift32,
  options: readonly CoapOption[],
): CoapOption[] {
  const out = [...options];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

Deno.test("decode(encode(m)) gives m back for generated messages", () => {
  const random = new Xorshift32(0xc0a9);
  let options = 0;
  let long = 0;
  for (let i = 0; i < 2000; i++) {
    const message = randomMessage(random, {
      maxLength: i % 50 === 0 ? 65804 : 300,
    });
    const bytes = encode(message);
    assertEquals(decode(bytes), message, `message ${i}`);
    // Encoding is canonical: the bytes of the decoded message are the same.
    assertEquals(encode(decode(bytes)), bytes);
    options += message.options.length;
    long += message.options.filter((o) => o.value.length > 268).length;
  }
  // The generator really exercises the interesting cases.
  assertEquals(options > 15000, true);
  assertEquals(long > 100, true);
});

Deno.test("encode() of shuffled options equals encode() of sorted options", () => {
  const random = new Xorshift32(7);
  for (let i = 0; i < 500; i++) {
    const message = randomMessage(random, { maxLength: 40 });
    const mixed = { ...message, options: shuffled(random, message.options) };
    // Options with equal numbers compare by their order in `mixed`.
    assertEquals(encode(mixed), encode(sorted(mixed)));
    assertEquals(decode(encode(mixed)), sorted(mixed));
  }
});

Deno.test("encode() and decode() round-trip every delta and length size", () => {
  for (const delta of EDGE_DELTAS) {
    for (const length of EDGE_LENGTHS) {
      // Option 2 is unregistered, so it takes any length.
      const first = 2;
      const second = first + delta;
      if (second > 0xffff || maxOptionLength(second) < length) continue;
      const message: CoapMessage = {
        type: "NON",
        code: 0x02,
        messageId: delta,
        token: new Uint8Array([length & 0xff]),
        options: [
          { number: first, value: new Uint8Array(length).fill(1) },
          { number: second, value: new Uint8Array(length).fill(2) },
        ],
        payload: new Uint8Array([9]),
      };
      assertEquals(decode(encode(message)), message, `${delta}/${length}`);
    }
  }
});

Deno.test("encode() and decode() round-trip more than ten options, numbers up to 65535", () => {
  const options: CoapOption[] = [];
  for (let number = 0; number <= 0xffff; number += 4093) {
    options.push({ number, value: new Uint8Array([number & 0xff]) });
    options.push({ number, value: new Uint8Array(0) });
  }
  options.push({ number: 0xffff, value: new Uint8Array(300) });
  const message: CoapMessage = {
    type: "CON",
    code: 0x03,
    messageId: 65535,
    token: new Uint8Array(8).fill(0xee),
    options,
    payload: new Uint8Array(1000).fill(0x55),
  };
  assertEquals(options.length > 10, true);
  assertEquals(decode(encode(message)), message);
});
