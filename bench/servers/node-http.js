// @ts-check
/** Bare node:http: the baseline every other server is compared with. */
import { createServer } from 'node:http';
import { HOST, ready } from './ready.js';

const BODY = Buffer.from('Hello, world!\n');
const HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(BODY.byteLength) };

const server = createServer((_req, res) => {
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
server.listen(0, HOST, () => {
  const address = server.address();
  ready(typeof address === 'object' && address !== null ? address.port : 0);
});
