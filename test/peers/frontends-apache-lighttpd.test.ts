/**
 * The Apache httpd and lighttpd FastCGI harnesses (apache.ts, lighttpd.ts) and their configs in
 * examples/deploy/, proven against FastCGI backends that are not ours: php-fpm running
 * examples/deploy/php-fpm/echo.php (answers with the params it saw and the body's length and
 * SHA-256), php-cgi spawned by lighttpd with the listening socket on fd 0, and a PHP FastCGI
 * Authorizer in front of a static directory.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apacheBinary, startApacheAuthorizer, startApacheFcgi } from './apache.js';
import type { FcgiBackend } from './backend.js';
import {
  expectStreamed,
  type FrontEnd,
  frontEndFor,
  httpRequest,
  jsonOf,
  type Reply,
} from './front-end-client.js';
import { launch } from './launch.js';
import { lighttpdBinary, startLighttpdAuthorizer, startLighttpdFcgi } from './lighttpd.js';
import { DEPLOY_DIR, findBinary, freePort, tempDir } from './peer.js';
import { type PhpEcho, type PhpFpm, phpFpmBinary, startPhpFpm } from './php-fpm.js';

const phpCgiBinary = findBinary('php-cgi', 'php8.2-cgi');
const ECHO_PHP = join(DEPLOY_DIR, 'php-fpm/echo.php');

const BODY = Buffer.from(Array.from({ length: 64 << 10 }, (_, i) => (i * 13 + (i >> 9)) & 0xff));
const BODY_SHA256 = createHash('sha256').update(BODY).digest('hex');
const EMPTY_SHA256 = createHash('sha256').digest('hex');
/** An extra param's value: quotes, `$` and `%{` mean something in Apache and lighttpd configs. */
const EXTRA_VALUE = 'a "quoted" $HOME %{HTTP_HOST} 100%';

/** The echo.php answer; on another status the message shows the body and the front end's logs. */
const echoOf = (reply: Reply, logs?: () => string) => jsonOf<PhpEcho>(reply, logs);

interface Case {
  name: string;
  bins: string[];
  /** Which php-fpm serves it; `none` when the front end spawns php-cgi itself. */
  socket: 'tcp' | 'unix' | 'none';
  /** The mount prefix the front end is configured with ('' at /). */
  prefix: string;
  start(backend: FcgiBackend | undefined, params: Record<string, string>): Promise<FrontEnd>;
  /** What a chunked upload (no Content-Length) turns into. */
  chunked: 'buffered' | 'streamed';
  /** Check a streamed response (one variant per front end is enough). */
  streams?: boolean;
}

const cases: Case[] = [
  {
    name: 'Apache, enablereuse=on, TCP',
    bins: [apacheBinary],
    socket: 'tcp',
    prefix: '',
    chunked: 'streamed',
    streams: true,
    start: (backend, params) => startApacheFcgi({ backend: backend!, enableReuse: true, params }),
  },
  {
    name: 'Apache, enablereuse=off, TCP, mounted at /app',
    bins: [apacheBinary],
    socket: 'tcp',
    prefix: '/app',
    chunked: 'streamed',
    start: (backend, params) =>
      startApacheFcgi({ backend: backend!, enableReuse: false, rootPath: '/app', params }),
  },
  {
    name: 'Apache, enablereuse=on, unix socket, mounted at /app',
    bins: [apacheBinary],
    socket: 'unix',
    prefix: '/app',
    chunked: 'streamed',
    start: (backend, params) =>
      startApacheFcgi({ backend: backend!, enableReuse: true, rootPath: '/app', params }),
  },
  {
    name: 'Apache, enablereuse=off, unix socket',
    bins: [apacheBinary],
    socket: 'unix',
    prefix: '',
    chunked: 'streamed',
    start: (backend, params) => startApacheFcgi({ backend: backend!, enableReuse: false, params }),
  },
  {
    name: 'lighttpd, host/port',
    bins: [lighttpdBinary],
    socket: 'tcp',
    prefix: '',
    chunked: 'buffered',
    streams: true,
    start: (backend, params) => startLighttpdFcgi({ backend: backend!, params }),
  },
  {
    name: 'lighttpd, unix socket, mounted at /app',
    bins: [lighttpdBinary],
    socket: 'unix',
    prefix: '/app',
    chunked: 'buffered',
    start: (backend, params) => startLighttpdFcgi({ backend: backend!, rootPath: '/app', params }),
  },
  {
    name: 'lighttpd, bin-path (php-cgi on fd 0)',
    bins: [lighttpdBinary, phpCgiBinary],
    socket: 'none',
    prefix: '',
    chunked: 'buffered',
    start: (_, params) =>
      startLighttpdFcgi({
        binPath: phpCgiBinary,
        // As php-fpm.ts: keep SCRIPT_NAME / PATH_INFO as sent, flush() reaches lighttpd at once.
        binArgs: ['-d', 'cgi.fix_pathinfo=0', '-d', 'cgi.discard_path=1', '-d', 'output_buffering=0'],
        binEnv: { PHP_FCGI_CHILDREN: '0', PHP_FCGI_MAX_REQUESTS: '0' },
        params,
      }),
  },
];

describe.skipIf(phpFpmBinary === '')('Apache httpd and lighttpd in front of php-fpm', () => {
  // Made in beforeAll, not while collecting: a run that filters these tests out leaves nothing.
  let dir: ReturnType<typeof tempDir> | undefined;
  const fpm: Partial<Record<'tcp' | 'unix', PhpFpm>> = {};

  beforeAll(async () => {
    dir = tempDir('apache-lighttpd');
    // Apache's children run as www-data: they must reach the socket's directory.
    chmodSync(dir.dir, 0o755);
    // Two workers each: a front end may hold one kept-alive connection (one php-fpm worker)
    // while the next request opens another.
    [fpm.tcp, fpm.unix] = await Promise.all([
      startPhpFpm({ maxChildren: 2 }),
      startPhpFpm({ maxChildren: 2, listen: { path: join(dir.dir, 'php-fpm.sock') } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([fpm.tcp?.stop(), fpm.unix?.stop()]);
    dir?.remove();
  });

  for (const c of cases) {
    describe.skipIf(c.bins.includes(''))(c.name, () => {
      const frontEnd = frontEndFor(() => {
        const backend = c.socket === 'none' ? undefined : fpm[c.socket]!;
        return c.start(backend?.address, {
          SCRIPT_FILENAME: backend?.scriptFilename ?? ECHO_PHP,
          X_EXTRA: EXTRA_VALUE,
        });
      });

      test('GET with a query: the backend sees the method, the raw query and request URI, and the split path', async () => {
        const target = `${c.prefix}/caf%C3%A9/items?a=1&b=%20x&c=%2F`;
        const reply = await httpRequest(`${frontEnd.baseUrl}${target}`);
        const echo = echoOf(reply, frontEnd.logs);
        expect(echo.params.REQUEST_METHOD).toBe('GET');
        expect(echo.params.QUERY_STRING).toBe('a=1&b=%20x&c=%2F');
        expect(echo.params.REQUEST_URI).toBe(target);
        expect(echo.params.SCRIPT_NAME).toBe(c.prefix);
        expect(echo.params.PATH_INFO).toBe('/café/items');
        expect(echo.params.GATEWAY_INTERFACE).toBe('CGI/1.1');
        expect(echo.params.SERVER_PROTOCOL).toBe('HTTP/1.1');
        expect(echo.params.REMOTE_ADDR).toBe('127.0.0.1');
        expect(echo.params.HTTP_HOST).toBe(new URL(frontEnd.baseUrl).host);
        // An extra param, with characters the config syntax cares about, arrives verbatim.
        expect(echo.params.X_EXTRA).toBe(EXTRA_VALUE);
        expect(echo.body).toEqual({ length: 0, sha256: EMPTY_SHA256 });
      });

      if (c.prefix !== '') {
        test('the mount point itself, and a path that only starts like it', async () => {
          const echo = echoOf(await httpRequest(`${frontEnd.baseUrl}${c.prefix}`), frontEnd.logs);
          expect(echo.params.SCRIPT_NAME).toBe(c.prefix);
          // Apache sends PATH_INFO `/` for the bare mount point; lighttpd sends none.
          expect(['/', undefined]).toContain(echo.params.PATH_INFO);
          expect((await httpRequest(`${frontEnd.baseUrl}${c.prefix}x/y`)).status).toBe(404);
        });
      }

      test('POST of 64 KiB with a Content-Length: the body arrives byte-exact', async () => {
        const echo = echoOf(
          await httpRequest(`${frontEnd.baseUrl}${c.prefix}/upload`, { method: 'POST', body: BODY }),
          frontEnd.logs,
        );
        expect(echo.params.REQUEST_METHOD).toBe('POST');
        expect(echo.params.CONTENT_LENGTH).toBe(String(BODY.length));
        expect(echo.params.CONTENT_TYPE).toBe('application/octet-stream');
        expect(echo.body).toEqual({ length: BODY.length, sha256: BODY_SHA256 });
      });

      test('a chunked upload (no Content-Length)', async () => {
        // To Apache a small body in one write. A long chunked body Apache streams without
        // CONTENT_LENGTH, which php-fpm does not read: it answers at once and drops the
        // connection, and Apache, still sending FCGI_STDIN, answers 503 ("Error dispatching
        // request ... (sending stdin)"). A backend behind Apache must read FCGI_STDIN to its end.
        const small = BODY.subarray(0, 1000);
        const reply = await httpRequest(`${frontEnd.baseUrl}${c.prefix}/chunked`, {
          method: 'POST',
          body: c.chunked === 'buffered' ? BODY : small,
          chunked: c.chunked === 'buffered' ? true : 'one-write',
        });
        const echo = echoOf(reply, frontEnd.logs);
        if (c.chunked === 'buffered') {
          // lighttpd reads the whole body first (server.stream-request-body 0), then sends its
          // length and drops Transfer-Encoding.
          expect(echo.params.CONTENT_LENGTH).toBe(String(BODY.length));
          expect(echo.params.HTTP_TRANSFER_ENCODING).toBeUndefined();
          expect(echo.body).toEqual({ length: BODY.length, sha256: BODY_SHA256 });
        } else {
          // A body that arrived whole with the request head (here 1000 bytes in one write):
          // mod_proxy_fcgi de-chunks it, sends its CONTENT_LENGTH and drops Transfer-Encoding.
          // A longer one it passes on as it comes, with HTTP_TRANSFER_ENCODING chunked and no
          // CONTENT_LENGTH at all (examples/deploy/README.md).
          expect(echo.params.CONTENT_LENGTH).toBe(String(small.length));
          expect(echo.params.HTTP_TRANSFER_ENCODING).toBeUndefined();
          expect(echo.body).toEqual({
            length: small.length,
            sha256: createHash('sha256').update(small).digest('hex'),
          });
        }
      });

      // One variant per front end is enough: defined only there (not a skipped test elsewhere).
      if (c.streams === true)
        test('a streamed response reaches the client chunk by chunk', async () => {
          expectStreamed(await httpRequest(`${frontEnd.baseUrl}${c.prefix}/?stream=3&delay_ms=200`));
        });
    });
  }
});

/**
 * The Authorizer, in PHP. Both front ends send SCRIPT_FILENAME = the requested static file, and
 * php-fpm runs whatever SCRIPT_FILENAME names, so a private php-fpm pool runs this as
 * auto_prepend_file (with any extension allowed) and it exits before the static file would run.
 * A missing file gets php-fpm's own 404 before this runs.
 */
const AUTHORIZER_PHP = `<?php
$role = $_SERVER['FCGI_ROLE'] ?? '';
if ($role !== 'AUTHORIZER') {
    return; // a responder request (not used here): run the script itself
}
if (($_SERVER['HTTP_X_TOKEN'] ?? '') === 'good') {
    header('Variable-AUTH_USER: bob');
} else {
    http_response_code(403);
    header('Content-Type: text/plain');
    header('X-Authorizer: php');
    echo "denied by the authorizer, role=$role, content_length=", $_SERVER['CONTENT_LENGTH'] ?? 'none', "\\n";
}
exit;
`;

/**
 * A private php-fpm for the authorizer (php-fpm.ts's pool runs one script by SCRIPT_FILENAME
 * and allows only .php): `security.limit_extensions` empty, the authorizer as auto_prepend_file.
 */
async function startPhpAuthorizer(
  dir: string,
  script: string,
): Promise<{ address: { host: string; port: number }; stop(): Promise<void> }> {
  const port = await freePort();
  const config = join(dir, 'php-fpm-authorizer.conf');
  writeFileSync(
    config,
    [
      '[global]',
      `pid = ${join(dir, 'php-fpm-authorizer.pid')}`,
      `error_log = ${join(dir, 'php-fpm-authorizer.log')}`,
      'daemonize = no',
      '[authorizer]',
      `listen = 127.0.0.1:${port}`,
      'pm = static',
      'pm.max_children = 2',
      'clear_env = yes',
      'security.limit_extensions =',
      `php_admin_value[auto_prepend_file] = ${script}`,
      '',
    ].join('\n'),
  );
  const ini = ['cgi.fix_pathinfo=0', 'cgi.discard_path=1'].flatMap((d) => ['-d', d]);
  const peer = await launch('php-fpm (authorizer)', phpFpmBinary, ['-F', '-R', '-y', config, ...ini], {
    port,
  });
  return { address: { host: '127.0.0.1', port }, stop: peer.stop };
}

describe.skipIf(phpFpmBinary === '')('FastCGI Authorizer (php-fpm) in front of a static directory', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  let docroot: string;
  let authorizerScript: string;
  let authorizer: Awaited<ReturnType<typeof startPhpAuthorizer>>;
  let responder: PhpFpm;

  beforeAll(async () => {
    dir = tempDir('authorizer');
    docroot = join(dir.dir, 'www');
    authorizerScript = join(dir.dir, 'authorizer.php');
    chmodSync(dir.dir, 0o755);
    mkdirSync(docroot, { mode: 0o755 });
    writeFileSync(join(docroot, 'hello.txt'), 'hello, static world\n', { mode: 0o644 });
    writeFileSync(authorizerScript, AUTHORIZER_PHP, { mode: 0o644 });
    [authorizer, responder] = await Promise.all([
      startPhpAuthorizer(dir.dir, authorizerScript),
      startPhpFpm(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([authorizer?.stop(), responder?.stop()]);
    dir?.remove();
  });

  describe.skipIf(apacheBinary === '')('Apache mod_authnz_fcgi', () => {
    const apache = frontEndFor(() =>
      startApacheAuthorizer({
        authorizer: authorizer.address,
        docroot,
        responder: responder.address,
        responderParams: { SCRIPT_FILENAME: responder.scriptFilename },
      }),
    );

    test('allowed: the static file, with the Variable-AUTH_USER the authorizer returned', async () => {
      const reply = await httpRequest(`${apache.baseUrl}/hello.txt`, { headers: { 'x-token': 'good' } });
      expect(reply.status, apache.logs()).toBe(200);
      expect(reply.body.toString()).toBe('hello, static world\n');
      expect(reply.headers['content-type']).toBe('text/plain');
      expect(reply.headers['x-auth-user']).toBe('bob');
    });

    test('denied: the authorizer status, body and headers, but an Apache Content-Type', async () => {
      const reply = await httpRequest(`${apache.baseUrl}/hello.txt`, {
        method: 'POST',
        body: Buffer.from('abc'),
        headers: { 'x-token': 'bad' },
      });
      expect(reply.status).toBe(403);
      // mod_authnz_fcgi drops CONTENT_LENGTH for the authorizer (and sends no FCGI_STDIN).
      expect(reply.body.toString()).toBe('denied by the authorizer, role=AUTHORIZER, content_length=none\n');
      expect(reply.headers['x-authorizer']).toBe('php');
      expect(reply.headers['content-type']).toBe('text/html; charset=iso-8859-1');
    });

    test('allowed: a responder behind the authorizer gets AUTH_USER and REMOTE_USER as params', async () => {
      // For /app/REST the authorizer gets SCRIPT_FILENAME `proxy:fcgi://host:port/REST`, which
      // php-fpm reads as the file /REST: REST is the static file's absolute path, so that the
      // PHP authorizer runs (a Portico authorizer ignores SCRIPT_FILENAME).
      const rest = `${docroot}/hello.txt`;
      const reply = await httpRequest(`${apache.baseUrl}/app${rest}?y=1`, { headers: { 'x-token': 'good' } });
      const echo = echoOf(reply, apache.logs);
      expect(echo.params.AUTH_USER).toBe('bob');
      expect(echo.params.REMOTE_USER).toBe('bob');
      expect(echo.params.SCRIPT_NAME).toBe('/app');
      expect(echo.params.PATH_INFO).toBe(rest);
      expect(echo.params.QUERY_STRING).toBe('y=1');
      expect(reply.headers['x-auth-user']).toBe('bob');
      const denied = await httpRequest(`${apache.baseUrl}/app${rest}`, { headers: { 'x-token': 'nope' } });
      expect(denied.status).toBe(403);
      expect(denied.body.toString()).toMatch(/^denied by the authorizer/);
    });
  });

  describe.skipIf(lighttpdBinary === '')('lighttpd mod_fastcgi "mode" => "authorizer"', () => {
    test('authorizer over TCP: allowed gets the file, denied gets the authorizer response', async () => {
      const lighttpd = await startLighttpdAuthorizer({ authorizer: authorizer.address, docroot });
      try {
        const allowed = await httpRequest(`${lighttpd.baseUrl}/hello.txt`, {
          headers: { 'x-token': 'good' },
        });
        expect(allowed.status, lighttpd.logs()).toBe(200);
        expect(allowed.body.toString()).toBe('hello, static world\n');
        expect(allowed.headers['content-type']).toBe('text/plain');

        const denied = await httpRequest(`${lighttpd.baseUrl}/hello.txt`, {
          method: 'POST',
          body: Buffer.from('abc'),
          headers: { 'x-token': 'bad' },
        });
        expect(denied.status).toBe(403);
        // lighttpd passes the authorizer's headers on, and sends it no CONTENT_LENGTH.
        expect(denied.body.toString()).toBe(
          'denied by the authorizer, role=AUTHORIZER, content_length=none\n',
        );
        expect(denied.headers['x-authorizer']).toBe('php');
        expect(denied.headers['content-type']).toBe('text/plain;charset=UTF-8');
      } finally {
        await lighttpd.stop();
      }
      // The Variable-AUTH_USER of the allowed request reached the environment: the access log
      // (which lighttpd writes out at the latest when it stops) prints it.
      expect(lighttpd.logs()).toMatch(/"GET \/hello\.txt HTTP\/1\.1" 200 \d+ auth_user=bob/);
      expect(lighttpd.logs()).toMatch(/"POST \/hello\.txt HTTP\/1\.1" 403 \d+ auth_user=-/);
    });

    test.skipIf(phpCgiBinary === '')('authorizer spawned by lighttpd (php-cgi on fd 0)', async () => {
      const lighttpd = await startLighttpdAuthorizer({
        authorizer: {
          binPath: phpCgiBinary,
          binArgs: ['-d', `auto_prepend_file=${authorizerScript}`, '-d', 'cgi.fix_pathinfo=0'],
          binEnv: { PHP_FCGI_CHILDREN: '0' },
        },
        docroot,
      });
      try {
        const allowed = await httpRequest(`${lighttpd.baseUrl}/hello.txt`, {
          headers: { 'x-token': 'good' },
        });
        expect(allowed.status, lighttpd.logs()).toBe(200);
        expect(allowed.body.toString()).toBe('hello, static world\n');
        const denied = await httpRequest(`${lighttpd.baseUrl}/hello.txt`);
        expect(denied.status).toBe(403);
        expect(denied.body.toString()).toMatch(/^denied by the authorizer, role=AUTHORIZER/);
      } finally {
        await lighttpd.stop();
      }
    });
  });
});
