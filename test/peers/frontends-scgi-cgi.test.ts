/**
 * The SCGI and CGI front-end harnesses and their configs in examples/deploy/, proven against
 * backends that are not ours. SCGI: nginx `scgi_pass`, Apache mod_proxy_scgi and lighttpd
 * mod_scgi in front of uWSGI's SCGI socket running examples/deploy/uwsgi/echo.py, plus a
 * recording SCGI probe (scgi-capture.ts) for what each puts on the wire. CGI: Apache mod_cgi and
 * mod_cgid, lighttpd mod_cgi, Python's `http.server --cgi` and nginx + fcgiwrap running the shell
 * and Python programs of examples/deploy/cgi-bin/.
 */
import { createHash } from 'node:crypto';
import { chmodSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apacheBinary, startApacheCgi, startApacheScgi } from './apache.js';
import type { FcgiBackend } from './backend.js';
import { type CgiBin, type CgiEcho, defaultCgiPath, makeCgiBin } from './cgi-bin.js';
import { fcgiwrapBinary, startNginxFcgiwrap } from './fcgiwrap.js';
import { expectStreamed, type FrontEnd, frontEndFor, httpRequest, jsonOf } from './front-end-client.js';
import { lighttpdBinary, startLighttpdCgi, startLighttpdScgi } from './lighttpd.js';
import { nginxBinary, startNginxScgi } from './nginx.js';
import { tempDir } from './peer.js';
import { pythonBinary, startPythonCgi } from './python-cgi.js';
import { type RunningScgiCapture, type ScgiCapture, startScgiCapture } from './scgi-capture.js';
import { type RunningUwsgi, startUwsgiScgi, uwsgiBinary, type WsgiEcho } from './uwsgi.js';

const BODY = Buffer.from(Array.from({ length: 64 << 10 }, (_, i) => (i * 13 + (i >> 9)) & 0xff));
const BODY_SHA256 = createHash('sha256').update(BODY).digest('hex');
const EMPTY_SHA256 = createHash('sha256').digest('hex');
/** Who runs the CGI programs when the tests run as root (else everyone runs them as us). */
const asRoot = process.getuid?.() === 0;
const me = userInfo().username;

// ---------------------------------------------------------------------------------------------
// SCGI

interface ScgiCase {
  name: string;
  bin: string;
  socket: 'tcp' | 'unix';
  prefix: string;
  start(backend: FcgiBackend): Promise<FrontEnd>;
  /** SCRIPT_NAME and PATH_INFO for `${prefix}/caf%C3%A9/items` (see examples/deploy/README.md). */
  cafe: { SCRIPT_NAME: string; PATH_INFO: string };
  /** Where SCGI comes in the header block; repeated header fields as separate pairs or joined. */
  scgiAt: 'second' | 'last' | 'after-params';
  repeated: 'pairs' | 'joined';
  /** A chunked upload: read whole and sent with its length (and HTTP_TRANSFER_ENCODING?), or 411. */
  chunked: 'buffered' | 'buffered+te' | 411;
}

/**
 * A front end's two cases: over TCP at `/`, and over a unix socket mounted at `/app` (`cafe` for
 * each), with what it puts on the wire.
 */
function scgiCasePair(
  name: string,
  bin: string,
  start: (options: { backend: FcgiBackend; rootPath?: string }) => Promise<FrontEnd>,
  cafe: Record<'tcp' | 'unix', ScgiCase['cafe']>,
  wire: Pick<ScgiCase, 'scgiAt' | 'repeated' | 'chunked'>,
): ScgiCase[] {
  return [
    {
      name: `${name}, TCP`,
      bin,
      socket: 'tcp',
      prefix: '',
      start: (backend) => start({ backend }),
      cafe: cafe.tcp,
      ...wire,
    },
    {
      name: `${name}, unix socket, mounted at /app`,
      bin,
      socket: 'unix',
      prefix: '/app',
      start: (backend) => start({ backend, rootPath: '/app' }),
      cafe: cafe.unix,
      ...wire,
    },
  ];
}

const scgiCases: ScgiCase[] = [
  ...scgiCasePair(
    'nginx scgi_pass',
    nginxBinary,
    startNginxScgi,
    {
      tcp: { SCRIPT_NAME: '', PATH_INFO: '/café/items' },
      unix: { SCRIPT_NAME: '/app', PATH_INFO: '/café/items' },
    },
    { scgiAt: 'after-params', repeated: 'pairs', chunked: 'buffered+te' },
  ),
  ...scgiCasePair(
    'Apache mod_proxy_scgi',
    apacheBinary,
    startApacheScgi,
    // PATH_INFO re-encoded by mod_proxy; SCRIPT_NAME is the decoded path cut where the two stop
    // matching from the end (ap_find_path_info), to the end of that segment.
    {
      tcp: { SCRIPT_NAME: '/café', PATH_INFO: '/caf%C3%A9/items' },
      unix: { SCRIPT_NAME: '/app/café', PATH_INFO: '/caf%C3%A9/items' },
    },
    { scgiAt: 'second', repeated: 'joined', chunked: 411 },
  ),
  ...scgiCasePair(
    'lighttpd mod_scgi',
    lighttpdBinary,
    startLighttpdScgi,
    {
      tcp: { SCRIPT_NAME: '', PATH_INFO: '/café/items' },
      unix: { SCRIPT_NAME: '/app', PATH_INFO: '/café/items' },
    },
    { scgiAt: 'last', repeated: 'joined', chunked: 'buffered' },
  ),
];

describe.skipIf(uwsgiBinary === '')('SCGI front ends in front of uWSGI (--scgi-socket)', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  const uwsgi: Partial<Record<'tcp' | 'unix', RunningUwsgi>> = {};
  let probe: RunningScgiCapture | undefined;

  beforeAll(async () => {
    dir = tempDir('scgi');
    // Apache's children (www-data) must reach the unix socket in it.
    chmodSync(dir.dir, 0o755);
    [uwsgi.tcp, uwsgi.unix, probe] = await Promise.all([
      startUwsgiScgi(),
      startUwsgiScgi({ listen: { path: join(dir.dir, 'uwsgi.sock') } }),
      startScgiCapture(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([uwsgi.tcp?.stop(), uwsgi.unix?.stop(), probe?.stop()]);
    dir?.remove();
  });

  for (const c of scgiCases) {
    describe.skipIf(c.bin === '')(c.name, () => {
      const frontEnd = frontEndFor(() => c.start(uwsgi[c.socket]!.address));

      test('GET with a query: the app sees the method, the raw query and request URI, and the split path', async () => {
        const target = `${c.prefix}/items/1?a=1&b=%20x&c=%2F`;
        const echo = jsonOf<WsgiEcho>(await httpRequest(`${frontEnd.baseUrl}${target}`), frontEnd.logs);
        expect(echo.params.SCGI).toBe('1');
        expect(echo.params.CONTENT_LENGTH).toBe('0');
        expect(echo.params.REQUEST_METHOD).toBe('GET');
        expect(echo.params.QUERY_STRING).toBe('a=1&b=%20x&c=%2F');
        expect(echo.params.REQUEST_URI).toBe(target);
        expect(echo.params.SCRIPT_NAME).toBe(c.prefix);
        expect(echo.params.PATH_INFO).toBe('/items/1');
        expect(echo.params.HTTP_HOST).toBe(new URL(frontEnd.baseUrl).host);
        expect(echo.body).toEqual({ length: 0, sha256: EMPTY_SHA256 });
      });

      test('a percent-encoded path: SCRIPT_NAME and PATH_INFO as documented', async () => {
        const target = `${c.prefix}/caf%C3%A9/items`;
        const echo = jsonOf<WsgiEcho>(await httpRequest(`${frontEnd.baseUrl}${target}`), frontEnd.logs);
        expect(echo.params.REQUEST_URI).toBe(target);
        expect({ SCRIPT_NAME: echo.params.SCRIPT_NAME, PATH_INFO: echo.params.PATH_INFO }).toEqual(c.cafe);
      });

      test('POST of 64 KiB: CONTENT_LENGTH and the body arrive byte-exact', async () => {
        const reply = await httpRequest(`${frontEnd.baseUrl}${c.prefix}/upload`, {
          method: 'POST',
          body: BODY,
        });
        const echo = jsonOf<WsgiEcho>(reply, frontEnd.logs);
        expect(echo.params.REQUEST_METHOD).toBe('POST');
        expect(echo.params.CONTENT_LENGTH).toBe(String(BODY.length));
        expect(echo.params.CONTENT_TYPE).toBe('application/octet-stream');
        expect(echo.body).toEqual({ length: BODY.length, sha256: BODY_SHA256 });
      });

      if (c.socket === 'tcp')
        test('a streamed response reaches the client chunk by chunk', async () => {
          expectStreamed(await httpRequest(`${frontEnd.baseUrl}${c.prefix}/?stream=3&delay_ms=200`));
        });
    });

    // What goes over the wire, once per front end (the TCP variant), seen by the probe.
    if (c.socket === 'tcp')
      describe.skipIf(c.bin === '')(`${c.name}: the header block on the wire`, () => {
        const frontEnd = frontEndFor(() => c.start(probe!.address));

        test('CONTENT_LENGTH first, SCGI 1, repeated header fields', async () => {
          const reply = await httpRequest(`${frontEnd.baseUrl}/wire`, { headers: { 'x-rep': ['a', 'b'] } });
          const { headers } = jsonOf<ScgiCapture>(reply, frontEnd.logs);
          const names = headers.map(([name]) => name);
          expect(headers[0]).toEqual(['CONTENT_LENGTH', '0']);
          expect(names.filter((name) => name === 'SCGI')).toEqual(['SCGI']);
          const scgiIndex = names.indexOf('SCGI');
          if (c.scgiAt === 'second') expect(scgiIndex).toBe(1);
          if (c.scgiAt === 'last') expect(scgiIndex).toBe(names.length - 1);
          if (c.scgiAt === 'after-params') expect(scgiIndex).toBe(names.indexOf('REQUEST_METHOD') - 1);
          const repeated = headers.filter(([name]) => name === 'HTTP_X_REP').map(([, value]) => value);
          expect(repeated).toEqual(c.repeated === 'pairs' ? ['a', 'b'] : ['a, b']);
        });

        test('a chunked upload', async () => {
          const reply = await httpRequest(`${frontEnd.baseUrl}/chunked`, {
            method: 'POST',
            body: BODY,
            chunked: 'one-write',
          });
          if (c.chunked === 411) {
            // mod_proxy_scgi: ap_setup_client_block(r, REQUEST_CHUNKED_ERROR).
            expect(reply.status).toBe(411);
            return;
          }
          const capture = jsonOf<ScgiCapture>(reply, frontEnd.logs);
          expect(capture.headers[0]).toEqual(['CONTENT_LENGTH', String(BODY.length)]);
          expect(capture.body).toEqual({ length: BODY.length, sha256: BODY_SHA256 });
          const te = capture.headers.find(([name]) => name === 'HTTP_TRANSFER_ENCODING')?.[1];
          expect(te).toBe(c.chunked === 'buffered+te' ? 'chunked' : undefined);
        });
      });
  }

  describe.skipIf(nginxBinary === '')('nginx scgi_request_buffering off (requestBuffering: false)', () => {
    const frontEnd = frontEndFor(() => startNginxScgi({ backend: probe!.address, requestBuffering: false }));

    test('nginx 1.22 declares as CONTENT_LENGTH only the body bytes it had read with the head', async () => {
      // Fixed upstream in nginx/nginx#1118 (2026): a fixed nginx declares the whole length.
      const reply = await httpRequest(`${frontEnd.baseUrl}/unbuffered`, { method: 'POST', body: BODY });
      const capture = jsonOf<ScgiCapture>(reply, frontEnd.logs);
      const declared = Number(capture.headers[0]?.[1]);
      expect(capture.headers[0]?.[0]).toBe('CONTENT_LENGTH');
      expect(declared).toBeGreaterThan(0);
      expect(declared).toBeLessThanOrEqual(BODY.length);
      const prefix = BODY.subarray(0, declared);
      expect(capture.body).toEqual({
        length: declared,
        sha256: createHash('sha256').update(prefix).digest('hex'),
      });
    });
  });

  describe.skipIf(nginxBinary === '')('nginx without the scgi_params (withScgiParams: false)', () => {
    const frontEnd = frontEndFor(() => startNginxScgi({ backend: probe!.address, withScgiParams: false }));

    test('sends CONTENT_LENGTH and the HTTP_* headers only: no SCGI, no REQUEST_METHOD, no path', async () => {
      const reply = await httpRequest(`${frontEnd.baseUrl}/bare?q=1`, {
        method: 'POST',
        body: BODY.subarray(0, 10),
      });
      const capture = jsonOf<ScgiCapture>(reply, frontEnd.logs);
      expect(capture.headers[0]).toEqual(['CONTENT_LENGTH', '10']);
      expect(capture.headers.slice(1).every(([name]) => name.startsWith('HTTP_'))).toBe(true);
      expect(capture.headers.map(([name]) => name)).toContain('HTTP_HOST');
      expect(capture.body.length).toBe(10);
    });
  });

  describe.skipIf(apacheBinary === '')(
    'Apache mod_proxy_scgi without proxy-scgi-pathinfo (pathInfo: false)',
    () => {
      const frontEnd = frontEndFor(() =>
        startApacheScgi({ backend: uwsgi.tcp!.address, rootPath: '/app', pathInfo: false }),
      );

      test('no PATH_INFO; SCRIPT_NAME is the whole decoded path', async () => {
        const echo = jsonOf<WsgiEcho>(
          await httpRequest(`${frontEnd.baseUrl}/app/caf%C3%A9/items`),
          frontEnd.logs,
        );
        expect(echo.params.PATH_INFO).toBeUndefined();
        expect(echo.params.SCRIPT_NAME).toBe('/app/café/items');
        expect(echo.params.REQUEST_URI).toBe('/app/caf%C3%A9/items');
      });
    },
  );
});

// ---------------------------------------------------------------------------------------------
// CGI

interface CgiCase {
  name: string;
  bins: string[];
  start(cgiBin: string): Promise<FrontEnd>;
  /** The user the programs run as when the tests run as root. */
  user: string;
  /** PATH_INFO of `/cgi-bin/PROGRAM/caf%C3%A9/a%2Fb`. */
  cafePathInfo: string;
  /** Sends REQUEST_URI and the Host header (HTTP_HOST); Python's http.server sends neither. */
  full: boolean;
  /** A `Status: 404 Echo` line of the program becomes the response status (Python: not parsed). */
  parsesStatus: boolean;
}

const cgiCases: CgiCase[] = [
  {
    name: 'Apache mod_cgi (mpm_prefork)',
    bins: [apacheBinary],
    start: (cgiBin) => startApacheCgi({ cgiBin, module: 'cgi' }),
    user: 'www-data',
    cafePathInfo: '/café/a%2Fb',
    full: true,
    parsesStatus: true,
  },
  {
    name: 'Apache mod_cgid (mpm_event)',
    bins: [apacheBinary],
    start: (cgiBin) => startApacheCgi({ cgiBin, module: 'cgid' }),
    user: 'www-data',
    cafePathInfo: '/café/a%2Fb',
    full: true,
    parsesStatus: true,
  },
  {
    name: 'lighttpd mod_cgi',
    bins: [lighttpdBinary],
    start: (cgiBin) => startLighttpdCgi({ cgiBin }),
    user: 'root',
    cafePathInfo: '/café/a/b',
    full: true,
    parsesStatus: true,
  },
  {
    name: 'python3 -m http.server --cgi',
    bins: [pythonBinary],
    start: (cgiBin) => startPythonCgi({ cgiBin }),
    user: 'nobody',
    cafePathInfo: '/café/a/b',
    full: false,
    parsesStatus: false,
  },
  {
    name: 'nginx + fcgiwrap',
    bins: [nginxBinary, fcgiwrapBinary],
    start: (cgiBin) => startNginxFcgiwrap({ cgiBin }),
    user: 'root',
    cafePathInfo: '/café/a/b',
    full: true,
    parsesStatus: true,
  },
];

describe('CGI front ends running shell and Python programs', () => {
  let cgiBin: CgiBin | undefined;
  beforeAll(() => {
    cgiBin = makeCgiBin();
  });
  afterAll(() => cgiBin?.remove());

  for (const c of cgiCases) {
    describe.skipIf(c.bins.includes(''))(c.name, () => {
      const frontEnd = frontEndFor(() => c.start(cgiBin!.dir));

      for (const program of ['echo.sh', 'echo.py']) {
        test(`${program}: GET with a query and a PATH_INFO after the program's name`, async () => {
          const target = `/cgi-bin/${program}/caf%C3%A9/a%2Fb?a=1&b=%20x`;
          const echo = jsonOf<CgiEcho>(await httpRequest(`${frontEnd.baseUrl}${target}`), frontEnd.logs);
          expect(echo.params.REQUEST_METHOD).toBe('GET');
          expect(echo.params.QUERY_STRING).toBe('a=1&b=%20x');
          expect(echo.params.GATEWAY_INTERFACE).toBe('CGI/1.1');
          expect(echo.params.SCRIPT_NAME).toBe(`/cgi-bin/${program}`);
          expect(echo.params.PATH_INFO).toBe(c.cafePathInfo);
          expect(echo.params.REQUEST_URI).toBe(c.full ? target : undefined);
          expect(echo.params.HTTP_HOST).toBe(c.full ? new URL(frontEnd.baseUrl).host : undefined);
          expect(echo.params.PATH).toBe(defaultCgiPath());
          expect(echo.user).toBe(asRoot ? c.user : me);
          expect(echo.body).toEqual({ length: 0, sha256: EMPTY_SHA256 });
        });

        test(`${program}: POST of 64 KiB arrives byte-exact on stdin`, async () => {
          const reply = await httpRequest(`${frontEnd.baseUrl}/cgi-bin/${program}`, {
            method: 'POST',
            body: BODY,
          });
          const echo = jsonOf<CgiEcho>(reply, frontEnd.logs);
          expect(echo.params.REQUEST_METHOD).toBe('POST');
          expect(echo.params.CONTENT_LENGTH).toBe(String(BODY.length));
          expect(echo.params.CONTENT_TYPE).toBe('application/octet-stream');
          expect(echo.body).toEqual({ length: BODY.length, sha256: BODY_SHA256 });
        });
      }

      test('a streamed response reaches the client chunk by chunk', async () => {
        expectStreamed(await httpRequest(`${frontEnd.baseUrl}/cgi-bin/echo.sh?stream=3&delay_ms=200`));
      });

      test("the program's Status header", async () => {
        const reply = await httpRequest(`${frontEnd.baseUrl}/cgi-bin/echo.sh?status=404`);
        if (c.parsesStatus) {
          expect(reply.status, frontEnd.logs()).toBe(404);
          expect(reply.headers.status).toBeUndefined();
        } else {
          // Python: `HTTP/1.0 200 Script output follows`, then the program's head as it is.
          expect(reply.status).toBe(200);
          expect(reply.headers.status).toBe('404 Echo');
        }
        expect(reply.headers['content-type']).toBe('application/json');
      });
    });
  }
});
