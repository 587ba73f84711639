/**
 * `@portico/cgi` run by lighttpd 1.4 mod_cgi (`portico cgi` from a wrapper script, a new process
 * per request; test/cgi-runner.ts), the app mounted with mod_alias onto the program
 * (examples/deploy/lighttpd/cgi-app.conf through test/peers/lighttpd.ts: `"/" => "PROGRAM/"` at
 * the root, `"/mount" => "PROGRAM"` below it; lighttpd finds the program by walking the mapped
 * path back): the conformance suite, then redirects, a 100 MiB body, and an app error.
 *
 * What lighttpd does that the suite then asserts (`FrontEndBehaviour`):
 * - repeated header fields are joined with `, `; but two fields that both become
 *   `HTTP_X_UNDER_SCORE` (`X-Under_Score`, `X-Under-Score`) are put into the environment twice,
 *   unjoined (mod_scgi joins them), and the wrapper's /bin/sh keeps the last of the two when it
 *   execs: here the real one, because it was sent second (the order decides, not lighttpd);
 * - the mount is lighttpd's: `/scope/q` outside `/mount` is lighttpd's 404;
 * - a client that leaves mid-response gets the program ended by SIGTERM at once: the app never
 *   sees ERR_CLIENT_DISCONNECTED.
 * A chunked upload is read whole and passed with its CONTENT_LENGTH, as the suite expects.
 */
import { describe } from 'vitest';
import { type CgiApp, cgiFrontEndCases, cgiRunner } from './cgi-runner.js';
import type { FrontEndBehaviour } from './conformance/runner.js';
import { conformanceSuite } from './conformance/suite.js';
import { lighttpdBinary, startLighttpdCgiApp } from './peers/lighttpd.js';

/** What lighttpd changes on the way (`FrontEndBehaviour` of the suite). */
const lighttpdBehaviour: FrontEndBehaviour = {
  repeatedHeaders: {
    delivered: [['x-repeat', 'one, two']],
    reason: 'lighttpd joins repeated fields into one HTTP_X_REPEAT variable',
  },
  underscoreHeaders: {
    values: ['real'],
    reason:
      'lighttpd puts both into the environment as HTTP_X_UNDER_SCORE, and the /bin/sh wrapper keeps the last',
  },
  outsideMount: { status: 404, reason: 'the alias and cgi.assign apply to /mount and below it only' },
  clientAbort: {
    outcome: 'SIGTERM',
    reason: 'lighttpd ends the program with SIGTERM as soon as the client is gone',
  },
};

const start = (app: CgiApp, rootPath: string) => startLighttpdCgiApp({ program: app.program, rootPath });

describe.skipIf(lighttpdBinary === '')('@portico/cgi run by lighttpd', () => {
  conformanceSuite(cgiRunner('lighttpd mod_cgi -> portico cgi', lighttpdBehaviour, start));
  cgiFrontEndCases(
    'lighttpd mod_cgi',
    {
      localRedirect: {
        status: 302,
        headers: { location: '/head', status: undefined },
        body: '',
        reason:
          'lighttpd answers a Location without Status with a 302 to the client (cgi.local-redir is off)',
      },
    },
    start,
  );
});
