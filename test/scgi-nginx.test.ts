/**
 * `@portico/scgi` behind nginx `scgi_pass` (examples/deploy/nginx/scgi.conf through
 * test/peers/nginx.ts): the conformance suite over TCP and over a unix socket, then what is nginx's
 * own: a head without `SCGI` (SRV-SCGI-2) and repeated header fields as repeated `HTTP_*` pairs
 * (SRV-SCGI-5), each seen both on the wire by the recording SCGI probe
 * (test/peers/scgi-capture.ts) and at the app; a 10 MiB upload, a streamed response
 * (`scgi_buffering off`), redirects through the `Status:` line (SRV-SCGI-4), and a mount point nginx
 * sends as SCRIPT_NAME.
 *
 * As in the FastCGI runners, the suite's mounted server gets `rootPath` from the adapter's option
 * with nginx passing every path at `/` (SCRIPT_NAME empty).
 */
import { createHash } from 'node:crypto';
import { type SCGIServer, serve } from '@portico/scgi';
import { type AsyncApp, type HTTPScope, validateAsync } from '@portico/spec';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { rule } from '../packages/server/test/rule.js';
import { fetchJSON, fetchRaw, headerOf, open, slowUpload } from './conformance/client.js';
import type { FrontEndBehaviour } from './conformance/runner.js';
import { conformanceSuite } from './conformance/suite.js';
import { expectRedirectsPass } from './fixtures/redirect-probe.js';
import { parseBackend } from './peers/backend.js';
import { frontEndRunner } from './peers/front-end-runner.js';
import { nginxBinary, nginxJoinsHeaders, type RunningNginx, startNginxScgi } from './peers/nginx.js';
import { type ScgiCapture, startScgiCapture } from './peers/scgi-capture.js';

/** Before 1.23 each field is its own `HTTP_*` pair, and so its own header pair (SRV-SCGI-5). */
const repeatedHeaders: FrontEndBehaviour['repeatedHeaders'] = nginxJoinsHeaders
  ? { delivered: [['x-repeat', 'one, two']], reason: 'nginx joins them into one HTTP_X_REPEAT pair' }
  : undefined;

/** The adapter on TCP or a unix socket, nginx in front at `/`. */
const nginxRunner = (name: string, socket: 'tcp' | 'unix') =>
  frontEndRunner({
    name,
    frontEnd: repeatedHeaders === undefined ? {} : { repeatedHeaders },
    serve,
    startFrontEnd: (backend) => startNginxScgi({ backend }),
    socket,
    tempPrefix: 'scgi-nginx',
  });

/** What {@link wireApp} answers on `/echo`. */
interface Echo {
  method: string;
  rootPath: string;
  path: string;
  rawPath: string;
  queryString: string;
  headers: [string, string][];
  /** The `cgi` extension's variables the tests look at (byte strings), `null` when absent. */
  cgi: Record<string, string | null>;
  body: { length: number; sha256: string; events: number; largestEvent: number; firstAt: number };
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Requests {@link wireApp} was asked. */
let requests = 0;
/** The `cgi` variables `/echo` reports. */
const CGI_NAMES = ['SCGI', 'HTTP_X_REPEAT', 'SCRIPT_NAME', 'PATH_INFO'];
/** The streaming route waits on these, one per chunk. */
const chunkGates: (() => void)[] = [];

/**
 * `/echo`: what the app saw (reads the whole body, noting how it came). `/redirect`: 302 to a
 * path; `/moved`: 301 to an absolute URL; `/located`: 200 with a `Location`. `/stream?n=N`: N
 * chunks, each sent once the test calls {@link nextChunk}.
 */
const wireApp: AsyncApp = validateAsync(async (scope, receive, send) => {
  if (scope.type !== 'http') throw new Error(`unsupported scope type ${scope.type}`);
  const s = scope as HTTPScope;
  requests++;
  const reply = async (status: number, headers: [string, string][], body: string) => {
    await send({
      type: 'http.response.start',
      status,
      headers: [['content-type', 'text/plain'], ...headers],
    });
    await send({ type: 'http.response.body', body: Buffer.from(body) });
  };
  if (s.path === '/redirect') return reply(302, [['location', '/echo?from=redirect']], 'see /echo');
  if (s.path === '/moved') return reply(301, [['location', 'http://example.com/x?y=1']], 'moved');
  if (s.path === '/located') return reply(200, [['location', '/echo']], 'still here');
  if (s.path === '/stream') {
    const n = Number(new URLSearchParams(s.queryString).get('n'));
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
    for (let i = 1; i <= n; i++) {
      await new Promise<void>((r) => chunkGates.push(r));
      await send({ type: 'http.response.body', body: Buffer.from(`chunk ${i};`), moreBody: i < n });
    }
    return;
  }
  const hash = createHash('sha256');
  const body = { length: 0, sha256: '', events: 0, largestEvent: 0, firstAt: 0 };
  for (;;) {
    const event = await receive();
    if (event.type !== 'http.request') throw new Error('client went away');
    body.events++;
    if (event.body.length > 0 && body.firstAt === 0) body.firstAt = Date.now();
    body.largestEvent = Math.max(body.largestEvent, event.body.length);
    body.length += event.body.length;
    hash.update(event.body);
    if (!event.moreBody) break;
  }
  body.sha256 = hash.digest('hex');
  const variables = s.extensions.cgi?.variables ?? {};
  const echo: Echo = {
    method: s.method,
    rootPath: s.rootPath,
    path: s.path,
    rawPath: s.rawPath,
    queryString: s.queryString,
    headers: s.headers.map(([n, v]) => [n, v]),
    cgi: Object.fromEntries(CGI_NAMES.map((k) => [k, variables[k] ?? null])),
    body,
  };
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
  await send({ type: 'http.response.body', body: Buffer.from(JSON.stringify(echo)) });
});
/** Lets the streaming route send its next chunk (once it is waiting). */
async function nextChunk(): Promise<void> {
  await expect.poll(() => chunkGates.length).toBe(1);
  chunkGates.shift()!();
}

/**
 * The standard params of nginx/scgi.conf without `scgi_param SCGI 1`: a config that writes its own
 * params and leaves that one out (nginx adds no `SCGI` of its own).
 */
const PARAMS_WITHOUT_SCGI = [
  'scgi_param SCRIPT_NAME $script_name;',
  'scgi_param PATH_INFO $path_info;',
  'scgi_param REQUEST_METHOD $request_method;',
  'scgi_param REQUEST_URI $request_uri;',
  'scgi_param QUERY_STRING $query_string;',
  'scgi_param CONTENT_TYPE $content_type;',
  'scgi_param SERVER_PROTOCOL $server_protocol;',
  'scgi_param REMOTE_ADDR $remote_addr;',
  'scgi_param SERVER_NAME $server_name;',
  'scgi_param SERVER_PORT $server_port;',
].join('\n');

describe.skipIf(nginxBinary === '')('@portico/scgi behind nginx', () => {
  conformanceSuite(nginxRunner('nginx scgi_pass -> scgi (TCP)', 'tcp'));
  conformanceSuite(nginxRunner('nginx scgi_pass -> scgi (unix socket)', 'unix'));

  describe('on the wire (the recording probe) and at the app', () => {
    let server: SCGIServer;
    const fronts: RunningNginx[] = [];
    beforeAll(async () => {
      server = await serve(wireApp, { bind: ['127.0.0.1:0'], lifespan: 'off', shutdownTimeout: 2000 });
    });
    afterAll(async () => {
      await Promise.all(fronts.map((f) => f.stop()));
      await server?.close();
    });

    /** nginx in front of the adapter. */
    async function nginxForApp(options: { rootPath?: string; withScgiParams?: boolean } = {}) {
      const app = await startNginxScgi({ ...options, backend: parseBackend(server.addresses[0]!) });
      fronts.push(app);
      return app;
    }

    /** nginx in front of the adapter, and the same nginx config in front of the probe. */
    async function both(options: { withScgiParams?: boolean; extra?: string } = {}) {
      const probe = await startScgiCapture();
      try {
        const [app, wire] = await Promise.all([
          startNginxScgi({ ...options, backend: parseBackend(server.addresses[0]!) }),
          startNginxScgi({ ...options, backend: probe.address }),
        ]);
        fronts.push(app, wire);
        return { app, wire, probe };
      } catch (error) {
        await probe.stop();
        throw error;
      }
    }

    rule(
      'SRV-SCGI-2',
      'no SCGI header (nginx without `scgi_param SCGI 1`): the request is served',
      async () => {
        const { app, wire, probe } = await both({ withScgiParams: false, extra: PARAMS_WITHOUT_SCGI });
        try {
          const body = Buffer.from('twelve bytes');
          const req = {
            method: 'POST',
            path: '/echo/x?q=1',
            body,
            headers: [['X-A', 'a']] as [string, string][],
          };
          const sent = await fetchJSON<ScgiCapture>(wire.baseUrl, req);
          expect(sent.headers[0]).toEqual(['CONTENT_LENGTH', '12']);
          expect(sent.headers.map(([n]) => n)).not.toContain('SCGI');
          expect(sent.headers).toContainEqual(['REQUEST_METHOD', 'POST']);
          const echo = await fetchJSON<Echo>(app.baseUrl, req);
          expect(echo).toMatchObject({
            method: 'POST',
            path: '/echo/x',
            rawPath: '/echo/x',
            queryString: 'q=1',
            cgi: { SCGI: null },
            body: { length: 12, sha256: sha256(body) },
          });
          expect(echo.headers).toContainEqual(['x-a', 'a']);
          // With no scgi_param at all (a forgotten `include scgi_params`) nginx sends CONTENT_LENGTH
          // and the HTTP_* headers only: no REQUEST_METHOD, so the app could not tell this POST from
          // a GET. The adapter answers 400 instead of calling it.
          const bare = await nginxForApp({ withScgiParams: false });
          const refused = await fetchRaw(bare.baseUrl, req);
          expect(refused.status).toBe(400);
        } finally {
          await probe.stop();
        }
      },
    );

    rule(
      'SRV-SCGI-5',
      'repeated request header fields: nginx sends an HTTP_* pair each; the app gets a header pair each',
      async () => {
        const { app, wire, probe } = await both();
        try {
          const headers: [string, string][] = [
            ['X-Repeat', 'one'],
            ['X-Repeat', 'two'],
            ['X-Other', 'o'],
          ];
          const sent = await fetchJSON<ScgiCapture>(wire.baseUrl, { path: '/echo', headers });
          const values = sent.headers.filter(([n]) => n === 'HTTP_X_REPEAT').map(([, v]) => v);
          expect(values).toEqual(nginxJoinsHeaders ? ['one, two'] : ['one', 'two']);
          const echo = await fetchJSON<Echo>(app.baseUrl, { path: '/echo', headers });
          expect(echo.headers.filter(([n]) => n.startsWith('x-'))).toEqual(
            nginxJoinsHeaders
              ? [
                  ['x-repeat', 'one, two'],
                  ['x-other', 'o'],
                ]
              : [
                  ['x-repeat', 'one'],
                  ['x-repeat', 'two'],
                  ['x-other', 'o'],
                ],
          );
          // The `cgi` extension holds a variable once: the repeated fields joined.
          expect(echo.cgi).toMatchObject({ SCGI: '1', HTTP_X_REPEAT: 'one, two' });
        } finally {
          await probe.stop();
        }
      },
    );

    rule('SRV-SCGI-3', 'a 10 MiB upload: every byte, streamed to the app in bounded pieces', async () => {
      const SIZE = 10 * 1024 * 1024;
      const body = Buffer.alloc(SIZE);
      for (let i = 0; i < SIZE; i++) body[i] = (i * 131 + (i >> 12)) & 0xff;
      const app = await nginxForApp();
      const { status, json, lastWriteAt } = await slowUpload<Echo>(`${app.baseUrl}/echo`, body, 10, 30);
      expect(status).toBe(200);
      expect(json.body).toMatchObject({ length: SIZE, sha256: sha256(body) });
      expect(json.headers).toContainEqual(['content-length', String(SIZE)]);
      // scgi_request_buffering on: nginx sends the body once it has all of it ...
      expect(json.body.firstAt).toBeGreaterThanOrEqual(lastWriteAt);
      // ... and the adapter passes it on as it reads it, not gathered into one buffer.
      expect(json.body.events).toBeGreaterThan(10);
      expect(json.body.largestEvent).toBeLessThanOrEqual(1024 * 1024);
    });

    rule(
      'SRV-FLOW-1',
      'a streamed response (scgi_buffering off): each chunk reaches the client on its own',
      async () => {
        const app = await nginxForApp();
        // The head goes out with the first chunk.
        const opened = open(app.baseUrl, { path: '/stream?n=4' });
        await nextChunk();
        const res = await opened;
        expect(res.statusCode).toBe(200);
        const reader = res[Symbol.asyncIterator]();
        const got: string[] = [];
        for (let i = 1; i <= 4; i++) {
          if (i > 1) await nextChunk();
          let text = '';
          while (!text.endsWith(';')) {
            const next = await reader.next();
            if (next.done) break;
            text += String(next.value);
          }
          got.push(text);
        }
        expect(got).toEqual(['chunk 1;', 'chunk 2;', 'chunk 3;', 'chunk 4;']);
        expect((await reader.next()).done).toBe(true);
      },
    );

    rule('SRV-SCGI-4', 'redirects: status and Location pass through nginx unchanged', async () => {
      const app = await nginxForApp();
      await expectRedirectsPass(app.baseUrl, { location: '/echo?from=redirect', body: 'see /echo' });
      // The `Status:` line keeps a 200 with a Location a 200 (without it, CGI makes it a redirect).
      const located = await fetchRaw(app.baseUrl, { path: '/located' });
      expect([located.status, headerOf(located, 'location'), located.body.toString()]).toEqual([
        200,
        '/echo',
        'still here',
      ]);
    });

    rule('SRV-PATH-2', 'nginx mounted at /mount: the SCRIPT_NAME it sends is the rootPath', async () => {
      const app = await nginxForApp({ rootPath: '/mount' });
      expect(await fetchJSON<Echo>(app.baseUrl, { path: '/mount/echo/caf%C3%A9?z=1' })).toMatchObject({
        rootPath: '/mount',
        path: '/echo/café',
        rawPath: '/mount/echo/caf%C3%A9',
        queryString: 'z=1',
        // CGI variables are byte strings: one character a byte of UTF-8.
        cgi: { SCRIPT_NAME: '/mount', PATH_INFO: Buffer.from('/echo/café').toString('latin1') },
      });
      // Outside the prefix nginx answers itself: the app is not asked.
      const before = requests;
      expect((await fetchRaw(app.baseUrl, { path: '/echo' })).status).toBe(404);
      expect(requests).toBe(before);
    });
  });
});
