/**
 * `@portico/scgi` behind lighttpd 1.4 mod_scgi (examples/deploy/lighttpd/scgi.conf through
 * test/peers/lighttpd.ts): the conformance suite over TCP and over a unix socket, redirects, and a
 * mount point lighttpd sends as SCRIPT_NAME.
 *
 * As in the FastCGI runners, the suite's mounted server gets `rootPath` from the adapter's option
 * with lighttpd passing every path at `/`.
 */
import { serve } from '@portico/scgi';
import { describe, expect } from 'vitest';
import { rule } from '../packages/server/test/rule.js';
import { fetchJSON, fetchRaw, headerOf } from './conformance/client.js';
import type { FrontEndBehaviour } from './conformance/runner.js';
import { conformanceSuite } from './conformance/suite.js';
import { expectRedirectsPass, redirectProbe } from './fixtures/redirect-probe.js';
import { frontEndRunner, servedBehind } from './peers/front-end-runner.js';
import { lighttpdBinary, startLighttpdScgi } from './peers/lighttpd.js';

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

/** The adapter on TCP (`host`/`port`) or a unix socket (`socket`), lighttpd mod_scgi in front at `/`. */
const lighttpdRunner = (name: string, socket: 'tcp' | 'unix') =>
  frontEndRunner({
    name,
    frontEnd: lighttpdBehaviour,
    serve,
    startFrontEnd: (backend) => startLighttpdScgi({ backend }),
    socket,
    tempPrefix: 'scgi-lighttpd',
  });

/**
 * `/redirect`, `/moved` (see {@link redirectProbe}); `/located`: 200 with a `Location` path; any
 * other path: JSON of the scope's path fields and the SCRIPT_NAME and PATH_INFO lighttpd sent.
 */
const { app: probeApp, asked } = redirectProbe(() => ({
  '/located': [200, [['location', '/target?from=located']], 'still here'],
}));

describe.skipIf(lighttpdBinary === '')('@portico/scgi behind lighttpd', () => {
  conformanceSuite(lighttpdRunner('lighttpd mod_scgi -> scgi (TCP)', 'tcp'));
  conformanceSuite(lighttpdRunner('lighttpd mod_scgi -> scgi (unix socket)', 'unix'));

  describe('redirects', () => {
    const lighttpd = servedBehind(serve, probeApp, {}, (backend) => startLighttpdScgi({ backend }));

    rule(
      'SRV-SCGI-4',
      'redirects pass through lighttpd unchanged; the Status: line keeps a 200 with a Location a 200',
      async () => {
        asked.length = 0;
        await expectRedirectsPass(lighttpd.baseUrl);
        const located = await fetchRaw(lighttpd.baseUrl, { path: '/located' });
        expect([located.status, headerOf(located, 'location'), located.body.toString()]).toEqual([
          200,
          '/target?from=located',
          'still here',
        ]);
        expect(asked.map(([request]) => request)).toEqual(['GET /redirect', 'GET /moved', 'GET /located']);
      },
    );
  });

  describe('mounted at /mount', () => {
    const lighttpd = servedBehind(serve, probeApp, {}, (backend) =>
      startLighttpdScgi({ backend, rootPath: '/mount' }),
    );

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
