/**
 * Soak: 10,000 requests over 50 multiplexed connections from the project's FastCGI client. Every
 * response must match its request, and the server must not keep file descriptors or memory
 * (issue 3, "Tests").
 */
import { expect, it } from 'vitest';
import { testApp } from '../../../packages/server/test/adapter-apps.js';
import { expectNoLeaks } from '../../../packages/server/test/connection-stress.js';
import { serveForFile } from '../../../packages/server/test/served-for-file.js';
import { FastCGIClient } from '../src/client.js';
import { paramsOf, start } from './helpers.js';

const running = serveForFile(() => start(testApp));

async function round(connections: number, perConnection: number): Promise<void> {
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      const client = await FastCGIClient.connect({ port: running.port });
      // Ten requests in flight at a time on each connection (multiplexed).
      for (let batch = 0; batch < perConnection; batch += 10) {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, k) => {
            const n = batch + k;
            const body = Buffer.from(`body ${c}/${n}`);
            return client
              .request({
                params: paramsOf('POST', `/soak/${c}/${n}?n=${n}`, { CONTENT_LENGTH: String(body.length) }),
                stdin: body,
                keepConn: true,
              })
              .then((res) => ({ res, c, n }));
          }),
        );
        for (const { res, c: cc, n } of results) {
          const seen = JSON.parse(res.body.toString());
          expect(seen.path).toBe(`/soak/${cc}/${n}`);
          expect(seen.queryString).toBe(`n=${n}`);
          expect(seen.body).toBe(`body ${cc}/${n}`);
          expect(seen.requestId).toBe(res.requestId);
        }
      }
      client.close();
      await client.closed;
    }),
  );
}

it('10k requests over 50 multiplexed connections: every response matches its request, no fd or memory growth', async () => {
  await expectNoLeaks(
    running,
    () => round(50, 20), // warm up: JIT, pools
    () => round(50, 200),
  );
}, 120_000);
