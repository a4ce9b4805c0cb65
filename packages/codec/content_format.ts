// Copyright 2026 the microcoap authors. MIT license.
/**
 * CoAP Content-Formats (RFC 7252 §12.3 and the IANA "CoAP Content-Formats"
 * registry): numeric identifiers for media types, with their names and short
 * aliases.
 *
 * @module
 */

/**
 * Registered Content-Format identifiers.
 *
 * @example Usage
 * ```ts
 * import { ContentFormat } from "@microcoap/codec/content-format";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(ContentFormat.JSON, 50);
 * assertEquals(ContentFormat.LINK_FORMAT, 40);
 * ```
 */
export const ContentFormat = {
  TEXT_PLAIN: 0,
  COSE_ENCRYPT0: 16,
  COSE_MAC0: 17,
  COSE_SIGN1: 18,
  ACE_CBOR: 19,
  IMAGE_GIF: 21,
  IMAGE_JPEG: 22,
  IMAGE_PNG: 23,
  LINK_FORMAT: 40,
  XML: 41,
  OCTET_STREAM: 42,
  EXI: 47,
  JSON: 50,
  JSON_PATCH_JSON: 51,
  MERGE_PATCH_JSON: 52,
  CBOR: 60,
  CWT: 61,
  MULTIPART_CORE: 62,
  CBOR_SEQ: 63,
  EDHOC_CBOR_SEQ: 64,
  CID_EDHOC_CBOR_SEQ: 65,
  COSE_ENCRYPT: 96,
  COSE_MAC: 97,
  COSE_SIGN: 98,
  COSE_KEY: 101,
  COSE_KEY_SET: 102,
  SENML_JSON: 110,
  SENSML_JSON: 111,
  SENML_CBOR: 112,
  SENSML_CBOR: 113,
  SENML_EXI: 114,
  SENSML_EXI: 115,
  YANG_DATA_CBOR_SID: 140,
  COAP_GROUP_JSON: 256,
  CONCISE_PROBLEM_DETAILS_CBOR: 257,
  SWID_CBOR: 258,
  DOTS_CBOR: 271,
  MISSING_BLOCKS_CBOR_SEQ: 272,
  SENML_XML: 310,
  SENSML_XML: 311,
  SENML_ETCH_JSON: 320,
  SENML_ETCH_CBOR: 322,
  YANG_DATA_CBOR: 340,
  YANG_DATA_CBOR_NAME: 341,
  TD_JSON: 432,
  VND_OCF_CBOR: 10000,
  OSCORE: 10001,
  JAVASCRIPT: 10002,
  LWM2M_TLV: 11542,
  LWM2M_JSON: 11543,
  LWM2M_CBOR: 11544,
} as const;

// Identifier, media type, then short aliases beyond the automatic one (the
// subtype of a parameterless application/* type).
const ROWS: readonly (readonly [number, string, ...string[]])[] = [
  [0, "text/plain;charset=utf-8", "text", "text/plain", "plain"],
  [16, 'application/cose;cose-type="cose-encrypt0"', "cose-encrypt0"],
  [17, 'application/cose;cose-type="cose-mac0"', "cose-mac0"],
  [18, 'application/cose;cose-type="cose-sign1"', "cose-sign1"],
  [19, "application/ace+cbor"],
  [21, "image/gif", "gif"],
  [22, "image/jpeg", "jpeg"],
  [23, "image/png", "png"],
  [40, "application/link-format", "link"],
  [41, "application/xml"],
  [42, "application/octet-stream", "binary"],
  [47, "application/exi"],
  [50, "application/json"],
  [51, "application/json-patch+json"],
  [52, "application/merge-patch+json"],
  [60, "application/cbor"],
  [61, "application/cwt"],
  [62, "application/multipart-core"],
  [63, "application/cbor-seq"],
  [64, "application/edhoc+cbor-seq"],
  [65, "application/cid-edhoc+cbor-seq"],
  [96, 'application/cose;cose-type="cose-encrypt"', "cose-encrypt"],
  [97, 'application/cose;cose-type="cose-mac"', "cose-mac"],
  [98, 'application/cose;cose-type="cose-sign"', "cose-sign"],
  [101, "application/cose-key"],
  [102, "application/cose-key-set"],
  [110, "application/senml+json"],
  [111, "application/sensml+json"],
  [112, "application/senml+cbor"],
  [113, "application/sensml+cbor"],
  [114, "application/senml-exi"],
  [115, "application/sensml-exi"],
  [140, "application/yang-data+cbor;id=sid"],
  [256, "application/coap-group+json"],
  [257, "application/concise-problem-details+cbor"],
  [258, "application/swid+cbor"],
  [271, "application/dots+cbor"],
  [272, "application/missing-blocks+cbor-seq"],
  [310, "application/senml+xml"],
  [311, "application/sensml+xml"],
  [320, "application/senml-etch+json"],
  [322, "application/senml-etch+cbor"],
  [340, "application/yang-data+cbor"],
  [341, "application/yang-data+cbor;id=name"],
  [432, "application/td+json"],
  [10000, "application/vnd.ocf+cbor"],
  [10001, "application/oscore"],
  [10002, "application/javascript"],
  [11542, "application/vnd.oma.lwm2m+tlv"],
  [11543, "application/vnd.oma.lwm2m+json"],
  [11544, "application/vnd.oma.lwm2m+cbor"],
];

// Lowercases and drops the optional whitespace around ";" and "=", and quotes
// around parameter values, so that equivalent spellings compare equal.
function normalize(text: string): string {
  return text.trim().toLowerCase().replace(/\s*([;=])\s*/g, "$1").replace(
    /=("?)([^;"]*)\1/g,
    (_, _quote, value) => `=${value}`,
  );
}

let names: Map<number, string> | undefined;
let normalized: Map<string, number> | undefined;

// Builds the lookup tables on first use rather than at load, so that bundles
// that never name or parse a content format drop ROWS.
function tables(): [Map<number, string>, Map<string, number>] {
  if (names === undefined || normalized === undefined) {
    names = new Map();
    const ids = new Map<string, number>();
    for (const [id, mediaType, ...aliases] of ROWS) {
      names.set(id, mediaType);
      ids.set(mediaType, id);
      const match = /^application\/([^;]+)$/.exec(mediaType);
      if (match) ids.set(match[1]!, id);
      for (const alias of aliases) ids.set(alias, id);
    }
    normalized = new Map();
    for (const [name, id] of ids) normalized.set(normalize(name), id);
  }
  return [names, normalized];
}

/**
 * The media type of a Content-Format, such as `"application/json"` for 50,
 * or `undefined` when the identifier is not in this registry.
 *
 * @param id The Content-Format identifier.
 * @returns The media type (with parameters), or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { contentFormatName } from "@microcoap/codec/content-format";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(contentFormatName(0), "text/plain;charset=utf-8");
 * assertEquals(contentFormatName(50), "application/json");
 * assertEquals(contentFormatName(9999), undefined);
 * ```
 */
export function contentFormatName(id: number): string | undefined {
  return tables()[0].get(id);
}

/**
 * Parses a Content-Format: a media type (`"application/json"`), a short
 * name (`"json"`, `"text"`, `"cbor"`, `"link-format"`, `"octet-stream"`) or a
 * decimal identifier (`"50"`, including unregistered ones up to 65535).
 * Case, whitespace around `;` and `=` and quotes around parameter values do
 * not matter.
 *
 * @param text The name or number.
 * @returns The Content-Format identifier.
 * @throws {RangeError} When the text names no known Content-Format or the
 * number is over 65535.
 *
 * @example Usage
 * ```ts
 * import { parseContentFormat } from "@microcoap/codec/content-format";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseContentFormat("application/json"), 50);
 * assertEquals(parseContentFormat("json"), 50);
 * assertEquals(parseContentFormat("50"), 50);
 * assertEquals(parseContentFormat("text/plain; charset=UTF-8"), 0);
 * ```
 */
export function parseContentFormat(text: string): number {
  const trimmed = String(text).trim();
  if (/^[0-9]{1,5}$/.test(trimmed)) {
    const id = Number(trimmed);
    if (id <= 0xffff) return id;
  }
  const id = tables()[1].get(normalize(trimmed));
  if (id === undefined) {
    throw new RangeError(
      `Cannot parse content format: "${text}" is not a known media type or a number from 0 to 65535`,
    );
  }
  return id;
}
