import { createHash } from 'node:crypto';
import {
  type App,
  type AsyncApp,
  asyncApp,
  type SyncApp,
  syncApp,
  validateAsync,
  validateSync,
} from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { compose } from '../../src/compose/index.js';
import { conditionalGet, etag } from '../../src/files/index.js';
import { thrownCode } from '../helpers/errors.js';

const enc = new TextEncoder();
const LM = 'Tue, 02 Jan 2024 03:04:05 GMT';

/** What each route answers: status, headers, body chunks. */
function route(path: string): { status: number; headers: [string, string][]; chunks: string[] } {
  const typed: [string, string][] = [['content-type', 'text/plain']];
  switch (path) {
    case '/fixed':
      return {
        status: 200,
        headers: [
          ...typed,
          ['etag', '"v1"'],
          ['last-modified', LM],
          ['cache-control', 'max-age=60'],
          ['content-length', '5'],
        ],
        chunks: ['hello'],
      };
    case '/stream-tagged':
      return { status: 200, headers: [...typed, ['etag', '"s1"']], chunks: ['a', 'b', 'c'] };
    case '/stream':
      return { status: 200, headers: typed, chunks: ['one ', 'two ', 'three'] };
    case '/missing':
      return { status: 404, headers: [...typed, ['etag', '"v1"']], chunks: ['nope'] };
    case '/no-store':
      return { status: 200, headers: [...typed, ['cache-control', 'no-store']], chunks: ['secret'] };
    default:
      return { status: 200, headers: typed, chunks: ['plain body'] };
  }
}

const finished: string[] = [];

const leafAsync: AsyncApp = asyncApp(async function leafAsyncApp(scope, receive, send) {
  if (scope.type !== 'http') throw new Error('http only');
  await receive();
  const r = route(scope.path);
  await send({ type: 'http.response.start', status: r.status, headers: r.headers });
  for (let i = 0; i < r.chunks.length; i++) {
    await send({
      type: 'http.response.body',
      body: enc.encode(r.chunks[i]),
      moreBody: i < r.chunks.length - 1,
    });
  }
  finished.push(scope.path);
});

const leafSync: SyncApp = syncApp(function leafSyncApp(environ, startResponse) {
  const r = route(environ.PATH_INFO);
  startResponse(`${r.status} X`, r.headers);
  const chunks = r.chunks.map((c) => enc.encode(c));
  // One chunk: a list (one body event); several: a generator (streamed, one event per chunk).
  if (chunks.length === 1) {
    finished.push(environ.PATH_INFO);
    return chunks;
  }
  return (function* body() {
    yield* chunks;
    finished.push(environ.PATH_INFO);
  })();
});

const sha1Tag = (body: string, weak = true) =>
  `${weak ? 'W/' : ''}"${Buffer.byteLength(body).toString(16)}-${createHash('sha1').update(body).digest('base64').slice(0, 27)}"`;

// etag() needs the whole body in one event. validateSync wraps the sync app's body in a checked
// iterable, which the bridge streams (chunk, then an empty final event), so the sync leaf of the
// etag() tests runs bare: a one-element list is one event. The client's validator still checks the
// middleware's own events.
for (const [label, leaf, etagLeaf] of [
  ['async', validateAsync(leafAsync), validateAsync(leafAsync)],
  ['sync', validateSync(leafSync), leafSync],
] as const) {
  describe(`conditionalGet() on an ${label} app`, () => {
    const client = createClient(conditionalGet()(leaf));

    it('answers 304 for a matching If-None-Match or If-Modified-Since, keeping the validators', async () => {
      for (const headers of [
        { 'if-none-match': '"x", W/"v1"' },
        { 'if-modified-since': LM },
        { 'if-none-match': '*' },
      ]) {
        finished.length = 0;
        const res = await client.get('/fixed', { headers });
        expect(res.status).toBe(304);
        expect(res.body.length).toBe(0);
        expect(res.header('etag')).toBe('"v1"');
        expect(res.header('last-modified')).toBe(LM);
        expect(res.header('cache-control')).toBe('max-age=60');
        expect(res.header('content-type')).toBe(null);
        expect(res.header('content-length')).toBe(null);
        expect(finished).toEqual(['/fixed']);
      }
      expect((await client.head('/fixed', { headers: { 'if-none-match': '"v1"' } })).status).toBe(304);
    });

    it('passes the response through when nothing matches', async () => {
      const res = await client.get('/fixed', { headers: { 'if-none-match': '"v2"' } });
      expect([res.status, res.text()]).toEqual([200, 'hello']);
      const old = await client.get('/fixed', {
        headers: { 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' },
      });
      expect(old.status).toBe(200);
      const noValidators = await client.get('/plain', { headers: { 'if-none-match': '*' } });
      expect([noValidators.status, noValidators.text()]).toEqual([200, 'plain body']);
      const notFound = await client.get('/missing', { headers: { 'if-none-match': '"v1"' } });
      expect([notFound.status, notFound.text()]).toEqual([404, 'nope']);
      const post = await client.post('/fixed', { headers: { 'if-none-match': '"v1"' } });
      expect(post.status).toBe(200);
    });

    it('answers 412 for a failed If-Match on GET', async () => {
      const res = await client.get('/fixed', { headers: { 'if-match': '"v0"' } });
      expect([res.status, res.text()]).toEqual([412, 'Precondition Failed']);
      expect((await client.get('/fixed', { headers: { 'if-match': '"v1"' } })).status).toBe(200);
    });

    it('drops a streamed body as it comes, letting the app finish', async () => {
      finished.length = 0;
      const res = await client.get('/stream-tagged', { headers: { 'if-none-match': '"s1"' } });
      expect([res.status, res.body.length, res.header('etag')]).toEqual([304, 0, '"s1"']);
      expect(finished).toEqual(['/stream-tagged']);
    });
  });

  describe(`etag() on an ${label} app`, () => {
    const client = createClient(etag()(etagLeaf));

    it('adds an ETag hashed from a one-event body', async () => {
      const res = await client.get('/plain');
      expect([res.status, res.text(), res.header('etag')]).toEqual([
        200,
        'plain body',
        sha1Tag('plain body'),
      ]);
      const strong = await createClient(etag({ weak: false })(etagLeaf)).get('/plain');
      expect(strong.header('etag')).toBe(sha1Tag('plain body', false));
    });

    it('leaves streamed, tagged, no-store, HEAD and non-200 responses alone', async () => {
      const stream = await client.get('/stream');
      expect([stream.text(), stream.header('etag')]).toEqual(['one two three', null]);
      expect((await client.get('/fixed')).headerAll('etag')).toEqual(['"v1"']);
      expect((await client.get('/no-store')).header('etag')).toBe(null);
      expect((await client.get('/missing')).header('etag')).toBe('"v1"');
      expect((await client.head('/plain')).header('etag')).toBe(null);
    });

    it('gives 304s when composed inside conditionalGet()', async () => {
      const both = createClient(compose<App>(conditionalGet(), etag())(etagLeaf));
      const first = await both.get('/plain');
      const tag = first.header('etag') as string;
      expect(tag).toBe(sha1Tag('plain body'));
      const again = await both.get('/plain', { headers: { 'if-none-match': tag } });
      expect([again.status, again.body.length, again.header('etag')]).toEqual([304, 0, tag]);
    });
  });
}

describe('etag() does not hold a stream', () => {
  it('sends the start with the first of several chunks, before the app sends the next', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const app = etag()(
      validateAsync(async function slowApp(scope, receive, send) {
        if (scope.type !== 'http') return;
        await receive();
        await send({ type: 'http.response.start', status: 200, headers: [] });
        await send({ type: 'http.response.body', body: enc.encode('first'), moreBody: true });
        await gate;
        await send({ type: 'http.response.body', body: enc.encode('second') });
      }),
    );
    const res = await createClient(app).stream('GET', '/');
    expect([res.status, res.header('etag')]).toEqual([200, null]);
    const it = res[Symbol.asyncIterator]();
    expect(new TextDecoder().decode((await it.next()).value)).toBe('first');
    release();
    expect(new TextDecoder().decode((await it.next()).value)).toBe('second');
    await res.finished;
  });

  it('checks its option', () => {
    expect(thrownCode(() => etag({ weak: 'no' as unknown as boolean }))).toBe('ERR_INVALID_OPTION');
  });
});
