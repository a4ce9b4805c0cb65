// Copyright 2026 the microcoap authors. MIT license.
/**
 * The CoRE Link Format (RFC 6690), the payload of `/.well-known/core`:
 * `</sensors/temp>;rt="temperature-c";if="sensor";ct=0;obs,</x>`.
 *
 * @module
 */

/**
 * A link attribute value: a string (written quoted), a cardinal number
 * (written bare, such as `ct=0`), `true` for a flag without a value (such as
 * `obs`), or a list (written quoted and space-separated, such as
 * `ct="0 40"`).
 *
 * @example Usage
 * ```ts
 * import { stringifyLinkFormat } from "@microcoap/codec/link-format";
 * import type { LinkAttributeValue } from "@microcoap/codec/link-format";
 * import { assertEquals } from "@std/assert";
 *
 * const ct: LinkAttributeValue = [0, 40];
 * assertEquals(stringifyLinkFormat([{ href: "/a", attributes: { ct } }]), '</a>;ct="0 40"');
 * ```
 */
export type LinkAttributeValue =
  | string
  | number
  | true
  | readonly (string | number)[];

/**
 * One link: its target and attributes.
 *
 * @example Usage
 * ```ts
 * import type { CoreLink } from "@microcoap/codec/link-format";
 * import { assertEquals } from "@std/assert";
 *
 * const link: CoreLink = { href: "/sensors/temp", attributes: { ct: 0, obs: true } };
 * assertEquals(link.attributes.ct, 0);
 * ```
 */
export interface CoreLink {
  /** The link target, a URI reference such as `/sensors/temp`. */
  readonly href: string;
  /** The link parameters by name. */
  readonly attributes: Readonly<Record<string, LinkAttributeValue>>;
}

// Attributes whose quoted values are space-separated lists (RFC 6690
// relation-types, RFC 7252 §7.2.1 ct-value).
const LIST_ATTRIBUTES = new Set(["rt", "if", "rel", "rev", "ct"]);
// Attributes whose values are cardinals.
const NUMBER_ATTRIBUTES = new Set(["ct", "sz"]);
// RFC 5988 parmname: token characters (RFC 2616), plus "*" for title*.
const PARAMETER_NAME = /^[-!#$%&'*+.^_`|~0-9A-Za-z]+$/;
const CARDINAL = /^(?:0|[1-9][0-9]*)$/;

function quote(text: string): string {
  return `"${text.replace(/["\\]/g, "\\$&")}"`;
}

function formatValue(name: string, value: LinkAttributeValue): string {
  if (value === true) return "";
  if (typeof value === "number") {
    if (!(Number.isSafeInteger(value) && value >= 0)) {
      throw new RangeError(
        `Cannot format link attribute "${name}": ${value} is not a non-negative integer`,
      );
    }
    return `=${value}`;
  }
  if (typeof value === "string") return "=" + quote(value);
  if (Array.isArray(value)) {
    const items = value.map((item) => {
      if (typeof item === "number") return formatValue(name, item).slice(1);
      if (typeof item === "string" && item !== "" && !/\s/.test(item)) {
        return item;
      }
      throw new TypeError(
        `Cannot format link attribute "${name}": list items must be numbers or strings without spaces`,
      );
    });
    return "=" + quote(items.join(" "));
  }
  throw new TypeError(
    `Cannot format link attribute "${name}": value is not a string, number, true or list`,
  );
}

/**
 * Writes links in the CoRE Link Format. Strings are quoted, numbers are
 * written bare, `true` gives a flag without a value and lists are quoted and
 * space-separated.
 *
 * @param links The links.
 * @returns The link-format text.
 * @throws {TypeError} When an href contains `>` or a control character, an
 * attribute name is not a token or a value has the wrong type.
 * @throws {RangeError} When a number is not a non-negative integer.
 *
 * @example Usage
 * ```ts
 * import { stringifyLinkFormat } from "@microcoap/codec/link-format";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(
 *   stringifyLinkFormat([
 *     { href: "/sensors/temp", attributes: { rt: "temperature-c", if: "sensor", ct: 0, obs: true } },
 *     { href: "/x", attributes: {} },
 *   ]),
 *   '</sensors/temp>;rt="temperature-c";if="sensor";ct=0;obs,</x>',
 * );
 * ```
 */
export function stringifyLinkFormat(links: readonly CoreLink[]): string {
  return links.map((link) => {
    const href = link.href;
    // deno-lint-ignore no-control-regex
    if (typeof href !== "string" || /[>\x00-\x1f\x7f]/.test(href)) {
      throw new TypeError(
        `Cannot format link: href ${
          JSON.stringify(href)
        } is not a URI reference`,
      );
    }
    let out = `<${href}>`;
    for (const [name, value] of Object.entries(link.attributes ?? {})) {
      if (!PARAMETER_NAME.test(name)) {
        throw new TypeError(
          `Cannot format link attribute: "${name}" is not a valid parameter name`,
        );
      }
      out += `;${name}${formatValue(name, value)}`;
    }
    return out;
  }).join(",");
}

function listItems(value: LinkAttributeValue): readonly (string | number)[] {
  if (value === true) return [];
  return typeof value === "object" ? value : [value];
}

function typed(
  name: string,
  text: string,
  quoted: boolean,
): LinkAttributeValue {
  const numeric = NUMBER_ATTRIBUTES.has(name);
  if (quoted && LIST_ATTRIBUTES.has(name)) {
    const items = text.split(/\s+/).filter((item) => item !== "");
    if (items.length > 1) {
      return items.map((item) =>
        numeric && CARDINAL.test(item) ? Number(item) : item
      );
    }
    if (items.length === 1) text = items[0]!;
  }
  if ((numeric || !quoted) && CARDINAL.test(text) && text.length < 16) {
    return Number(text);
  }
  return text;
}

/**
 * Parses CoRE Link Format text into links. Whitespace between links and
 * parameters is tolerated. Quoted values may contain commas, semicolons and
 * escaped quotes. A parameter without a value is `true`; a cardinal is a
 * number when bare (and, for `ct` and `sz`, also when quoted); a quoted value
 * of `rt`, `if`, `rel`, `rev` or `ct` holding several space-separated items
 * is a list; a parameter given more than once collects its values in a list.
 *
 * @param text The link-format text.
 * @returns The links; empty for empty text.
 * @throws {TypeError} When the text is not valid link format (the message
 * gives the offset).
 *
 * @example Usage
 * ```ts
 * import { parseLinkFormat } from "@microcoap/codec/link-format";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(
 *   parseLinkFormat('</sensors/temp>;rt="temperature-c";ct="0 40";obs,</x>;title="a, b"'),
 *   [
 *     { href: "/sensors/temp", attributes: { rt: "temperature-c", ct: [0, 40], obs: true } },
 *     { href: "/x", attributes: { title: "a, b" } },
 *   ],
 * );
 * ```
 */
export function parseLinkFormat(text: string): CoreLink[] {
  if (typeof text !== "string") {
    throw new TypeError("Cannot parse link format: input is not a string");
  }
  const links: CoreLink[] = [];
  let at = 0;
  const end = text.length;
  const fail = (what: string): never => {
    throw new TypeError(`Cannot parse link format: ${what} at offset ${at}`);
  };
  const skipSpace = () => {
    while (at < end && /\s/.test(text[at]!)) at++;
  };
  skipSpace();
  if (at === end) return links;
  while (true) {
    if (text[at] !== "<") fail(`expected "<"`);
    const close = text.indexOf(">", at + 1);
    if (close < 0) fail(`"<" has no matching ">"`);
    const href = text.slice(at + 1, close);
    at = close + 1;
    const attributes = new Map<string, LinkAttributeValue>();
    skipSpace();
    while (text[at] === ";") {
      at++;
      skipSpace();
      const nameStart = at;
      while (at < end && /[-!#$%&'*+.^_`|~0-9A-Za-z]/.test(text[at]!)) at++;
      const name = text.slice(nameStart, at).toLowerCase();
      if (name === "") fail("expected a parameter name");
      skipSpace();
      let value: LinkAttributeValue = true;
      if (text[at] === "=") {
        at++;
        skipSpace();
        if (text[at] === '"') {
          let raw = "";
          at++;
          while (true) {
            if (at >= end) fail("unterminated quoted string");
            const char = text[at++]!;
            if (char === '"') break;
            if (char === "\\") {
              if (at >= end) fail("unterminated quoted string");
              raw += text[at++]!;
            } else raw += char;
          }
          value = typed(name, raw, true);
        } else {
          const valueStart = at;
          while (at < end && !/[;,\s]/.test(text[at]!)) at++;
          const raw = text.slice(valueStart, at);
          if (raw === "") fail(`parameter "${name}" has an empty value`);
          value = typed(name, raw, false);
        }
        skipSpace();
      }
      const previous = attributes.get(name);
      if (previous === undefined) attributes.set(name, value);
      else {
        const list = [...listItems(previous), ...listItems(value)];
        attributes.set(name, list.length === 0 ? true : list);
      }
    }
    links.push({ href, attributes: Object.fromEntries(attributes) });
    if (at === end) return links;
    if (text[at] !== ",") fail(`expected "," or ";"`);
    at++;
    skipSpace();
  }
}
