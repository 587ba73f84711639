// @ts-check
/** Part of bench/middleware.js: the rows of the in-process part: each a middleware around the hello app, the request that makes it do its usual work, and the check of its answer. */

import { createHmac } from 'node:crypto';
import {
  accessLog,
  basicAuth,
  basicUsers,
  bodyLimit,
  compose,
  compression,
  conditionalGet,
  contentLength,
  cookieSession,
  cookies,
  cors,
  csrf,
  encodeBasicCredentials,
  errorHandler,
  etag,
  jwtAuth,
  MemoryStore,
  methodOverride,
  proxyHeaders,
  requestId,
  router,
  securityHeaders,
  session,
  trustedHost,
} from '@portico/middleware';
import hello from '../apps/hello-async.js';
import { discardLine, typicalStack } from '../apps/hello-stack.js';

/** @typedef {import('@portico/spec').AsyncApp} AsyncApp */
/** @typedef {import('@portico/spec').HeaderList} HeaderList */

// ---- The cases of the in-process part ------------------------------------------------------------

export const HELLO_BODY = 'Hello, world!\n';
/** 4 KiB of compressible text: the body of the row where compression() does compress. */
export const BIG_BODY = new TextEncoder().encode(
  Array.from({ length: 200 }, (_, i) => `line ${String(i).padStart(4, '0')} of the body\n`)
    .join('')
    .slice(0, 4096),
);
const BIG_HEADERS = /** @type {HeaderList} */ ([
  ['content-type', 'text/plain; charset=utf-8'],
  ['content-length', String(BIG_BODY.byteLength)],
]);

/** @type {AsyncApp} */
async function helloBig(_scope, _receive, send) {
  await send({ type: 'http.response.start', status: 200, headers: BIG_HEADERS });
  await send({ type: 'http.response.body', body: BIG_BODY });
}

/** A JWT (RFC 7519) signed with HS256 by hand (RFC 7515 section 3), valid for a day. */
function hs256Token(/** @type {Uint8Array} */ key) {
  const b64 = (/** @type {object} */ o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'alice', iat: now, exp: now + 86_400 })}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}
const JWT_KEY = new TextEncoder().encode('bench-secret-of-32-bytes-at-least!!');

/**
 * What an app answered: status, headers, the body bytes concatenated.
 * @typedef {{ status: number, headers: HeaderList, body: Buffer }} Answer
 */

/**
 * One row of the in-process table.
 * @typedef {object} Case
 * @property {string} name  short name, for `--only`
 * @property {string} label  what the table shows
 * @property {string} over  the row its overhead is taken over (`bare`, `bare-4k`, `session`)
 * @property {AsyncApp} app
 * @property {HeaderList} headers  request headers besides `host: example.com`
 * @property {(a: Answer) => string | null} [check]  the problem with the answer beyond status 200
 *   and the hello body, or null
 */

/** @param {Answer} a @param {string} name */
export const header = (a, name) => a.headers.find(([n]) => n.toLowerCase() === name)?.[1];
/** @param {string} name */
const has = (name) => (/** @type {Answer} */ a) => (header(a, name) === undefined ? `no ${name}` : null);
/** @param {string} name */
const hasNo = (name) => (/** @type {Answer} */ a) =>
  header(a, name) === undefined ? null : `unexpected ${name}: ${header(a, name)}`;
/** @param {(app: AsyncApp) => AsyncApp} m */
const wrap = (m) => m(hello);

/** @returns {Case[]} */
export function cases() {
  const cookieKey = 'bench-cookie-session-key-32-bytes!!';
  const oneRoute = router();
  oneRoute.get('/', hello);
  return [
    { name: 'bare', label: 'hello app, called directly', over: 'bare', app: hello, headers: [] },
    {
      name: 'errorHandler',
      label: 'errorHandler',
      over: 'bare',
      app: wrap(errorHandler()),
      headers: [],
    },
    {
      name: 'accessLog',
      label: 'accessLog (combined, to a no-op)',
      over: 'bare',
      app: wrap(accessLog({ write: discardLine })),
      headers: [
        ['user-agent', 'wrk'],
        ['referer', 'https://example.com/'],
      ],
    },
    {
      name: 'requestId',
      label: 'requestId (new id)',
      over: 'bare',
      app: wrap(requestId()),
      headers: [],
      check: has('x-request-id'),
    },
    {
      name: 'securityHeaders',
      label: 'securityHeaders (defaults)',
      over: 'bare',
      app: wrap(securityHeaders()),
      headers: [],
      check: has('x-content-type-options'),
    },
    {
      name: 'cors',
      label: 'cors (allowed Origin)',
      over: 'bare',
      app: wrap(cors({ origins: ['https://app.example'] })),
      headers: [['origin', 'https://app.example']],
      check: has('access-control-allow-origin'),
    },
    {
      name: 'compression',
      label: 'compression (gzip asked, 14 B body under threshold: skipped)',
      over: 'bare',
      app: wrap(compression()),
      headers: [['accept-encoding', 'gzip']],
      check: hasNo('content-encoding'),
    },
    {
      name: 'contentLength',
      label: 'contentLength (app sends one already)',
      over: 'bare',
      app: wrap(contentLength()),
      headers: [],
      check: has('content-length'),
    },
    {
      name: 'etag',
      label: 'etag (SHA-1 of the body)',
      over: 'bare',
      app: wrap(etag()),
      headers: [],
      check: has('etag'),
    },
    {
      name: 'conditionalGet',
      label: 'conditionalGet (If-None-Match, response without validators)',
      over: 'bare',
      app: wrap(conditionalGet()),
      headers: [['if-none-match', '"other"']],
    },
    {
      name: 'proxyHeaders',
      label: 'proxyHeaders (X-Forwarded-For/-Proto from 127.0.0.1)',
      over: 'bare',
      app: wrap(proxyHeaders()),
      headers: [
        ['x-forwarded-for', '203.0.113.7'],
        ['x-forwarded-proto', 'https'],
      ],
    },
    {
      name: 'trustedHost',
      label: 'trustedHost (allowed Host)',
      over: 'bare',
      app: wrap(trustedHost({ allowed: ['example.com'] })),
      headers: [],
    },
    {
      name: 'bodyLimit',
      label: 'bodyLimit (GET, no body)',
      over: 'bare',
      app: wrap(bodyLimit()),
      headers: [],
    },
    {
      name: 'methodOverride',
      label: 'methodOverride (GET: passed through)',
      over: 'bare',
      app: wrap(methodOverride()),
      headers: [],
    },
    {
      name: 'cookies',
      label: 'cookies (2 request cookies, none set)',
      over: 'bare',
      app: wrap(cookies()),
      headers: [['cookie', 'theme=dark; lang=en']],
      check: hasNo('set-cookie'),
    },
    {
      name: 'cookieSession',
      label: 'cookieSession (no cookie: new empty session, untouched)',
      over: 'bare',
      app: wrap(cookieSession({ keys: [cookieKey] })),
      headers: [],
      check: hasNo('set-cookie'),
    },
    {
      name: 'session',
      label: 'session (MemoryStore; no cookie: new empty session, untouched)',
      over: 'bare',
      app: wrap(session({ store: new MemoryStore() })),
      headers: [],
      check: hasNo('set-cookie'),
    },
    {
      name: 'csrf',
      label: 'csrf (GET; behind session, overhead over the session row)',
      over: 'session',
      app: wrap(compose(session({ store: new MemoryStore() }), csrf())),
      headers: [],
      check: hasNo('set-cookie'),
    },
    {
      name: 'basicAuth',
      label: 'basicAuth (valid header, basicUsers: 2 SHA-256)',
      over: 'bare',
      app: wrap(basicAuth({ verify: basicUsers({ alice: 'correct horse' }) })),
      headers: [['authorization', encodeBasicCredentials('alice', 'correct horse')]],
    },
    {
      name: 'jwtAuth',
      label: 'jwtAuth (valid HS256 token; jose jwtVerify dominates)',
      over: 'bare',
      app: wrap(jwtAuth({ algorithms: ['HS256'], key: JWT_KEY })),
      headers: [['authorization', `Bearer ${hs256Token(JWT_KEY)}`]],
    },
    { name: 'router', label: 'router (1 route)', over: 'bare', app: oneRoute, headers: [] },
    {
      name: 'stack',
      label: 'typical stack (see the notes)',
      over: 'bare',
      app: typicalStack(hello),
      headers: [['accept-encoding', 'gzip']],
      check: (a) => has('x-request-id')(a) ?? has('x-content-type-options')(a) ?? hasNo('set-cookie')(a),
    },
    {
      name: 'bare-4k',
      label: '4 KiB text app, called directly',
      over: 'bare-4k',
      app: helloBig,
      headers: [],
    },
    {
      name: 'compression-4k',
      label: 'compression (gzip of the 4 KiB body)',
      over: 'bare-4k',
      app: compression()(helloBig),
      headers: [['accept-encoding', 'gzip']],
      check: (a) => (header(a, 'content-encoding') === 'gzip' ? null : 'not gzip-encoded'),
    },
  ];
}
