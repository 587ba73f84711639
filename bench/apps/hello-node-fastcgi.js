// @ts-check
/**
 * The hello app on node-fastcgi (https://github.com/fbbdev/node-fastcgi) for the FastCGI bench
 * (bench/fastcgi.js): same status, body and headers as apps/hello-async.js, written the way its
 * README shows (an http-style request listener). `node hello-node-fastcgi.js PORT` listens on
 * 127.0.0.1:PORT.
 */
import { createRequire } from 'node:module';

/**
 * The part of node-fastcgi's API used here (it ships no types): `createServer` takes an http-style
 * request listener and returns a net.Server.
 * @type {{ createServer(listener: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void): import('node:net').Server }}
 */
const fcgi = createRequire(import.meta.url)('node-fastcgi');

const BODY = Buffer.from('Hello, world!\n');
const HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(BODY.byteLength) };

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) throw new Error('usage: node hello-node-fastcgi.js PORT');

fcgi
  .createServer((_req, res) => {
    res.writeHead(200, HEADERS);
    res.end(BODY);
  })
  .listen(port, '127.0.0.1');
