// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertThrows } from "@std/assert";
import type { CoapOption } from "./message.ts";
import {
  COAP_PORT,
  formatUri,
  parseUri,
  uriPath,
  uriPathname,
  uriQuery,
} from "./uri.ts";
import { utf8, Xorshift32 } from "./_testing.ts";

const text = new TextDecoder();

// Options as "number:value" strings, for readable comparisons.
function show(options: readonly CoapOption[]): string[] {
  return options.map((o) => `${o.number}:${text.decode(o.value)}`);
}

Deno.test("parseUri() splits a host name URL into Uri-Host, Uri-Path and Uri-Query", () => {
  const uri = parseUri("coap://example.net/sensors/temp?unit=C&x=1");
  assertEquals(uri.hostname, "example.net");
  assertEquals(uri.port, COAP_PORT);
  assertEquals(show(uri.options), [
    "3:example.net",
    "11:sensors",
    "11:temp",
    "15:unit=C",
    "15:x=1",
  ]);
});

Deno.test("parseUri() gives path?x=1&y=2 one Uri-Path and two Uri-Query options", () => {
  assertEquals(show(parseUri("coap://[::1]/path?x=1&y=2").options), [
    "11:path",
    "15:x=1",
    "15:y=2",
  ]);
});

Deno.test("parseUri() leaves out Uri-Host for IP literals", () => {
  const v4 = parseUri("coap://198.51.100.1:61616/x");
  assertEquals([v4.hostname, v4.port, show(v4.options)], [
    "198.51.100.1",
    61616,
    ["11:x"],
  ]);
  const v6 = parseUri("coap://[2001:DB8::2:1]/");
  assertEquals([v6.hostname, v6.port, v6.options], ["2001:db8::2:1", 5683, []]);
  // Not IPv4 syntax, so a name.
  assertEquals(show(parseUri("coap://1.2.3.256/").options), ["3:1.2.3.256"]);
});

Deno.test("parseUri() reads IPv6 literals of every form", () => {
  const cases: [string, string][] = [
    ["[::1]", "::1"],
    ["[::]", "::"],
    ["[1:2:3:4:5:6:7:8]", "1:2:3:4:5:6:7:8"],
    ["[1::8]", "1::8"],
    ["[1:2:3:4:5:6:7::]", "1:2:3:4:5:6:7::"],
    ["[::ffff:192.0.2.1]", "::ffff:192.0.2.1"],
    ["[64:ff9b::192.0.2.33]", "64:ff9b::192.0.2.33"],
    ["[1:2:3:4:5:6:1.2.3.4]", "1:2:3:4:5:6:1.2.3.4"],
    ["[FE80::1%25eth0]", "fe80::1%eth0"],
  ];
  for (const [host, hostname] of cases) {
    const uri = parseUri(`coap://${host}:1234/a`);
    assertEquals(uri.hostname, hostname, host);
    assertEquals(uri.port, 1234);
    assertEquals(show(uri.options), ["11:a"]);
  }
});

Deno.test("parseUri() rejects malformed IPv6 literals", () => {
  for (
    const host of [
      "[::1::2]",
      "[12345::]",
      "[1:2:3:4:5:6:7:8:9]",
      "[1:2:3:4:5:6:7]",
      "[1.2.3.4::]",
      "[::1.2.3]",
      "[:::]",
      "[g::1]",
      "[]",
      "[::1",
      "[::1]x",
      "[v1.fe]",
      "[fe80::1%25]",
    ]
  ) {
    assertThrows(() => parseUri(`coap://${host}/`), TypeError, undefined, host);
  }
});

Deno.test("parseUri() treats the RFC 7252 §6.3 equivalent URIs alike", () => {
  const uris = [
    "coap://example.com:5683/~sensors/temp.xml",
    "coap://EXAMPLE.com/%7Esensors/temp.xml",
    "coap://EXAMPLE.com:/%7esensors/temp.xml",
  ].map(parseUri);
  for (const uri of uris) {
    assertEquals(uri, uris[0]);
    assertEquals(show(uri.options), [
      "3:example.com",
      "11:~sensors",
      "11:temp.xml",
    ]);
  }
});

Deno.test("parseUri() percent-decodes host, path and query values", () => {
  const uri = parseUri("coap://ex%41mple/a%20b/%2F/%E2%82%AC?x=%26&y=%3D%3d");
  // The host is lowercased before decoding (RFC 7252 §6.4 step 5).
  assertEquals(show(uri.options), [
    "3:exAmple",
    "11:a b",
    "11:/",
    "11:€",
    "15:x=&",
    "15:y===",
  ]);
  // Non-ASCII characters are taken as UTF-8, as in an IRI.
  assertEquals(uriPath(parseUri("coap://h/こんにちは")), ["こんにちは"]);
  // Bytes that are not UTF-8 are kept as they are.
  assertEquals(
    parseUri("coap://h/%FF").options[1]!.value,
    new Uint8Array([0xff]),
  );
});

Deno.test("parseUri() keeps empty Uri-Path segments and Uri-Query arguments, as RFC 7252 §6.4 and libcoap do", () => {
  // Steps 8 and 9: each segment and argument is an option, empty ones too.
  assertEquals(uriPath(parseUri("coap://h//a///b/")), [
    "",
    "a",
    "",
    "",
    "b",
    "",
  ]);
  assertEquals(uriPath(parseUri("coap://h/a/")), ["a", ""]);
  assertEquals(uriQuery(parseUri("coap://h/?&a&&b&")), ["", "a", "", "b", ""]);
  // A path of "" or "/" and an empty query give no options.
  assertEquals(parseUri("coap://h/").options, [utf8Option(3, "h")]);
  assertEquals(parseUri("coap://h").options, [utf8Option(3, "h")]);
  assertEquals(parseUri("coap://h?").options, [utf8Option(3, "h")]);
  assertEquals(parseUri("coap://h/?").options, [utf8Option(3, "h")]);
  assertEquals(parseUri("coap://h//").options, [
    utf8Option(3, "h"),
    utf8Option(11, ""),
    utf8Option(11, ""),
  ]);
  // And §6.5 composes them back.
  for (const url of ["coap://h/a/", "coap://h//a//b", "coap://h/x?&a&&b&"]) {
    assertEquals(formatUri(parseUri(url)), url);
  }
});

function utf8Option(number: number, value: string): CoapOption {
  return { number, value: utf8(value) };
}

Deno.test("parseUri() resolves dot segments", () => {
  assertEquals(uriPath(parseUri("coap://h/a/./b/../c")), ["a", "c"]);
  assertEquals(uriPath(parseUri("coap://h/../../x")), ["x"]);
  assertEquals(uriPath(parseUri("coap://h/a/%2E%2E/b/%2e")), ["b", ""]);
  assertEquals(uriPath(parseUri("coap://h/...")), ["..."]);
  // RFC 3986 §5.2.4: a final dot segment leaves a trailing slash.
  assertEquals(uriPath(parseUri("coap://h/a/b/..")), ["a", ""]);
  assertEquals(uriPath(parseUri("coap://h/a/.")), ["a", ""]);
  assertEquals(uriPath(parseUri("coap://h/a/..")), []);
  assertEquals(uriPath(parseUri("coap://h/.")), []);
  assertEquals(uriPath(parseUri("coap://h/a/b/c/./../../g")), ["a", "g"]);
});

Deno.test("parseUri() never adds Uri-Port: the destination is the URL's port", () => {
  for (
    const url of [
      "coap://h/",
      "coap://h:5683/",
      "coap://h:61616/",
      "coap://h:0/",
    ]
  ) {
    assertEquals(parseUri(url).options.some((o) => o.number === 7), false);
  }
  assertEquals(parseUri("coap://h:61616").port, 61616);
  assertEquals(parseUri("coap://h:/").port, 5683);
});

Deno.test("parseUri() accepts coap+udp and any scheme case", () => {
  assertEquals(parseUri("coap+udp://h/x"), parseUri("coap://h/x"));
  assertEquals(parseUri("COAP://h/x"), parseUri("coap://h/x"));
  assertEquals(parseUri(new URL("coap://h/x?y")), parseUri("coap://h/x?y"));
});

Deno.test("parseUri() rejects other schemes, naming them", () => {
  for (const scheme of ["coaps", "http", "coap+tcp", "coaps+ws"]) {
    assertThrows(
      () => parseUri(`${scheme}://h/x`),
      TypeError,
      `scheme "${scheme}" is not supported`,
    );
  }
});

Deno.test("parseUri() rejects fragments (RFC 7252 §6.4 step 4)", () => {
  assertThrows(() => parseUri("coap://h/x#top"), TypeError, "fragment");
  assertThrows(() => parseUri("coap://h/x?a#"), TypeError, "fragment");
});

Deno.test("parseUri() rejects what is not an absolute coap URI", () => {
  const cases: [string, string][] = [
    ["/relative/path", "not an absolute URI"],
    ["h/x", "not an absolute URI"],
    ["", "not an absolute URI"],
    ["coap:/x", "authority"],
    ["coap:x", "authority"],
    ["coap:///x", "host is empty"],
    ["coap://:5683/x", "host is empty"],
    ["coap://user@h/", "user information"],
    ["coap://h:12a/", "port"],
    ["coap://h:-1/", "port"],
    ["coap://h/%zz", "bad character"],
    ["coap://h/%2", "bad character"],
    ["coap://h/a b", "bad character"],
    ["coap://h/a?b c", "bad character"],
    ["coap://h/[x]", "bad character"],
    ["coap://h%/", "bad character"],
    ["coap://h^/", "bad character"],
    ["coap://%00 /", "bad character"],
  ];
  for (const [url, message] of cases) {
    assertThrows(() => parseUri(url), TypeError, message, url);
  }
});

Deno.test("parseUri() rejects ports over 65535 and values over 255 bytes", () => {
  assertThrows(() => parseUri("coap://h:65536/"), RangeError, "port is 65536");
  assertThrows(
    () => parseUri(`coap://h/${"a".repeat(256)}`),
    RangeError,
    "path segment is 256 bytes long",
  );
  assertThrows(
    () => parseUri(`coap://h/?${"%41".repeat(256)}`),
    RangeError,
    "query argument is 256 bytes long",
  );
  assertThrows(
    () => parseUri(`coap://${"h".repeat(256)}/`),
    RangeError,
    "host is 256 bytes long",
  );
  assertEquals(
    uriPath(parseUri(`coap://h/${"a".repeat(255)}`))[0]!.length,
    255,
  );
});

Deno.test("formatUri() builds the RFC 7252 Appendix B URIs", () => {
  const destination = { hostname: "2001:db8::2:1", port: 5683 };
  assertEquals(
    formatUri({ ...destination, options: [] }),
    "coap://[2001:db8::2:1]/",
  );
  assertEquals(
    formatUri({ ...destination, options: [utf8Option(3, "example.net")] }),
    "coap://example.net/",
  );
  assertEquals(
    formatUri({
      ...destination,
      options: [
        utf8Option(3, "example.net"),
        utf8Option(11, ".well-known"),
        utf8Option(11, "core"),
      ],
    }),
    "coap://example.net/.well-known/core",
  );
  assertEquals(
    formatUri({
      ...destination,
      options: [
        utf8Option(3, "xn--18j4d.example"),
        utf8Option(11, "こんにちは"),
      ],
    }),
    "coap://xn--18j4d.example/%E3%81%93%E3%82%93%E3%81%AB%E3%81%A1%E3%81%AF",
  );
  // The RFC's output is "coap://198.51.100.1:61616//%2F//?%2F%2F&?%26", but
  // §6.5 step 8, which the RFC says the steps follow, keeps "/" and "?" in
  // query arguments as they are.
  assertEquals(
    formatUri({
      hostname: "198.51.100.1",
      port: 61616,
      options: [
        utf8Option(11, ""),
        utf8Option(11, "/"),
        utf8Option(11, ""),
        utf8Option(11, ""),
        utf8Option(15, "//"),
        utf8Option(15, "?&"),
      ],
    }),
    "coap://198.51.100.1:61616//%2F//?//&?%26",
  );
});

Deno.test("formatUri() takes the port from Uri-Port, then the destination", () => {
  const options = [utf8Option(11, "x")];
  assertEquals(formatUri({ hostname: "h", options }), "coap://h/x");
  assertEquals(formatUri({ hostname: "h", port: 5683, options }), "coap://h/x");
  assertEquals(
    formatUri({ hostname: "h", port: 1234, options }),
    "coap://h:1234/x",
  );
  const uriPort = (port: number[]) => ({
    number: 7,
    value: new Uint8Array(port),
  });
  assertEquals(
    formatUri({
      hostname: "h",
      port: 1234,
      options: [uriPort([0x16, 0x33]), ...options],
    }),
    "coap://h/x",
  );
  assertEquals(
    formatUri({ hostname: "h", options: [uriPort([0x04, 0xd2]), ...options] }),
    "coap://h:1234/x",
  );
  assertThrows(
    () => formatUri({ hostname: "h", options: [uriPort([1, 2, 3])] }),
    RangeError,
    "Uri-Port is 3 bytes long",
  );
});

Deno.test("formatUri() brackets IPv6 hosts and encodes zones", () => {
  assertEquals(formatUri({ hostname: "::1", options: [] }), "coap://[::1]/");
  assertEquals(
    formatUri({ hostname: "fe80::1%eth0", port: 1, options: [] }),
    "coap://[fe80::1%25eth0]:1/",
  );
  assertEquals(
    formatUri({ hostname: "192.0.2.1", options: [] }),
    "coap://192.0.2.1/",
  );
});

Deno.test("formatUri() keeps IP literal Uri-Hosts and percent-encodes others", () => {
  assertEquals(
    formatUri({ options: [utf8Option(3, "[2001:db8::1]")] }),
    "coap://[2001:db8::1]/",
  );
  assertEquals(
    formatUri({ options: [utf8Option(3, "192.0.2.1")] }),
    "coap://192.0.2.1/",
  );
  assertEquals(
    formatUri({ options: [utf8Option(3, "a b/é")] }),
    "coap://a%20b%2F%C3%A9/",
  );
});

Deno.test("formatUri() needs a Uri-Host option or a hostname", () => {
  assertThrows(() => formatUri({ options: [] }), TypeError, "no hostname");
  assertThrows(() => formatUri({ hostname: "", options: [] }), TypeError);
});

Deno.test("formatUri(parseUri(url)) gives back URLs in normal form", () => {
  for (
    const url of [
      "coap://example.net/",
      "coap://example.net/.well-known/core",
      "coap://h:61616/a%20b/c?x=1&y=%26&z=/?",
      "coap://[2001:db8::1]/",
      "coap://[fe80::1%25eth0]:5684/x",
      "coap://192.0.2.1/%E2%82%AC",
      "coap://h/a:b@c!$'()*+,;=/~-._",
    ]
  ) {
    assertEquals(formatUri(parseUri(url)), url);
  }
});

Deno.test("parseUri(formatUri(options)) gives back generated path and query values", () => {
  const random = new Xorshift32(6);
  const alphabet = [
    ..."aZ0-._~!$&'()*+,;=:@/?#[]% \"<>\\^`{|}é€😀\u0000\u007f",
  ];
  const word = () => {
    let out = "";
    const length = 1 + random.below(8);
    for (let i = 0; i < length; i++) out += random.pick(alphabet);
    return out === "." || out === ".." ? out + "x" : out;
  };
  for (let i = 0; i < 500; i++) {
    const path = Array.from({ length: random.below(4) }, word);
    const query = Array.from({ length: random.below(4) }, word);
    const options = [
      ...path.map((v) => utf8Option(11, v)),
      ...query.map((v) => utf8Option(15, v)),
    ];
    const uri = parseUri(formatUri({ hostname: "::1", port: 9, options }));
    assertEquals(uriPath(uri), path);
    assertEquals(uriQuery(uri), query);
    assertEquals([uri.hostname, uri.port], ["::1", 9]);
  }
});

Deno.test("uriPath(), uriQuery() and uriPathname() read a request's options", () => {
  const request = {
    options: [
      utf8Option(3, "h"),
      utf8Option(11, "sensors"),
      utf8Option(11, "a b/c"),
      utf8Option(15, "x=1"),
    ],
  };
  assertEquals(uriPath(request), ["sensors", "a b/c"]);
  assertEquals(uriQuery(request), ["x=1"]);
  assertEquals(uriPathname(request), "/sensors/a%20b%2Fc");
  assertEquals(uriPathname({ options: [] }), "/");
  assertEquals(uriPath({ options: [] }), []);
});

Deno.test("formatUri() percent-encodes bytes that are not UTF-8 as they are", () => {
  const value = new Uint8Array([0xff, 0x61, 0xc3]);
  const url = formatUri({
    hostname: "h",
    options: [{ number: 11, value }, { number: 15, value }],
  });
  assertEquals(url, "coap://h/%FFa%C3?%FFa%C3");
  const uri = parseUri(url);
  assertEquals(uri.options.slice(1), [{ number: 11, value }, {
    number: 15,
    value,
  }]);
  assertEquals(uriPathname(uri), "/%FFa%C3");
});

Deno.test("formatUri() percent-encodes a zone (RFC 6874), so parseUri() reads the same zone back", () => {
  const zones = ["eth0", "en%30", "%", "a b", "25", "wlan.1_x~-", "ü"];
  for (const zone of zones) {
    const url = formatUri({ hostname: `fe80::1%${zone}`, options: [] });
    assertEquals(parseUri(url).hostname, `fe80::1%${zone}`, url);
  }
  assertEquals(
    formatUri({ hostname: "fe80::1%en%30", options: [] }),
    "coap://[fe80::1%25en%2530]/",
  );
  assertEquals(
    formatUri({ hostname: "fe80::1%a b", options: [] }),
    "coap://[fe80::1%25a%20b]/",
  );
  // Round trip from a URL with an escaped zone.
  const url = "coap://[fe80::1%25en%2530]:5683/x";
  assertEquals(formatUri(parseUri(url)), "coap://[fe80::1%25en%2530]/x");
});
