// @ts-check
/**
 * Bare node:http shaped like a promise-based interface: the handler answers after one `await`, with
 * a Uint8Array body and the headers as a `[name, value]` list, as Portico's server does. The floor of
 * any async interface on node:http; the distance to `node-http.js` is the shape's own cost.
 */
import { createServer } from 'node:http';
import { HOST, ready } from './ready.js';

const BODY = new TextEncoder().encode('Hello, world!\n');
/** @type {[string, string][]} */
const HEADERS = [
  ['content-type', 'text/plain; charset=utf-8'],
  ['content-length', String(BODY.byteLength)],
];

const server = createServer(async (_req, res) => {
  await null;
  res.writeHead(200, /** @type {any} */ (HEADERS));
  res.end(BODY);
});
server.listen(0, HOST, () => {
  const address = server.address();
  ready(typeof address === 'object' && address !== null ? address.port : 0);
});
