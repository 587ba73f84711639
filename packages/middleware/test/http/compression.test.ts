import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { type AsyncApp, asyncApp, isPorticoError, validateAsync } from '@portico/spec';
import { createClient } from '@portico/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CompressionOptions, compression, isCompressible } from '../../src/http/index.js';
import { thrownCode } from '../helpers/errors.js';
import { bytes, recorded, replyApps, text } from './apps.js';

const decoders: Record<string, (b: Uint8Array) => Uint8Array> = {
  gzip: (b) => gunzipSync(b),
  br: (b) => brotliDecompressSync(b),
  deflate: (b) => inflateSync(b),
  identity: (b) => b,
};

const BIG = text(5000);
const JSON_TYPE: [string, string] = ['content-type', 'application/json'];

function clientFor(app: Parameters<ReturnType<typeof compression>>[0], options?: CompressionOptions) {
  return createClient(compression(options)(app));
}

for (const { label, app } of replyApps({
  headers: [JSON_TYPE, ['content-length', String(BIG.length)], ['etag', '"v1"'], ['vary', 'Cookie']],
  chunks: [BIG.slice(0, 1000), BIG.slice(1000)],
})) {
  describe(`compression() on a ${label} app`, () => {
    const client = clientFor(app);

    for (const coding of ['br', 'gzip', 'deflate']) {
      it(`${coding}: decodes to the original bytes; Content-Length removed, ETag weak, Vary merged`, async () => {
        const res = await client.get('/', { headers: { 'accept-encoding': coding } });
        expect(res.status).toBe(200);
        expect(res.header('content-encoding')).toBe(coding);
        expect(res.header('content-length')).toBeNull();
        expect(res.header('etag')).toBe('W/"v1"');
        expect(res.headerAll('vary')).toEqual(['Cookie, Accept-Encoding']);
        expect(res.body.length).toBeLessThan(BIG.length);
        expect(Buffer.from(decoders[coding]!(res.body)).equals(Buffer.from(BIG))).toBe(true);
      });
    }

    it('negotiates: q-values, refusals, server order', async () => {
      const got = async (ae: string) =>
        (await client.get('/', { headers: { 'accept-encoding': ae } })).header('content-encoding');
      expect(await got('gzip, deflate, br')).toBe('br');
      expect(await got('gzip;q=1, br;q=0.5')).toBe('gzip');
      expect(await got('br;q=0, gzip;q=0, *')).toBe('deflate');
      expect(await got('*;q=0')).toBeNull();
      expect(await got('gzip;q=0')).toBeNull();
      expect(await got('identity;q=0')).toBeNull();
      expect(await got('identity;q=0, deflate;q=0.2')).toBe('deflate');
    });

    it('without Accept-Encoding: identity, Content-Length kept, Vary still added', async () => {
      const res = await client.get('/');
      expect(res.header('content-encoding')).toBeNull();
      expect(res.header('content-length')).toBe(String(BIG.length));
      expect(res.header('etag')).toBe('"v1"');
      expect(res.headerAll('vary')).toEqual(['Cookie, Accept-Encoding']);
      expect(Buffer.from(res.body).equals(Buffer.from(BIG))).toBe(true);
    });

    it('HEAD: not compressed, Vary added, app sees HEAD', async () => {
      const res = await client.head('/', { headers: { 'accept-encoding': 'gzip' } });
      expect(res.header('content-encoding')).toBeNull();
      expect(res.header('content-length')).toBe(String(BIG.length));
      expect(res.headerAll('vary')).toEqual(['Cookie, Accept-Encoding']);
    });
  });
}

describe('compression() skips', () => {
  const skip: [string, Parameters<typeof replyApps>[0], boolean][] = [
    ['an encoded response', { headers: [JSON_TYPE, ['content-encoding', 'gzip']], chunks: [BIG] }, false],
    [
      'Cache-Control: no-transform',
      { headers: [JSON_TYPE, ['cache-control', 'public, No-Transform']], chunks: [BIG] },
      false,
    ],
    [
      'a 206',
      { status: 206, headers: [JSON_TYPE, ['content-range', `bytes 0-4999/9999`]], chunks: [BIG] },
      false,
    ],
    ['a 204', { status: 204, headers: [JSON_TYPE] }, false],
    ['a 304', { status: 304, headers: [JSON_TYPE, ['etag', '"x"']] }, false],
    ['an image', { headers: [['content-type', 'image/png']], chunks: [BIG] }, false],
    ['no content type', { headers: [], chunks: [BIG] }, false],
    ['a small whole body', { headers: [JSON_TYPE], chunks: [BIG.slice(0, 1023)] }, true],
    [
      'a small declared Content-Length',
      { headers: [JSON_TYPE, ['content-length', '1000']], chunks: [BIG.slice(0, 500), BIG.slice(500, 1000)] },
      true,
    ],
  ];
  for (const [what, reply, vary] of skip) {
    for (const { label, app } of replyApps(reply)) {
      it(`${what} (${label} app)`, async () => {
        const res = await clientFor(app).get('/', { headers: { 'accept-encoding': 'gzip, br' } });
        expect(res.status).toBe(reply.status ?? 200);
        expect(res.header('content-encoding')).toBe(what === 'an encoded response' ? 'gzip' : null);
        expect(res.header('vary')).toBe(vary ? 'Accept-Encoding' : null);
        const want = Buffer.concat(reply.chunks ?? []);
        expect(Buffer.from(res.body).equals(want)).toBe(true);
      });
    }
  }

  it('compresses a streamed body even when its first chunk is small; threshold option', async () => {
    for (const { app } of replyApps({ headers: [JSON_TYPE], chunks: [bytes('{'), bytes('"a":1}')] })) {
      const res = await clientFor(app).get('/', { headers: { 'accept-encoding': 'gzip' } });
      expect(res.header('content-encoding')).toBe('gzip');
      expect(new TextDecoder().decode(gunzipSync(res.body))).toBe('{"a":1}');
    }
    const [small] = replyApps({ headers: [JSON_TYPE], chunks: [bytes('{"a":1}')] });
    const res = await clientFor(small!.app, { threshold: 0 }).get('/', {
      headers: { 'accept-encoding': 'br' },
    });
    expect(new TextDecoder().decode(brotliDecompressSync(res.body))).toBe('{"a":1}');
  });

  it('isCompressible: the default filter', () => {
    for (const t of [
      'text/html; charset=utf-8',
      'application/json',
      'application/problem+json',
      'text/javascript',
      'application/javascript',
      'application/xml',
      'image/svg+xml',
      'application/wasm',
      'TEXT/CSS',
      'text/event-stream',
    ]) {
      expect([t, isCompressible(t)]).toEqual([t, true]);
    }
    for (const t of [
      'image/png',
      'video/mp4',
      'audio/ogg',
      'application/zip',
      'application/gzip',
      'application/octet-stream',
      '',
      'application/jsonx',
    ]) {
      expect([t, isCompressible(t)]).toEqual([t, false]);
    }
  });

  it('validates options when called', () => {
    const bad: CompressionOptions[] = [
      { encodings: [] },
      { encodings: ['zstd' as 'br'] },
      { encodings: ['gzip', 'gzip'] },
      { threshold: -1 },
      { threshold: 1.5 },
      { gzipLevel: 10 },
      { brotliQuality: 12 },
      { filter: 'text' as unknown as () => boolean },
    ];
    for (const options of bad) {
      expect(thrownCode(() => compression(options))).toBe('ERR_INVALID_OPTION');
    }
  });
});

/** An async app streaming `parts`; before each next part it waits for `gate(i)`. */
function gatedApp(
  parts: Uint8Array[],
  gate: (i: number) => Promise<void>,
  type = 'text/event-stream',
): AsyncApp {
  return validateAsync(
    asyncApp(async function gatedStreamApp(scope, receive, send) {
      if (scope.type !== 'http') return;
      await receive();
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', type]] });
      for (const [i, body] of parts.entries()) {
        if (i > 0) await gate(i);
        await send({ type: 'http.response.body', body, moreBody: true });
      }
      await send({ type: 'http.response.body', moreBody: false });
    }),
  );
}

describe('compression() streams without buffering', () => {
  for (const coding of ['gzip', 'br', 'deflate'] as const) {
    it(`${coding}: each chunk decodes on its own before the app sends the next`, async () => {
      const parts = ['data: one\n\n', 'data: two\n\n', 'data: three\n\n'].map(bytes);
      let seen = 0;
      let wake: (() => void) | undefined;
      // The app sends part i only once the client has decoded parts 0..i-1: were any of them held
      // back by the middleware, neither side would move and the test would time out.
      const gate = async (i: number) => {
        while (seen < i)
          await new Promise<void>((r) => {
            wake = r;
          });
      };
      const res = await createClient(compression()(gatedApp(parts, gate))).stream('GET', '/', {
        headers: { 'accept-encoding': coding },
      });
      expect(res.header('content-encoding')).toBe(coding);
      const { createGunzip, createBrotliDecompress, createInflate } = await import('node:zlib');
      const dec =
        coding === 'gzip' ? createGunzip() : coding === 'br' ? createBrotliDecompress() : createInflate();
      let decoded = '';
      dec.on('data', (d: Buffer) => {
        decoded += d.toString();
      });
      const want = parts.map((p) => new TextDecoder().decode(p));
      for await (const chunk of res) {
        await new Promise<void>((r) => dec.write(chunk, () => r()));
        await new Promise((r) => setImmediate(r));
        if (seen < parts.length) {
          expect(decoded).toBe(want.slice(0, seen + 1).join(''));
          seen++;
          wake?.();
        }
      }
      expect(seen).toBe(3);
      await res.finished;
    });
  }

  it('destroys the zlib stream when the client leaves; no unhandled rejection', async () => {
    let failure: unknown;
    const app = compression()(
      validateAsync(
        asyncApp(async function leavingClientApp(scope, receive, send) {
          if (scope.type !== 'http') return;
          await receive();
          await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
          try {
            for (;;) await send({ type: 'http.response.body', body: text(2000), moreBody: true });
          } catch (error) {
            failure = error;
          }
        }),
      ),
    );
    const res = await createClient(app).stream('GET', '/', { headers: { 'accept-encoding': 'gzip' } });
    let n = 0;
    for await (const _ of res) if (++n === 3) break;
    await res.finished;
    expect(isPorticoError(failure, 'ERR_CLIENT_DISCONNECTED')).toBe(true);
  });

  it('arbitrary re-chunking decodes to the same bytes (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 8 }),
        fc.constantFrom('gzip', 'br', 'deflate'),
        async (chunks, coding) => {
          const app = compression({ threshold: 0 })(
            validateAsync(
              asyncApp(async function chunksApp(scope, receive, send) {
                if (scope.type !== 'http') return;
                await receive();
                await send({
                  type: 'http.response.start',
                  status: 200,
                  headers: [['content-type', 'text/plain']],
                });
                for (const body of chunks) await send({ type: 'http.response.body', body, moreBody: true });
                await send({ type: 'http.response.body', moreBody: false });
              }),
            ),
          );
          const { app: rec, events } = recorded(app);
          const res = await createClient(rec).get('/', { headers: { 'accept-encoding': coding } });
          expect(res.header('content-encoding')).toBe(coding);
          expect(Buffer.from(decoders[coding]!(res.body)).equals(Buffer.concat(chunks))).toBe(true);
          // one body event out per body event in: nothing held back
          expect(events.filter((e) => e.type === 'http.response.body')).toHaveLength(chunks.length + 1);
        },
      ),
      { numRuns: 60 },
    );
  });
});
