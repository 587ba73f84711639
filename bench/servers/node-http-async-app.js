// @ts-check
/**
 * The async hello app (apps/hello-async.js) called from bare node:http with the least an async
 * interface can do: a scope from what llhttp parsed, a `send` that writes `http.response.start` and
 * the body straight to the ServerResponse, a `receive` with the empty body. No checks, no error
 * containment, no flow control, no lifespan: not a server, the floor of the async interface's shape
 * (its scope, its events, the app's awaited sends) between `node-http-await.js` and Portico.
 */
import { createServer } from 'node:http';
import hello from '../apps/hello-async.js';
import { HOST, ready } from './ready.js';

const RESOLVED = Promise.resolve();
const SPEC = Object.freeze({ version: '1.0', specVersion: '1.0' });
const EXTENSIONS = Object.freeze({});
const LAST = Object.freeze({ type: 'http.request', body: new Uint8Array(0), moreBody: false });

const server = createServer((req, res) => {
  const raw = req.rawHeaders;
  /** @type {[string, string][]} */
  const headers = [];
  for (let i = 0; i < raw.length; i += 2) headers.push([(raw[i] ?? '').toLowerCase(), raw[i + 1] ?? '']);
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const rawPath = query < 0 ? url : url.slice(0, query);
  /** @type {import('@portico/spec').HTTPScope} */
  const scope = {
    type: 'http',
    spec: SPEC,
    httpVersion: '1.1',
    method: req.method ?? 'GET',
    scheme: 'http',
    path: rawPath,
    rawPath,
    queryString: query < 0 ? '' : url.slice(query + 1),
    rootPath: '',
    headers,
    client: null,
    server: null,
    state: {},
    extensions: EXTENSIONS,
  };
  let status = 200;
  /** @type {import('@portico/spec').HeaderList} */
  let list = [];
  /** @type {import('@portico/spec').Send} */
  const send = (event) => {
    if (event.type === 'http.response.start') {
      status = event.status;
      list = event.headers ?? [];
    } else if (event.type === 'http.response.body') {
      res.writeHead(status, /** @type {any} */ (list));
      res.end(event.body);
    }
    return RESOLVED;
  };
  /** @type {import('@portico/spec').Receive} */
  const receive = () => Promise.resolve(LAST);
  hello(scope, receive, send).catch((err) => {
    console.error(err);
    res.destroy();
  });
});
server.listen(0, HOST, () => {
  const address = server.address();
  ready(typeof address === 'object' && address !== null ? address.port : 0);
});
