/**
 * @portico/http with a real client: curl (Debian's), started against the adapter on loopback and a
 * unix socket. Skipped only when curl is missing and CI is not set; under CI a missing curl fails.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type HTTPServer, serve } from '@portico/http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { conformanceApp } from './conformance/apps.js';

const run = promisify(execFile);
const curlPath = await run('sh', ['-c', 'command -v curl']).then(
  (r) => r.stdout.trim(),
  () => '',
);
if (curlPath === '' && process.env.CI) throw new Error('curl is required under CI (apt-get install curl)');

async function curl(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(curlPath, ['-sS', '--max-time', '20', ...args], { maxBuffer: 64 << 20 });
}

describe.skipIf(curlPath === '')('@portico/http with curl', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portico-curl-'));
  const socket = join(dir, 'app.sock');
  let server: HTTPServer;
  let base: string;

  beforeAll(async () => {
    server = await serve(conformanceApp, { bind: ['127.0.0.1:0', `unix:${socket}`], lifespan: 'off' });
    base = server.addresses.find((a) => a.startsWith('http://'))!;
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('GET with a query string: the scope keeps it raw', async () => {
    const { stdout } = await curl(`${base}/scope/caf%C3%A9?a=1&b=%20x`);
    const scope = JSON.parse(stdout);
    expect(scope.method).toBe('GET');
    expect(scope.path).toBe('/scope/café');
    expect(scope.rawPath).toBe('/scope/caf%C3%A9');
    expect(scope.queryString).toBe('a=1&b=%20x');
    expect(scope.headers).toContainEqual(['user-agent', expect.stringMatching(/^curl\//)]);
  });

  test('a 3 MiB upload with Expect: 100-continue arrives byte-exact', async () => {
    const body = Buffer.alloc(3 << 20, 'abcdefgh');
    const file = join(dir, 'upload.bin');
    writeFileSync(file, body);
    const { stdout, stderr } = await curl(
      '-v',
      '-H',
      'Expect: 100-continue',
      '--data-binary',
      `@${file}`,
      `${base}/body`,
    );
    expect(stderr).toMatch(/HTTP\/1\.1 100 Continue/);
    const got = JSON.parse(stdout);
    expect(got.length).toBe(body.length);
    expect(got.sha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  test('a chunked upload (no Content-Length) reaches the app whole', async () => {
    const file = join(dir, 'chunked.bin');
    writeFileSync(file, 'x'.repeat(100_000));
    const { stdout } = await curl(
      '-H',
      'Transfer-Encoding: chunked',
      '--data-binary',
      `@${file}`,
      `${base}/body`,
    );
    expect(JSON.parse(stdout)).toMatchObject({ length: 100_000, disconnected: false });
  });

  test('HTTP/1.0 and HEAD', async () => {
    // RFC 9110 section 2.5: a server answers with the highest minor version it supports (node:http
    // says HTTP/1.1) and closes the connection a 1.0 client did not ask to keep.
    const old = await curl('--http1.0', '-i', `${base}/head`);
    expect(old.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(old.stdout).toMatch(/^connection: close\r?$/im);
    expect(old.stdout).toMatch(/hello, head$/);
    expect(JSON.parse((await curl('--http1.0', `${base}/scope`)).stdout).httpVersion).toBe('1.0');
    const head = await curl('-I', `${base}/head`);
    expect(head.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(head.stdout).not.toMatch(/hello, head/);
  });

  test('keep-alive: two requests in one curl run share the connection', async () => {
    const { stdout, stderr } = await curl('-v', `${base}/head`, `${base}/head`);
    expect(stdout).toBe('hello, headhello, head');
    expect(stderr).toMatch(/Re-using existing connection|Reusing existing/i);
  });

  test('unix socket bind', async () => {
    const { stdout } = await curl('--unix-socket', socket, 'http://localhost/head');
    expect(stdout).toBe('hello, head');
  });

  test('app error: 500 and the server keeps serving', async () => {
    const { stdout } = await curl('-o', '/dev/null', '-w', '%{http_code}', `${base}/error`);
    expect(stdout).toBe('500');
    expect((await curl(`${base}/head`)).stdout).toBe('hello, head');
  });
});
