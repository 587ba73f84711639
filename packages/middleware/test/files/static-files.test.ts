import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AsyncApp, type Send, validateAsync, validateSync } from '@portico/spec';
import { createClient } from '@portico/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { mount } from '../../src/compose/index.js';
import { staticFiles } from '../../src/files/index.js';
import { thrownCode } from '../helpers/errors.js';
import { expectLifespanPassesThrough } from '../helpers/lifespan.js';
import { containsBytes, fallbackAsync, fallbackSync, MTIME, makeFixture, pattern } from './fixtures.js';

const fx = makeFixture();
afterAll(() => fx.cleanup());

const LAST_MODIFIED = 'Tue, 02 Jan 2024 03:04:05 GMT';
const mtimeHex = (MTIME * 1000).toString(16);
const etagOf = (size: number) => `W/"${size.toString(16)}-${mtimeHex}"`;

/** Paths that try to leave the root, as sent on the wire (rawPath), and what they decode to. */
const TRAVERSALS = [
  '/../outside/secret.txt',
  '/%2e%2e/outside/secret.txt',
  '/%2E%2E/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/docs/%2e%2e/%2e%2e/outside/secret.txt',
  '/..%2foutside%2fsecret.txt',
  '/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '/../../../../../../etc/passwd',
  '/./hello.txt',
  '/link-out',
  '/dir-out/secret.txt',
  '/hello.txt%00.html',
  '/..\\outside\\secret.txt',
  '/%5c..%5coutside%5csecret.txt',
  '//etc/passwd',
  '/%2fetc%2fpasswd',
];

/** Records the event types the middleware sends. */
function spy(app: AsyncApp, types: string[]): AsyncApp {
  return async function spyApp(scope, receive, send) {
    const spySend: Send = (event) => {
      types.push(event.type);
      return send(event);
    };
    return app(scope, receive, spySend);
  };
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

for (const [label, fallback, fallbackPath] of [
  ['async', validateAsync(fallbackAsync), (p: string) => p],
  ['sync', validateSync(fallbackSync), (p: string) => p],
] as const) {
  describe(`staticFiles() in front of an ${label} app`, () => {
    const client = createClient(staticFiles({ root: fx.root })(fallback));
    const strict = createClient(staticFiles({ root: fx.root, fallthrough: false })(fallback));

    it('serves a text file with every header', async () => {
      const res = await client.get('/hello.txt');
      expect(res.status).toBe(200);
      expect(res.text()).toBe(fx.text);
      const size = Buffer.byteLength(fx.text);
      expect(res.header('content-type')).toBe('text/plain; charset=utf-8');
      expect(res.header('content-length')).toBe(String(size));
      expect(res.header('etag')).toBe(etagOf(size));
      expect(res.header('last-modified')).toBe(LAST_MODIFIED);
      expect(res.header('accept-ranges')).toBe('bytes');
      expect(res.header('cache-control')).toBe('public, max-age=0');
    });

    it('serves binary and typed files by extension', async () => {
      const bin = await client.get('/data.bin');
      expect(bin.header('content-type')).toBe('application/octet-stream');
      expect(Buffer.from(bin.body).equals(Buffer.from(fx.binary))).toBe(true);
      expect((await client.get('/style.css')).header('content-type')).toBe('text/css; charset=utf-8');
      const empty = await client.get('/empty.txt');
      expect([empty.status, empty.header('content-length'), empty.body.length]).toEqual([200, '0', 0]);
    });

    it('falls through to the app for a miss and for other methods', async () => {
      const miss = await client.get('/missing.txt');
      expect([miss.status, miss.text()]).toEqual([404, `fallback GET ${fallbackPath('/missing.txt')}`]);
      const post = await client.post('/hello.txt', { body: 'x' });
      expect(post.text()).toBe('fallback POST /hello.txt');
      const noIndex = await client.get('/noindex/');
      expect(noIndex.text()).toBe('fallback GET /noindex/');
    });

    it('answers 404 and 405 itself with fallthrough: false', async () => {
      const miss = await strict.get('/missing.txt');
      expect([miss.status, miss.text(), miss.header('content-type')]).toEqual([
        404,
        'Not Found',
        'text/plain; charset=utf-8',
      ]);
      const put = await strict.put('/hello.txt', { body: 'x' });
      expect([put.status, put.header('allow')]).toEqual([405, 'GET, HEAD']);
    });

    it('serves a directory through its index, redirecting to add the slash', async () => {
      const index = await client.get('/docs/');
      expect([index.status, index.text(), index.header('content-type')]).toEqual([
        200,
        '<h1>docs</h1>',
        'text/html; charset=utf-8',
      ]);
      const redirect = await client.get('/docs?x=1');
      expect([redirect.status, redirect.header('location')]).toEqual([301, '/docs/?x=1']);
      const mounted = createClient(mount('/static', staticFiles({ root: fx.root })(fallback)));
      const docs = await mounted.get('/static/docs');
      expect([docs.status, docs.header('location')]).toEqual([301, '/static/docs/']);
      const site = createClient(mount('/site', staticFiles({ root: `${fx.root}/docs` })(fallback)));
      const top = await site.get('/site');
      expect([top.status, top.header('location'), top.text()]).toEqual([301, '/site/', 'Moved Permanently']);
      expect((await site.get('/site/')).text()).toBe('<h1>docs</h1>');
      // Leading slashes collapse: never a scheme-relative Location.
      const evil = await client.get('//docs');
      expect(evil.header('location')).toBe('/docs/');
      expect((await mounted.get('/static/docs/guide/page.html')).text()).toBe('<p>page</p>');
      // A file asked for as a directory is not served.
      expect((await client.get('/hello.txt/')).text()).toBe('fallback GET /hello.txt/');
    });

    it('never serves outside the root, whatever the encoding', async () => {
      // dotfiles: 'allow' too, where `..` is not caught as a dotfile.
      const open = createClient(
        staticFiles({ root: fx.root, dotfiles: 'allow', fallthrough: false })(fallback),
      );
      for (const path of TRAVERSALS) {
        for (const res of [await strict.get(path), await open.get(path)]) {
          expect([path, res.status]).toEqual([path, 404]);
          expect(containsBytes(res.body, fx.secret)).toBe(false);
          expect(containsBytes(res.body, 'root:')).toBe(false);
        }
        const through = await client.get(path);
        expect(through.status).toBe(404);
        expect(through.text().startsWith('fallback GET')).toBe(true);
      }
      // A symbolic link that stays inside the root is followed.
      expect((await client.get('/link-in')).text()).toBe(fx.text);
    });

    it('applies the dotfiles policy', async () => {
      expect((await client.get('/.env')).text()).toBe('fallback GET /.env');
      const deny = createClient(staticFiles({ root: fx.root, dotfiles: 'deny' })(fallback));
      expect((await deny.get('/.env')).status).toBe(403);
      const allow = createClient(staticFiles({ root: fx.root, dotfiles: 'allow' })(fallback));
      expect((await allow.get('/.env')).text()).toBe('PASSWORD=hunter2');
    });

    it('answers HEAD with the headers and no body', async () => {
      const res = await client.head('/data.bin');
      expect(res.status).toBe(200);
      expect(res.header('content-length')).toBe('1000');
      expect(res.header('etag')).toBe(etagOf(1000));
      expect(res.body.length).toBe(0);
    });
  });
}

describe('staticFiles() conditional requests (RFC 9110 section 13)', () => {
  const client = createClient(staticFiles({ root: fx.root, maxAge: 3600, immutable: true })(fallbackAsync));
  const tag = etagOf(1000);
  const get = (headers: Record<string, string>, method = 'GET') =>
    client.request(method, '/data.bin', { headers });

  it('answers 304 for a matching If-None-Match, keeping the validators', async () => {
    for (const inm of [tag, `"nope", ${tag}`, '*', tag.slice(2), `W/"a,b", ${tag}`]) {
      const res = await get({ 'if-none-match': inm });
      expect([inm, res.status]).toEqual([inm, 304]);
      expect(res.header('etag')).toBe(tag);
      expect(res.header('last-modified')).toBe(LAST_MODIFIED);
      expect(res.header('cache-control')).toBe('public, max-age=3600, immutable');
      expect(res.header('content-type')).toBe(null);
      expect(res.body.length).toBe(0);
    }
    expect((await get({ 'if-none-match': tag }, 'HEAD')).status).toBe(304);
    expect((await get({ 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('uses If-Modified-Since only without If-None-Match', async () => {
    expect((await get({ 'if-modified-since': LAST_MODIFIED })).status).toBe(304);
    expect((await get({ 'if-modified-since': 'Wed, 03 Jan 2024 00:00:00 GMT' })).status).toBe(304);
    expect((await get({ 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' })).status).toBe(200);
    expect((await get({ 'if-modified-since': 'not a date' })).status).toBe(200);
    expect((await get({ 'if-modified-since': LAST_MODIFIED, 'if-none-match': '"x"' })).status).toBe(200);
  });

  it('answers 412 for failed If-Match / If-Unmodified-Since, in the RFC order', async () => {
    expect((await get({ 'if-match': '"other"' })).status).toBe(412);
    // Strong comparison: the weak ETag never matches If-Match.
    expect((await get({ 'if-match': tag })).status).toBe(412);
    expect((await get({ 'if-match': '*' })).status).toBe(200);
    expect((await get({ 'if-unmodified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' })).status).toBe(412);
    expect((await get({ 'if-unmodified-since': LAST_MODIFIED })).status).toBe(200);
    // If-Match present: If-Unmodified-Since is not evaluated.
    expect(
      (await get({ 'if-match': '*', 'if-unmodified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' })).status,
    ).toBe(200);
    // Step 1 before step 3.
    expect((await get({ 'if-match': '"other"', 'if-none-match': tag })).status).toBe(412);
    const failed = await get({ 'if-match': '"other"' });
    expect([failed.text(), failed.header('content-type')]).toEqual([
      'Precondition Failed',
      'text/plain; charset=utf-8',
    ]);
  });

  it('can turn the validators off', async () => {
    const bare = createClient(
      staticFiles({ root: fx.root, etag: false, lastModified: false })(fallbackAsync),
    );
    const res = await bare.get('/data.bin', {
      headers: { 'if-none-match': '*', 'if-modified-since': LAST_MODIFIED },
    });
    expect(res.header('etag')).toBe(null);
    expect(res.header('last-modified')).toBe(null);
    // `*` matches any current representation.
    expect(res.status).toBe(304);
    expect((await bare.get('/data.bin', { headers: { 'if-modified-since': LAST_MODIFIED } })).status).toBe(
      200,
    );
  });
});

describe('staticFiles() ranges (RFC 9110 section 14)', () => {
  const client = createClient(staticFiles({ root: fx.root })(fallbackAsync));
  const range = (value: string, extra: Record<string, string> = {}, method = 'GET') =>
    client.request(method, '/data.bin', { headers: { range: value, ...extra } });
  const slice = (a: number, b: number) => Buffer.from(fx.binary.subarray(a, b + 1));

  it('answers 206 for one satisfiable range', async () => {
    for (const [value, a, b] of [
      ['bytes=0-9', 0, 9],
      ['bytes=990-', 990, 999],
      ['bytes=-5', 995, 999],
      ['bytes=995-2000', 995, 999],
      ['BYTES = 10-10', 10, 10],
      ['bytes=-5000', 0, 999],
    ] as const) {
      const res = await range(value);
      expect([value, res.status]).toEqual([value, 206]);
      expect(res.header('content-range')).toBe(`bytes ${a}-${b}/1000`);
      expect(res.header('content-length')).toBe(String(b - a + 1));
      expect(Buffer.from(res.body).equals(slice(a, b))).toBe(true);
    }
  });

  it('answers 416 with bytes */size for an unsatisfiable range', async () => {
    for (const value of ['bytes=1000-', 'bytes=5000-6000', 'bytes=-0']) {
      const res = await range(value);
      expect([value, res.status, res.header('content-range')]).toEqual([value, 416, 'bytes */1000']);
    }
    const empty = await client.get('/empty.txt', { headers: { range: 'bytes=0-' } });
    expect([empty.status, empty.header('content-range')]).toEqual([416, 'bytes */0']);
  });

  it('sends the whole file for malformed and multiple ranges, and for HEAD', async () => {
    for (const value of ['bytes=abc', 'bytes=5-2', 'items=0-1', 'bytes=', 'bytes=0-1,5-6', 'bytes=1-2-3']) {
      const res = await range(value);
      expect([value, res.status, res.body.length]).toEqual([value, 200, 1000]);
    }
    const head = await range('bytes=0-9', {}, 'HEAD');
    expect([head.status, head.header('content-length')]).toEqual([200, '1000']);
  });

  it('honours If-Range only when it matches strongly', async () => {
    expect((await range('bytes=0-9', { 'if-range': LAST_MODIFIED })).status).toBe(206);
    expect((await range('bytes=0-9', { 'if-range': 'Mon, 01 Jan 2024 00:00:00 GMT' })).status).toBe(200);
    expect((await range('bytes=0-9', { 'if-range': etagOf(1000) })).status).toBe(200);
    expect((await range('bytes=0-9', { 'if-range': '"x"' })).status).toBe(200);
    expect((await range('bytes=0-9', { 'if-range': 'garbage' })).status).toBe(200);
  });
});

describe('staticFiles() body: chunks, disconnects and pathsend', () => {
  it('streams a 5 MiB file in chunks of at most chunkSize bytes', async () => {
    const client = createClient(staticFiles({ root: fx.root, chunkSize: 100_000 })(fallbackAsync));
    const res = await client.stream('GET', '/big.bin');
    expect(res.header('content-length')).toBe(String(fx.big.length));
    const sizes: number[] = [];
    const parts: Uint8Array[] = [];
    for await (const chunk of res) {
      sizes.push(chunk.length);
      parts.push(chunk);
    }
    expect(Math.max(...sizes)).toBe(100_000);
    expect(sizes.length).toBe(Math.ceil(fx.big.length / 100_000));
    expect(Buffer.concat(parts).equals(Buffer.from(fx.big))).toBe(true);
  });

  it('uses 64 KiB chunks by default and streams ranges in chunks too', async () => {
    const client = createClient(staticFiles({ root: fx.root })(fallbackAsync));
    const res = await client.stream('GET', '/big.bin', { headers: { range: 'bytes=1-200000' } });
    expect(res.status).toBe(206);
    const sizes: number[] = [];
    for await (const chunk of res) sizes.push(chunk.length);
    expect(sizes).toEqual([65536, 65536, 65536, 200000 - 3 * 65536]);
  });

  it('stops reading and closes the file when the client leaves', async () => {
    const before = openFds();
    const client = createClient(staticFiles({ root: fx.root, chunkSize: 1024 })(fallbackAsync));
    const res = await client.stream('GET', '/big.bin');
    const iterator = res[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.length).toBe(1024);
    res.disconnect();
    await res.finished;
    expect(openFds()).toBe(before);
  });

  it('sends http.response.pathsend for a whole file when offered, body events otherwise', async () => {
    const app = staticFiles({ root: fx.root })(fallbackAsync);
    const types: string[] = [];
    const offered = createClient(spy(app, types), { extensions: { 'http.response.pathsend': {} } });
    const res = await offered.get('/big.bin');
    expect(types).toEqual(['http.response.start', 'http.response.pathsend']);
    expect(Buffer.from(res.body).equals(Buffer.from(fx.big))).toBe(true);

    types.length = 0;
    const part = await offered.get('/data.bin', { headers: { range: 'bytes=0-1' } });
    expect([part.status, types]).toEqual([206, ['http.response.start', 'http.response.body']]);

    types.length = 0;
    await offered.head('/data.bin');
    expect(types).toEqual(['http.response.start', 'http.response.body']);

    types.length = 0;
    const plain = await createClient(spy(app, types)).get('/data.bin');
    expect(types).toEqual(['http.response.start', 'http.response.body']);
    expect(plain.body.length).toBe(1000);

    types.length = 0;
    const off = staticFiles({ root: fx.root, pathsend: false })(fallbackAsync);
    await createClient(spy(off, types), { extensions: { 'http.response.pathsend': {} } }).get('/data.bin');
    expect(types).toEqual(['http.response.start', 'http.response.body']);
  });
});

describe('staticFiles() options', () => {
  it('checks its options when called', () => {
    expect(thrownCode(() => staticFiles({ root: `${fx.root}/missing` }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => staticFiles({ root: `${fx.root}/hello.txt` }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => staticFiles({ root: '' }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => staticFiles({ root: fx.root, index: ['../x'] }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => staticFiles({ root: fx.root, dotfiles: 'x' as 'allow' }))).toBe(
      'ERR_INVALID_OPTION',
    );
    expect(thrownCode(() => staticFiles({ root: fx.root, maxAge: -1 }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => staticFiles({ root: fx.root, chunkSize: 0 }))).toBe('ERR_INVALID_OPTION');
    expect(thrownCode(() => staticFiles({ root: fx.root, etag: 'yes' as unknown as boolean }))).toBe(
      'ERR_INVALID_OPTION',
    );
    expect(thrownCode(() => staticFiles({ root: fx.root }))).toBe(undefined);
  });

  it('uses the index names in order', async () => {
    const client = createClient(
      staticFiles({ root: fx.root, index: ['missing.html', 'page.html'] })(fallbackAsync),
    );
    expect((await client.get('/docs/guide/')).text()).toBe('<p>page</p>');
    const none = createClient(staticFiles({ root: fx.root, index: [] })(fallbackAsync));
    expect((await none.get('/docs/')).text()).toBe('fallback GET /docs/');
  });
});

describe('staticFiles() range property', () => {
  it('answers a random single range on a random-size file with exactly that slice', async () => {
    const client = createClient(staticFiles({ root: fx.root, chunkSize: 512 })(fallbackAsync));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4096 }),
        fc.nat(),
        fc.nat(),
        fc.constantFrom('int', 'open', 'suffix'),
        async (size, x, y, form) => {
          const data = pattern(size);
          writeFileSync(join(fx.root, 'prop.bin'), data);
          const a = x % size;
          const b = a + (y % (size - a));
          const n = (y % size) + 1;
          const header = form === 'int' ? `bytes=${a}-${b}` : form === 'open' ? `bytes=${a}-` : `bytes=-${n}`;
          const [start, end] =
            form === 'int' ? [a, b] : form === 'open' ? [a, size - 1] : [size - n, size - 1];
          const res = await client.get('/prop.bin', { headers: { range: header } });
          expect(res.status).toBe(206);
          expect(res.header('content-range')).toBe(`bytes ${start}-${end}/${size}`);
          expect(Buffer.from(res.body).equals(Buffer.from(data.subarray(start, end + 1)))).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('staticFiles() and other scope types', () => {
  it('passes lifespan through to the app', async () => {
    await expectLifespanPassesThrough(staticFiles({ root: fx.root }));
  });
});
