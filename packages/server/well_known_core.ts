// Copyright 2026 the microcoap authors. MIT license.
/**
 * Resource discovery (RFC 6690): filtering links by query and serving
 * `/.well-known/core`.
 *
 * @module
 */
import { stringifyLinkFormat } from "@microcoap/codec";
import type { CoreLink, LinkAttributeValue } from "@microcoap/codec";

/**
 * Keeps the links that match every argument of a discovery query (RFC 6690
 * §4.1). An argument `name=value` matches a link whose attribute `name` (or,
 * for `href`, whose target) equals `value`, or, when `value` ends with `*`,
 * starts with what precedes it. For list attributes (`rt`, `if`, `rel`,
 * `ct`, ... given as lists) one matching item suffices; an `href` filter
 * matches the target as listed or percent-decoded (`/a b` matches
 * `/a%20b`, as Uri-Query values arrive decoded); the space-separated
 * values of `rt`, `if`, `rel`, `rev` and `ct` count as lists when given as one
 * string (`rt: "temperature-c core.s"`), as libcoap matches them. An argument
 * without a value (`?obs`) matches links that have the attribute at all.
 *
 * @param links The links to filter.
 * @param query The query, as search parameters or `name=value` strings.
 * @returns The matching links, in their order.
 *
 * @example Usage
 * ```ts
 * import { filterLinks } from "@microcoap/server";
 * import type { CoreLink } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const links: CoreLink[] = [
 *   { href: "/temp", attributes: { rt: "temperature-c", obs: true } },
 *   { href: "/light", attributes: { rt: ["light-lux", "core.s"] } },
 * ];
 * assertEquals(filterLinks(links, new URLSearchParams("rt=temp*")).map((l) => l.href), ["/temp"]);
 * assertEquals(filterLinks(links, ["rt=core.s"]).map((l) => l.href), ["/light"]);
 * assertEquals(filterLinks(links, ["href=/l*"]).map((l) => l.href), ["/light"]);
 * assertEquals(filterLinks(links, ["obs"]).map((l) => l.href), ["/temp"]);
 * ```
 */
export function filterLinks(
  links: readonly CoreLink[],
  query: URLSearchParams | readonly string[],
): CoreLink[] {
  const filters: [string, string | undefined][] = [];
  if (query instanceof URLSearchParams) {
    for (const [name, value] of query) {
      filters.push([name, value === "" ? undefined : value]);
    }
  } else {
    for (const argument of query) {
      const at = argument.indexOf("=");
      filters.push(
        at < 0
          ? [argument, undefined]
          : [argument.slice(0, at), argument.slice(at + 1)],
      );
    }
  }
  if (filters.length === 0) return [...links];
  return links.filter((link) =>
    filters.every(([name, value]) => {
      if (name === "href") {
        // Uri-Query values arrive percent-decoded while hrefs are listed
        // encoded ("/a%20b"): either form of the href matches.
        return value === undefined || matches(link.href, value) ||
          matches(decodedHref(link.href), value);
      }
      const attribute =
        (link.attributes as Record<string, LinkAttributeValue | undefined>)[
          name
        ];
      if (attribute === undefined) return false;
      if (value === undefined) return true;
      if (attribute === true) return false;
      const items = typeof attribute === "object" ? attribute : [attribute];
      return LISTS.has(name)
        ? items.some((item) =>
          String(item).split(" ").some((part) => matches(part, value))
        )
        : items.some((item) => matches(String(item), value));
    })
  );
}

// Attributes whose value is a space-separated list (RFC 6690 §3.1-3.2,
// RFC 5988 rel/rev, RFC 7252 §7.2.1 ct), as the codec's parser reads them.
const LISTS = new Set(["rt", "if", "rel", "rev", "ct"]);

function decodedHref(href: string): string {
  try {
    return decodeURIComponent(href);
  } catch {
    return href;
  }
}

function matches(actual: string, wanted: string): boolean {
  return wanted.endsWith("*")
    ? actual.startsWith(wanted.slice(0, -1))
    : actual === wanted;
}

/**
 * The `/.well-known/core` payload for a query: the matching links in
 * link-format (Content-Format 40).
 *
 * @param links Every listed link.
 * @param query The request's query.
 * @returns The link-format text (empty when nothing matches).
 * @throws {TypeError} When a link has an unformattable href or attribute.
 *
 * @example Usage
 * ```ts
 * import { wellKnownCore } from "@microcoap/server";
 * import type { CoreLink } from "@microcoap/codec";
 * import { assertEquals } from "@std/assert";
 *
 * const links: CoreLink[] = [
 *   { href: "/temp", attributes: { rt: "temperature-c", ct: 0, obs: true } },
 *   { href: "/light", attributes: { rt: "light-lux" } },
 * ];
 * assertEquals(wellKnownCore(links, []), '</temp>;rt="temperature-c";ct=0;obs,</light>;rt="light-lux"');
 * assertEquals(wellKnownCore(links, ["rt=light-lux"]), '</light>;rt="light-lux"');
 * ```
 */
export function wellKnownCore(
  links: readonly CoreLink[],
  query: URLSearchParams | readonly string[],
): string {
  return stringifyLinkFormat(filterLinks(links, query));
}
