/**
 * `@portico/cgi` run by Python's `http.server --cgi` (CGIHTTPRequestHandler, Python 3.11;
 * test/peers/python-cgi.ts), `portico cgi` from a wrapper script (test/cgi-runner.ts): the
 * conformance suite, then redirects, a 100 MiB body, an app error, and a chunked POST.
 *
 * The server runs programs only from its `cgi-bin/` directory, so the app cannot be mounted at `/`
 * or `/mount`: the runner serves it at `/cgi-bin/app.cgi` (and at `/cgi-bin/mount.cgi` for the
 * suite's mounted server), which the suite then sends every path below and expects as the
 * rootPath (`ConformanceServer.mount`); PATH_INFO is the path after the script's name.
 *
 * What the server does that the suite then asserts (`FrontEndBehaviour`):
 * - it runs programs for GET, HEAD and POST only: the suite's chunked PUT gets 501; a chunked POST
 *   reaches the program with an empty CONTENT_LENGTH and no body (below);
 * - of the request headers only Accept, User-Agent, Cookie and Referer become HTTP_* variables: the
 *   app sees neither the repeated `X-Repeat` nor the `X-Under-Score` fields;
 * - the mount is the server's: `/scope/q` is its 404;
 * - there is no REQUEST_URI: the adapter rebuilds rawPath from SCRIPT_NAME and the fully decoded
 *   PATH_INFO (a `%2F` comes back as `/`);
 * - it writes `HTTP/1.0 200 Script output follows` itself and then the program's output unparsed:
 *   every status is 200, the program's `Status:` line a `status` header, a local redirect's
 *   `Location` a header of that 200.
 * A client that leaves makes the program's next write to the socket fail: the app sees
 * ERR_CLIENT_DISCONNECTED, as the suite expects.
 */
import { createHash } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CgiApp, type CgiFrontEnd, cgiFrontEndCases, cgiRunner, makeCgiApp } from './cgi-runner.js';
import { fetchJSON } from './conformance/client.js';
import type { FrontEndBehaviour } from './conformance/runner.js';
import { conformanceSuite } from './conformance/suite.js';
import { pythonBinary, startPythonCgi } from './peers/python-cgi.js';

/** What Python's server changes on the way (`FrontEndBehaviour` of the suite). */
const pythonBehaviour: FrontEndBehaviour = {
  chunkedUpload: {
    refusedWith: 501,
    reason: 'http.server runs programs for GET, HEAD and POST only, not for the PUT',
  },
  repeatedHeaders: {
    delivered: [],
    reason: 'http.server passes only Accept, User-Agent, Cookie and Referer',
  },
  underscoreHeaders: {
    values: [undefined],
    reason: 'http.server passes only Accept, User-Agent, Cookie and Referer',
  },
  outsideMount: {
    status: 404,
    reason: 'http.server serves files from its directory and programs from /cgi-bin/ only',
  },
  noRequestURI: { reason: 'http.server sends no REQUEST_URI' },
  unparsedStatus: { reason: "http.server answers 200 itself and copies the program's head" },
};

/** Python's server with the program in its cgi-bin: the app is at `/cgi-bin/<program name>`. */
async function start(app: CgiApp): Promise<CgiFrontEnd> {
  const server = await startPythonCgi({ cgiBin: dirname(app.program) });
  return { ...server, mount: `/cgi-bin/${basename(app.program)}` };
}

describe.skipIf(pythonBinary === '')('@portico/cgi run by python3 -m http.server --cgi', () => {
  conformanceSuite(cgiRunner('python3 http.server --cgi -> portico cgi', pythonBehaviour, start));
  cgiFrontEndCases(
    'python3 http.server --cgi',
    {
      localRedirect: {
        status: 200,
        headers: { location: '/cgi-bin/app.cgi/head', status: undefined },
        body: '',
        reason: "http.server answers 200 with the program's Location as a header",
      },
      clientRedirect: {
        status: 200,
        headers: { status: '302 Found', location: 'http://example.com/moved?from=app' },
        body: 'moved',
        reason: 'http.server answers 200, the Status line a header',
      },
    },
    start,
  );

  describe('a chunked POST', () => {
    let app: CgiApp;
    let front: CgiFrontEnd;
    beforeAll(async () => {
      app = makeCgiApp();
      front = await start(app);
    });
    afterAll(async () => {
      await front?.stop();
      app?.remove();
    });

    it('reaches the program with an empty CONTENT_LENGTH and no body: the app sees an empty body', async () => {
      const pieces = ['first piece;', 'x'.repeat(100_000), 'last'].map((s) => Buffer.from(s));
      const got = await fetchJSON(front.baseUrl, {
        method: 'POST',
        path: `${front.mount}/body`,
        body: pieces,
        gapMs: 5,
      });
      expect(got).toEqual({
        disconnected: false,
        length: 0,
        events: 1,
        sha256: createHash('sha256').digest('hex'),
        typesOk: true,
      });
    });
  });
});
