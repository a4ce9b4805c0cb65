// Copyright 2026 the microcoap authors. MIT license.
// The client side of the Echo option (RFC 9175 §2.3): a 4.01 Unauthorized
// with Echo asks for the request again, carrying that value (a server
// checking freshness, or that the client's address is genuine, RFC 9175 §2.4).
import { CoapCode, CoapOptionNumber, getOption } from "@microcoap/codec";
import type { CoapMessage } from "@microcoap/codec";
import type { RequestInit } from "@microcoap/endpoint";
import { withOption, withoutOptions } from "./_blockwise.ts";
import type { Exchange } from "./_blockwise.ts";

/** The Echo value a 4.01 response asks to repeat the request with, if any. */
export function echoChallenge(message: CoapMessage): Uint8Array | undefined {
  if (message.code !== CoapCode.UNAUTHORIZED) return undefined;
  const value = getOption(message, CoapOptionNumber.ECHO);
  // RFC 9175 §2.2.1: 1 to 40 bytes; anything else is not an Echo option.
  return value !== undefined && value.length >= 1 && value.length <= 40
    ? value
    : undefined;
}

/** The request with this Echo value (replacing one it had). */
export function withEcho(init: RequestInit, echo: Uint8Array): RequestInit {
  const options = withOption(
    withoutOptions(init.options ?? [], [CoapOptionNumber.ECHO]),
    { number: CoapOptionNumber.ECHO, value: echo },
  );
  return init.payload === undefined
    ? { code: init.code, options }
    : { code: init.code, options, payload: init.payload };
}

/**
 * An exchange that repeats its request once with the Echo value when the
 * answer is 4.01 with Echo, and returns the second answer (whatever it is:
 * a server that keeps asking gets no loop).
 */
export function echoing(exchange: Exchange): Exchange {
  return async (init) => {
    const response = await exchange(init);
    const echo = echoChallenge(response);
    return echo === undefined ? response : await exchange(withEcho(init, echo));
  };
}
