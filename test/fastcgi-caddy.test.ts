/**
 * `@portico/fastcgi` behind Caddy's FastCGI transport (`reverse_proxy` with `transport fastcgi`,
 * examples/deploy/caddy/Caddyfile through test/peers/caddy.ts): the conformance suite, then what
 * Caddy does on the wire, recorded by a relay between it and the adapter: a connection per request
 * without FCGI_KEEP_CONN (FastCGI 1.0 section 5.1), and `CONTENT_LENGTH: -1` for a chunked upload.
 */
import { createHash } from 'node:crypto';
import {
  decodeNameValuePairs,
  FCGI_BEGIN_REQUEST,
  FCGI_KEEP_CONN,
  FCGI_PARAMS,
  serve,
} from '@portico/fastcgi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../packages/server/test/rule.js';
import { conformanceApp } from './conformance/apps.js';
import { fetchJSON, fetchRaw } from './conformance/client.js';
import { conformanceSuite } from './conformance/suite.js';
import { type Relay, startRelay } from './fastcgi-relay.js';
import { parseBackend } from './peers/backend.js';
import { caddyBinary, type RunningCaddy, startCaddy } from './peers/caddy.js';
import { frontEndRunner } from './peers/front-end-runner.js';

const runner = frontEndRunner({
  name: 'Caddy fastcgi transport -> fastcgi (TCP)',
  frontEnd: {
    repeatedHeaders: {
      delivered: [['x-repeat', 'one, two']],
      reason: 'Caddy joins them into one HTTP_X_REPEAT param',
    },
    underscoreHeaders: {
      values: ['real', 'spoof'],
      reason:
        'Caddy 2.6 maps both to one HTTP_X_UNDER_SCORE env entry, either wins; 2.11.4 drops the "_" one',
    },
  },
  serve,
  startFrontEnd: (backend) => startCaddy({ backend }),
});

/** The FCGI_PARAMS of every request seen, decoded (one request per connection with Caddy). */
function paramsOf(relay: Relay): Map<string, string>[] {
  const byConn = new Map<number, Buffer[]>();
  for (const r of relay.records) {
    if (r.type !== FCGI_PARAMS || r.direction !== 'to-app' || r.length === 0) continue;
    byConn.set(r.conn, [...(byConn.get(r.conn) ?? []), r.content!]);
  }
  return [...byConn.values()].map((pieces) => new Map(decodeNameValuePairs(Buffer.concat(pieces))));
}

describe.skipIf(caddyBinary === '')('@portico/fastcgi behind Caddy', () => {
  conformanceSuite(runner);

  describe('FastCGI on the wire (a recording relay between Caddy and the adapter)', () => {
    let server: Awaited<ReturnType<typeof serve>>;
    let relay: Relay;
    let caddy: RunningCaddy;
    beforeAll(async () => {
      server = await serve(conformanceApp, { bind: ['127.0.0.1:0'], lifespan: 'off' });
      relay = await startRelay(parseBackend(server.addresses[0]!));
      caddy = await startCaddy({ backend: relay.address });
    });
    afterAll(async () => {
      await caddy?.stop();
      await relay?.close();
      await server?.close();
    });

    rule(
      'SRV-FCGI-3',
      'no FCGI_KEEP_CONN from Caddy: a connection per request, each closed by the adapter after the response',
      async () => {
        relay.reset();
        for (let i = 0; i < 3; i++) {
          const res = await fetchRaw(caddy.baseUrl, { path: '/head' });
          expect(res.body.toString()).toBe('hello, head');
        }
        const begins = relay.records.filter((r) => r.type === FCGI_BEGIN_REQUEST && r.direction === 'to-app');
        expect(begins.map((r) => [r.requestId, r.content![2]! & FCGI_KEEP_CONN])).toEqual([
          [1, 0],
          [1, 0],
          [1, 0],
        ]);
        expect(new Set(begins.map((r) => r.conn)).size).toBe(3);
        await expect.poll(() => relay.connections.map((c) => c.closedBy)).toEqual(['app', 'app', 'app']);
      },
    );

    rule(
      'SRV-FCGI-7',
      'a chunked upload: Caddy sends CONTENT_LENGTH -1; the app gets the whole body and no content-length',
      async () => {
        relay.reset();
        const pieces = ['one;', 'two;', 'z'.repeat(70_000), 'end'].map((s) => Buffer.from(s));
        const body = Buffer.concat(pieces);
        const scope = await fetchJSON(caddy.baseUrl, {
          method: 'PUT',
          path: '/scope',
          body: pieces,
          gapMs: 5,
        });
        expect(paramsOf(relay)[0]!.get('CONTENT_LENGTH')).toBe('-1');
        const names = (scope.headers as [string, string][]).map(([n]) => n);
        expect(names).not.toContain('content-length');
        expect(names).not.toContain('transfer-encoding');
        const got = await fetchJSON(caddy.baseUrl, { method: 'PUT', path: '/body', body: pieces, gapMs: 5 });
        expect(got).toMatchObject({
          disconnected: false,
          length: body.length,
          sha256: createHash('sha256').update(body).digest('hex'),
        });
      },
    );

    rule(
      'SYNC-ENV-6',
      'a chunked upload to a sync app: CONTENT_LENGTH -1 does not reach the environ',
      async () => {
        const res = await fetchRaw(caddy.baseUrl, {
          method: 'PUT',
          path: '/environ',
          body: [Buffer.from('abc'), Buffer.from('def')],
        });
        expect(res.status, res.body.toString()).toBe(200);
        expect(JSON.parse(res.body.toString())).toMatchObject({
          REQUEST_METHOD: 'PUT',
          PATH_INFO: '/environ',
        });
      },
    );

    it('a 10 MiB body the app does not read: the response still arrives', async () => {
      const res = await fetchRaw(caddy.baseUrl, {
        method: 'POST',
        path: '/head',
        body: Buffer.alloc(10 << 20, 1),
      });
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe('hello, head');
      // The next request is served as usual.
      expect((await fetchRaw(caddy.baseUrl, { path: '/head' })).status).toBe(200);
    });
  });
});
