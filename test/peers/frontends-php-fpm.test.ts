/**
 * The FastCGI front-end harnesses (nginx, HAProxy, Caddy, cgi-fcgi) and their configs in
 * examples/deploy/, proven against php-fpm, a FastCGI backend that is not ours: whatever Portico's
 * FastCGI adapter sees behind these front ends, the front ends were shown here to send the right
 * params and body. php-fpm runs examples/deploy/php-fpm/echo.php, which answers with the params
 * it saw and the body's length and SHA-256.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type FcgiBackend, parseBackend } from './backend.js';
import { caddyBinary, startCaddy } from './caddy.js';
import { cgiFcgiBinary, cgiFcgiRequest, parseCgiResponse } from './cgi-fcgi.js';
import {
  expectStreamed,
  type FrontEnd,
  frontEndFor,
  httpRequest,
  jsonOf,
  type Reply,
} from './front-end-client.js';
import { haproxyBinary, startHaproxy } from './haproxy.js';
import { nginxBinary, startNginx, startNginxProxy } from './nginx.js';
import { tempDir } from './peer.js';
import { type PhpEcho, type PhpFpm, phpFpmBinary, startPhpFpm } from './php-fpm.js';

const BODY = Buffer.from(Array.from({ length: 64 << 10 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
const BODY_SHA256 = createHash('sha256').update(BODY).digest('hex');

/** The echo.php answer (status 200 asserted first). */
const echoOf = (reply: Reply) => jsonOf<PhpEcho>(reply);

interface Case {
  name: string;
  bin: string;
  socket: 'tcp' | 'unix';
  /** The mount prefix the front end is configured with ('' at /). */
  prefix: string;
  start(backend: FcgiBackend, params: Record<string, string>): Promise<FrontEnd>;
  /** Check a streamed response (one variant per front end is enough). */
  streams?: boolean;
  /** nginx with fastcgi_request_buffering off. */
  unbuffered?: boolean;
}

const cases: Case[] = [
  {
    name: 'nginx, keep-conn on, TCP',
    bin: nginxBinary,
    socket: 'tcp',
    prefix: '',
    streams: true,
    start: (backend, params) => startNginx({ backend, keepConn: true, params }),
  },
  {
    name: 'nginx, keep-conn off, TCP',
    bin: nginxBinary,
    socket: 'tcp',
    prefix: '',
    start: (backend, params) => startNginx({ backend, keepConn: false, params }),
  },
  {
    name: 'nginx, keep-conn on, unix socket, mounted at /app',
    bin: nginxBinary,
    socket: 'unix',
    prefix: '/app',
    start: (backend, params) => startNginx({ backend, keepConn: true, rootPath: '/app', params }),
  },
  {
    name: 'nginx, keep-conn off, unix socket, request buffering off',
    bin: nginxBinary,
    socket: 'unix',
    prefix: '',
    unbuffered: true,
    start: (backend, params) => startNginx({ backend, keepConn: false, requestBuffering: false, params }),
  },
  {
    name: 'HAProxy, keep-conn, TCP',
    bin: haproxyBinary,
    socket: 'tcp',
    prefix: '',
    streams: true,
    start: (backend, params) => startHaproxy({ backend, params }),
  },
  {
    name: 'HAProxy, no keep-conn, unix socket, mounted at /app',
    bin: haproxyBinary,
    socket: 'unix',
    prefix: '/app',
    start: (backend, params) => startHaproxy({ backend, keepConn: false, rootPath: '/app', params }),
  },
  {
    name: 'Caddy, TCP',
    bin: caddyBinary,
    socket: 'tcp',
    prefix: '',
    streams: true,
    start: (backend, params) => startCaddy({ backend, params }),
  },
  {
    name: 'Caddy, unix socket, mounted at /app',
    bin: caddyBinary,
    socket: 'unix',
    prefix: '/app',
    start: (backend, params) => startCaddy({ backend, rootPath: '/app', params }),
  },
];

describe.skipIf(phpFpmBinary === '')('FastCGI front ends in front of php-fpm', () => {
  const dir = tempDir('frontends');
  const fpm: Partial<Record<'tcp' | 'unix', PhpFpm>> = {};

  beforeAll(async () => {
    // Two workers each: a front end may hold one kept-alive connection (one php-fpm worker)
    // while the next request opens another.
    [fpm.tcp, fpm.unix] = await Promise.all([
      startPhpFpm({ maxChildren: 2 }),
      startPhpFpm({ maxChildren: 2, listen: { path: join(dir.dir, 'php-fpm.sock') } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([fpm.tcp?.stop(), fpm.unix?.stop()]);
    dir.remove();
  });

  for (const c of cases) {
    describe.skipIf(c.bin === '')(c.name, () => {
      const backend = () => fpm[c.socket]!;
      /** POSTs {@link BODY} to `/chunked` with no Content-Length, in two writes 50 ms apart. */
      const postChunked = () =>
        httpRequest(`${frontEnd.baseUrl}${c.prefix}/chunked`, { method: 'POST', body: BODY, chunked: true });
      const frontEnd = frontEndFor(() =>
        c.start(backend().address, { SCRIPT_FILENAME: backend().scriptFilename }),
      );

      test('GET with a query: php-fpm sees the method, the raw query and request URI, and the split path', async () => {
        const target = `${c.prefix}/caf%C3%A9/items?a=1&b=%20x&c=%2F`;
        const echo = echoOf(await httpRequest(`${frontEnd.baseUrl}${target}`));
        expect(echo.params.REQUEST_METHOD).toBe('GET');
        expect(echo.params.QUERY_STRING).toBe('a=1&b=%20x&c=%2F');
        expect(echo.params.REQUEST_URI).toBe(target);
        // HAProxy leaves out an empty SCRIPT_NAME (set-param and path-info never send empty values).
        expect(echo.params.SCRIPT_NAME ?? '').toBe(c.prefix);
        expect(echo.params.PATH_INFO).toBe('/café/items');
        expect(echo.params.GATEWAY_INTERFACE).toBe('CGI/1.1');
        expect(echo.params.REMOTE_ADDR).toBe('127.0.0.1');
        expect(echo.params.HTTP_HOST).toBe(new URL(frontEnd.baseUrl).host);
        expect(echo.body).toEqual({ length: 0, sha256: createHash('sha256').digest('hex') });
      });

      test('POST of 64 KiB with a Content-Length: the body arrives byte-exact', async () => {
        const echo = echoOf(
          await httpRequest(`${frontEnd.baseUrl}${c.prefix}/upload`, { method: 'POST', body: BODY }),
        );
        expect(echo.params.REQUEST_METHOD).toBe('POST');
        expect(echo.params.CONTENT_LENGTH).toBe(String(BODY.length));
        expect(echo.params.CONTENT_TYPE).toBe('application/octet-stream');
        expect(echo.body).toEqual({ length: BODY.length, sha256: BODY_SHA256 });
      });

      if (c.streams) {
        test('a streamed response reaches the client chunk by chunk', async () => {
          // php-fpm flushes a line every 200 ms: each must come on its own, the first ~400 ms before
          // the last. A buffering front end delivers them together at the end; HAProxy without
          // http-no-delay held each lone line back ~200 ms and delivered them in pairs.
          expectStreamed(await httpRequest(`${frontEnd.baseUrl}${c.prefix}/?stream=3&delay_ms=200`));
        });
      }

      if (c.bin === nginxBinary) {
        test('a chunked upload (no Content-Length)', async () => {
          const reply = await postChunked();
          const echo = echoOf(reply);
          if (c.unbuffered) {
            // fastcgi_request_buffering off: nginx passes the chunked body on as it arrives, so it
            // cannot know CONTENT_LENGTH and sends it empty; the body ends with the empty
            // FCGI_STDIN record. php-fpm reads only CONTENT_LENGTH bytes and sees none of it: a
            // backend behind this config must read FCGI_STDIN to its end (Portico's adapter does).
            expect(echo.params.CONTENT_LENGTH).toBe('');
            expect(echo.params.HTTP_TRANSFER_ENCODING).toBe('chunked');
          } else {
            // Buffered (nginx's default): nginx reads the whole body, then sends its length.
            expect(echo.params.CONTENT_LENGTH).toBe(String(BODY.length));
            expect(echo.body).toEqual({ length: BODY.length, sha256: BODY_SHA256 });
          }
        });
      }

      if (c.bin === haproxyBinary) {
        test('a chunked upload (no Content-Length) is refused: HAProxy sends only bodies of known size', async () => {
          // configuration.txt, 10.2: CONTENT_LENGTH "means only requests with a known size are
          // considered as valid and sent to the application".
          const reply = await postChunked();
          expect(reply.status).toBe(400);
        });
      }

      if (c.bin === caddyBinary) {
        test('a chunked upload (no Content-Length): Caddy sends CONTENT_LENGTH -1 and the whole body', async () => {
          const reply = await postChunked();
          const echo = echoOf(reply);
          // Caddy 2.6 copies Go's ContentLength (-1 = unknown) into CONTENT_LENGTH; php-fpm then
          // reads FCGI_STDIN to its end.
          expect(echo.params.CONTENT_LENGTH).toBe('-1');
          expect(echo.body).toEqual({ length: BODY.length, sha256: BODY_SHA256 });
        });
      }
    });
  }

  describe.skipIf(cgiFcgiBinary === '')('cgi-fcgi', () => {
    for (const socket of ['tcp', 'unix'] as const) {
      test(`GET with a query over ${socket}: php-fpm sees exactly the params given`, async () => {
        const { scriptFilename, address } = fpm[socket]!;
        const env = {
          REQUEST_METHOD: 'GET',
          QUERY_STRING: 'a=1&b=%20x',
          REQUEST_URI: '/items?a=1&b=%20x',
          SCRIPT_NAME: '',
          PATH_INFO: '/items',
          SCRIPT_FILENAME: scriptFilename,
        };
        const result = await cgiFcgiRequest({ backend: address, env });
        expect(result.code, result.stderr).toBe(0);
        const { headers, body } = parseCgiResponse(result.stdout);
        expect(headers).toContainEqual(['content-type', 'application/json']);
        const echo = JSON.parse(body.toString()) as PhpEcho;
        // Exactly the params given, and the role php-fpm adds.
        expect(echo.params).toEqual({ FCGI_ROLE: 'RESPONDER', ...env });
      });

      test(`POST of 64 KiB over ${socket}: stdin arrives byte-exact`, async () => {
        const { scriptFilename, address } = fpm[socket]!;
        const result = await cgiFcgiRequest({
          // The address as @portico/fastcgi lists it, to cover parseBackend too.
          backend: 'path' in address ? `unix:${address.path}` : `fcgi://${address.host}:${address.port}`,
          env: { REQUEST_METHOD: 'POST', SCRIPT_FILENAME: scriptFilename },
          stdin: BODY,
        });
        expect(result.code, result.stderr).toBe(0);
        const echo = JSON.parse(parseCgiResponse(result.stdout).body.toString()) as PhpEcho;
        expect(echo.params.CONTENT_LENGTH).toBe(String(BODY.length));
        expect(echo.body).toEqual({ length: BODY.length, sha256: BODY_SHA256 });
      });
    }
  });
});

describe.skipIf(nginxBinary === '')('nginx proxy_pass (examples/deploy/nginx/proxy-pass.conf)', () => {
  test('forwards a POST to an HTTP backend over a kept-alive upstream connection', async () => {
    const { createServer } = await import('node:http');
    const seen: Array<{ port: number | undefined; length: number; sha256: string }> = [];
    const backend = createServer((req, res) => {
      const hash = createHash('sha256');
      let length = 0;
      req.on('data', (d: Buffer) => {
        hash.update(d);
        length += d.length;
      });
      req.on('end', () => {
        seen.push({ port: req.socket.remotePort, length, sha256: hash.digest('hex') });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const address = backend.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const nginx = await startNginxProxy({ backend: parseBackend(`127.0.0.1:${port}`) });
    try {
      for (let i = 0; i < 2; i++) {
        const reply = await httpRequest(`${nginx.baseUrl}/x`, { method: 'POST', body: BODY });
        expect(reply.status).toBe(200);
        expect(reply.body.toString()).toBe('ok');
      }
      expect(seen.map((s) => [s.length, s.sha256])).toEqual([
        [BODY.length, BODY_SHA256],
        [BODY.length, BODY_SHA256],
      ]);
      // keepalive upstream: both requests came over the same nginx -> backend connection.
      expect(seen[0]!.port).toBe(seen[1]!.port);
    } finally {
      await nginx.stop();
      backend.closeAllConnections();
      await new Promise((r) => backend.close(r));
    }
  });
});
