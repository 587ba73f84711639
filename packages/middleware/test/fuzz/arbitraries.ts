/**
 * Hostile requests for the fuzz properties: methods, raw paths, queries, header values as an HTTP
 * parser would pass them (Latin-1, no CR/LF/NUL, no surrounding whitespace) and bodies.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { BASIC_USER, JWT_AUDIENCE, JWT_ISSUER, JWT_KEY } from './stack.js';

/** One generated request. */
export interface FuzzRequest {
  readonly method: string;
  /** The request target: raw path and optional `?query`. */
  readonly target: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array | undefined;
  /** Send the body in these many chunks without a length (chunked), when above 0. */
  readonly chunks: number;
  readonly httpVersion: '1.0' | '1.1' | '2';
  /** Fetch a CSRF token (and the session cookie) first and send them with the request. */
  readonly prime: boolean;
}

/** A header value an HTTP/1.1 parser hands on: Latin-1, no CR, LF or NUL, OWS trimmed. */
export const fieldValue: fc.Arbitrary<string> = fc.string({ unit: 'binary', maxLength: 60 }).map((s) =>
  [...s]
    .filter((c) => {
      const n = c.codePointAt(0) ?? 0;
      return n <= 0xff && n !== 0 && n !== 10 && n !== 13;
    })
    .join('')
    .replace(/^[ \t]+|[ \t]+$/g, ''),
);

const TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = fc.string({ unit: fc.constantFrom(...TCHAR), minLength: 1, maxLength: 12 });
const b64url = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');

const method = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'HEAD', 'POST', 'POST', 'PUT', 'DELETE'),
  },
  { weight: 1, arbitrary: fc.constantFrom('OPTIONS', 'PATCH') },
  { weight: 1, arbitrary: fc.constantFrom('get', 'post', 'head', 'options') },
  { weight: 1, arbitrary: token },
);

const segment = fc.oneof(
  fc.constantFrom(
    'items',
    'wild',
    'x',
    'hello.txt',
    'data.bin',
    'docs',
    'index.html',
    '%00',
    '%2e%2e',
    '..',
    '.',
    '%2F',
    '%2f..%2f',
    '%ff',
    '%c3%28',
    '%e2%82',
    '%',
    '%zz',
    '%2',
    '',
    ';',
    '%5c..%5c',
    '.env',
    '%C0%AE',
    'a%20b',
  ),
  fc.string({ unit: fc.constantFrom(..."abz09-._~!$&'()*+,;=:@%"), maxLength: 8 }),
  fc.constant('a'.repeat(3000)),
);

const GOOD = [
  '/',
  '/csrf',
  '/form',
  '/stream',
  '/items/42',
  '/wild/a/b',
  '/files/hello.txt',
  '/files/data.bin',
  '/files/docs/',
  '/files/docs/index.html',
  '/basic/',
  '/basic/items/7',
  '/basic/stream',
  '/bearer/',
  '/bearer/stream',
  '/cs/',
  '/cs/csrf',
  '/cs/form',
  '/cs/stream',
];
const path = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...GOOD) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...GOOD), fc.array(segment, { minLength: 1, maxLength: 3 }))
      .map(([p, segs]) => `${p.replace(/\/$/, '')}${segs.map((s) => `/${s}`).join('')}`),
  },
);
const query = fc.option(
  fc.oneof(
    fc.constantFrom('_method=DELETE', '_method=x', 'a=1&a=2', '%ff=%00', '=', '&&', 'x=%zz'),
    fc.string({ unit: fc.constantFrom(...'ab=&%0f_+;?'), maxLength: 12 }),
  ),
  { nil: undefined },
);

const basicAuthValue = fc.oneof(
  fc.uint8Array({ maxLength: 30 }).map((b) => `Basic ${Buffer.from(b).toString('base64')}`),
  fc
    .tuple(fieldValue, fieldValue)
    .map(([u, p]) => `Basic ${Buffer.from(`${u}:${p}`, 'latin1').toString('base64')}`),
  fc.constant(`Basic ${Buffer.from(`${BASIC_USER[0]}:${BASIC_USER[1]}`).toString('base64')}`),
  fc.constant(`basic   ${Buffer.from(`${BASIC_USER[0]}:${BASIC_USER[1]}`).toString('base64')}`),
  fieldValue.map((s) => `Basic ${s}`),
);

/** A compact JWS built by hand: any header, any claims, HMAC with the right or a wrong key. */
const jwt = fc
  .record({
    alg: fc.constantFrom('HS256', 'HS384', 'none', 'RS256', 'hs256', ''),
    extraHeader: fc.dictionary(fc.constantFrom('kid', 'typ', 'crit', 'b64', 'jku'), fc.jsonValue(), {
      maxKeys: 2,
    }),
    sub: fc.option(fc.oneof(fc.string(), fc.integer()), { nil: undefined }),
    iss: fc.constantFrom(JWT_ISSUER, 'https://other', undefined),
    aud: fc.constantFrom(JWT_AUDIENCE, 'other', undefined),
    exp: fc.option(fc.oneof(fc.integer(), fc.double(), fc.string()), { nil: undefined }),
    extra: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
    rightKey: fc.boolean(),
    mangle: fc.constantFrom('none', 'payload-not-json', 'payload-array', 'truncate-sig'),
  })
  .map((r) => {
    const header = b64url(JSON.stringify({ ...r.extraHeader, alg: r.alg }));
    const claims = {
      ...r.extra,
      sub: r.sub,
      iss: r.iss,
      aud: r.aud,
      exp: r.exp ?? Math.floor(Date.now() / 1000) + 600,
    };
    let payload = b64url(JSON.stringify(claims));
    if (r.mangle === 'payload-not-json') payload = b64url('{"sub":');
    if (r.mangle === 'payload-array') payload = b64url('[1,2]');
    const key = r.rightKey ? JWT_KEY : Buffer.from('wrong-key');
    let sig = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url');
    if (r.mangle === 'truncate-sig') sig = sig.slice(0, 5);
    return `Bearer ${header}.${payload}.${sig}`;
  });

/** A token the `/bearer` branch accepts, with random extra claims. */
const goodJwt = fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }).map((extra) => {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const claims = {
    ...extra,
    sub: 'bob',
    iss: JWT_ISSUER,
    aud: JWT_AUDIENCE,
    exp: Math.floor(Date.now() / 1000) + 600,
  };
  const payload = b64url(JSON.stringify(claims));
  const sig = createHmac('sha256', JWT_KEY).update(`${header}.${payload}`).digest('base64url');
  return `Bearer ${header}.${payload}.${sig}`;
});

const authorization = fc.oneof(
  { weight: 2, arbitrary: basicAuthValue },
  { weight: 2, arbitrary: jwt },
  { weight: 2, arbitrary: goodJwt },
  fc.string({ unit: fc.constantFrom(...'abAZ09-._~+/='), maxLength: 40 }).map((t) => `Bearer ${t}`),
  fieldValue,
);

const cookie = fc.oneof(
  fieldValue,
  fc
    .array(
      fc.tuple(
        fc.constantFrom('sid', 'portico.sid', 'session', 'portico.session', 'seen', 'csrf', '__Host-x', 'a'),
        fieldValue,
      ),
      { maxLength: 4 },
    )
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('; ')),
);

const httpDate = fc
  .date({ min: new Date(0), max: new Date(4102444800000), noInvalidDate: true })
  .map((d) => d.toUTCString());

/** Header name to value generator, for the headers the stack reads. */
const HEADERS: Record<string, fc.Arbitrary<string>> = {
  host: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('example.com', 'a.example.com', 'localhost:8080') },
    fc.constantFrom(
      'example.com',
      'a.example.com',
      'localhost',
      '127.0.0.1',
      'example.com:8080',
      'evil.com',
      '[::1]',
      '',
    ),
    fieldValue,
  ),
  cookie,
  authorization,
  'accept-encoding': fc.oneof(
    fc.constantFrom('gzip', 'br;q=1, gzip;q=0.5', 'identity;q=0', '*;q=0', 'deflate, *'),
    fieldValue,
  ),
  range: fc.oneof(
    fc.constantFrom('bytes=0-10', 'bytes=-5', 'bytes=5-', 'bytes=0-0,2-3', 'bytes=9999999999999999999-'),
    fieldValue,
  ),
  'if-range': fc.oneof(httpDate, fieldValue),
  'if-none-match': fc.oneof(fc.constantFrom('*', '"x"', 'W/"x"', '"a", W/"b"'), fieldValue),
  'if-modified-since': fc.oneof(httpDate, fieldValue),
  'if-match': fieldValue,
  'if-unmodified-since': fc.oneof(httpDate, fieldValue),
  origin: fc.oneof(
    fc.constantFrom('https://app.example.com', 'null', 'https://evil.com', 'http://example.com'),
    fieldValue,
  ),
  'access-control-request-method': fc.oneof(fc.constantFrom('PUT', 'DELETE', 'GET'), fieldValue),
  'access-control-request-headers': fc.oneof(fc.constantFrom('content-type', 'x-a, x-b'), fieldValue),
  'content-type': fc.oneof(
    fc.constantFrom(
      'application/x-www-form-urlencoded',
      'application/x-www-form-urlencoded; charset=latin1',
      'text/plain',
      'multipart/form-data',
    ),
    fieldValue,
  ),
  'x-forwarded-for': fc.oneof(
    fc.constantFrom('1.2.3.4', '1.2.3.4, 5.6.7.8', '::1', 'unknown', '[::1]:80'),
    fieldValue,
  ),
  'x-forwarded-proto': fc.oneof(fc.constantFrom('https', 'http', 'HTTPS', 'ws'), fieldValue),
  'x-forwarded-host': fc.oneof(fc.constantFrom('example.com', 'evil.com', 'a.example.com:444'), fieldValue),
  forwarded: fc.oneof(
    fc.constantFrom('for=1.2.3.4;proto=https;host=example.com', 'for="[::1]:80"', 'for=unknown'),
    fieldValue,
  ),
  'x-http-method-override': fc.oneof(
    fc.constantFrom('DELETE', 'PUT', 'CONNECT', 'delete', 'TRACE'),
    fieldValue,
  ),
  'x-request-id': fieldValue,
  'x-csrf-token': fieldValue,
  'sec-fetch-site': fc.oneof(fc.constantFrom('same-origin', 'cross-site', 'none', 'same-site'), fieldValue),
  accept: fc.oneof(fc.constantFrom('text/html', 'application/json', '*/*;q=0'), fieldValue),
};

const headers = fc
  .array(fc.constantFrom(...Object.keys(HEADERS)), { maxLength: 8 })
  .chain((names) =>
    fc.tuple(...names.map((n) => (HEADERS[n] as fc.Arbitrary<string>).map((value) => [n, value] as const))),
  );

const form = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom('name', '_method', '_csrf', 'csrf'), fieldValue), fieldValue), {
    maxLength: 5,
  })
  .map((pairs) =>
    new TextEncoder().encode(new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, v])).toString()),
  );

const body = fc.option(
  fc.oneof(
    { weight: 10, arbitrary: fc.uint8Array({ maxLength: 500 }) },
    { weight: 20, arbitrary: form },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1)
        .map((n) => new Uint8Array(n).fill(0x61)),
    },
  ),
  { nil: undefined },
);

/** A whole hostile request. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method,
    path,
    query,
    headers,
    body,
    prime: fc.boolean(),
    chunks: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 4 })),
    httpVersion: fc.constantFrom('1.1', '1.1', '1.0', '2'),
  })
  .map(({ method, path, query, headers, body, prime, chunks, httpVersion }) => ({
    prime,
    chunks,
    httpVersion,
    method,
    target: query === undefined ? path : `${path}?${query}`,
    headers,
    body,
  }));
