/**
 * compression() behind the real HTTP adapter: node's fetch decodes each coding, and a node:http
 * client decoding incrementally sees each chunk before the app sends the next.
 */
import { request } from 'node:http';
import { createGunzip } from 'node:zlib';
// @portico/http is not a dependency of @portico/middleware: reached by path, as adapters/*/test do.
import { type HTTPServer, serve } from '@portico/http';
import { asyncApp, validateAsync } from '@portico/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../server/test/memory-logger.js';
import { compression } from '../../src/http/index.js';
import { bytes, text } from './apps.js';

const BIG = text(20_000);
let wake: (() => void) | undefined;
let decodedParts = 0;

const app = compression()(
  validateAsync(
    asyncApp(async function servedApp(scope, receive, send) {
      if (scope.type !== 'http') return;
      await receive();
      if (scope.path === '/big') {
        await send({
          type: 'http.response.start',
          status: 200,
          headers: [['content-type', 'text/plain; charset=utf-8']],
        });
        await send({ type: 'http.response.body', body: BIG });
        return;
      }
      // '/events': three events; each after the client decoded the one before.
      await send({
        type: 'http.response.start',
        status: 200,
        headers: [['content-type', 'text/event-stream']],
      });
      decodedParts = 0;
      for (let i = 0; i < 3; i++) {
        while (decodedParts < i)
          await new Promise<void>((r) => {
            wake = r;
          });
        await send({ type: 'http.response.body', body: bytes(`data: ${i}\n\n`), moreBody: true });
      }
      await send({ type: 'http.response.body', moreBody: false });
    }),
  ),
);

let server: HTTPServer;
let url: string;
beforeAll(async () => {
  server = await serve(app, { bind: ['127.0.0.1:0'], lifespan: 'off', logger: memoryLogger() });
  url = server.addresses[0]!;
});
afterAll(() => server.close());

describe('compression() over @portico/http', () => {
  for (const coding of ['br', 'gzip', 'deflate']) {
    it(`fetch decodes ${coding}`, async () => {
      const res = await fetch(`${url}/big`, { headers: { 'accept-encoding': coding } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding')).toBe(coding);
      expect(res.headers.get('vary')).toBe('Accept-Encoding');
      expect(Number(res.headers.get('content-length') ?? 0)).toBeLessThan(BIG.length); // not the app's length
      expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(BIG))).toBe(true);
    });
  }

  it('streams: a node:http client decodes each event before the app sends the next', async () => {
    const seen = await new Promise<string[]>((resolve, reject) => {
      const req = request(`${url}/events`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        expect(res.headers['content-encoding']).toBe('gzip');
        const gunzip = createGunzip();
        const got: string[] = [];
        gunzip.on('data', (d: Buffer) => {
          got.push(d.toString());
          decodedParts = got.join('').split('\n\n').length - 1;
          wake?.();
        });
        gunzip.on('end', () => resolve(got));
        gunzip.on('error', reject);
        res.pipe(gunzip);
      });
      req.on('error', reject);
      req.end();
    });
    expect(seen.join('')).toBe('data: 0\n\ndata: 1\n\ndata: 2\n\n');
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });
});
