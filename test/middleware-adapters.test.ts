/**
 * Issue 5: "the same stack works for an app written in either interface and behind every adapter".
 * One stack (test/fixtures/middleware-stack.ts: errorHandler, compression, securityHeaders,
 * cookieSession, csrf, a router with async leaves, a sync leaf and staticFiles) and one set of
 * checks ({@link stackChecks}, over a base URL with node:http so raw paths reach the front end as
 * written), run behind real front ends:
 *
 * 1. `@portico/http` alone on 127.0.0.1:0;
 * 2. nginx `fastcgi_pass` -> `@portico/fastcgi` (examples/deploy/nginx/fastcgi.conf, keep-conn on);
 * 3. nginx `scgi_pass` -> `@portico/scgi` (examples/deploy/nginx/scgi.conf);
 * 4. Apache httpd (mpm_event + mod_cgid, examples/deploy/apache/cgi-app.conf) running
 *    `portico cgi test/fixtures/middleware-stack.ts:middlewareStack` from a wrapper script, a new
 *    process per request: the session survives only because it is a cookie. The CLI runs from
 *    dist/: run `npx tsc -b` first.
 *
 * The traversal paths are sent raw (node:http). Behind the HTTP adapter and behind nginx (the
 * adapters route on REQUEST_URI as sent) all three reach staticFiles(), which answers 404 (checked
 * by turning `fallthrough` on: each then reached the app behind it). Under Apache the CGI program
 * itself refuses `..%2F` with 400 (SRV-CGI-5), before the app: that front end's `FrontEndBehaviour`.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { serve as serveFastCGI } from '@portico/fastcgi';
import { serve as serveHTTP } from '@portico/http';
import { serve as serveSCGI } from '@portico/scgi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './cgi-runner.js';
import { type ClientRequest, type ClientResponse, fetchRaw, headerOf } from './conformance/client.js';
import { BIG_BODY, BOOM_MESSAGE, buildMiddlewareStack, STATIC_ROOT } from './fixtures/middleware-stack.js';
import { apacheBinary, startApacheCgiApp } from './peers/apache.js';
import { type FcgiBackend, parseBackend } from './peers/backend.js';
import type { ServeAdapter } from './peers/front-end-runner.js';
import { nginxBinary, startNginx, startNginxScgi } from './peers/nginx.js';
import { REPO_ROOT, tempDir } from './peers/peer.js';

/** A front end in front of the stack. */
interface Running {
  /** `http://127.0.0.1:PORT`. */
  readonly baseUrl: string;
  /** The front end's log so far, for failure messages ('' when it has none). */
  logs(): string;
  /** Stops the front end and the adapter behind it. */
  close(): Promise<void>;
}

/** Generous: two cores, and a CGI program (node + tsx) per request. */
const TIMEOUT = 60_000;

/** The file `/files/` serves in the static cases, and its bytes. */
const STATIC_NAME = 'middleware-stack.ts';
const STATIC_BYTES = readFileSync(join(STATIC_ROOT, STATIC_NAME));

/** The `portico.session` pair of a response's `Set-Cookie` fields, with its attributes. */
function sessionCookie(res: ClientResponse): { pair: string; attributes: string[] } | undefined {
  const field = res.headers.find(([n, v]) => n === 'set-cookie' && v.startsWith('portico.session='));
  if (field === undefined) return undefined;
  const [pair, ...attributes] = field[1].split(';').map((part) => part.trim());
  return { pair: pair!, attributes };
}

/** A client keeping the session cookie between requests, as a browser would. */
class Visitor {
  cookie: string | undefined;
  constructor(private readonly front: () => Running) {}

  async request(req: ClientRequest): Promise<ClientResponse> {
    const headers: [string, string][] = [...(req.headers ?? [])];
    if (this.cookie !== undefined) headers.push(['cookie', this.cookie]);
    const res = await fetchRaw(this.front().baseUrl, { ...req, headers });
    const set = sessionCookie(res);
    if (set !== undefined) this.cookie = set.pair;
    return res;
  }

  /** `GET /counter` as JSON. */
  async counter(): Promise<{ count: number; csrf: string; res: ClientResponse }> {
    const res = await this.request({ path: '/counter' });
    expect(res.status, `${res.body.toString()}\n${this.front().logs()}`).toBe(200);
    const json = JSON.parse(res.body.toString('utf8')) as { count: number; csrf: string };
    return { ...json, res };
  }

  /** A urlencoded form POST to `/echo`. */
  post(fields: Record<string, string>): Promise<ClientResponse> {
    return this.request({
      method: 'POST',
      path: '/echo',
      headers: [['content-type', 'application/x-www-form-urlencoded']],
      body: Buffer.from(new URLSearchParams(fields).toString()),
    });
  }
}

/** Raw paths that would leave `/files/` for `test/package.json` if a layer decoded and joined them. */
const TRAVERSALS = ['/files/../package.json', '/files/%2e%2e/package.json', '/files/..%2Fpackage.json'];

/** What a front end does differently from the in-process stack, and why. */
interface FrontEndBehaviour {
  /** Traversal paths answered with another status than staticFiles()' 404, by path. */
  readonly traversal?: Readonly<Record<string, { readonly status: number; readonly reason: string }>>;
}

/** The checks every front end gets, against the stack it runs. */
function stackChecks(name: string, start: () => Promise<Running>, behaviour: FrontEndBehaviour = {}): void {
  describe(name, { timeout: TIMEOUT }, () => {
    let running: Running | undefined;
    const front = (): Running => {
      if (running === undefined) throw new Error(`${name} did not start`);
      return running;
    };
    beforeAll(async () => {
      running = await start();
    }, TIMEOUT);
    afterAll(async () => {
      await running?.close();
    }, TIMEOUT);

    it('session counter 1, 2, 3 with the cookie carried; Set-Cookie HttpOnly, SameSite=Lax, Path=/', async () => {
      const visitor = new Visitor(front);
      const first = await visitor.counter();
      const cookie = sessionCookie(first.res);
      expect(cookie?.pair).toMatch(/^portico\.session=[^;\s]+$/);
      expect(cookie?.attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/']));
      // Plain http: no Secure (secure: 'auto').
      expect(cookie?.attributes.map((a) => a.toLowerCase())).not.toContain('secure');
      // securityHeaders() is on the response.
      expect(headerOf(first.res, 'x-content-type-options')).toBe('nosniff');
      expect(first.count).toBe(1);
      expect((await visitor.counter()).count).toBe(2);
      expect((await visitor.counter()).count).toBe(3);
      // A request without the cookie starts over.
      expect((await new Visitor(front).counter()).count).toBe(1);
    });

    it('the sync leaf (environ["portico.state"].session) sees the same session value', async () => {
      const visitor = new Visitor(front);
      await visitor.counter();
      const { count } = await visitor.counter();
      const res = await visitor.request({ path: '/sync' });
      expect(res.status, res.body.toString()).toBe(200);
      expect(JSON.parse(res.body.toString('utf8'))).toEqual({ count, interface: 'sync' });
      expect(count).toBe(2);
      // Without the cookie the sync leaf sees no session value.
      const fresh = await fetchRaw(front().baseUrl, { path: '/sync' });
      expect(JSON.parse(fresh.body.toString('utf8'))).toEqual({ count: null, interface: 'sync' });
    });

    it('a form POST with the session token: 200 and the field echoed; without it or with another: 403', async () => {
      const visitor = new Visitor(front);
      const { csrf } = await visitor.counter();
      expect(csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // The token stays the session's across requests.
      expect((await visitor.counter()).csrf).toBe(csrf);
      const message = 'héllo & goodbye = 1+1';
      const ok = await visitor.post({ _csrf: csrf, message });
      expect(ok.status, ok.body.toString()).toBe(200);
      expect(ok.body.toString('utf8')).toBe(message);

      const missing = await visitor.post({ message });
      expect(missing.status).toBe(403);
      expect(missing.body.toString()).not.toContain(message);
      const wrong = await visitor.post({
        _csrf: `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}`,
        message,
      });
      expect(wrong.status).toBe(403);
      // The right token with no session cookie: the session has no token, 403.
      const stranger = await new Visitor(front).post({ _csrf: csrf, message });
      expect(stranger.status).toBe(403);
    });

    it('GET /big with Accept-Encoding: gzip: gzip that decodes to the exact 64 KiB, Vary: Accept-Encoding', async () => {
      const res = await fetchRaw(front().baseUrl, { path: '/big', headers: [['accept-encoding', 'gzip']] });
      expect(res.status).toBe(200);
      expect(headerOf(res, 'content-encoding')).toBe('gzip');
      expect(headerOf(res, 'vary')?.toLowerCase()).toContain('accept-encoding');
      expect(res.body.length).toBeLessThan(BIG_BODY.length / 4);
      expect(gunzipSync(res.body).equals(BIG_BODY)).toBe(true);
      // Without Accept-Encoding: the identity bytes.
      const plain = await fetchRaw(front().baseUrl, { path: '/big' });
      expect(headerOf(plain, 'content-encoding')).toBeUndefined();
      expect(plain.body.equals(BIG_BODY)).toBe(true);
    });

    it('static file: Range bytes=0-9 -> 206 with those 10 bytes; If-None-Match its ETag -> 304', async () => {
      const path = `/files/${STATIC_NAME}`;
      const ranged = await fetchRaw(front().baseUrl, { path, headers: [['range', 'bytes=0-9']] });
      expect(ranged.status, ranged.body.toString()).toBe(206);
      expect(headerOf(ranged, 'content-range')).toBe(`bytes 0-9/${STATIC_BYTES.length}`);
      expect(ranged.body.equals(STATIC_BYTES.subarray(0, 10))).toBe(true);

      const whole = await fetchRaw(front().baseUrl, { path });
      expect(whole.status).toBe(200);
      expect(whole.body.equals(STATIC_BYTES)).toBe(true);
      const etag = headerOf(whole, 'etag');
      expect(etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
      const cached = await fetchRaw(front().baseUrl, { path, headers: [['if-none-match', etag!]] });
      expect(cached.status).toBe(304);
      expect(cached.body.length).toBe(0);
      expect(headerOf(cached, 'etag')).toBe(etag);
    });

    it('path traversal out of /files (raw paths, not normalized by the client) -> 404', async () => {
      const pkg = readFileSync(join(STATIC_ROOT, '..', 'package.json'), 'utf8');
      expect(pkg).toContain('@portico/test-suite');
      const seen: [string, number][] = [];
      for (const path of TRAVERSALS) {
        const res = await fetchRaw(front().baseUrl, { path });
        // Whoever refuses it, the file above the root never comes back.
        expect(res.body.toString()).not.toContain('@portico/test-suite');
        seen.push([path, res.status]);
      }
      const notes = Object.entries(behaviour.traversal ?? {}).map(
        ([p, b]) => `${p}: ${b.status}, ${b.reason}`,
      );
      expect(seen, notes.join('\n')).toEqual(
        TRAVERSALS.map((path) => [path, behaviour.traversal?.[path]?.status ?? 404]),
      );
    });

    it('GET /boom -> 500 without the error message', async () => {
      const res = await fetchRaw(front().baseUrl, { path: '/boom' });
      expect(res.status).toBe(500);
      expect(res.body.toString()).not.toContain(BOOM_MESSAGE);
      expect(res.body.toString()).toContain('Internal Server Error');
    });
  });
}

stackChecks('@portico/http on 127.0.0.1:0 (no front end)', async () => {
  const server = await serveHTTP(buildMiddlewareStack(), { bind: ['127.0.0.1:0'], lifespan: 'off' });
  const baseUrl = server.addresses.find((a) => a.startsWith('http://'));
  if (baseUrl === undefined) throw new Error(`no http address in ${server.addresses.join(', ')}`);
  return { baseUrl, logs: () => '', close: () => server.close() };
});

/** Serves the stack with a socket adapter on 127.0.0.1, then starts nginx in front of it. */
function behindNginx(
  serve: ServeAdapter,
  startFront: (backend: FcgiBackend) => Promise<{ baseUrl: string; logs(): string; stop(): Promise<void> }>,
): () => Promise<Running> {
  return async () => {
    const server = await serve(buildMiddlewareStack(), { bind: ['127.0.0.1:0'], lifespan: 'off' });
    try {
      const nginx = await startFront(parseBackend(server.addresses[0]!));
      return {
        baseUrl: nginx.baseUrl,
        logs: nginx.logs,
        async close() {
          await nginx.stop();
          await server.close();
        },
      };
    } catch (error) {
      await server.close();
      throw error;
    }
  };
}

describe.skipIf(nginxBinary === '')('behind nginx', () => {
  stackChecks(
    'nginx fastcgi_pass -> @portico/fastcgi (keep-conn on, TCP)',
    behindNginx(serveFastCGI, (backend) => startNginx({ backend, keepConn: true })),
  );
  stackChecks(
    'nginx scgi_pass -> @portico/scgi (TCP)',
    behindNginx(serveSCGI, (backend) => startNginxScgi({ backend })),
  );
});

/** A shell word in single quotes. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The stack as a CGI program: `<temp dir>/cgi-bin/stack.cgi`, a wrapper script running `portico cgi`
 * on the fixture module (as test/cgi-runner.ts does for the conformance app). Dirs and script 0755:
 * Apache runs it as www-data.
 */
function makeStackProgram(): { program: string; remove(): void } {
  const { dir, remove } = tempDir('mw-stack-cgi');
  try {
    chmodSync(dir, 0o755);
    const bin = join(dir, 'cgi-bin');
    mkdirSync(bin, { mode: 0o755 });
    chmodSync(bin, 0o755);
    const program = join(bin, 'stack.cgi');
    const target = `${join(REPO_ROOT, 'test/fixtures/middleware-stack.ts')}:middlewareStack`;
    const command = [process.execPath, CLI, 'cgi', target].map(shellQuote).join(' ');
    writeFileSync(program, `#!/bin/sh\nexec ${command}\n`, { mode: 0o755 });
    chmodSync(program, 0o755);
    return { program, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/** Apache keeps `%2F` in PATH_INFO (`AllowEncodedSlashes NoDecode`), so the `..` reaches the program. */
const apacheBehaviour: FrontEndBehaviour = {
  traversal: {
    '/files/..%2Fpackage.json': {
      status: 400,
      reason:
        'the CGI program refuses a PATH_INFO with a .. segment once decoded (SRV-CGI-5) before the app is called',
    },
  },
};

describe.skipIf(apacheBinary === '')('behind Apache httpd as a CGI program', () => {
  stackChecks(
    'Apache mpm_event + mod_cgid -> portico cgi (a process per request)',
    async () => {
      const { program, remove } = makeStackProgram();
      try {
        const apache = await startApacheCgiApp({ program, module: 'cgid' });
        return {
          baseUrl: apache.baseUrl,
          logs: apache.logs,
          async close() {
            await apache.stop();
            remove();
          },
        };
      } catch (error) {
        remove();
        throw error;
      }
    },
    apacheBehaviour,
  );
});
