/**
 * `@portico/fastcgi` behind Apache httpd 2.4 (examples/deploy/apache/*.conf through
 * test/peers/apache.ts): the conformance suite through mod_proxy_fcgi with `enablereuse=on`
 * (FCGI_KEEP_CONN, a pool of kept backend connections), `enablereuse=off` (a connection per
 * request), and over a unix socket; then what is Apache's own on the wire (params in records of at
 * most 16 KiB, a chunked body streamed with no CONTENT_LENGTH, a mount point sent as SCRIPT_NAME),
 * and a Portico app as the mod_authnz_fcgi Authorizer (FastCGI 1.0 section 6.3) in front of a
 * static directory.
 *
 * As in the nginx runners, the suite's mounted server gets `rootPath` from the adapter's option
 * with Apache passing every path (the suite also sends a path outside the prefix, PATH-2's
 * `/scope/q`); Apache mounted at a prefix, sending it as SCRIPT_NAME, is checked on its own below.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type FastCGIServer,
  FCGI_AUTHORIZER,
  FCGI_BEGIN_REQUEST,
  FCGI_KEEP_CONN,
  FCGI_PARAMS,
  FCGI_STDIN,
  serve,
} from '@portico/fastcgi';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../packages/server/test/rule.js';
import { fetchJSON, fetchRaw, headerOf } from './conformance/client.js';
import type { FrontEndBehaviour } from './conformance/runner.js';
import { conformanceSuite } from './conformance/suite.js';
import { type Relay, relayedAdapter, startRelay } from './fastcgi-relay.js';
import {
  type AuthorizerSeen,
  authorizerApp,
  type BodySeen,
  denialText,
  responder,
} from './fixtures/fastcgi-apps.js';
import { paramsOf } from './fixtures/relay-params.js';
import { apacheBinary, type RunningApache, startApacheAuthorizer, startApacheFcgi } from './peers/apache.js';
import { parseBackend } from './peers/backend.js';
import { frontEndRunner } from './peers/front-end-runner.js';
import { tempDir } from './peers/peer.js';

/** What Apache changes on the way (`FrontEndBehaviour` of the suite). */
const apacheBehaviour: FrontEndBehaviour = {
  repeatedHeaders: {
    delivered: [['x-repeat', 'one, two']],
    reason: 'Apache joins repeated fields into one HTTP_X_REPEAT param',
  },
};

/**
 * The adapter on TCP or on a unix socket (mode 0666 in a 0755 dir: Apache's children run as
 * www-data), Apache mod_proxy_fcgi in front at `/`.
 */
const apacheRunner = (name: string, setup: { enableReuse: boolean; socket: 'tcp' | 'unix' }) =>
  frontEndRunner({
    name,
    frontEnd: apacheBehaviour,
    serve,
    startFrontEnd: (backend) => startApacheFcgi({ backend, enableReuse: setup.enableReuse }),
    socket: setup.socket,
    tempPrefix: 'fcgi-apache',
    otherUser: true,
  });

/** What an app reads of an empty body: one last `http.request` event with no bytes. */
const EMPTY_BODY: BodySeen = {
  length: 0,
  sha256: createHash('sha256').digest('hex'),
  events: 1,
  disconnected: false,
};

describe.skipIf(apacheBinary === '')('@portico/fastcgi behind Apache httpd', () => {
  conformanceSuite(
    apacheRunner('Apache mod_proxy_fcgi -> fastcgi (enablereuse=on, TCP)', {
      enableReuse: true,
      socket: 'tcp',
    }),
  );
  conformanceSuite(
    apacheRunner('Apache mod_proxy_fcgi -> fastcgi (enablereuse=off, TCP)', {
      enableReuse: false,
      socket: 'tcp',
    }),
  );
  conformanceSuite(
    apacheRunner('Apache mod_proxy_fcgi -> fastcgi (enablereuse=on, unix socket 0666)', {
      enableReuse: true,
      socket: 'unix',
    }),
  );

  describe('FastCGI on the wire (a recording relay between Apache and the adapter)', () => {
    let apache: RunningApache | undefined;
    const wire = relayedAdapter(async () => {
      await apache?.stop();
      apache = undefined;
    });
    const { begins, ends } = wire;

    rule(
      'SRV-FCGI-3',
      'enablereuse=on: FCGI_KEEP_CONN set, 10 requests over one kept connection',
      async () => {
        apache = await startApacheFcgi({ backend: wire.relay.address, enableReuse: true });
        for (let i = 0; i < 10; i++) {
          expect(await fetchJSON(apache.baseUrl, { path: `/scope/n${i}?i=${i}` })).toMatchObject({
            path: `/scope/n${i}`,
            queryString: `i=${i}`,
          });
        }
        expect(wire.relay.connections).toHaveLength(1);
        expect(begins().map((r) => [r.content!.readUInt16BE(0), r.content![2]! & FCGI_KEEP_CONN])).toEqual(
          Array(10).fill([1, FCGI_KEEP_CONN]),
        );
        expect(ends().map((r) => [r.content!.readUInt32BE(0), r.content![4]])).toEqual(
          Array(10).fill([0, 0]),
        );
        expect(wire.relay.connections[0]!.closedBy).toBe(null);
      },
    );

    rule(
      'SRV-FCGI-3',
      'enablereuse=off: no FCGI_KEEP_CONN, a connection per request, the adapter closes it',
      async () => {
        apache = await startApacheFcgi({ backend: wire.relay.address, enableReuse: false });
        for (let i = 0; i < 4; i++) {
          const res = await fetchRaw(apache.baseUrl, { path: '/head' });
          expect(res.status).toBe(200);
          expect(res.body.toString()).toBe('hello, head');
        }
        expect(wire.relay.connections).toHaveLength(4);
        expect(begins().map((r) => [r.conn, r.content![2]! & FCGI_KEEP_CONN])).toEqual(
          wire.relay.connections.map((c) => [c.id, 0]),
        );
        await expect.poll(() => wire.relay.connections.map((c) => c.closedBy)).toEqual(Array(4).fill('app'));
      },
    );

    it('params over 16 KiB come in several FCGI_PARAMS records of at most 16 KiB; the app gets every header', async () => {
      apache = await startApacheFcgi({ backend: wire.relay.address, enableReuse: true });
      // Apache's LimitRequestFieldSize is 8190 bytes a field: five fields of 7000 bytes.
      const big = Array.from(
        { length: 5 },
        (_, i) => [`X-Big-${i}`, String(i).repeat(7000)] as [string, string],
      );
      const scope = await fetchJSON(apache.baseUrl, { path: '/scope/big', headers: big });
      const headers = scope.headers as [string, string][];
      for (const [name, value] of big) expect(headers).toContainEqual([name.toLowerCase(), value]);
      const params = wire.relay.records.filter((r) => r.type === FCGI_PARAMS && r.direction === 'to-app');
      const sizes = params.map((r) => r.length);
      expect(sizes.length).toBeGreaterThanOrEqual(4); // >= 35000 bytes in records <= 16 KiB, then the empty one
      expect(Math.max(...sizes)).toBeLessThanOrEqual(16 * 1024);
      expect(sizes.at(-1)).toBe(0);
      expect(sizes.slice(0, -1).every((s) => s > 0)).toBe(true);
    });

    rule(
      'SRV-FCGI-7',
      'a chunked upload of 100 KiB: streamed with no CONTENT_LENGTH, read to the end of FCGI_STDIN',
      async () => {
        apache = await startApacheFcgi({ backend: wire.relay.address, enableReuse: true });
        const pieces = Array.from({ length: 10 }, (_, i) => Buffer.alloc(10 * 1024, 65 + i));
        const whole = Buffer.concat(pieces);
        const got = await fetchJSON(apache.baseUrl, {
          method: 'PUT',
          path: '/body',
          body: pieces,
          gapMs: 10,
        });
        expect(got).toMatchObject({
          disconnected: false,
          length: whole.length,
          sha256: createHash('sha256').update(whole).digest('hex'),
        });
        const [params] = paramsOf(wire.relay.records);
        expect(params?.REQUEST_METHOD).toBe('PUT');
        expect(params).not.toHaveProperty('CONTENT_LENGTH');
        expect(params?.HTTP_TRANSFER_ENCODING).toBe('chunked');
        const stdin = wire.relay.records.filter((r) => r.type === FCGI_STDIN && r.direction === 'to-app');
        expect(stdin.reduce((n, r) => n + r.length, 0)).toBe(whole.length);
        expect(stdin.at(-1)!.length).toBe(0);
      },
    );

    rule(
      'SRV-PATH-2',
      'Apache mounted at /mount: SCRIPT_NAME is the rootPath; outside it Apache answers',
      async () => {
        apache = await startApacheFcgi({
          backend: wire.relay.address,
          enableReuse: true,
          rootPath: '/mount',
        });
        expect(await fetchJSON(apache.baseUrl, { path: '/mount/scope/x/y?z=1' })).toMatchObject({
          rootPath: '/mount',
          path: '/scope/x/y',
          rawPath: '/mount/scope/x/y',
          queryString: 'z=1',
        });
        expect(await fetchJSON(apache.baseUrl, { path: '/mount/environ/caf%C3%A9?z=1' })).toMatchObject({
          SCRIPT_NAME: '/mount',
          PATH_INFO: '/environ/café',
          REQUEST_URI: '/mount/environ/caf%C3%A9?z=1',
        });
        const sent = paramsOf(wire.relay.records);
        expect(sent.map((p) => [p.SCRIPT_NAME, p.PATH_INFO])).toEqual([
          ['/mount', '/scope/x/y'],
          ['/mount', '/environ/café'],
        ]);
        const before = begins().length;
        const outside = await fetchRaw(apache.baseUrl, { path: '/scope/q' });
        expect(outside.status).toBe(404);
        expect(outside.body.toString()).not.toContain('no such route');
        expect(begins().length).toBe(before);
      },
    );
  });

  describe('a Portico app as the mod_authnz_fcgi Authorizer in front of a static directory', () => {
    let dir: ReturnType<typeof tempDir> | undefined;
    let authorizer: FastCGIServer;
    let app: FastCGIServer;
    let relay: Relay;
    let apache: RunningApache;
    const seen: AuthorizerSeen[] = [];

    beforeAll(async () => {
      dir = tempDir('fcgi-apache-auth');
      chmodSync(dir.dir, 0o755);
      const docroot = join(dir.dir, 'www');
      mkdirSync(docroot, { mode: 0o755 });
      writeFileSync(join(docroot, 'hello.txt'), 'hello, static world\n', { mode: 0o644 });
      authorizer = await serve(
        authorizerApp((s) => seen.push(s)),
        { bind: ['127.0.0.1:0'], lifespan: 'off' },
      );
      app = await serve(responder, { bind: ['127.0.0.1:0'], lifespan: 'off' });
      // mod_authnz_fcgi reaches the authorizer over TCP only: through a recording relay.
      relay = await startRelay(parseBackend(authorizer.addresses[0]!));
      apache = await startApacheAuthorizer({
        authorizer: relay.address as { host: string; port: number },
        docroot,
        responder: parseBackend(app.addresses[0]!),
      });
    });
    afterEach(() => {
      seen.length = 0;
      relay.reset();
    });
    afterAll(async () => {
      await apache?.stop();
      await relay?.close();
      await authorizer?.close();
      await app?.close();
      dir?.remove();
    });

    it('allowed: the static file, and AUTH_USER from the Variable-AUTH_USER header in the environment', async () => {
      const res = await fetchRaw(apache.baseUrl, { path: '/hello.txt?x=1', headers: [['X-Token', 'good']] });
      expect(res.status, apache.logs()).toBe(200);
      expect(res.body.toString()).toBe('hello, static world\n');
      expect(headerOf(res, 'content-type')).toBe('text/plain');
      // mod_headers reads the variable back (authorizer.conf: Header set X-Auth-User "%{AUTH_USER}e").
      expect(headerOf(res, 'x-auth-user')).toBe('bob');
      // The authorizer's own header is not passed to the client.
      expect(headerOf(res, 'variable-auth_user')).toBeUndefined();
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        role: 'authorizer',
        method: 'GET',
        path: '/hello.txt',
        token: 'good',
        granted: true,
      });
      expect(seen[0]!.body).toEqual(EMPTY_BODY);
      expect(seen[0]!.variableNames).toContain('FCGI_ROLE');
      expect(seen[0]!.variableNames).not.toContain('CONTENT_LENGTH');
      // On the wire: role Authorizer (2), no FCGI_KEEP_CONN, no FCGI_STDIN at all; the adapter
      // answered once the params were complete, and closed the connection.
      const toApp = relay.records.filter((r) => r.direction === 'to-app');
      expect(
        toApp
          .filter((r) => r.type === FCGI_BEGIN_REQUEST)
          .map((r) => [r.content!.readUInt16BE(0), r.content![2]]),
      ).toEqual([[FCGI_AUTHORIZER, 0]]);
      expect(toApp.filter((r) => r.type === FCGI_STDIN)).toEqual([]);
      expect(paramsOf(relay.records)[0]?.FCGI_ROLE).toBe('AUTHORIZER');
      await expect.poll(() => relay.connections.map((c) => c.closedBy)).toEqual(['app']);
      // The access log line: the user is what the authorizer named.
      await expect
        .poll(() => apache.logs())
        .toMatch(/"GET \/hello\.txt\?x=1 HTTP\/1\.1" 200 \d+ user=bob auth_user=bob/);
    });

    it('denied: the authorizer status and body; the app got no body and role authorizer', async () => {
      const body = Buffer.from('a request body the authorizer never sees');
      const res = await fetchRaw(apache.baseUrl, {
        method: 'POST',
        path: '/hello.txt',
        body,
        headers: [['X-Token', 'bad']],
      });
      expect(res.status).toBe(403);
      expect(res.body.toString()).toBe(denialText('authorizer', EMPTY_BODY));
      expect(headerOf(res, 'x-authorizer')).toBe('portico');
      // Apache sends the body as its error document, with its own Content-Type.
      expect(headerOf(res, 'content-type')).toBe('text/html; charset=iso-8859-1');
      expect(seen).toEqual([
        expect.objectContaining({
          role: 'authorizer',
          method: 'POST',
          token: 'bad',
          granted: false,
          body: EMPTY_BODY,
        }),
      ]);
      const missing = await fetchRaw(apache.baseUrl, { path: '/hello.txt' });
      expect(missing.status).toBe(403);
      expect(seen.map((s) => s.token)).toEqual(['bad', null]);
    });

    it('a Portico responder behind the authorizer gets AUTH_USER and REMOTE_USER as params', async () => {
      const res = await fetchRaw(apache.baseUrl, { path: '/app/info?y=1', headers: [['X-Token', 'good']] });
      expect(res.status, apache.logs()).toBe(200);
      const info = JSON.parse(res.body.toString()) as Record<string, unknown>;
      expect(info).toMatchObject({
        role: 'responder',
        rootPath: '/app',
        path: '/info',
        queryString: 'y=1',
        variables: { AUTH_USER: 'bob', REMOTE_USER: 'bob', SCRIPT_NAME: '/app', PATH_INFO: '/info' },
      });
      // Apache asked the authorizer at least once for the proxied path (2.4.71: twice, the second
      // time with the AUTH_USER of the first), every time as an Authorizer with no body.
      expect(seen.length).toBeGreaterThanOrEqual(1);
      for (const s of seen)
        expect(s).toMatchObject({ role: 'authorizer', path: '/app/info', granted: true, body: EMPTY_BODY });
      expect(seen[0]!.variableNames).not.toContain('AUTH_USER');
      const denied = await fetchRaw(apache.baseUrl, { path: '/app/info', headers: [['X-Token', 'no']] });
      expect(denied.status).toBe(403);
      expect(denied.body.toString()).toMatch(/^denied by the Portico authorizer, role=authorizer/);
    });
  });
});
