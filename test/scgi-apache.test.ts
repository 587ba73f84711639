/**
 * `@portico/scgi` behind Apache httpd 2.4 mod_proxy_scgi (examples/deploy/apache/scgi.conf through
 * test/peers/apache.ts): the conformance suite over TCP and over a unix socket, and redirects.
 *
 * Apache's SCRIPT_NAME and PATH_INFO are wrong for percent-encoded paths (examples/deploy/README.md,
 * "Apache httpd": PATH_INFO re-encoded, SCRIPT_NAME the decoded path cut where the two stop
 * matching), so every server here is given its `rootPath` (`''` at `/` too): the adapter then routes
 * on REQUEST_URI and ignores the two. Apache refuses a chunked upload with 411 (only a body with a
 * Content-Length is passed on) and joins repeated header fields.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { type SCGIServer, serve } from '@portico/scgi';
import { type AsyncApp, type HTTPScope, validateAsync } from '@portico/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../packages/server/test/rule.js';
import { fetchJSON, fetchRaw, headerOf } from './conformance/client.js';
import type { ConformanceRunner, FrontEndBehaviour } from './conformance/runner.js';
import { conformanceSuite } from './conformance/suite.js';
import { apacheBinary, type RunningApache, startApacheScgi } from './peers/apache.js';
import { parseBackend } from './peers/backend.js';
import { tempDir } from './peers/peer.js';

/** What Apache changes on the way (`FrontEndBehaviour` of the suite). */
const apacheBehaviour: FrontEndBehaviour = {
  chunkedUpload: {
    refusedWith: 411,
    reason: 'mod_proxy_scgi passes on only a body with a Content-Length (REQUEST_CHUNKED_ERROR)',
  },
  repeatedHeaders: {
    delivered: [['x-repeat', 'one, two']],
    reason: 'Apache joins repeated fields into one HTTP_X_REPEAT variable',
  },
};

/**
 * The adapter on TCP or on a unix socket (mode 0666 in a 0755 dir: Apache's children run as
 * www-data), Apache mod_proxy_scgi in front at `/`; close() stops Apache, then the adapter.
 */
function apacheRunner(name: string, socket: 'tcp' | 'unix'): ConformanceRunner {
  return {
    name,
    frontEnd: apacheBehaviour,
    async start(app, { rootPath }) {
      const dir = socket === 'unix' ? tempDir('scgi-apache') : null;
      if (dir !== null) chmodSync(dir.dir, 0o755);
      const server = await serve(app, {
        bind: [dir === null ? '127.0.0.1:0' : `unix:${join(dir.dir, 'app.sock')}`],
        lifespan: 'off',
        rootPath,
        ...(dir === null ? {} : { socketMode: 0o666 }),
      });
      let apache: RunningApache;
      try {
        apache = await startApacheScgi({ backend: parseBackend(server.addresses[0]!) });
      } catch (error) {
        await server.close();
        dir?.remove();
        throw error;
      }
      return {
        baseUrl: apache.baseUrl,
        async close() {
          await apache.stop();
          await server.close();
          dir?.remove();
        },
      };
    },
  };
}

/** Requests {@link probeApp} saw: `METHOD path?query`, and the PATH_INFO Apache sent. */
const asked: [string, string | undefined][] = [];

/**
 * `/redirect`: 302 to a path; `/moved`: 301 to an absolute URL; `/located`: 200 with a `Location`
 * path (asked again with the query `again`: a plain 200); `/located-absolute`: 200 with an absolute
 * `Location`; any other path: JSON of the scope's path fields and the SCRIPT_NAME and PATH_INFO
 * Apache sent.
 */
const probeApp: AsyncApp = validateAsync(async (scope, receive, send) => {
  if (scope.type !== 'http') throw new Error(`unsupported scope type ${scope.type}`);
  const s = scope as HTTPScope;
  const query = s.queryString === '' ? '' : `?${s.queryString}`;
  asked.push([`${s.method} ${s.path}${query}`, s.extensions.cgi?.variables.PATH_INFO]);
  for (let e = await receive(); e.type === 'http.request' && e.moreBody; e = await receive());
  const routes: Record<string, [number, [string, string][], string]> = {
    '/redirect': [302, [['location', '/target?from=redirect']], 'see /target'],
    '/moved': [301, [['location', 'http://example.com/x?y=1']], 'moved'],
    '/located':
      s.queryString === 'again'
        ? [200, [], `${s.method} ${s.path}${query}`]
        : [200, [['location', '/target?again']], 'still here'],
    '/located-absolute': [200, [['location', 'http://example.com/x']], 'still here'],
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

describe.skipIf(apacheBinary === '')('@portico/scgi behind Apache httpd', () => {
  conformanceSuite(apacheRunner('Apache mod_proxy_scgi -> scgi (TCP)', 'tcp'));
  conformanceSuite(apacheRunner('Apache mod_proxy_scgi -> scgi (unix socket 0666)', 'unix'));

  describe('redirects', () => {
    let server: SCGIServer;
    let apache: RunningApache;
    beforeAll(async () => {
      server = await serve(probeApp, { bind: ['127.0.0.1:0'], lifespan: 'off', rootPath: '' });
      apache = await startApacheScgi({ backend: parseBackend(server.addresses[0]!) });
    });
    afterAll(async () => {
      await apache?.stop();
      await server?.close();
    });

    rule('SRV-SCGI-4', 'a redirect status and its Location pass through Apache unchanged', async () => {
      asked.length = 0;
      const found = await fetchRaw(apache.baseUrl, { path: '/redirect' });
      expect([found.status, headerOf(found, 'location'), found.body.toString()]).toEqual([
        302,
        '/target?from=redirect',
        'see /target',
      ]);
      const moved = await fetchRaw(apache.baseUrl, { path: '/moved' });
      expect([moved.status, headerOf(moved, 'location')]).toEqual([301, 'http://example.com/x?y=1']);
      expect(asked.map(([request]) => request)).toEqual(['GET /redirect', 'GET /moved']);
    });

    rule('SRV-SCGI-4', 'a 200 with an absolute Location stays a 200 through Apache', async () => {
      const located = await fetchRaw(apache.baseUrl, { path: '/located-absolute' });
      expect([located.status, headerOf(located, 'location'), located.body.toString()]).toEqual([
        200,
        'http://example.com/x',
        'still here',
      ]);
    });

    it('a 200 with a Location path stays a 200 (ProxySCGIInternalRedirect Off in the template)', async () => {
      asked.length = 0;
      const res = await fetchRaw(apache.baseUrl, {
        method: 'POST',
        path: '/located',
        body: Buffer.from('x'),
      });
      // With Apache's default (On) the client would get the answer to a second request Apache makes
      // itself, which keeps REQUEST_URI /located: the app would see /located again and loop.
      expect([res.status, headerOf(res, 'location'), res.body.toString()]).toEqual([
        200,
        '/target?again',
        'still here',
      ]);
      expect(asked).toEqual([['POST /located', '/located']]);
    });
  });

  describe('mounted at /mount: SCRIPT_NAME and PATH_INFO as Apache sends them, the scope from rootPath', () => {
    let server: SCGIServer;
    let apache: RunningApache;
    beforeAll(async () => {
      server = await serve(probeApp, { bind: ['127.0.0.1:0'], lifespan: 'off', rootPath: '/mount' });
      apache = await startApacheScgi({ backend: parseBackend(server.addresses[0]!), rootPath: '/mount' });
    });
    afterAll(async () => {
      await apache?.stop();
      await server?.close();
    });

    rule('SRV-PATH-2', 'a percent-encoded path below the mount point', async () => {
      const seen = await fetchJSON(apache.baseUrl, { path: '/mount/caf%C3%A9/items?z=1' });
      expect(seen).toEqual({
        rootPath: '/mount',
        path: '/café/items',
        rawPath: '/mount/caf%C3%A9/items',
        queryString: 'z=1',
        // What Apache sent (examples/deploy/README.md): PATH_INFO re-encoded, SCRIPT_NAME the
        // decoded path cut where the two stop matching (CGI variables are byte strings: one
        // character a byte of UTF-8). The scope does not use them.
        SCRIPT_NAME: Buffer.from('/mount/café', 'utf8').toString('latin1'),
        PATH_INFO: '/caf%C3%A9/items',
      });
      expect(await fetchJSON(apache.baseUrl, { path: '/mount/x/y' })).toMatchObject({
        rootPath: '/mount',
        path: '/x/y',
        SCRIPT_NAME: '/mount',
        PATH_INFO: '/x/y',
      });
      asked.length = 0;
      const outside = await fetchRaw(apache.baseUrl, { path: '/other' });
      expect(outside.status).toBe(404);
      expect(asked).toEqual([]);
    });
  });
});
