/**
 * Bad input at the connection level, as properties: random bytes and mutated valid streams sent to a
 * live server never crash it; a connection gets its requests answered, is left waiting, or is
 * closed with a logged reason; and a fresh connection is served afterwards (engineering rule 4).
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
import { FastCGIClient } from '../src/client.js';
import { encodeRecord, FCGI_ABORT_REQUEST, FCGI_DATA, FCGI_GET_VALUES, FCGI_STDIN } from '../src/index.js';
import { beginWithParams, paramsOf, RawConnection, start, stdin } from './helpers.js';

const running = serveForFile(() => start(testApp, { headersTimeout: 2000, requestTimeout: 3000 }));

/** Sends `bytes` in the given pieces, waits a moment, closes; resolves once the socket is closed. */
async function throwAt(bytes: Uint8Array, cuts: number[]): Promise<void> {
  await throwAtWith(() => RawConnection.open(running.port), bytes, cuts);
}

async function stillServes(): Promise<void> {
  const client = await FastCGIClient.connect({ port: running.port });
  const res = await client.request({ params: paramsOf('GET', '/alive') });
  client.close();
  expect(JSON.parse(res.body.toString()).path).toBe('/alive');
}

/** A valid conversation: two requests, a management record, an abort, data for an unknown id. */
function validStream(): Buffer {
  return Buffer.concat([
    beginWithParams(1, paramsOf('POST', '/echo', { CONTENT_LENGTH: '4' })),
    stdin(1, Buffer.from('body')),
    stdin(1, Buffer.alloc(0)),
    encodeRecord(FCGI_GET_VALUES, 0),
    beginWithParams(2, paramsOf('GET', '/stream')),
    stdin(2, Buffer.alloc(0)),
    encodeRecord(FCGI_ABORT_REQUEST, 2),
    encodeRecord(FCGI_DATA, 7, Buffer.from('x')),
    encodeRecord(FCGI_STDIN, 9, Buffer.from('y')),
  ]);
}

it('random bytes never crash the server; it serves the next connection', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 1, maxLength: 600 }),
      fc.array(fc.nat(600), { maxLength: 4 }),
      async (bytes, cuts) => {
        await throwAt(bytes, cuts);
      },
    ),
    { numRuns: 60 },
  );
  await stillServes();
  expect(running.violations).toEqual([]);
});

it('mutated valid streams never crash the server; a bad version byte is logged as the reason', async () => {
  const valid = validStream();
  await fc.assert(
    fc.asyncProperty(mutatedWithCuts(valid), async ([bytes, cuts]) => {
      await throwAt(bytes, cuts);
    }),
    { numRuns: 80 },
  );
  await stillServes();
  // Whatever the mutations did, nothing failed inside the server: no error-level log.
  expect(
    running.logger.records.filter(
      (r) => r.level === 'error' && !/app raised|response refused/.test(r.message),
    ),
  ).toEqual([]);
  const bad = Buffer.from(valid);
  bad[0] = 9;
  await throwAt(bad, []);
  await expect
    .poll(() =>
      running.logger.records.some((r) =>
        /FastCGI connection closed: record header with version 9/.test(r.message),
      ),
    )
    .toBe(true);
  running.violations.length = 0; // mutated params can make the scope itself invalid; that is the input's fault
});

it('any re-chunking of a valid stream gives the same responses', async () => {
  const stream = Buffer.concat([
    beginWithParams(1, paramsOf('POST', '/echo', { CONTENT_LENGTH: '11' })),
    stdin(1, Buffer.from('hello world')),
    stdin(1, Buffer.alloc(0)),
  ]);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat(stream.length), { maxLength: 12 }), async (cuts) => {
      const conn = await RawConnection.open(running.port);
      await sendInPieces(conn, stream, cuts, true);
      const res = await conn.response(1);
      conn.close();
      expect(JSON.parse(res.body.toString())).toMatchObject({ body: 'hello world', path: '/echo' });
    }),
    { numRuns: 40 },
  );
  expect(running.violations).toEqual([]);
});
