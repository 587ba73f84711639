/**
 * Garbage apps through the FastCGI adapter (engineering rule 4): whatever an app sends, throws or
 * returns, the request ends with FCGI_END_REQUEST (its CGI status one the app chose, or 500) or the
 * connection closes, within 5 s; no unhandled rejection or uncaught exception; a few one-line log
 * entries; and the next request on the same connection (FCGI_KEEP_CONN), or on a new one when the
 * adapter closed it, is served.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { garbageCase, garbageHarness, type Outcome } from '../../../packages/server/test/garbage-harness.js';
import { within } from '../../../packages/server/test/within.js';
import { FastCGIClient } from '../src/client.js';
import { type FastCGIServer, serve } from '../src/index.js';
import { paramsOf } from './helpers.js';

const harness = garbageHarness();
let server: FastCGIServer;
let port = 0;
let client: FastCGIClient | null = null;

beforeAll(async () => {
  server = await serve(harness.app, { bind: ['127.0.0.1:0'], lifespan: 'off', logger: harness.logger });
  port = Number(server.addresses[0]!.split(':').pop());
});
afterAll(async () => {
  client?.close();
  await server.close();
});

const REQUESTS = {
  get: { params: paramsOf('GET', '/garbage') },
  post: { params: paramsOf('POST', '/garbage', { CONTENT_LENGTH: '5' }), stdin: Buffer.from('hello') },
};

async function connection(): Promise<FastCGIClient> {
  if (client === null) {
    const opened = await FastCGIClient.connect({ port });
    opened.closed.then(() => {
      if (client === opened) client = null;
    });
    client = opened;
  }
  return client;
}

async function request(method: keyof typeof REQUESTS): Promise<Outcome> {
  const conn = await connection();
  try {
    const res = await within(conn.request({ ...REQUESTS[method], keepConn: true }), 5000, 'garbage request');
    expect(res.protocolStatus).toBe(0);
    return { kind: 'response', status: res.status };
  } catch (err) {
    if (!(err instanceof Error) || !/clos/i.test(err.message)) throw err;
    return { kind: 'closed', bytes: 0 };
  }
}

async function stillServes(): Promise<void> {
  // The same connection when the adapter kept it (FCGI_KEEP_CONN), else a new one.
  const conn = await connection();
  const res = await within(conn.request({ ...REQUESTS.get, keepConn: true }), 5000, 'plain request');
  expect([res.status, res.body.toString()]).toEqual([200, 'alive']);
}

it('a garbage app never hangs or crashes the FastCGI server; the connection serves on', async () => {
  await fc.assert(
    fc.asyncProperty(garbageCase, fc.constantFrom('get' as const, 'post' as const), (c, method) =>
      harness.run(c, () => request(method), stillServes),
    ),
    { numRuns: 200 },
  );
});
