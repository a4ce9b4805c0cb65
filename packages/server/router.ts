// Copyright 2026 the microcoap authors. MIT license.
/**
 * Path patterns and method matching for CoAP routes.
 *
 * @module
 */
import { COAP_METHODS, CoapCode } from "@microcoap/codec";
import type { CoapMethod } from "@microcoap/codec";

// The list moved to the codec (client and server both need it); kept here
// so that `import { COAP_METHODS } from "@microcoap/server"` still works.
export { COAP_METHODS } from "@microcoap/codec";

/**
 * What a route answers to: one method, several, or `"*"` for all of them.
 *
 * @example Usage
 * ```ts
 * import { Router, type MethodSelector } from "@microcoap/server";
 * import { assertEquals } from "@std/assert";
 *
 * const writes: MethodSelector = ["PUT", "POST"];
 * const router = new Router<string>();
 * router.add(writes, "/config", "write");
 * router.add("*", "/echo", "any");
 * assertEquals(router.match("POST", ["config"]).status, "found");
 * assertEquals(router.match("DELETE", ["config"]).status, "method-not-allowed");
 * assertEquals(router.match("FETCH", ["echo"]).status, "found");
 * ```
 */
export type MethodSelector = CoapMethod | readonly CoapMethod[] | "*";

/**
 * The method name of a request code.
 *
 * @param code The request code, e.g. `0x01`.
 * @returns The name, or `undefined` for a code that is not a known method.
 *
 * @example Usage
 * ```ts
 * import { methodName } from "@microcoap/server";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(methodName(0x01), "GET");
 * assertEquals(methodName(0x1f), undefined);
 * ```
 */
export function methodName(code: number): CoapMethod | undefined {
  return code >= 1 && code <= 7 ? COAP_METHODS[code - 1] : undefined;
}

/**
 * The request code of a method name.
 *
 * @param method The method name.
 * @returns The code, e.g. `CoapCode.GET`.
 * @throws {TypeError} When `method` is not a CoAP method name.
 *
 * @example Usage
 * ```ts
 * import { methodCode } from "@microcoap/server";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(methodCode("IPATCH"), 0x07);
 * ```
 */
export function methodCode(method: CoapMethod): number {
  const index = COAP_METHODS.indexOf(method);
  if (index < 0) {
    throw new TypeError(
      `Cannot get method code: "${method}" is not a CoAP method, expected one of ${
        COAP_METHODS.join(", ")
      }`,
    );
  }
  return CoapCode.GET + index;
}

/**
 * One segment of a parsed path pattern.
 *
 * @example Usage
 * ```ts
 * import { parsePattern, type PatternSegment } from "@microcoap/server";
 * import { assertEquals } from "@std/assert";
 *
 * const [first, second]: readonly PatternSegment[] = parsePattern("/rooms/:room").segments;
 * assertEquals(first, { kind: "literal", value: "rooms" });
 * assertEquals(second, { kind: "param", name: "room" });
 * ```
 */
export type PatternSegment =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "param"; readonly name: string }
  | { readonly kind: "wildcard" };

/**
 * A parsed path pattern.
 *
 * @example Usage
 * ```ts
 * import { matchPattern, parsePattern, type PathPattern } from "@microcoap/server";
 * import { assertEquals } from "@std/assert";
 *
 * const pattern: PathPattern = parsePattern("/sensors/:id");
 * assertEquals(pattern.source, "/sensors/:id");
 * assertEquals(pattern.literal, false);
 * assertEquals(matchPattern(pattern, ["sensors", "7"]), { id: "7" });
 * ```
 */
export interface PathPattern {
  /** The pattern as given, normalised to start with "/". */
  readonly source: string;
  /** The segments; a wildcard can only be last. */
  readonly segments: readonly PatternSegment[];
  /** Whether every segment is literal. */
  readonly literal: boolean;
}

/**
 * Parses a path pattern: `/`-separated segments that are literal text,
 * `:name` parameters (one whole segment each) or a final `*` matching the
 * rest of the path (zero or more segments). Literal segments may be
 * percent-encoded (`/a%2Fb` is the one segment `a/b`).
 *
 * @param pattern The pattern, e.g. `"/sensors/:id"` or `"/files/*"`.
 * @returns The parsed pattern.
 * @throws {TypeError} When the pattern does not start with "/", has an empty
 * parameter name, a repeated parameter name, or a `*` that is not last.
 *
 * @example Usage
 * ```ts
 * import { parsePattern } from "@microcoap/server";
 * import { assertEquals } from "@std/assert";
 *
 * const pattern = parsePattern("/sensors/:id/*");
 * assertEquals(pattern.segments, [
 *   { kind: "literal", value: "sensors" },
 *   { kind: "param", name: "id" },
 *   { kind: "wildcard" },
 * ]);
 * ```
 */
export function parsePattern(pattern: string): PathPattern {
  if (typeof pattern !== "string" || !pattern.startsWith("/")) {
    throw new TypeError(
      `Cannot parse path pattern: ${
        JSON.stringify(pattern)
      } does not start with "/"`,
    );
  }
  const parts = pattern === "/" ? [] : pattern.slice(1).split("/");
  const segments: PatternSegment[] = [];
  const names = new Set<string>();
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === "*") {
      if (i !== parts.length - 1) {
        throw new TypeError(
          `Cannot parse path pattern "${pattern}": "*" must be the last segment`,
        );
      }
      segments.push({ kind: "wildcard" });
    } else if (part.startsWith(":")) {
      const name = part.slice(1);
      if (!/^[A-Za-z_$][\w$]*$/.test(name)) {
        throw new TypeError(
          `Cannot parse path pattern "${pattern}": parameter name "${name}" is not an identifier`,
        );
      }
      if (names.has(name)) {
        throw new TypeError(
          `Cannot parse path pattern "${pattern}": parameter "${name}" appears twice`,
        );
      }
      names.add(name);
      segments.push({ kind: "param", name });
    } else {
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        throw new TypeError(
          `Cannot parse path pattern "${pattern}": segment "${part}" has a bad percent-encoding`,
        );
      }
      segments.push({ kind: "literal", value });
    }
  }
  return {
    source: pattern,
    segments,
    literal: segments.every((segment) => segment.kind === "literal"),
  };
}

/**
 * Matches a request path against a pattern.
 *
 * @param pattern A pattern from {@linkcode parsePattern}.
 * @param path The request's Uri-Path segments (decoded).
 * @returns The parameters (a wildcard's match, joined with "/", under `"*"`),
 * or `undefined` when the path does not match.
 *
 * @example Usage
 * ```ts
 * import { matchPattern, parsePattern } from "@microcoap/server";
 * import { assertEquals } from "@std/assert";
 *
 * const pattern = parsePattern("/files/:dir/*");
 * assertEquals(matchPattern(pattern, ["files", "a", "b", "c"]), { dir: "a", "*": "b/c" });
 * assertEquals(matchPattern(pattern, ["other"]), undefined);
 * ```
 */
export function matchPattern(
  pattern: PathPattern,
  path: readonly string[],
): Record<string, string> | undefined {
  const segments = pattern.segments;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment.kind === "wildcard") {
      params["*"] = path.slice(i).join("/");
      return params;
    }
    const value = path[i];
    if (value === undefined) return undefined;
    if (segment.kind === "literal") {
      if (segment.value !== value) return undefined;
    } else params[segment.name] = value;
  }
  return path.length === segments.length ? params : undefined;
}

/**
 * A route as the router stores it.
 *
 * @typeParam T What is attached to the route.
 *
 * @example Usage
 * ```ts
 * import { Router, type RouterEntry } from "@microcoap/server";
 * import { assertEquals } from "@std/assert";
 *
 * const router = new Router<number>();
 * const entry: RouterEntry<number> = router.add(["GET", "PUT"], "/level", 42);
 * assertEquals([...entry.methods ?? []], ["GET", "PUT"]);
 * assertEquals(entry.pattern.source, "/level");
 * assertEquals(entry.value, 42);
 * assertEquals(router.remove(entry), true);
 * assertEquals(router.match("GET", ["level"]).status, "not-found");
 * ```
 */
export interface RouterEntry<T> {
  /** The methods it answers; `undefined` for all. */
  readonly methods: ReadonlySet<CoapMethod> | undefined;
  /** Its pattern. */
  readonly pattern: PathPattern;
  /** What the caller attached (the handler and its options). */
  readonly value: T;
}

/**
 * The outcome of {@linkcode Router.prototype.match}.
 *
 * @typeParam T What is attached to each route.
 *
 * @example Usage
 * ```ts
 * import { Router, type RouteMatch } from "@microcoap/server";
 * import { assertEquals } from "@std/assert";
 *
 * const router = new Router<string>();
 * router.add("GET", "/files/*", "files");
 * const found: RouteMatch<string> = router.match("GET", ["files", "a", "b.txt"]);
 * assertEquals(found.status === "found" ? found.params : undefined, { "*": "a/b.txt" });
 * const refused: RouteMatch<string> = router.match("DELETE", ["files", "x"]);
 * assertEquals(refused.status === "method-not-allowed" ? refused.allowed : undefined, ["GET"]);
 * ```
 */
export type RouteMatch<T> =
  | {
    readonly status: "found";
    readonly entry: RouterEntry<T>;
    readonly params: Record<string, string>;
  }
  | { readonly status: "method-not-allowed"; readonly allowed: CoapMethod[] }
  | { readonly status: "not-found" };

/**
 * Routes by method and path pattern. When several patterns match a path the
 * most specific one wins: segment by segment, a literal beats a parameter and
 * a parameter beats a wildcard. A path that matches some pattern but none for
 * the request's method is "method-not-allowed" (4.05), a path that matches
 * none is "not-found" (4.04).
 *
 * @typeParam T What is attached to each route.
 *
 * @example Usage
 * ```ts
 * import { Router } from "@microcoap/server";
 * import { assertEquals } from "@std/assert";
 *
 * const router = new Router<string>();
 * router.add("GET", "/sensors/:id", "one sensor");
 * router.add("GET", "/sensors/all", "every sensor");
 * const match = router.match("GET", ["sensors", "all"]);
 * assertEquals(match.status === "found" && match.entry.value, "every sensor");
 * assertEquals(router.match("PUT", ["sensors", "7"]).status, "method-not-allowed");
 * assertEquals(router.match("GET", ["nothing"]).status, "not-found");
 * ```
 */
export class Router<T> {
  #entries: RouterEntry<T>[] = [];

  /**
   * Adds a route.
   *
   * @param methods The method, methods, or `"*"` for every method.
   * @param pattern The path pattern (see {@linkcode parsePattern}).
   * @param value What to attach.
   * @returns The stored entry.
   * @throws {TypeError} When the pattern is malformed, a method is unknown,
   * or a route with the same pattern already answers one of the methods.
   */
  add(methods: MethodSelector, pattern: string, value: T): RouterEntry<T> {
    const parsed = parsePattern(pattern);
    let set: Set<CoapMethod> | undefined;
    if (methods !== "*") {
      const list = typeof methods === "string" ? [methods] : methods;
      if (!Array.isArray(list) || list.length === 0) {
        throw new TypeError(
          `Cannot add route "${pattern}": methods must be a method name, a non-empty list or "*"`,
        );
      }
      for (const method of list) methodCode(method);
      set = new Set(list);
    }
    const key = shapeKey(parsed);
    for (const entry of this.#entries) {
      if (shapeKey(entry.pattern) !== key) continue;
      const clash = entry.methods === undefined || set === undefined ||
        [...set].some((method) => entry.methods!.has(method));
      if (clash) {
        throw new TypeError(
          `Cannot add route "${pattern}": "${entry.pattern.source}" already answers ${
            set === undefined ? "these methods" : [...set].join(", ")
          }`,
        );
      }
    }
    const entry: RouterEntry<T> = { methods: set, pattern: parsed, value };
    this.#entries.push(entry);
    return entry;
  }

  /**
   * Removes a route.
   *
   * @param entry The entry {@linkcode Router.prototype.add} returned.
   * @returns Whether it was there.
   */
  remove(entry: RouterEntry<T>): boolean {
    const index = this.#entries.indexOf(entry);
    if (index < 0) return false;
    this.#entries.splice(index, 1);
    return true;
  }

  /** Every route, in the order they were added. */
  get entries(): readonly RouterEntry<T>[] {
    return this.#entries;
  }

  /**
   * Finds the route for a request.
   *
   * @param method The request's method.
   * @param path The request's Uri-Path segments.
   * @returns The best route and its parameters, or why there is none.
   */
  match(method: CoapMethod, path: readonly string[]): RouteMatch<T> {
    let best: RouterEntry<T> | undefined;
    let bestParams: Record<string, string> | undefined;
    let allowed: Set<CoapMethod> | undefined;
    for (const entry of this.#entries) {
      const params = matchPattern(entry.pattern, path);
      if (params === undefined) continue;
      if (entry.methods !== undefined && !entry.methods.has(method)) {
        allowed ??= new Set();
        for (const m of entry.methods) allowed.add(m);
        continue;
      }
      if (best === undefined || moreSpecific(entry.pattern, best.pattern)) {
        best = entry;
        bestParams = params;
      }
    }
    if (best !== undefined) {
      return { status: "found", entry: best, params: bestParams! };
    }
    if (allowed !== undefined) {
      return {
        status: "method-not-allowed",
        allowed: COAP_METHODS.filter((m) => allowed!.has(m)),
      };
    }
    return { status: "not-found" };
  }
}

const RANK = { literal: 0, param: 1, wildcard: 2 } as const;

function moreSpecific(a: PathPattern, b: PathPattern): boolean {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i];
    const y = b.segments[i];
    // A pattern that ends (without a wildcard) where the other continues
    // only matched because the other's wildcard matched nothing.
    if (x === undefined) return true;
    if (y === undefined) return false;
    if (RANK[x.kind] !== RANK[y.kind]) return RANK[x.kind] < RANK[y.kind];
  }
  return false;
}

// Two patterns with the same key match exactly the same paths.
function shapeKey(pattern: PathPattern): string {
  return pattern.segments.map((segment) =>
    segment.kind === "literal"
      ? "l" + encodeURIComponent(segment.value)
      : segment.kind === "param"
      ? ":"
      : "*"
  ).join("/");
}
