/**
 * Soak: 5,000 requests over 50 concurrent connections at a time (SCGI has one request per
 * connection: 50 clients each making 100 in turn) from the project's SCGI client. Every response
 * must match its request, and the server must not keep file descriptors or memory (issue 4).
 */
import { expect, it } from 'vitest';
import { testApp } from '../../../packages/server/test/adapter-apps.js';
import { expectNoLeaks } from '../../../packages/server/test/connection-stress.js';
import { serveForFile } from '../../../packages/server/test/served-for-file.js';
import { scgiRequest } from '../src/client.js';
import { headersOf, start } from './helpers.js';

const running = serveForFile(() => start(testApp));

async function round(clients: number, perClient: number): Promise<void> {
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let n = 0; n < perClient; n++) {
        const body = Buffer.from(`body ${c}/${n}`);
        const res = await scgiRequest(
          { port: running.port },
          { headers: headersOf('POST', `/soak/${c}/${n}?n=${n}`, { HTTP_X_CLIENT: String(c) }), body },
        );
        expect(res.status).toBe(200);
        const seen = JSON.parse(res.body.toString());
        expect(seen.path).toBe(`/soak/${c}/${n}`);
        expect(seen.queryString).toBe(`n=${n}`);
        expect(seen.body).toBe(`body ${c}/${n}`);
        expect(seen.headers).toContainEqual(['x-client', String(c)]);
      }
    }),
  );
}

it('5k requests over 50 concurrent connections: every response matches its request, no fd or memory growth', async () => {
  await expectNoLeaks(
    running,
    () => round(50, 10), // warm up: JIT, pools
    () => round(50, 100),
  );
}, 120_000);
