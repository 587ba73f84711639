/**
 * `@portico/fastcgi` behind lighttpd 1.4 (examples/deploy/lighttpd/*.conf through
 * test/peers/lighttpd.ts): the conformance suite through mod_fastcgi `host`/`port`; what lighttpd
 * does on the wire (a connection per request, FCGI_KEEP_CONN clear: the adapter closes it,
 * FastCGI 1.0 section 5.1); the `portico` CLI spawned by lighttpd itself (`bin-path`) with the
 * listening socket on fd 0 (FCGI_LISTENSOCK_FILENO, section 2.2); and a Portico app as the
 * Authorizer (`"mode" => "authorizer"`, section 6.3) in front of a static directory, served
 * in-process over TCP and spawned by lighttpd.
 *
 * As in the nginx runners, the suite's mounted server gets `rootPath` from the adapter's option
 * with lighttpd passing every path (the suite also sends a path outside the prefix, PATH-2's
 * `/scope/q`); lighttpd mounted at a prefix, sending it as SCRIPT_NAME, is checked on its own below.
 *
 * The CLI runs from dist/: run `npx tsc -b` first.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type FastCGIServer,
  FCGI_AUTHORIZER,
  FCGI_BEGIN_REQUEST,
  FCGI_KEEP_CONN,
  FCGI_STDIN,
  serve,
} from '@portico/fastcgi';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../packages/server/test/rule.js';
import { type ClientResponse, fetchJSON, fetchRaw, headerOf, open } from './conformance/client.js';
import type { FrontEndBehaviour } from './conformance/runner.js';
import { conformanceSuite } from './conformance/suite.js';
import { relayedAdapter, startRelay } from './fastcgi-relay.js';
import { type AuthorizerSeen, authorizerApp, type BodySeen, denialText } from './fixtures/fastcgi-apps.js';
import { paramsOf } from './fixtures/relay-params.js';
import { parseBackend } from './peers/backend.js';
import { frontEndRunner } from './peers/front-end-runner.js';
import {
  lighttpdBinary,
  type RunningLighttpd,
  startLighttpdAuthorizer,
  startLighttpdFcgi,
} from './peers/lighttpd.js';
import { REPO_ROOT, tempDir } from './peers/peer.js';

/** The CLI; it runs from dist/ (`npx tsc -b`). */
const CLI = join(REPO_ROOT, 'packages/cli/bin/portico.js');
/** The apps lighttpd has the CLI serve (`default`: the responder, `authorizer`). */
const FIXTURE = join(REPO_ROOT, 'test/fixtures/fastcgi-apps.ts');
const HELLO = join(REPO_ROOT, 'examples/hello/async.ts');

/** What lighttpd changes on the way (`FrontEndBehaviour` of the suite). */
const lighttpdBehaviour: FrontEndBehaviour = {
  repeatedHeaders: {
    delivered: [['x-repeat', 'one, two']],
    reason: 'lighttpd joins repeated fields into one HTTP_X_REPEAT param',
  },
  underscoreHeaders: {
    values: ['spoof, real'],
    reason: 'lighttpd 1.4 sends both as HTTP_X_UNDER_SCORE; it does not drop the "_" one',
  },
};

/** The adapter on TCP, lighttpd mod_fastcgi (`host`/`port`) in front at `/`. */
const lighttpdRunner = frontEndRunner({
  name: 'lighttpd mod_fastcgi -> fastcgi (host/port)',
  frontEnd: lighttpdBehaviour,
  serve,
  startFrontEnd: (backend) => startLighttpdFcgi({ backend }),
});

/**
 * Writes `dir/portico-fcgi.sh`, which runs `portico serve <its arguments>` with the options of an
 * app lighttpd spawns (`--adapter fastcgi --bind fd://0`, no access log, no lifespan); returns its
 * path. lighttpd splits `bin-path` at spaces, so the script holds the command line and `bin-path`
 * is the script and the module.
 */
function writeWrapper(dir: string): string {
  const path = join(dir, 'portico-fcgi.sh');
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      `exec ${process.execPath} ${CLI} serve "$@" --adapter fastcgi --bind fd://0 --access-log off --lifespan off --log-level warn`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return path;
}

/**
 * GETs `/hello.txt` with the token the authorizer allows; asserts the static file came back (200,
 * its text) and returns the response.
 */
async function fetchAllowed(lighttpd: RunningLighttpd): Promise<ClientResponse> {
  const allowed = await fetchRaw(lighttpd.baseUrl, { path: '/hello.txt', headers: [['X-Token', 'good']] });
  expect(allowed.status, lighttpd.logs()).toBe(200);
  expect(allowed.body.toString()).toBe('hello, static world\n');
  return allowed;
}

/** A string's UTF-8 bytes as a byte string (one character per byte), as CGI variables hold them. */
const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const EMPTY: BodySeen = { length: 0, sha256: sha256(Buffer.alloc(0)), events: 1, disconnected: false };

describe.skipIf(lighttpdBinary === '')('@portico/fastcgi behind lighttpd', () => {
  conformanceSuite(lighttpdRunner);

  describe('FastCGI on the wire (a recording relay between lighttpd and the adapter)', () => {
    let lighttpd: RunningLighttpd | undefined;
    const wire = relayedAdapter(async () => {
      await lighttpd?.stop();
      lighttpd = undefined;
    });
    const { begins, ends } = wire;

    rule(
      'SRV-FCGI-3',
      'FCGI_KEEP_CONN clear: a connection per request, and the adapter closes each',
      async () => {
        lighttpd = await startLighttpdFcgi({ backend: wire.relay.address });
        for (let i = 0; i < 5; i++) {
          expect(await fetchJSON(lighttpd.baseUrl, { path: `/scope/n${i}?i=${i}` })).toMatchObject({
            path: `/scope/n${i}`,
            queryString: `i=${i}`,
          });
        }
        expect(wire.relay.connections).toHaveLength(5);
        // Role Responder (1), flags 0: one request per connection.
        expect(
          begins().map((r) => [r.conn, r.content!.readUInt16BE(0), r.content![2]! & FCGI_KEEP_CONN]),
        ).toEqual(wire.relay.connections.map((c) => [c.id, 1, 0]));
        expect(ends().map((r) => [r.content!.readUInt32BE(0), r.content![4]])).toEqual(Array(5).fill([0, 0]));
        await expect.poll(() => wire.relay.connections.map((c) => c.closedBy)).toEqual(Array(5).fill('app'));
      },
    );

    rule(
      'SRV-FCGI-7',
      'a chunked upload: lighttpd reads it whole, then sends its CONTENT_LENGTH',
      async () => {
        lighttpd = await startLighttpdFcgi({ backend: wire.relay.address });
        const pieces = Array.from({ length: 10 }, (_, i) => Buffer.alloc(10 * 1024, 97 + i));
        const whole = Buffer.concat(pieces);
        const got = await fetchJSON(lighttpd.baseUrl, {
          method: 'PUT',
          path: '/body',
          body: pieces,
          gapMs: 10,
        });
        expect(got).toMatchObject({ disconnected: false, length: whole.length, sha256: sha256(whole) });
        const [params] = paramsOf(wire.relay.records);
        expect(params?.CONTENT_LENGTH).toBe(String(whole.length));
        expect(params).not.toHaveProperty('HTTP_TRANSFER_ENCODING');
      },
    );

    rule(
      'SRV-PATH-2',
      'lighttpd mounted at /mount: SCRIPT_NAME is the rootPath; outside it lighttpd answers',
      async () => {
        lighttpd = await startLighttpdFcgi({ backend: wire.relay.address, rootPath: '/mount' });
        expect(await fetchJSON(lighttpd.baseUrl, { path: '/mount/scope/x/y?z=1' })).toMatchObject({
          rootPath: '/mount',
          path: '/scope/x/y',
          rawPath: '/mount/scope/x/y',
          queryString: 'z=1',
        });
        expect(await fetchJSON(lighttpd.baseUrl, { path: '/mount/environ/caf%C3%A9?z=1' })).toMatchObject({
          SCRIPT_NAME: '/mount',
          PATH_INFO: '/environ/café',
          REQUEST_URI: '/mount/environ/caf%C3%A9?z=1',
        });
        expect(paramsOf(wire.relay.records).map((p) => [p.SCRIPT_NAME, p.PATH_INFO])).toEqual([
          ['/mount', '/scope/x/y'],
          ['/mount', '/environ/café'],
        ]);
        const before = begins().length;
        for (const path of ['/scope/q', '/mountx/scope']) {
          const outside = await fetchRaw(lighttpd.baseUrl, { path });
          expect(outside.status).toBe(404);
          expect(outside.body.toString()).not.toContain('no such route');
        }
        expect(begins().length).toBe(before);
      },
    );
  });

  describe('bin-path: lighttpd spawns `portico serve --bind fd://0`', () => {
    let dir: ReturnType<typeof tempDir> | undefined;
    let lighttpd: RunningLighttpd;

    beforeAll(async () => {
      dir = tempDir('fcgi-lighttpd-spawn');
      lighttpd = await startLighttpdFcgi({ binPath: writeWrapper(dir.dir), binArgs: [FIXTURE] });
    });
    afterAll(async () => {
      await lighttpd?.stop();
      dir?.remove();
    });

    it('GET with a query: the scope from the params lighttpd sent, in the spawned process', async () => {
      const res = await fetchRaw(lighttpd.baseUrl, { path: '/info/caf%C3%A9?a=1&b=%20x' });
      expect(res.status, lighttpd.logs()).toBe(200);
      const info = JSON.parse(res.body.toString()) as Record<string, unknown>;
      expect(info).toMatchObject({
        method: 'GET',
        path: '/info/café',
        rawPath: '/info/caf%C3%A9',
        queryString: 'a=1&b=%20x',
        rootPath: '',
        role: 'responder',
        // CGI variables are byte strings as received (extensions.md section 6): UTF-8 bytes.
        variables: { SCRIPT_NAME: '', PATH_INFO: latin1('/info/café'), CONTENT_LENGTH: '0' },
        body: EMPTY,
      });
      expect(info.pid).not.toBe(process.pid);
    });

    it('POST of 64 KiB arrives byte-exact', async () => {
      const body = Buffer.alloc(64 * 1024);
      for (let i = 0; i < body.length; i++) body[i] = (i * 13 + (i >> 9)) & 0xff;
      const got = await fetchJSON(lighttpd.baseUrl, { method: 'POST', path: '/body', body });
      expect(got).toMatchObject({
        method: 'POST',
        role: 'responder',
        body: { length: body.length, sha256: sha256(body), disconnected: false },
      });
    });

    it('a streamed response reaches the client chunk by chunk', async () => {
      const started = Date.now();
      const res = await open(lighttpd.baseUrl, { path: '/stream?n=3&gap_ms=250' });
      expect(res.statusCode).toBe(200);
      const arrivals: [string, number][] = [];
      for await (const chunk of res) arrivals.push([(chunk as Buffer).toString(), Date.now() - started]);
      expect(arrivals.map(([text]) => text).join('')).toBe('chunk 1;chunk 2;chunk 3;');
      // Each chunk arrived on its own, about 250 ms after the one before.
      expect(arrivals.length).toBeGreaterThanOrEqual(3);
      const first = arrivals.find(([text]) => text.includes('chunk 1;'))![1];
      const last = arrivals.find(([text]) => text.includes('chunk 3;'))![1];
      expect(arrivals[0]![0]).toBe('chunk 1;');
      expect(last - first).toBeGreaterThanOrEqual(400);
    });
  });

  describe('bin-path: examples/hello/async.ts', () => {
    it('answers Hello, world!', async () => {
      const dir = tempDir('fcgi-lighttpd-hello');
      const lighttpd = await startLighttpdFcgi({ binPath: writeWrapper(dir.dir), binArgs: [HELLO] });
      try {
        const res = await fetchRaw(lighttpd.baseUrl, { path: '/anything?x=1' });
        expect(res.status, lighttpd.logs()).toBe(200);
        expect(res.body.toString()).toBe('Hello, world!\n');
        expect(headerOf(res, 'content-type')).toBe('text/plain; charset=utf-8');
      } finally {
        await lighttpd.stop();
        dir.remove();
      }
    });
  });

  describe('a Portico app as the Authorizer ("mode" => "authorizer") in front of a static directory', () => {
    let dir: ReturnType<typeof tempDir> | undefined;
    let docroot: string;
    const seen: AuthorizerSeen[] = [];
    let authorizer: FastCGIServer;

    beforeAll(async () => {
      dir = tempDir('fcgi-lighttpd-auth');
      docroot = join(dir.dir, 'www');
      mkdirSync(docroot, { mode: 0o755 });
      chmodSync(dir.dir, 0o755);
      writeFileSync(join(docroot, 'hello.txt'), 'hello, static world\n', { mode: 0o644 });
      authorizer = await serve(
        authorizerApp((s) => seen.push(s)),
        { bind: ['127.0.0.1:0'], lifespan: 'off' },
      );
    });
    afterEach(() => {
      seen.length = 0;
    });
    afterAll(async () => {
      await authorizer?.close();
      dir?.remove();
    });

    it('over TCP: allowed gets the static file, denied gets the authorizer response; the app got no body', async () => {
      const relay = await startRelay(parseBackend(authorizer.addresses[0]!));
      const lighttpd = await startLighttpdAuthorizer({ authorizer: relay.address, docroot });
      try {
        const allowed = await fetchAllowed(lighttpd);
        expect(headerOf(allowed, 'content-type')).toBe('text/plain');
        expect(headerOf(allowed, 'variable-auth_user')).toBeUndefined();

        const body = Buffer.from('a request body the authorizer never sees');
        const denied = await fetchRaw(lighttpd.baseUrl, {
          method: 'POST',
          path: '/hello.txt',
          body,
          headers: [['X-Token', 'bad']],
        });
        expect(denied.status).toBe(403);
        // lighttpd passes the authorizer's response on as it is.
        expect(denied.body.toString()).toBe(denialText('authorizer', EMPTY));
        expect(headerOf(denied, 'x-authorizer')).toBe('portico');
        expect(headerOf(denied, 'content-type')).toBe('text/plain');

        expect(seen).toEqual([
          expect.objectContaining({
            role: 'authorizer',
            method: 'GET',
            path: '/hello.txt',
            granted: true,
            body: EMPTY,
          }),
          expect.objectContaining({
            role: 'authorizer',
            method: 'POST',
            path: '/hello.txt',
            granted: false,
            body: EMPTY,
          }),
        ]);
        // No CONTENT_LENGTH for the authorizer: the body's length only as the header copy.
        expect(seen[1]!.variableNames).not.toContain('CONTENT_LENGTH');
        // On the wire: role Authorizer (2), no FCGI_KEEP_CONN, no body bytes; a connection per
        // request, each closed by the adapter.
        const toApp = relay.records.filter((r) => r.direction === 'to-app');
        expect(
          toApp
            .filter((r) => r.type === FCGI_BEGIN_REQUEST)
            .map((r) => [r.content!.readUInt16BE(0), r.content![2]]),
        ).toEqual([
          [FCGI_AUTHORIZER, 0],
          [FCGI_AUTHORIZER, 0],
        ]);
        // (lighttpd 1.4.69 sent the GET an empty FCGI_STDIN record, the POST none.)
        expect(toApp.filter((r) => r.type === FCGI_STDIN && r.length > 0)).toEqual([]);
        // lighttpd sends no FCGI_ROLE param (Apache does) and no CONTENT_LENGTH; the request's
        // Content-Length header comes as HTTP_CONTENT_LENGTH.
        expect(
          paramsOf(relay.records).map((p) => [p.FCGI_ROLE, p.CONTENT_LENGTH, p.HTTP_CONTENT_LENGTH]),
        ).toEqual([
          [undefined, undefined, undefined],
          [undefined, undefined, String(body.length)],
        ]);
        await expect.poll(() => relay.connections.map((c) => c.closedBy)).toEqual(['app', 'app']);
      } finally {
        await lighttpd.stop();
        await relay.close();
      }
      // The Variable-AUTH_USER of the allowed request reached the environment: the access log
      // (written at the latest when lighttpd stops) prints it.
      expect(lighttpd.logs()).toMatch(/"GET \/hello\.txt HTTP\/1\.1" 200 \d+ auth_user=bob/);
      expect(lighttpd.logs()).toMatch(/"POST \/hello\.txt HTTP\/1\.1" 403 \d+ auth_user=-/);
    });

    it('spawned by lighttpd (`portico serve <module>:authorizer --bind fd://0`)', async () => {
      const spawnDir = tempDir('fcgi-lighttpd-auth-spawn');
      const lighttpd = await startLighttpdAuthorizer({
        authorizer: { binPath: writeWrapper(spawnDir.dir), binArgs: [`${FIXTURE}:authorizer`] },
        docroot,
      });
      try {
        await fetchAllowed(lighttpd);
        const denied = await fetchRaw(lighttpd.baseUrl, { path: '/hello.txt' });
        expect(denied.status).toBe(403);
        expect(denied.body.toString()).toBe(denialText('authorizer', EMPTY));
        expect(headerOf(denied, 'x-authorizer')).toBe('portico');
      } finally {
        await lighttpd.stop();
        spawnDir.remove();
      }
      expect(lighttpd.logs()).toMatch(/"GET \/hello\.txt HTTP\/1\.1" 200 \d+ auth_user=bob/);
      expect(lighttpd.logs()).toMatch(/"GET \/hello\.txt HTTP\/1\.1" 403 \d+ auth_user=-/);
    });
  });
});
