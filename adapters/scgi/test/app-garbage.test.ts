/**
 * Garbage apps through the SCGI adapter (engineering rule 4): whatever an app sends, throws or
 * returns, the response is whole (its CGI status one the app chose, or 500) or cut by a close,
 * within 5 s; no unhandled rejection or uncaught exception; a few one-line log entries; and a new
 * connection is served.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { garbageCase, garbageHarness, type Outcome } from '../../../packages/server/test/garbage-harness.js';
import { within } from '../../../packages/server/test/within.js';
import { scgiRequest } from '../src/client.js';
import { type SCGIServer, serve } from '../src/index.js';
import { headersOf } from './helpers.js';

const harness = garbageHarness();
let server: SCGIServer;
let port = 0;

beforeAll(async () => {
  server = await serve(harness.app, { bind: ['127.0.0.1:0'], lifespan: 'off', logger: harness.logger });
  port = Number(server.addresses[0]!.split(':').pop());
});
afterAll(() => server.close());

const REQUESTS = {
  get: { headers: headersOf('GET', '/garbage') },
  post: { headers: headersOf('POST', '/garbage'), body: Buffer.from('hello') },
};

async function request(method: keyof typeof REQUESTS): Promise<Outcome> {
  try {
    const res = await within(scgiRequest({ port }, REQUESTS[method]), 5000, 'garbage request');
    return res.raw.length === 0 ? { kind: 'closed', bytes: 0 } : { kind: 'response', status: res.status };
  } catch (err) {
    if (!(err instanceof Error) || !/ECONNRESET|EPIPE|closed/.test(err.message)) throw err;
    return { kind: 'closed', bytes: 0 };
  }
}

async function stillServes(): Promise<void> {
  const res = await within(scgiRequest({ port }, REQUESTS.get), 5000, 'plain request');
  expect([res.status, res.body.toString()]).toEqual([200, 'alive']);
}

it('a garbage app never hangs or crashes the SCGI server; the next connection is served', async () => {
  await fc.assert(
    fc.asyncProperty(garbageCase, fc.constantFrom('get' as const, 'post' as const), (c, method) =>
      harness.run(c, () => request(method), stillServes),
    ),
    { numRuns: 200 },
  );
});
