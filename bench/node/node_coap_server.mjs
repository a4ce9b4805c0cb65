// Copyright 2026 the microcoap authors. MIT license.
// node-coap's server for the load benchmark (run under Node from bench/node,
// where `npm ci` installed coap@1.5.0). Argument: <port>. GET /hello answers
// 2.05 "Hello". Prints "ready <port>" once listening.
import coap from "coap";

const port = Number(process.argv[2] ?? 0);
const server = coap.createServer();
server.on("request", (request, response) => {
  if (request.url === "/hello") response.end("Hello");
  else {
    response.code = "4.04";
    response.end();
  }
});
server.listen(port, "127.0.0.1", () => {
  console.log(`ready ${server._sock.address().port}`);
});
