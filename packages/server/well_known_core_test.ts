// Copyright 2026 the microcoap authors. MIT license.
import { assertEquals } from "@std/assert";
import { parseLinkFormat } from "@microcoap/codec";
import type { CoreLink } from "@microcoap/codec";
import { filterLinks, wellKnownCore } from "./well_known_core.ts";

const links: CoreLink[] = [
  {
    href: "/sensors/temp",
    attributes: { rt: "temperature-c", if: "sensor", ct: 0, obs: true },
  },
  {
    href: "/sensors/light",
    attributes: { rt: ["light-lux", "core.sen-light"], if: "sensor", sz: 12 },
  },
  {
    href: "/actuators/led",
    attributes: { rt: "led", ct: [0, 50], title: "Status LED" },
  },
];
const hrefs = (query: string) =>
  filterLinks(links, new URLSearchParams(query)).map((link) => link.href);

Deno.test("filterLinks() keeps every link without a query", () => {
  assertEquals(hrefs("").length, 3);
});

Deno.test("filterLinks() matches attribute values exactly or by a trailing * prefix", () => {
  assertEquals(hrefs("rt=temperature-c"), ["/sensors/temp"]);
  assertEquals(hrefs("rt=temperature"), []);
  assertEquals(hrefs("rt=temp*"), ["/sensors/temp"]);
  assertEquals(hrefs("rt=core.sen-light"), ["/sensors/light"]);
  assertEquals(hrefs("rt=*"), [
    "/sensors/temp",
    "/sensors/light",
    "/actuators/led",
  ]);
  assertEquals(hrefs("if=sensor"), ["/sensors/temp", "/sensors/light"]);
  assertEquals(hrefs("ct=50"), ["/actuators/led"]);
  assertEquals(hrefs("ct=0"), ["/sensors/temp", "/actuators/led"]);
  assertEquals(hrefs("sz=12"), ["/sensors/light"]);
  assertEquals(hrefs("title=Status%20LED"), ["/actuators/led"]);
  assertEquals(hrefs("title=Status*"), ["/actuators/led"]);
});

Deno.test("filterLinks() matches href by path or prefix", () => {
  assertEquals(hrefs("href=/sensors/temp"), ["/sensors/temp"]);
  assertEquals(hrefs("href=/sensors*"), ["/sensors/temp", "/sensors/light"]);
  assertEquals(hrefs("href=/nothing*"), []);
});

Deno.test("filterLinks() matches a bare attribute name by presence, unknown names by nothing", () => {
  assertEquals(hrefs("obs"), ["/sensors/temp"]);
  assertEquals(hrefs("obs=1"), []);
  assertEquals(hrefs("foo=bar"), []);
  assertEquals(
    filterLinks(links, ["if=sensor", "rt=light*"]).map((l) => l.href),
    [
      "/sensors/light",
    ],
  );
});

Deno.test("filterLinks() matches one item of a space-separated rt, if or rel value given as a string (RFC 6690 §4.1, as libcoap)", () => {
  const listed: CoreLink[] = [
    {
      href: "/a",
      attributes: {
        rt: "temperature-c core.s",
        if: "core.s core.rp",
        rel: "alternate describedby",
        title: "two words",
      },
    },
    { href: "/b", attributes: { rt: ["light-lux core.s"] } },
  ];
  const found = (query: string) =>
    filterLinks(listed, [query]).map((link) => link.href);
  assertEquals(found("rt=core.s"), ["/a", "/b"]);
  assertEquals(found("rt=temperature-c"), ["/a"]);
  assertEquals(found("rt=light*"), ["/b"]);
  assertEquals(found("if=core.rp"), ["/a"]);
  assertEquals(found("rel=describedby"), ["/a"]);
  // A whole list is not one item; other attributes are not lists.
  assertEquals(found("rt=temperature-c core.s"), []);
  assertEquals(found("title=words"), []);
  assertEquals(found("title=two words"), ["/a"]);
});

Deno.test("wellKnownCore() output parses back to the filtered links", () => {
  assertEquals(parseLinkFormat(wellKnownCore(links, [])), links);
  assertEquals(wellKnownCore(links, ["rt=nothing"]), "");
});
