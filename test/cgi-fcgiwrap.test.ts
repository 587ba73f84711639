/**
 * `@portico/cgi` run by fcgiwrap behind nginx (`portico cgi` from a wrapper script, a new process
 * per request; test/cgi-runner.ts), the app mounted by a location that always names the program
 * as SCRIPT_FILENAME (examples/deploy/nginx/fcgiwrap-app.conf through test/peers/fcgiwrap.ts:
 * SCRIPT_NAME the mount, PATH_INFO the rest of nginx's decoded `$uri`): the conformance suite, then
 * redirects, a 100 MiB body, and an app error. One fcgiwrap process: requests wait for each other.
 *
 * What the pair does that the suite then asserts (`FrontEndBehaviour`):
 * - repeated header fields: nginx 1.22 sends a param per field and fcgiwrap puts both into the
 *   program's environment as HTTP_X_REPEAT; the wrapper's /bin/sh keeps only the last when it
 *   execs (a program started directly, reading /proc/self/environ as the adapter does, would get
 *   both);
 * - the mount is nginx's: `/scope/q` outside `/mount` is nginx's 404.
 * A chunked upload is read whole by nginx and sent with its CONTENT_LENGTH; when the client leaves,
 * the program is not signalled but its next write fails, and the app's send with
 * ERR_CLIENT_DISCONNECTED, as the suite expects.
 */
import { describe } from 'vitest';
import { type CgiApp, cgiFrontEndCases, cgiRunner } from './cgi-runner.js';
import type { FrontEndBehaviour } from './conformance/runner.js';
import { conformanceSuite } from './conformance/suite.js';
import { fcgiwrapBinary, startNginxFcgiwrapApp } from './peers/fcgiwrap.js';
import { nginxBinary } from './peers/nginx.js';

/** What nginx and fcgiwrap change on the way (`FrontEndBehaviour` of the suite). */
const fcgiwrapBehaviour: FrontEndBehaviour = {
  repeatedHeaders: {
    delivered: [['x-repeat', 'two']],
    reason: 'fcgiwrap puts both params into the environment, and the /bin/sh wrapper keeps the last',
  },
  outsideMount: { status: 404, reason: 'the location takes /mount and the paths below it only' },
};

const start = (app: CgiApp, rootPath: string) => startNginxFcgiwrapApp({ program: app.program, rootPath });

describe.skipIf(nginxBinary === '' || fcgiwrapBinary === '')('@portico/cgi run by nginx + fcgiwrap', () => {
  conformanceSuite(cgiRunner('nginx + fcgiwrap -> portico cgi', fcgiwrapBehaviour, start));
  cgiFrontEndCases(
    'nginx + fcgiwrap',
    {
      localRedirect: {
        status: 302,
        headers: { location: '/head', status: undefined },
        body: '',
        reason: 'nginx answers a Location without Status with a 302 to the client',
      },
    },
    start,
  );
});
