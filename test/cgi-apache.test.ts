/**
 * `@portico/cgi` run by Apache httpd 2.4 (`portico cgi` from a wrapper script, a new process per
 * request; test/cgi-runner.ts), the app mounted with ScriptAlias
 * (examples/deploy/apache/cgi-app.conf through test/peers/apache.ts: `ScriptAlias / PROGRAM/` at
 * the root, `ScriptAlias /mount PROGRAM` below it), under mpm_event + mod_cgid (a daemon forks the
 * program; stdin and stdout are one unix socket) and mpm_prefork + mod_cgi (pipes): the
 * conformance suite, then redirects, a 100 MiB body, and an app error.
 *
 * What Apache does that the suite then asserts (`FrontEndBehaviour`):
 * - a chunked upload is passed on without CONTENT_LENGTH (`HTTP_TRANSFER_ENCODING: chunked`, the
 *   body on stdin to EOF), and the adapter reads no body without CONTENT_LENGTH (RFC 3875 section
 *   4.1.2: the variable is set if and only if there is a body): the app sees an empty body;
 * - repeated header fields are joined with `, `;
 * - the mount is Apache's: `/scope/q` outside `/mount` is Apache's 404;
 * - a client that leaves mid-response gets the program ended by SIGTERM (mod_cgi's pool cleanup,
 *   mod_cgid's daemon), before its next write to the closed socket or pipe could fail: the app
 *   never sees ERR_CLIENT_DISCONNECTED.
 *
 * The local redirect loops: Apache serves `/head` itself, running the program again, but with the
 * first request's REQUEST_URI (`original_uri()`: Apache takes it from the request line), which the
 * adapter routes on in preference to PATH_INFO; the program redirects again, until Apache gives up
 * after 10 (`LimitInternalRecursion`) with a 500.
 */
import { describe } from 'vitest';
import { type CgiApp, cgiFrontEndCases, cgiRunner } from './cgi-runner.js';
import type { FrontEndBehaviour } from './conformance/runner.js';
import { conformanceSuite } from './conformance/suite.js';
import { apacheBinary, startApacheCgiApp } from './peers/apache.js';

/** What Apache changes on the way (`FrontEndBehaviour` of the suite). */
const apacheBehaviour: FrontEndBehaviour = {
  // A chunked upload comes without CONTENT_LENGTH but with HTTP_TRANSFER_ENCODING: the adapter reads
  // standard input to its end (the suite's plain case).
  repeatedHeaders: {
    delivered: [['x-repeat', 'one, two']],
    reason: 'Apache joins repeated fields into one HTTP_X_REPEAT variable',
  },
  outsideMount: { status: 404, reason: 'ScriptAlias /mount maps /mount and the paths below it only' },
  clientAbort: {
    outcome: 'SIGTERM',
    reason: 'Apache ends the program with SIGTERM as soon as the client is gone',
  },
};

describe.skipIf(apacheBinary === '')('@portico/cgi run by Apache httpd', () => {
  for (const module of ['cgid', 'cgi'] as const) {
    const start = (app: CgiApp, rootPath: string) =>
      startApacheCgiApp({ program: app.program, module, rootPath });
    const name = `Apache ${module === 'cgid' ? 'mpm_event + mod_cgid' : 'mpm_prefork + mod_cgi'}`;
    conformanceSuite(cgiRunner(`${name} -> portico cgi`, apacheBehaviour, start));
    cgiFrontEndCases(
      name,
      {
        localRedirect: {
          status: 200,
          headers: { location: undefined },
          body: 'hello, head',
          reason:
            "Apache serves /head itself (an internal redirect); the program reads the new path from SCRIPT_NAME and PATH_INFO, REDIRECT_URL telling it that REQUEST_URI is the first request's",
        },
      },
      start,
    );
  }
});
