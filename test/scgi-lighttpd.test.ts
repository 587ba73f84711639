/**
 * `@portico/scgi` behind lighttpd 1.4 mod_scgi (examples/deploy/lighttpd/scgi.conf through
 * test/peers/lighttpd.ts): the conformance suite over TCP and over a unix socket, redirects, and a
 * mount point lighttpd sends as SCRIPT_NAME.
 *
 * As in the FastCGI runners, the suite's mounted server gets `rootPath` from the adapter's option
 * with lighttpd passing every path at `/`.
 */
import { join } from 'node:path';
import { type SCGIServer, serve } from '@portico/scgi';
import { type AsyncApp, type HTTPScope, validateAsync } from '@portico/spec';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { rule } from '../packages/server/test/rule.js';
import { fetchJSON, fetchRaw, headerOf } from './conformance/client.js';
import type { ConformanceRunner, FrontEndBehaviour } from './conformance/runner.js';
import { conformanceSuite } from './conformance/suite.js';
import { parseBackend } from './peers/backend.js';
import { lighttpdBinary, type RunningLighttpd, startLighttpdScgi } from './peers/lighttpd.js';
import { tempDir } from './peers/peer.js';

/** What lighttpd changes on the way (`FrontEndBehaviour` of the suite). */
const lighttpdBehaviour: FrontEndBehaviour = {
  repeatedHeaders: {
    delivered: [['x-repeat', 'one, two']],
    reason: 'lighttpd joins repeated fields into one HTTP_X_REPEAT variable',
  },
  underscoreHeaders: {
    values: ['spoof, real'],
    reason: 'lighttpd 1.4 sends both as HTTP_X_UNDER_SCORE; it does not drop the "_" one',
  },
};

/**
 * The adapter on TCP (`host`/`port`) or a unix socket (`socket`), lighttpd mod_scgi in front at `/`;
 * close() stops lighttpd, then the adapter.
 */
function lighttpdRunner(name: string, socket: 'tcp' | 'unix'): ConformanceRunner {
  return {
    name,
    frontEnd: lighttpdBehaviour,
    async start(app, { rootPath }) {
      const dir = socket === 'unix' ? tempDir('scgi-lighttpd') : null;
      const server = await serve(app, {
        bind: [dir === null ? '127.0.0.1:0' : `unix:${join(dir.dir, 'app.sock')}`],
        lifespan: 'off',
        ...(rootPath === '' ? {} : { rootPath }),
      });
      let lighttpd: RunningLighttpd;
      try {
        lighttpd = await startLighttpdScgi({ backend: parseBackend(server.addresses[0]!) });
      } catch (error) {
        await server.close();
        dir?.remove();
        throw error;
      }
      return {
        baseUrl: lighttpd.baseUrl,
        async close() {
          await lighttpd.stop();
          await server.close();
          dir?.remove();
        },
      };
    },
  };
}

/** Requests {@link probeApp} saw, as `METHOD path?query`. */
const asked: string[] = [];

/**
 * `/redirect`: 302 to a path; `/moved`: 301 to an absolute URL; `/located`: 200 with a `Location`
 * path; any other path: JSON of the scope's path fields and the SCRIPT_NAME and PATH_INFO lighttpd
 * sent.
 */
const probeApp: AsyncApp = validateAsync(async (scope, receive, send) => {
  if (scope.type !== 'http') throw new Error(`unsupported scope type ${scope.type}`);
  const s = scope as HTTPScope;
  asked.push(`${s.method} ${s.path}${s.queryString === '' ? '' : `?${s.queryString}`}`);
  for (let e = await receive(); e.type === 'http.request' && e.moreBody; e = await receive());
  const routes: Record<string, [number, [string, string][], string]> = {
    '/redirect': [302, [['location', '/target?from=redirect']], 'see /target'],
    '/moved': [301, [['location', 'http://example.com/x?y=1']], 'moved'],
    '/located': [200, [['location', '/target?from=located']], 'still here'],
  };
  const vars = s.extensions.cgi?.variables ?? {};
  const seen = { rootPath: s.rootPath, path: s.path, rawPath: s.rawPath, queryString: s.queryString };
  const [status, headers, body] = routes[s.path] ?? [
    200,
    [],
    JSON.stringify({ ...seen, SCRIPT_NAME: vars.SCRIPT_NAME, PATH_INFO: vars.PATH_INFO }),
  ];
  await send({ type: 'http.response.start', status, headers: [['content-type', 'text/plain'], ...headers] });
  await send({ type: 'http.response.body', body: Buffer.from(body) });
});

describe.skipIf(lighttpdBinary === '')('@portico/scgi behind lighttpd', () => {
  conformanceSuite(lighttpdRunner('lighttpd mod_scgi -> scgi (TCP)', 'tcp'));
  conformanceSuite(lighttpdRunner('lighttpd mod_scgi -> scgi (unix socket)', 'unix'));

  describe('redirects', () => {
    let server: SCGIServer;
    let lighttpd: RunningLighttpd;
    beforeAll(async () => {
      server = await serve(probeApp, { bind: ['127.0.0.1:0'], lifespan: 'off' });
      lighttpd = await startLighttpdScgi({ backend: parseBackend(server.addresses[0]!) });
    });
    afterAll(async () => {
      await lighttpd?.stop();
      await server?.close();
    });

    rule(
      'SRV-SCGI-4',
      'redirects pass through lighttpd unchanged; the Status: line keeps a 200 with a Location a 200',
      async () => {
        asked.length = 0;
        const found = await fetchRaw(lighttpd.baseUrl, { path: '/redirect' });
        expect([found.status, headerOf(found, 'location'), found.body.toString()]).toEqual([
          302,
          '/target?from=redirect',
          'see /target',
        ]);
        const moved = await fetchRaw(lighttpd.baseUrl, { path: '/moved' });
        expect([moved.status, headerOf(moved, 'location')]).toEqual([301, 'http://example.com/x?y=1']);
        const located = await fetchRaw(lighttpd.baseUrl, { path: '/located' });
        expect([located.status, headerOf(located, 'location'), located.body.toString()]).toEqual([
          200,
          '/target?from=located',
          'still here',
        ]);
        expect(asked).toEqual(['GET /redirect', 'GET /moved', 'GET /located']);
      },
    );
  });

  describe('mounted at /mount', () => {
    let server: SCGIServer;
    let lighttpd: RunningLighttpd;
    beforeAll(async () => {
      server = await serve(probeApp, { bind: ['127.0.0.1:0'], lifespan: 'off' });
      lighttpd = await startLighttpdScgi({ backend: parseBackend(server.addresses[0]!), rootPath: '/mount' });
    });
    afterAll(async () => {
      await lighttpd?.stop();
      await server?.close();
    });

    rule('SRV-PATH-2', 'the SCRIPT_NAME lighttpd sends is the rootPath; PATH_INFO is decoded', async () => {
      expect(await fetchJSON(lighttpd.baseUrl, { path: '/mount/caf%C3%A9/items?z=1' })).toEqual({
        rootPath: '/mount',
        path: '/café/items',
        rawPath: '/mount/caf%C3%A9/items',
        queryString: 'z=1',
        // CGI variables are byte strings: one character a byte of UTF-8.
        SCRIPT_NAME: '/mount',
        PATH_INFO: Buffer.from('/café/items', 'utf8').toString('latin1'),
      });
      asked.length = 0;
      const outside = await fetchRaw(lighttpd.baseUrl, { path: '/other' });
      expect(outside.status).toBe(404);
      expect(asked).toEqual([]);
    });
  });
});
