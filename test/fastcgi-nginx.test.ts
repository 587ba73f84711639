/**
 * `@portico/fastcgi` behind nginx (examples/deploy/nginx/fastcgi.conf through test/peers/nginx.ts):
 * the conformance suite through four nginx configurations, then what only FastCGI has: kept
 * backend connections (FCGI_KEEP_CONN, FastCGI 1.0 section 5.1), a mount point nginx sends as
 * SCRIPT_NAME, and a request body streamed with `fastcgi_request_buffering off`.
 *
 * The suite's mounted server (rootPath '/mount') gets `rootPath` from the adapter's option, with
 * nginx passing every path: the suite also sends a path nginx would not route under a prefix
 * location (PATH-2's `/scope/q`). The prefix sent by nginx as SCRIPT_NAME is checked on its own below.
 */

import { createHash } from 'node:crypto';
import {
  decodeNameValuePairs,
  type FastCGIServer,
  FCGI_KEEP_CONN,
  FCGI_PARAMS,
  serve,
} from '@portico/fastcgi';
import { type AsyncApp, validateAsync } from '@portico/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../packages/server/test/rule.js';
import { fetchJSON, fetchRaw, slowUpload } from './conformance/client.js';
import type { FrontEndBehaviour } from './conformance/runner.js';
import { conformanceSuite } from './conformance/suite.js';
import { relayedAdapter } from './fastcgi-relay.js';
import { parseBackend } from './peers/backend.js';
import { frontEndRunner } from './peers/front-end-runner.js';
import { nginxBinary, nginxJoinsHeaders, type RunningNginx, startNginx } from './peers/nginx.js';

interface NginxSetup {
  keepConn: boolean;
  socket: 'tcp' | 'unix';
  requestBuffering?: boolean;
}

/** nginx 1.23+ joins them into one param; before, each is its own param and so its own header pair (SRV-FCGI-8). */
const repeatedHeaders: FrontEndBehaviour['repeatedHeaders'] = nginxJoinsHeaders
  ? { delivered: [['x-repeat', 'one, two']], reason: 'nginx joins them into one HTTP_X_REPEAT param' }
  : undefined;

/** The adapter on TCP or a unix socket, nginx in front. */
const nginxRunner = (name: string, setup: NginxSetup) =>
  frontEndRunner({
    name,
    frontEnd: repeatedHeaders === undefined ? {} : { repeatedHeaders },
    serve,
    startFrontEnd: (backend) =>
      startNginx({ backend, keepConn: setup.keepConn, requestBuffering: setup.requestBuffering ?? true }),
    socket: setup.socket,
    tempPrefix: 'fcgi-nginx',
  });

describe.skipIf(nginxBinary === '')('@portico/fastcgi behind nginx', () => {
  conformanceSuite(nginxRunner('nginx -> fastcgi (keep-conn on, TCP)', { keepConn: true, socket: 'tcp' }));
  conformanceSuite(nginxRunner('nginx -> fastcgi (keep-conn off, TCP)', { keepConn: false, socket: 'tcp' }));
  conformanceSuite(
    nginxRunner('nginx -> fastcgi (keep-conn on, unix socket)', { keepConn: true, socket: 'unix' }),
  );
  conformanceSuite(
    nginxRunner('nginx -> fastcgi (keep-conn on, TCP, fastcgi_request_buffering off)', {
      keepConn: true,
      socket: 'tcp',
      requestBuffering: false,
    }),
  );

  describe('FastCGI on the wire (a recording relay between nginx and the adapter)', () => {
    let nginx: RunningNginx | undefined;
    const wire = relayedAdapter(async () => {
      await nginx?.stop();
      nginx = undefined;
    });
    const { begins, ends } = wire;

    rule(
      'SRV-FCGI-3',
      'keep-conn on: 20 requests, one after another, over one backend connection',
      async () => {
        nginx = await startNginx({ backend: wire.relay.address, keepConn: true });
        for (let i = 0; i < 20; i++) {
          const scope = await fetchJSON(nginx.baseUrl, { path: `/scope/n${i}?i=${i}` });
          expect(scope).toMatchObject({ path: `/scope/n${i}`, queryString: `i=${i}` });
        }
        expect(wire.relay.connections).toHaveLength(1);
        expect(begins()).toHaveLength(20);
        // FCGI_BeginRequestBody: role (2 bytes, 1 = Responder), flags (FCGI_KEEP_CONN set).
        for (const r of begins()) {
          expect(r.content!.readUInt16BE(0)).toBe(1);
          expect(r.content![2]! & FCGI_KEEP_CONN).toBe(FCGI_KEEP_CONN);
        }
        // Every request completed (protocolStatus FCGI_REQUEST_COMPLETE, appStatus 0), and the
        // adapter left the connection open for the next one.
        expect(ends().map((r) => [r.content!.readUInt32BE(0), r.content![4]])).toEqual(
          Array(20).fill([0, 0]),
        );
        expect(wire.relay.connections[0]!.closedBy).toBe(null);
      },
    );

    rule(
      'SRV-FCGI-3',
      'keep-conn off: a new backend connection per request, each closed after it',
      async () => {
        nginx = await startNginx({ backend: wire.relay.address, keepConn: false });
        for (let i = 0; i < 5; i++) {
          const res = await fetchRaw(nginx.baseUrl, { path: '/head' });
          expect(res.status).toBe(200);
          expect(res.body.toString()).toBe('hello, head');
        }
        expect(wire.relay.connections).toHaveLength(5);
        // One request per connection, FCGI_KEEP_CONN clear.
        const ids = wire.relay.connections.map((c) => c.id);
        expect(begins().map((r) => [r.conn, r.content![2]! & FCGI_KEEP_CONN])).toEqual(
          ids.map((id) => [id, 0]),
        );
        await expect.poll(() => wire.relay.connections.filter((c) => c.closedBy === null)).toEqual([]);
      },
    );

    rule('SRV-FCGI-8', 'repeated request headers: what nginx sends, and what the app gets', async () => {
      nginx = await startNginx({ backend: wire.relay.address, keepConn: true });
      const scope = await fetchJSON(nginx.baseUrl, {
        path: '/scope',
        headers: [
          ['X-Repeat', 'one'],
          ['X-Repeat', 'two'],
        ],
      });
      const params = wire.relay.records
        .filter((r) => r.type === FCGI_PARAMS && r.direction === 'to-app' && r.length > 0)
        .flatMap((r) => decodeNameValuePairs(r.content!));
      const sent = params.filter(([name]) => name === 'HTTP_X_REPEAT').map(([, value]) => value);
      expect(sent).toEqual(nginxJoinsHeaders ? ['one, two'] : ['one', 'two']);
      // Each HTTP_X_REPEAT param is a header pair of its own (SRV-FCGI-8).
      expect((scope.headers as [string, string][]).filter(([n]) => n === 'x-repeat')).toEqual(
        repeatedHeaders?.delivered ?? [
          ['x-repeat', 'one'],
          ['x-repeat', 'two'],
        ],
      );
    });

    rule('SRV-PATH-2', 'a mount point nginx sends as SCRIPT_NAME is the rootPath', async () => {
      nginx = await startNginx({ backend: wire.relay.address, keepConn: true, rootPath: '/mount' });
      expect(await fetchJSON(nginx.baseUrl, { path: '/mount/scope/x/y?z=1' })).toMatchObject({
        rootPath: '/mount',
        path: '/scope/x/y',
        rawPath: '/mount/scope/x/y',
        queryString: 'z=1',
      });
      expect(await fetchJSON(nginx.baseUrl, { path: '/mount/environ/caf%C3%A9?z=1' })).toMatchObject({
        SCRIPT_NAME: '/mount',
        PATH_INFO: '/environ/café',
        REQUEST_URI: '/mount/environ/caf%C3%A9?z=1',
      });
      // Outside the prefix nginx answers itself: the app is not asked.
      const before = begins().length;
      const outside = await fetchRaw(nginx.baseUrl, { path: '/scope/q' });
      expect(outside.status).toBe(404);
      expect(outside.body.toString()).not.toContain('no such route');
      expect(begins().length).toBe(before);
    });
  });

  describe('a 10 MiB upload, fastcgi_request_buffering off and on', () => {
    const SIZE = 10 * 1024 * 1024;
    const PIECES = 10;
    const body = Buffer.alloc(SIZE);
    for (let i = 0; i < SIZE; i++) body[i] = (i * 131 + (i >> 12)) & 0xff;
    const sha256 = createHash('sha256').update(body).digest('hex');

    let server: FastCGIServer;
    beforeAll(async () => {
      server = await serve(uploadApp, { bind: ['127.0.0.1:0'], lifespan: 'off' });
    });
    afterAll(async () => {
      await server?.close();
    });

    for (const buffering of [false, true]) {
      it(`request buffering ${buffering ? 'on: nginx sends the body once it has all of it' : 'off: the app reads the body while the client still sends it'}`, async () => {
        const nginx = await startNginx({
          backend: parseBackend(server.addresses[0]!),
          keepConn: true,
          requestBuffering: buffering,
        });
        try {
          const { status, json, lastWriteAt } = await slowUpload<UploadSeen>(
            `${nginx.baseUrl}/upload`,
            body,
            PIECES,
            40,
          );
          expect(status).toBe(200);
          expect(json).toMatchObject({ length: SIZE, sha256, contentLength: String(SIZE) });
          // FCGI_STDIN records hold at most 65535 bytes: the app gets the body in many events.
          expect(json.events).toBeGreaterThan(PIECES);
          if (buffering) expect(json.firstAt).toBeGreaterThanOrEqual(lastWriteAt);
          else expect(json.firstAt).toBeLessThan(lastWriteAt);
        } finally {
          await nginx.stop();
        }
      });
    }
  });
});

interface UploadSeen {
  length: number;
  sha256: string;
  events: number;
  /** Date.now() when the first body bytes reached the app. */
  firstAt: number;
  contentLength: string | null;
}

/** Reads the body, noting when its first bytes arrived; answers with what it saw. */
const uploadApp: AsyncApp = validateAsync(async (scope, receive, send) => {
  if (scope.type !== 'http') throw new Error(`unsupported scope type ${scope.type}`);
  const hash = createHash('sha256');
  const seen: UploadSeen = {
    length: 0,
    sha256: '',
    events: 0,
    firstAt: 0,
    contentLength: scope.headers.find(([n]) => n === 'content-length')?.[1] ?? null,
  };
  for (;;) {
    const event = await receive();
    if (event.type !== 'http.request') throw new Error('client went away');
    seen.events++;
    if (event.body.length > 0 && seen.firstAt === 0) seen.firstAt = Date.now();
    hash.update(event.body);
    seen.length += event.body.length;
    if (!event.moreBody) break;
  }
  seen.sha256 = hash.digest('hex');
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
  await send({ type: 'http.response.body', body: Buffer.from(JSON.stringify(seen)) });
});
