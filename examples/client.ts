// Copyright 2026 the microcoap authors. MIT license.
// A CoAP client: GET a URL and print the response.
//
//   deno run -N examples/client.ts [url]
//
// The URL defaults to coap://127.0.0.1:5683/hello (see examples/server.ts).
import { CoapClient } from "@microcoap/coap";

const url = Deno.args[0] ?? "coap://127.0.0.1:5683/hello";

await using client = new CoapClient();
const response = await client.get(url, { timeout: 10_000 });
console.log(`${response.codeText} ${response.codeName ?? ""}`);
console.log(response.text());
