// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import { parseLinkFormat, stringifyLinkFormat } from "./link_format.ts";
import type { CoreLink, LinkAttributeValue } from "./link_format.ts";
import { Xorshift32 } from "./_testing.ts";

Deno.test("stringifyLinkFormat() writes strings quoted, numbers bare and flags alone", () => {
  assertEquals(
    stringifyLinkFormat([
      {
        href: "/sensors/temp",
        attributes: { rt: "temperature-c", if: "sensor", ct: 0, obs: true },
      },
      { href: "/x", attributes: {} },
    ]),
    '</sensors/temp>;rt="temperature-c";if="sensor";ct=0;obs,</x>',
  );
  assertEquals(stringifyLinkFormat([]), "");
});

Deno.test("stringifyLinkFormat() writes lists quoted and space-separated", () => {
  assertEquals(
    stringifyLinkFormat([{
      href: "/a",
      attributes: { ct: [0, 40], rt: ["x", "y"] },
    }]),
    '</a>;ct="0 40";rt="x y"',
  );
});

Deno.test("stringifyLinkFormat() escapes quotes and backslashes", () => {
  assertEquals(
    stringifyLinkFormat([{
      href: "/a",
      attributes: { title: 'say "hi" \\o/' },
    }]),
    '</a>;title="say \\"hi\\" \\\\o/"',
  );
});

Deno.test("stringifyLinkFormat() rejects what link format cannot carry", () => {
  const link = (href: string, attributes: Record<string, unknown>) =>
    [{ href, attributes }] as unknown as CoreLink[];
  assertThrows(() => stringifyLinkFormat(link("/a>b", {})), TypeError, "href");
  assertThrows(() => stringifyLinkFormat(link("/a\nb", {})), TypeError, "href");
  assertThrows(
    () => stringifyLinkFormat(link("/a", { "a b": 1 })),
    TypeError,
    "parameter name",
  );
  assertThrows(
    () => stringifyLinkFormat(link("/a", { "": 1 })),
    TypeError,
    "parameter name",
  );
  assertThrows(
    () => stringifyLinkFormat(link("/a", { x: {} })),
    TypeError,
    "value",
  );
  assertThrows(
    () => stringifyLinkFormat(link("/a", { x: false })),
    TypeError,
    "value",
  );
  assertThrows(
    () => stringifyLinkFormat(link("/a", { rt: ["a b"] })),
    TypeError,
    "list",
  );
  assertThrows(
    () => stringifyLinkFormat(link("/a", { rt: [""] })),
    TypeError,
    "list",
  );
  assertThrows(
    () => stringifyLinkFormat(link("/a", { ct: -1 })),
    RangeError,
    "-1",
  );
  assertThrows(
    () => stringifyLinkFormat(link("/a", { sz: 1.5 })),
    RangeError,
    "1.5",
  );
  assertThrows(
    () => stringifyLinkFormat(link("/a", { ct: [1, NaN] })),
    RangeError,
  );
});

Deno.test("parseLinkFormat() reads the RFC 6690 examples", () => {
  assertEquals(
    parseLinkFormat(
      '</sensors/temp>;rt="temperature-c";if="sensor",' +
        '</sensors/light>;rt="light-lux";if="sensor"',
    ),
    [
      {
        href: "/sensors/temp",
        attributes: { rt: "temperature-c", if: "sensor" },
      },
      { href: "/sensors/light", attributes: { rt: "light-lux", if: "sensor" } },
    ],
  );
  assertEquals(parseLinkFormat("</sensors>;ct=40"), [
    { href: "/sensors", attributes: { ct: 40 } },
  ]);
  assertEquals(
    parseLinkFormat(
      '</t>;anchor="/sensors/temp";rel="alternate",' +
        '<http://www.example.com/sensors/t123>;anchor="/sensors/temp";rel="describedby"',
    ),
    [
      { href: "/t", attributes: { anchor: "/sensors/temp", rel: "alternate" } },
      {
        href: "http://www.example.com/sensors/t123",
        attributes: { anchor: "/sensors/temp", rel: "describedby" },
      },
    ],
  );
  assertEquals(parseLinkFormat('</firmware/v2.1>;rt="firmware";sz=262144'), [
    { href: "/firmware/v2.1", attributes: { rt: "firmware", sz: 262144 } },
  ]);
});

Deno.test("parseLinkFormat() keeps commas, semicolons and escapes inside quotes", () => {
  assertEquals(
    parseLinkFormat('</a>;title="x, y; z \\"q\\" \\\\",</b>'),
    [
      { href: "/a", attributes: { title: 'x, y; z "q" \\' } },
      { href: "/b", attributes: {} },
    ],
  );
});

Deno.test("parseLinkFormat() reads ct lists, rt lists and bare flags", () => {
  assertEquals(parseLinkFormat('</a>;ct="0 40  50";rt="a b";obs;ct2=7;x=y'), [
    {
      href: "/a",
      attributes: {
        ct: [0, 40, 50],
        rt: ["a", "b"],
        obs: true,
        ct2: 7,
        x: "y",
      },
    },
  ]);
  // A quoted single ct is still a number; a quoted other value stays a string.
  assertEquals(parseLinkFormat('</a>;ct="41";title="12"'), [
    { href: "/a", attributes: { ct: 41, title: "12" } },
  ]);
});

Deno.test("parseLinkFormat() collects a repeated parameter into a list", () => {
  assertEquals(parseLinkFormat('</a>;rt="x";rt="y z";obs;obs'), [
    { href: "/a", attributes: { rt: ["x", "y", "z"], obs: true } },
  ]);
});

Deno.test("parseLinkFormat() tolerates whitespace and line breaks between links", () => {
  assertEquals(parseLinkFormat(" </a> ; ct = 0 ,\n\t</b>;obs \n"), [
    { href: "/a", attributes: { ct: 0 } },
    { href: "/b", attributes: { obs: true } },
  ]);
  assertEquals(parseLinkFormat(""), []);
  assertEquals(parseLinkFormat("  \n"), []);
});

Deno.test("parseLinkFormat() lowercases parameter names", () => {
  assertEquals(parseLinkFormat("</a>;CT=0;Obs"), [{
    href: "/a",
    attributes: { ct: 0, obs: true },
  }]);
});

Deno.test("parseLinkFormat() keeps __proto__ as a plain attribute", () => {
  const [link] = parseLinkFormat('</a>;__proto__="x"');
  assertEquals(Object.getPrototypeOf(link!.attributes), Object.prototype);
  assertEquals(Object.keys(link!.attributes), ["__proto__"]);
});

Deno.test("parseLinkFormat() rejects malformed text with the offset", () => {
  const cases: [string, string][] = [
    ["/a", 'expected "<" at offset 0'],
    ["</a", '"<" has no matching ">" at offset 0'],
    ['</a>;t="x', "unterminated quoted string at offset 9"],
    ['</a>;t="x\\', "unterminated quoted string"],
    ["</a>;t=", 'parameter "t" has an empty value at offset 7'],
    ["</a>;t=,</b>", "empty value"],
    ["</a>;;x", "expected a parameter name at offset 5"],
    ["</a>;", "expected a parameter name"],
    ["</a>,", 'expected "<" at offset 5'],
    ["</a> </b>", 'expected "," or ";" at offset 5'],
    ['</a>;t="x"y', 'expected "," or ";" at offset 10'],
    ["</a>x", 'expected "," or ";"'],
    ["</a>;t=@;", "expected a parameter name"],
  ];
  for (const [text, message] of cases) {
    assertThrows(() => parseLinkFormat(text), TypeError, message, text);
  }
  assertThrows(
    () => parseLinkFormat(42 as unknown as string),
    TypeError,
    "not a string",
  );
});

Deno.test("parseLinkFormat() of 20,000 random texts throws only TypeError", () => {
  const random = new Xorshift32(0x11f);
  const pieces = [
    "<",
    ">",
    "/a",
    ";",
    ",",
    "=",
    '"',
    "\\",
    " ",
    "\n",
    "ct",
    "rt",
    "obs",
    "0",
    "40",
    "x",
    "é",
    "%",
    "\u0000",
  ];
  let parsed = 0;
  for (let i = 0; i < 20_000; i++) {
    let text = "";
    const length = random.below(16);
    for (let j = 0; j < length; j++) text += random.pick(pieces);
    if (random.below(2) === 0) text = "<" + text;
    try {
      const links = parseLinkFormat(text);
      parsed++;
      // What parses also writes, unless it holds what link format cannot
      // carry in an href; and that writing parses back the same.
      let written: string;
      try {
        written = stringifyLinkFormat(links);
      } catch (error) {
        assertInstanceOf(error, TypeError);
        continue;
      }
      assertEquals(parseLinkFormat(written), links, text);
    } catch (error) {
      assertInstanceOf(error, TypeError);
    }
  }
  assertEquals(parsed > 1000, true);
});

Deno.test("parseLinkFormat(stringifyLinkFormat(links)) gives generated links back", () => {
  const random = new Xorshift32(99);
  const words = [
    "a",
    "sensor",
    "temp-c",
    "x,y",
    'q"uote',
    "semi;colon",
    "back\\slash",
    "é",
    "12",
  ];
  for (let i = 0; i < 300; i++) {
    const links: CoreLink[] = [];
    for (let l = random.below(4); l > 0; l--) {
      const attributes: Record<string, LinkAttributeValue> = {};
      if (random.below(2)) {
        attributes.ct = random.below(3) ? random.below(65536) : [1, 2, 3];
      }
      if (random.below(2)) {
        attributes.rt = random.below(2) ? "temp-c" : ["a", "b"];
      }
      if (random.below(2)) attributes.title = random.pick(words);
      if (random.below(2)) attributes.obs = true;
      if (random.below(2)) attributes.sz = random.below(100000);
      links.push({
        href: "/" + random.pick(words).replace(/[^a-z]/g, ""),
        attributes,
      });
    }
    assertEquals(parseLinkFormat(stringifyLinkFormat(links)), links);
  }
});
