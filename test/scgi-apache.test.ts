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
import { serve } from '@portico/scgi';
import { describe, expect, it } from 'vitest';
import { rule } from '../packages/server/test/rule.js';
import { fetchJSON, fetchRaw, headerOf } from './conformance/client.js';
import type { FrontEndBehaviour } from './conformance/runner.js';
import { conformanceSuite } from './conformance/suite.js';
import { expectRedirectsPass, redirectProbe } from './fixtures/redirect-probe.js';
import { apacheBinary, startApacheScgi } from './peers/apache.js';
import { frontEndRunner, servedBehind } from './peers/front-end-runner.js';

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
 * www-data), Apache mod_proxy_scgi in front at `/`, the adapter always given `rootPath`.
 */
const apacheRunner = (name: string, socket: 'tcp' | 'unix') =>
  frontEndRunner({
    name,
    frontEnd: apacheBehaviour,
    serve,
    startFrontEnd: (backend) => startApacheScgi({ backend }),
    socket,
    tempPrefix: 'scgi-apache',
    otherUser: true,
    alwaysRootPath: true,
  });

/**
 * `/redirect`, `/moved` (see {@link redirectProbe}); `/located`: 200 with a `Location` path (asked
 * again with the query `again`: a plain 200); `/located-absolute`: 200 with an absolute `Location`;
 * any other path: JSON of the scope's path fields and the SCRIPT_NAME and PATH_INFO Apache sent.
 */
const { app: probeApp, asked } = redirectProbe((s, query) => ({
  '/located':
    s.queryString === 'again'
      ? [200, [], `${s.method} ${s.path}${query}`]
      : [200, [['location', '/target?again']], 'still here'],
  '/located-absolute': [200, [['location', 'http://example.com/x']], 'still here'],
}));

describe.skipIf(apacheBinary === '')('@portico/scgi behind Apache httpd', () => {
  conformanceSuite(apacheRunner('Apache mod_proxy_scgi -> scgi (TCP)', 'tcp'));
  conformanceSuite(apacheRunner('Apache mod_proxy_scgi -> scgi (unix socket 0666)', 'unix'));

  describe('redirects', () => {
    const apache = servedBehind(serve, probeApp, { rootPath: '' }, (backend) => startApacheScgi({ backend }));

    rule('SRV-SCGI-4', 'a redirect status and its Location pass through Apache unchanged', async () => {
      asked.length = 0;
      await expectRedirectsPass(apache.baseUrl);
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
    const apache = servedBehind(serve, probeApp, { rootPath: '/mount' }, (backend) =>
      startApacheScgi({ backend, rootPath: '/mount' }),
    );

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
