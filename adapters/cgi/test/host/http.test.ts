/**
 * The CGI host behind the real HTTP adapter (@portico/http), driven by curl and node:http: large
 * bodies both ways, streaming as it happens, HEAD, redirects, timeouts and a client that hangs up.
 * The host runs under the validator; a violation fails the test.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { validateAsync } from '@portico/spec';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../../../../packages/server/test/rule.js';
import { findBinary } from '../../../../test/peers/peer.js';
import { type HTTPServer, serve } from '../../../http/src/index.js';
import { type CGIHostOptions, cgiHost } from '../../src/index.js';
import { alive, type CGIRoot, loggedPids, makeRoot, memoryLogger, until } from './helpers.js';
import { startHost, stopHosts } from './host-process.js';

const curl = findBinary('curl');

let dir: CGIRoot;
const servers: HTTPServer[] = [];
const violations: unknown[] = [];

async function start(options: Partial<CGIHostOptions> = {}) {
  const logger = memoryLogger();
  const app = validateAsync(cgiHost({ root: dir.root, logger, ...options }), {
    onViolation: (v) => violations.push(v),
  });
  const server = await serve(app, { bind: ['127.0.0.1:0'], lifespan: 'off', rootPath: '/cgi-bin' });
  servers.push(server);
  return { url: server.addresses[0]!, logger };
}

let main: Awaited<ReturnType<typeof start>>;

beforeAll(async () => {
  dir = makeRoot();
  main = await start();
});
afterEach(async () => {
  await stopHosts();
  expect(violations.splice(0)).toEqual([]);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  dir.remove();
});

interface CurlResult {
  status: number;
  head: string;
  body: string;
  /** When each piece of the body arrived, ms since start, with its text. */
  arrivals: [number, string][];
}

/** Runs curl on `path` (the head with `-D -` before the body on standard output), every arrival timed. */
function runCurl(url: string, path: string, args: readonly string[] = []): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    // `--head` writes the head to standard output itself.
    const dump = args.includes('--head') ? [] : ['-D', '-'];
    const child = spawn(curl, ['-sS', '-N', ...dump, ...args, `${url}${path}`]);
    let out = '';
    const arrivals: [number, string][] = [];
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (d: string) => {
      out += d;
      arrivals.push([Date.now() - started, d]);
    });
    child.on('error', reject);
    child.on('close', () => {
      const end = out.indexOf('\r\n\r\n');
      const head = end < 0 ? out : out.slice(0, end + 2);
      const body = end < 0 ? '' : out.slice(end + 4);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body, arrivals });
    });
  });
}

describe.skipIf(curl === '')('with curl', () => {
  rule('SRV-CGI-6', 'GET with query and PATH_INFO', async () => {
    const res = await runCurl(main.url, '/cgi-bin/hello.sh/a/b?x=1&y=2');
    expect(res.status).toBe(200);
    expect(res.body).toContain('query=x=1&y=2\n');
    expect(res.body).toContain('path_info=/a/b\n');
    expect(res.body).toContain('script_name=/cgi-bin/hello.sh\n');
    expect(res.head).toMatch(/^x-script: hello.sh\r$/im);
  });

  rule('SRV-CGI-8', 'HEAD: status and Content-Length, no body', async () => {
    const res = await runCurl(main.url, '/cgi-bin/content-length.sh', ['--head']);
    expect(res.status).toBe(200);
    expect(res.head).toMatch(/^content-length: 5\r$/im);
    expect(res.body).toBe('');
  });

  rule('SRV-CGI-8', 'a streamed response arrives piece by piece, as the program writes it', async () => {
    const res = await runCurl(main.url, '/cgi-bin/stream.mjs?count=4&gap=250');
    expect(res.status).toBe(200);
    expect(res.head).toMatch(/^transfer-encoding: chunked\r$/im);
    expect(
      res.body
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split(' at ')[0]),
    ).toEqual(['chunk 0', 'chunk 1', 'chunk 2', 'chunk 3']);
    // Each line came in its own piece, the last ~750 ms after the first.
    expect(res.arrivals.length).toBeGreaterThanOrEqual(4);
    expect(res.arrivals.at(-1)![0] - res.arrivals[0]![0]).toBeGreaterThanOrEqual(600);
  });

  rule('SRV-CGI-8', 'redirects: local (followed by the host), client (302)', async () => {
    const local = await runCurl(main.url, '/cgi-bin/redirect.sh?local');
    expect(local.status).toBe(200);
    expect(local.body).toContain('path_info=/after\n');
    const client = await runCurl(main.url, '/cgi-bin/redirect.sh?client');
    expect(client.status).toBe(302);
    expect(client.head).toMatch(/^location: http:\/\/example\.com\/elsewhere\r$/im);
  });

  rule('SRV-CGI-8', 'bad output: 502', async () => {
    for (const which of ['garbage', 'status-letters', 'no-output', 'headers-forever']) {
      const res = await runCurl(main.url, `/cgi-bin/bad.sh?${which}`);
      expect(res.status).toBe(502);
    }
  });

  rule('SRV-CGI-8', 'a program past its timeout: 504, stopped and reaped', async () => {
    const short = await start({ timeout: 300 });
    const res = await runCurl(short.url, '/cgi-bin/sleep.sh');
    expect(res.status).toBe(504);
    const [pid] = loggedPids(short.logger);
    expect(await until(() => !alive(pid!))).toBe(true);
  });

  rule('SRV-CGI-8', 'a client that hangs up mid-response stops the program', async () => {
    const res = await runCurl(main.url, '/cgi-bin/sleep.sh?late', ['--max-time', '0.5']);
    expect(res.body).toBe('first\n');
    const pids = loggedPids(main.logger);
    expect(pids.length).toBeGreaterThan(0);
    expect(await until(() => !alive(pids.at(-1)!), 3000)).toBe(true);
  });
});

/** POSTs `total` bytes in 64 KiB pieces, written as the connection takes them. */
function upload(url: string, path: string, total: number): Promise<{ status: number; body: string }> {
  const piece = Buffer.alloc(65536);
  for (let i = 0; i < piece.length; i++) piece[i] = (i * 7) % 256;
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, url),
      { method: 'POST', agent: false, headers: { 'content-length': String(total) } },
      (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    let sent = 0;
    const write = () => {
      while (sent < total) {
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

function expectedUpload(total: number): string {
  const piece = Buffer.alloc(65536);
  for (let i = 0; i < piece.length; i++) piece[i] = (i * 7) % 256;
  const hash = createHash('sha256');
  for (let sent = 0; sent < total; sent += piece.length) hash.update(piece);
  return `${total} ${hash.digest('hex')}\n`;
}

describe('large bodies with node:http', () => {
  rule('SRV-CGI-7', 'a 10 MiB POST streams through to the program whole', async () => {
    const total = 10 << 20;
    const res = await upload(main.url, '/cgi-bin/upload.py', total);
    expect(res.status).toBe(200);
    expect(res.body).toBe(expectedUpload(total));
  });

  it('a 10 MiB response streams through to the client whole', async () => {
    const hash = createHash('sha256');
    let length = 0;
    const status = await new Promise<number>((resolve, reject) => {
      request(new URL('/cgi-bin/big.mjs?mib=10', main.url), { agent: false }, (res) => {
        res.on('data', (d: Buffer) => {
          length += d.length;
          hash.update(d);
        });
        res.on('end', () => resolve(res.statusCode!));
      })
        .on('error', reject)
        .end();
    });
    const block = Buffer.alloc(65536);
    for (let i = 0; i < block.length; i++) block[i] = i % 251;
    const expected = createHash('sha256');
    for (let i = 0; i < 160; i++) expected.update(block);
    expect(status).toBe(200);
    expect(length).toBe(10 << 20);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
  });

  rule(
    'SRV-CGI-7',
    'memory stays bounded: 96 MiB to a program that reads late grows the host by far less',
    async () => {
      const host = await startHost(dir.root);
      await upload(host.url, '/upload.py', 1 << 20); // warm up: modules loaded, code compiled
      const rss = () =>
        Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${host.pid}/status`, 'utf8'))![1]) * 1024;
      const baseline = rss();
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rss());
      }, 20);
      const total = 96 << 20; // under maxBodySize (100 MiB)
      const pending = upload(host.url, '/upload.py?slow=1500', total);
      await new Promise((r) => setTimeout(r, 1200));
      const whileAsleep = peak - baseline;
      const res = await pending;
      clearInterval(sampler);

      expect(res.body).toBe(expectedUpload(total));
      // While the program does not read, the body waits in the client and the kernel, not in the
      // host; while it reads fast, garbage pieces wait for the collector, but never the whole body.
      expect(whileAsleep).toBeLessThan(8 << 20);
      expect(peak - baseline).toBeLessThan(64 << 20);
    },
    30_000,
  );
});
