// Copyright 2026 the microcoap authors. MIT license.
// `/files/...` of `microcoap serve --dir`: GET, PUT and DELETE of the files
// under one directory, never outside it. Requests name paths by Uri-Path
// segments; a segment that is empty, "." or "..", or holds a separator or
// NUL is refused, and every path is resolved with realpath (following
// symbolic links) and must stay under the directory's own real path.
import {
  lstat,
  mkdir,
  readdir,
  readFile,
  realpath,
  stat,
  unlink,
  writeFile,
} from "node:fs/promises";
import { join, sep } from "node:path";
import { CoapCode, ContentFormat, stringifyLinkFormat } from "@microcoap/codec";
import type { CoreLink } from "@microcoap/codec";
import type { CoapServer, ServerResponse } from "@microcoap/server";
import type { CoapRequest } from "@microcoap/server";

const BY_EXTENSION: Readonly<Record<string, number>> = {
  txt: ContentFormat.TEXT_PLAIN,
  text: ContentFormat.TEXT_PLAIN,
  md: ContentFormat.TEXT_PLAIN,
  csv: ContentFormat.TEXT_PLAIN,
  log: ContentFormat.TEXT_PLAIN,
  json: ContentFormat.JSON,
  cbor: ContentFormat.CBOR,
  xml: ContentFormat.XML,
  wlnk: ContentFormat.LINK_FORMAT,
  png: ContentFormat.IMAGE_PNG,
  jpg: ContentFormat.IMAGE_JPEG,
  jpeg: ContentFormat.IMAGE_JPEG,
  gif: ContentFormat.IMAGE_GIF,
  js: ContentFormat.JAVASCRIPT,
};

/** The Content-Format of a file name by its extension (octet-stream otherwise). */
export function contentFormatOfFile(name: string): number {
  const dot = name.lastIndexOf(".");
  const extension = dot < 0 ? "" : name.slice(dot + 1).toLowerCase();
  return BY_EXTENSION[extension] ?? ContentFormat.OCTET_STREAM;
}

/**
 * A file's entity-tag: FNV-1a over its bytes (32 bits), so a GET and a later
 * conditional PUT agree on it without keeping state.
 */
export function etagOfFile(bytes: Uint8Array): Uint8Array {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return new Uint8Array([hash >>> 24, hash >>> 16, hash >>> 8, hash]);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function fail(code: number, text: string): ServerResponse {
  return { code, payload: new TextEncoder().encode(text) };
}

function inside(root: string, path: string): boolean {
  return path === root ||
    path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function errorCode(error: unknown): string | undefined {
  return (error as { code?: unknown })?.code as string | undefined;
}

/** The request's path below /files, or a response refusing it. */
function segmentsOf(request: CoapRequest): string[] | ServerResponse {
  const segments = request.segments.slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === "") {
    segments.pop();
  }
  for (const segment of segments) {
    if (
      segment === "" || segment === "." || segment === ".." ||
      /[/\\\0]/.test(segment)
    ) {
      return fail(
        CoapCode.BAD_REQUEST,
        `Bad path segment ${JSON.stringify(segment)}`,
      );
    }
  }
  return segments;
}

/** Adds GET, PUT and DELETE for `/files/*` over `dir`. */
export function addFileRoutes(server: CoapServer, dir: string): void {
  let rootPromise: Promise<string> | undefined;
  const root = (): Promise<string> =>
    rootPromise ??= realpath(dir).then(async (real) => {
      if (!(await stat(real)).isDirectory()) {
        throw new TypeError(`Cannot serve files: ${dir} is not a directory`);
      }
      return real;
    });

  // The real path of an existing entry, or a response saying why not.
  async function existing(
    base: string,
    segments: readonly string[],
  ): Promise<string | ServerResponse> {
    let real: string;
    try {
      real = await realpath(join(base, ...segments));
    } catch (error) {
      return errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR"
        ? fail(CoapCode.NOT_FOUND, "No such file")
        : fail(CoapCode.INTERNAL_SERVER_ERROR, "Cannot read the file");
    }
    return inside(base, real)
      ? real
      : fail(CoapCode.FORBIDDEN, "The path leads outside the served directory");
  }

  async function listing(
    real: string,
    segments: readonly string[],
  ): Promise<ServerResponse> {
    const prefix = ["", "files", ...segments].map(encodeURIComponent).join("/");
    const entries = await readdir(real, { withFileTypes: true });
    entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const links = entries.map((entry): CoreLink =>
      entry.isDirectory()
        ? {
          href: `${prefix}/${encodeURIComponent(entry.name)}/`,
          attributes: {},
        }
        : {
          href: `${prefix}/${encodeURIComponent(entry.name)}`,
          attributes: { ct: contentFormatOfFile(entry.name) },
        }
    );
    return {
      payload: stringifyLinkFormat(links),
      contentFormat: ContentFormat.LINK_FORMAT,
    };
  }

  const get = async (request: CoapRequest): Promise<ServerResponse> => {
    const segments = segmentsOf(request);
    if (!Array.isArray(segments)) return segments;
    const base = await root();
    const real = await existing(base, segments);
    if (typeof real !== "string") return real;
    const info = await stat(real);
    if (info.isDirectory()) return listing(real, segments);
    if (!info.isFile()) return fail(CoapCode.FORBIDDEN, "Not a regular file");
    const payload = await readFile(real);
    return {
      payload,
      contentFormat: contentFormatOfFile(real),
      etag: etagOfFile(payload),
    };
  };

  const put = async (request: CoapRequest): Promise<ServerResponse> => {
    const segments = segmentsOf(request);
    if (!Array.isArray(segments)) return segments;
    if (segments.length === 0) {
      return fail(CoapCode.METHOD_NOT_ALLOWED, "Cannot replace the directory");
    }
    const base = await root();
    // Every existing ancestor must resolve inside; then create the rest.
    const parents = segments.slice(0, -1);
    for (let depth = parents.length; depth >= 0; depth--) {
      const real = await existing(base, parents.slice(0, depth));
      if (typeof real === "string") break;
      if (real.code !== CoapCode.NOT_FOUND) return real;
    }
    try {
      await mkdir(join(base, ...parents), { recursive: true });
    } catch {
      return fail(CoapCode.CONFLICT, "Cannot create the parent directory");
    }
    const parent = await existing(base, parents);
    if (typeof parent !== "string") return parent;
    const target = join(parent, segments[segments.length - 1]!);
    let info;
    try {
      info = await lstat(target);
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
    }
    if (info?.isSymbolicLink()) {
      // Written through only when it resolves to a file inside.
      const real = await existing(base, segments);
      if (typeof real !== "string") {
        return fail(CoapCode.FORBIDDEN, "The link leads nowhere inside");
      }
      if ((await stat(real)).isDirectory()) {
        return fail(CoapCode.CONFLICT, "A directory has that name");
      }
    } else if (info?.isDirectory()) {
      return fail(CoapCode.CONFLICT, "A directory has that name");
    }
    const created = info === undefined;
    // Conditional PUT (RFC 7252 §5.10.8): an empty If-Match asks for the
    // file to exist, a value for its current ETag (the one GET gives).
    if (request.ifNoneMatch && !created) {
      return fail(CoapCode.PRECONDITION_FAILED, "The file exists");
    }
    const ifMatch = request.ifMatch;
    if (ifMatch.length > 0) {
      if (created) return fail(CoapCode.PRECONDITION_FAILED, "No such file");
      if (!ifMatch.some((value) => value.length === 0)) {
        const current = etagOfFile(await readFile(target));
        if (!ifMatch.some((value) => sameBytes(value, current))) {
          return fail(CoapCode.PRECONDITION_FAILED, "The file has changed");
        }
      }
    }
    await writeFile(target, request.payload);
    return created ? { code: CoapCode.CREATED } : { code: CoapCode.CHANGED };
  };

  const remove = async (request: CoapRequest): Promise<ServerResponse> => {
    const segments = segmentsOf(request);
    if (!Array.isArray(segments)) return segments;
    if (segments.length === 0) {
      return fail(CoapCode.METHOD_NOT_ALLOWED, "Cannot delete the directory");
    }
    const base = await root();
    const parent = await existing(base, segments.slice(0, -1));
    if (typeof parent !== "string") return parent;
    const target = join(parent, segments[segments.length - 1]!);
    let info;
    try {
      info = await lstat(target);
    } catch {
      return fail(CoapCode.NOT_FOUND, "No such file");
    }
    if (info.isDirectory()) {
      return fail(CoapCode.CONFLICT, "Cannot delete a directory");
    }
    // A link is removed itself, and only when it points inside.
    if (info.isSymbolicLink()) {
      const real = await existing(base, segments);
      if (typeof real !== "string" && real.code !== CoapCode.NOT_FOUND) {
        return real;
      }
    }
    await unlink(target);
    return { code: CoapCode.DELETED };
  };

  server.get("/files/*", get, {
    href: "/files",
    ct: ContentFormat.LINK_FORMAT,
    title: "Files",
  });
  server.put("/files/*", put, { hidden: true });
  server.delete("/files/*", remove, { hidden: true });
}
