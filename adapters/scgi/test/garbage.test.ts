/**
 * Bad input at the connection level, as properties: random bytes and mutated valid requests sent to
 * a live server never crash it; a connection gets its request answered, is left waiting, or is
 * answered 400/431 and closed with a logged reason; and a fresh connection is served afterwards.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { testApp } from '../../../packages/server/test/adapter-apps.js';
import {
  mutatedWithCuts,
  sendInPieces,
  throwAt as throwAtWith,
} from '../../../packages/server/test/connection-stress.js';
import { serveForFile } from '../../../packages/server/test/served-for-file.js';
import { scgiRequest } from '../src/client.js';
import { encodeSCGIHead } from '../src/index.js';
import { headersOf, RawConnection, start } from './helpers.js';

const running = serveForFile(() => start(testApp, { headersTimeout: 2000, requestTimeout: 3000 }));

/** Sends `bytes` in the given pieces, waits a moment, closes; resolves with what came back once closed. */
async function throwAt(bytes: Uint8Array, cuts: number[]): Promise<Buffer> {
  return (await throwAtWith(() => RawConnection.open(running.port), bytes, cuts)).received;
}

async function stillServes(): Promise<void> {
  const res = await scgiRequest({ port: running.port }, { headers: headersOf('GET', '/alive') });
  expect(JSON.parse(res.body.toString()).path).toBe('/alive');
}

/** Whatever came back is nothing, or a whole CGI response with a Status line. */
function expectNothingOrAResponse(received: Buffer): void {
  if (received.length === 0) return;
  expect(received.toString('latin1')).toMatch(/^Status: \d{3} [^\r\n]*\r\n/);
}

it('random bytes never crash the server; a refused head is answered 400 or 431; it serves the next connection', async () => {
  const before = running.logger.records.length;
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 600 }),
        // A plausible netstring length first, so that the random content is read too.
        fc
          .tuple(fc.integer({ min: 1, max: 300 }), fc.uint8Array({ maxLength: 400 }))
          .map(([n, rest]) => Buffer.concat([Buffer.from(`${n}:`), rest])),
      ),
      fc.array(fc.nat(600), { maxLength: 4 }),
      async (bytes, cuts) => {
        const received = await throwAt(bytes, cuts);
        expectNothingOrAResponse(received);
        if (received.length > 0) expect(received.toString('latin1')).toMatch(/^Status: (400|431) /);
      },
    ),
    { numRuns: 80 },
  );
  await stillServes();
  // Each refusal was logged with its reason; nothing failed inside the server.
  const records = running.logger.records.slice(before);
  expect(records.some((r) => r.level === 'warn' && /^bad SCGI request: .*: (400|431)$/.test(r.message))).toBe(
    true,
  );
  expect(records.filter((r) => r.level === 'error')).toEqual([]);
  expect(running.violations.splice(0)).toEqual([]);
});

it('mutated valid requests never crash the server; it serves the next connection', async () => {
  const body = Buffer.from('hello body');
  const valid = Buffer.concat([
    encodeSCGIHead(
      Object.entries(headersOf('POST', '/echo?x=1', { HTTP_HOST: 'example.test', HTTP_X_A: 'b' })),
      body.length,
    ),
    body,
  ]);
  await fc.assert(
    fc.asyncProperty(mutatedWithCuts(valid), async ([bytes, cuts]) => {
      expectNothingOrAResponse(await throwAt(bytes, cuts));
    }),
    { numRuns: 100 },
  );
  await stillServes();
  // Nothing failed inside the server: no error-level log but the app's own failures.
  expect(
    running.logger.records.filter(
      (r) => r.level === 'error' && !/app raised|response refused/.test(r.message),
    ),
  ).toEqual([]);
  running.violations.length = 0; // mutated variables can make the scope itself invalid; that is the input's fault
});

it('any re-chunking of a valid request gives the same response', async () => {
  const stream = Buffer.concat([
    encodeSCGIHead(Object.entries(headersOf('POST', '/echo?n=1')), 11),
    Buffer.from('hello world'),
  ]);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat(stream.length), { maxLength: 12 }), async (cuts) => {
      const conn = await RawConnection.open(running.port);
      await sendInPieces(conn, stream, cuts, true);
      const res = await conn.response();
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body.toString())).toMatchObject({
        body: 'hello world',
        path: '/echo',
        queryString: 'n=1',
      });
    }),
    { numRuns: 40 },
  );
  expect(running.violations).toEqual([]);
});
