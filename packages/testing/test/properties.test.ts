import type { AsyncApp, HTTPScope } from '@portico/spec';
import { decodePath } from '@portico/spec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClient } from '../src/index.js';
import { echoApp, httpScope, scopeApp } from './apps.js';

/** Splits `bytes` at the given cut points (sorted, deduplicated, in range). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.byteLength + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out;
}

async function* iterate(chunks: Uint8Array[]) {
  for (const c of chunks) yield c;
}

describe('properties', () => {
  const client = createClient(echoApp);

  it('any body, chunked arbitrarily, reaches an echo app byte-exact, one event per chunk', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2048 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (bytes, cuts) => {
          const chunks = split(bytes, cuts);
          const res = await client.post('/echo', { body: iterate(chunks) });
          expect(res.body).toEqual(bytes);
          expect(res.header('x-pieces')).toBe([...chunks.map((c) => c.byteLength), 0].join(','));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('any response body, sent in arbitrary events, is read back byte-exact and chunk by chunk', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2048 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (bytes, cuts) => {
          const chunks = split(bytes, cuts);
          const app: AsyncApp = async (scope, _receive, send) => {
            httpScope(scope);
            await send({ type: 'http.response.start', status: 200 });
            for (const [i, c] of chunks.entries()) {
              await send({ type: 'http.response.body', body: c, moreBody: i < chunks.length - 1 });
            }
          };
          const streamed: Uint8Array[] = [];
          for await (const c of await createClient(app).stream('GET', '/')) streamed.push(c);
          expect(streamed).toEqual(chunks);
          expect((await createClient(app).get('/')).body).toEqual(bytes);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('for any path and rootPath, rootPath + path is decodePath(rawPath) when the prefix is there', async () => {
    const segment = fc.string({
      unit: fc.constantFrom('a', 'é', ' ', '%', '2', 'F', '/', '~', '☃'),
      maxLength: 6,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { maxLength: 4 }),
        fc.constantFrom('', '/app', '/a/b'),
        async (segs, root) => {
          const path = `${root}/${segs.join('/')}`;
          const res = await createClient(scopeApp, { rootPath: root }).get(path);
          const s = res.json<HTTPScope>();
          expect(s.rootPath).toBe(root);
          expect(s.rootPath + s.path).toBe(decodePath(s.rawPath));
          expect(s.rawPath).toMatch(/^[\x21-\x7e]*$/);
        },
      ),
      { numRuns: 200 },
    );
  });
});
