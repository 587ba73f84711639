/**
 * `@portico/fastcgi` driven by cgi-fcgi (libfcgi-bin, the FastCGI reference library's bridge,
 * through test/peers/cgi-fcgi.ts): one Responder request per run with exactly the params given, so
 * the CGI response the adapter writes is seen as it is (FastCGI 1.0 sections 5.1 to 6.2). Then the
 * listening socket on fd 0: `cgi-fcgi -start` binds the port and spawns the app with the socket as
 * its standard input (FCGI_LISTENSOCK_FILENO, section 2.2), here `portico serve --bind fd://0`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FastCGIServer, serve } from '@portico/fastcgi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../packages/server/test/rule.js';
import { conformanceApp } from './conformance/apps.js';
import { cgiFcgiBinary, cgiFcgiRequest, parseCgiResponse } from './peers/cgi-fcgi.js';
import { freePort, REPO_ROOT, runSync, tempDir, waitForListen } from './peers/peer.js';

const BODY = Buffer.from(Array.from({ length: 64 << 10 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
const BODY_SHA256 = createHash('sha256').update(BODY).digest('hex');

/** One request; the CGI response split, its JSON body parsed. */
async function ask(
  backend: string,
  env: Record<string, string>,
  stdin?: Buffer,
): Promise<{ headers: [string, string][]; json: Record<string, unknown> }> {
  const result = await cgiFcgiRequest({ backend, env, ...(stdin === undefined ? {} : { stdin }) });
  expect(result.code, result.stderr).toBe(0);
  const { headers, body } = parseCgiResponse(result.stdout);
  return { headers, json: JSON.parse(body.toString()) as Record<string, unknown> };
}

describe.skipIf(cgiFcgiBinary === '')('@portico/fastcgi driven by cgi-fcgi', () => {
  describe('cgi-fcgi -bind -connect to a running adapter', () => {
    const dir = tempDir('fcgi-cgi');
    let tcp: FastCGIServer;
    let unix: FastCGIServer;
    beforeAll(async () => {
      tcp = await serve(conformanceApp, { bind: ['127.0.0.1:0'], lifespan: 'off' });
      unix = await serve(conformanceApp, { bind: [`unix:${join(dir.dir, 'app.sock')}`], lifespan: 'off' });
    });
    afterAll(async () => {
      await tcp?.close();
      await unix?.close();
      dir.remove();
    });

    for (const socket of ['tcp', 'unix'] as const) {
      rule(
        ['SRV-SCOPE-1', 'SRV-FCGI-1'],
        `GET with a query over ${socket}: the scope from the params`,
        async () => {
          const server = socket === 'tcp' ? tcp : unix;
          const { headers, json } = await ask(server.addresses[0]!, {
            REQUEST_METHOD: 'GET',
            REQUEST_URI: '/scope/items?a=1&b=%20x&c',
            QUERY_STRING: 'a=1&b=%20x&c',
            SCRIPT_NAME: '',
            PATH_INFO: '/scope/items',
            SERVER_PROTOCOL: 'HTTP/1.1',
            HTTP_HOST: 'example.test',
            HTTP_X_TOKEN: 'abc',
          });
          // The head starts with a Status line, whatever the status.
          expect(headers[0]).toEqual(['status', '200 OK']);
          expect(headers).toContainEqual(['content-type', 'application/json']);
          expect(json).toMatchObject({
            type: 'http',
            method: 'GET',
            path: '/scope/items',
            rawPath: '/scope/items',
            queryString: 'a=1&b=%20x&c',
            rootPath: '',
            httpVersion: '1.1',
          });
          expect(json.headers).toEqual(
            expect.arrayContaining([
              ['host', 'example.test'],
              ['x-token', 'abc'],
            ]),
          );
          expect(json.extensions).toEqual(expect.arrayContaining(['cgi', 'fastcgi']));
        },
      );
    }

    it('POST of 64 KiB: FCGI_STDIN reaches the app byte-exact', async () => {
      const { headers, json } = await ask(
        tcp.addresses[0]!,
        { REQUEST_METHOD: 'POST', REQUEST_URI: '/body', CONTENT_TYPE: 'application/octet-stream' },
        BODY,
      );
      expect(headers[0]).toEqual(['status', '200 OK']);
      expect(json).toMatchObject({
        disconnected: false,
        length: BODY.length,
        sha256: BODY_SHA256,
        typesOk: true,
      });
    });

    rule('SRV-FCGI-1', 'an error status goes out as a Status line too', async () => {
      for (const [uri, status] of [
        ['/error', '500 Internal Server Error'],
        ['/no-such-route', '404 Not Found'],
      ] as const) {
        const result = await cgiFcgiRequest({
          backend: tcp.addresses[0]!,
          env: { REQUEST_METHOD: 'GET', REQUEST_URI: uri },
        });
        expect(result.code, result.stderr).toBe(0);
        expect(parseCgiResponse(result.stdout).headers[0]).toEqual(['status', status]);
      }
    });
  });

  describe('cgi-fcgi -start: portico serve on the listening socket it hands over as fd 0', () => {
    const dir = tempDir('fcgi-start');
    const pidFile = join(dir.dir, 'pid');
    const logFile = join(dir.dir, 'stderr.log');
    let port = 0;
    let pid = 0;

    beforeAll(async () => {
      // The wrapper notes its pid, then becomes the server (exec keeps the pid), so the test can
      // stop it: cgi-fcgi -start exits once it spawned the app.
      const script = join(dir.dir, 'serve.sh');
      writeFileSync(
        script,
        [
          '#!/bin/sh',
          `echo $$ > '${pidFile}'`,
          `cd '${REPO_ROOT}'`,
          `exec '${process.execPath}' packages/cli/bin/portico.js serve test/conformance/apps.ts:conformanceApp \\`,
          `  --adapter fastcgi --bind fd://0 --lifespan off --access-log off 2>> '${logFile}'`,
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      port = await freePort();
      runSync(cgiFcgiBinary, ['-start', '-connect', `127.0.0.1:${port}`, script]);
      pid = await spawnedPid(pidFile);
      await waitForListen({ port });
    });
    afterAll(async () => {
      if (pid === 0 && existsSync(pidFile)) pid = Number(readFileSync(pidFile, 'utf8')) || 0;
      if (pid > 0) await stop(pid);
      dir.remove();
    });

    rule('SRV-SCOPE-1', 'serves requests on the inherited socket', async () => {
      const { headers, json } = await ask(`127.0.0.1:${port}`, {
        REQUEST_METHOD: 'GET',
        REQUEST_URI: '/scope/fd0?x=1',
        QUERY_STRING: 'x=1',
      });
      expect(headers[0]).toEqual(['status', '200 OK']);
      expect(json).toMatchObject({ method: 'GET', path: '/scope/fd0', queryString: 'x=1' });
      // The server says where it listens: the port cgi-fcgi bound, reached through fd 0.
      expect(readFileSync(logFile, 'utf8')).toContain(`listening address=fcgi://127.0.0.1:${port}`);
    });

    it('POST of 64 KiB and several requests at once', async () => {
      const results = await Promise.all(
        [0, 1, 2].map(() =>
          ask(`127.0.0.1:${port}`, { REQUEST_METHOD: 'POST', REQUEST_URI: '/body' }, BODY).then(
            (r) => r.json,
          ),
        ),
      );
      for (const json of results) expect(json).toMatchObject({ length: BODY.length, sha256: BODY_SHA256 });
    });
  });
});

/** The pid the wrapper script wrote (waits up to 5 s for it). */
async function spawnedPid(pidFile: string): Promise<number> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const text = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '';
    if (/^\d+$/.test(text)) {
      const pid = Number(text);
      // Stopped with the test process too, should afterAll not run.
      process.once('exit', () => alive(pid) && process.kill(pid, 'SIGKILL'));
      return pid;
    }
    if (Date.now() > deadline) throw new Error(`cgi-fcgi -start: no pid in ${pidFile} after 5 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM (the CLI closes gracefully), SIGKILL after 10 s; resolves once the process is gone. */
async function stop(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether a process exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
