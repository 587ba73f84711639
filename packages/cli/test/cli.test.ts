/**
 * The `portico` command end to end: spawns the built bin/portico.js (run `pnpm build` first) and
 * talks to it over real sockets.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CliProcess, runCli } from './cli-process.js';

const FIXTURES = 'packages/cli/test/fixtures';
const started: CliProcess[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'portico-cli-'));

function serve(...args: string[]): CliProcess {
  const cli = new CliProcess(['serve', ...args]);
  started.push(cli);
  return cli;
}

/** Sends SIGTERM and expects a clean exit (status 0). */
async function stop(cli: CliProcess): Promise<void> {
  cli.child.kill('SIGTERM');
  expect(await cli.exited).toEqual({ code: 0, signal: null });
}

afterEach(() => {
  for (const cli of started.splice(0)) cli.kill();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('portico --help, --version', () => {
  it('--help lists the commands', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('portico serve <module>[:<export>]');
    expect(stdout).toContain('--version');
  });

  it('serve --help lists every option with its default', async () => {
    const { code, stdout } = await runCli(['serve', '--help']);
    expect(code).toBe(0);
    for (const option of [
      '--adapter',
      '--bind',
      '--interface',
      '--root-path',
      '--max-body-size',
      '--lifespan',
    ]) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toContain(
      'default: 127.0.0.1:8000 (http), 127.0.0.1:9000 (fastcgi), 127.0.0.1:4000 (scgi)\n',
    );
    expect(stdout).toContain('default: info\n');
    expect(stdout).toContain('--access-log -|PATH|off');
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${version}\n`);
  });

  it('without a command prints the help on stderr and exits 2', async () => {
    const { code, stdout, stderr } = await runCli([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage:');
  });
});

describe('portico serve', () => {
  it.each([
    ['async', 'examples/hello/async.ts'],
    ['sync', 'examples/hello/sync.ts'],
  ])('serves the %s hello example on an ephemeral port', async (kind, module) => {
    const cli = serve(module, '--bind', '127.0.0.1:0', '--access-log', 'off');
    const url = await cli.url();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:(?!0$)\d+$/);
    expect(cli.stderr).toContain(`(${kind} interface)`);
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-length')).toBe('14');
    expect(await res.text()).toBe('Hello, world!\n');
    await stop(cli);
  });

  it('serves the streaming example chunk by chunk', async () => {
    const cli = serve('examples/streaming/app.ts', '--bind', '127.0.0.1:0', '--access-log', 'off');
    const url = await cli.url();
    const t0 = Date.now();
    const res = await fetch(url);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(await res.text()).toBe([1, 2, 3, 4, 5].map((i) => `chunk ${i} of 5\n`).join(''));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(750); // four 200 ms pauses
    await stop(cli);
  });

  it('serves the echo example', async () => {
    const cli = serve('examples/echo/app.ts', '--bind', '127.0.0.1:0', '--access-log', 'off');
    const url = await cli.url();
    const res = await fetch(url, {
      method: 'POST',
      body: 'ping\n',
      headers: { 'content-type': 'text/x-test' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/x-test');
    expect(await res.text()).toBe('ping\n');
    await stop(cli);
  });

  it('listens on a unix socket and a TCP port at once', async () => {
    const socketPath = join(scratch, 'hello.sock');
    const cli = serve('examples/hello/async.ts', '--bind', `unix:${socketPath}`, '--bind', '127.0.0.1:0');
    await cli.waitFor('stderr', new RegExp(`listening address=unix:${socketPath}`));
    await cli.url();
    const req = request({ socketPath, path: '/', method: 'GET' });
    req.end();
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    let body = '';
    for await (const chunk of res) body += chunk;
    expect(res.statusCode).toBe(200);
    expect(body).toBe('Hello, world!\n');
    await stop(cli);
  });

  it('writes a Combined Log Format line per request on stdout by default', async () => {
    const cli = serve('examples/hello/sync.ts', '--bind', '127.0.0.1:0');
    const url = await cli.url();
    await (
      await fetch(`${url}/some/path?q=1`, {
        headers: { referer: 'http://ref.example/', 'user-agent': 'cli-test/1' },
      })
    ).text();
    const [line] = await cli.waitFor('stdout', /^.*\n/);
    expect(line).toMatch(
      /^127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "GET \/some\/path\?q=1 HTTP\/1\.1" 200 14 "http:\/\/ref\.example\/" "cli-test\/1"\n$/,
    );
    await stop(cli);
  });

  it('appends the access log to a file, keeping what was there', async () => {
    const file = join(scratch, 'access.log');
    writeFileSync(file, 'earlier line\n');
    const cli = serve('examples/hello/async.ts', '--bind', '127.0.0.1:0', '--access-log', file);
    const url = await cli.url();
    await (await fetch(`${url}/x`)).text();
    await stop(cli);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toBe('earlier line');
    expect(lines[1]).toMatch(/^127\.0\.0\.1 - - \[.*\] "GET \/x HTTP\/1\.1" 200 14 "-" "[^"]*"$/);
    expect(lines[2]).toBe('');
    expect(cli.stdout).toBe('');
  });

  it('passes --root-path and the limits on to the adapter', async () => {
    const cli = serve(
      `${FIXTURES}/scope-echo.js`,
      '--bind',
      '127.0.0.1:0',
      '--root-path',
      '/api/',
      '--max-body-size',
      '8',
    );
    const url = await cli.url();
    expect(await (await fetch(`${url}/api/users`)).json()).toEqual({ rootPath: '/api', path: '/users' });
    const tooLarge = await fetch(url, { method: 'POST', body: 'more than eight bytes' });
    expect(tooLarge.status).toBe(413);
    await stop(cli);
  });

  it('writes no access log with --access-log off', async () => {
    const cli = serve('examples/hello/async.ts', '--bind', '127.0.0.1:0', '--access-log', 'off');
    const url = await cli.url();
    await (await fetch(url)).text();
    await stop(cli);
    expect(cli.stdout).toBe('');
  });
});

describe('portico serve: shutdown and lifespan', () => {
  it('on SIGTERM finishes the in-flight request, then exits 0', async () => {
    const cli = serve(`${FIXTURES}/slow.js`, '--bind', '127.0.0.1:0', '--access-log', 'off');
    const url = await cli.url();
    const response = fetch(url).then(async (res) => ({ status: res.status, body: await res.text() }));
    await cli.waitFor('stderr', /slow: request started/);
    cli.child.kill('SIGTERM');
    expect(await response).toEqual({ status: 200, body: 'finished\n' });
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  });

  it('exits at once on a second signal', async () => {
    const cli = serve(`${FIXTURES}/slow.js`, '--bind', '127.0.0.1:0', '--access-log', 'off');
    const url = await cli.url();
    fetch(url).catch(() => {}); // cut short by the exit
    await cli.waitFor('stderr', /slow: request started/);
    cli.child.kill('SIGTERM');
    await cli.waitFor('stderr', /SIGTERM received: closing/);
    const t0 = Date.now();
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 143, signal: null });
    expect(Date.now() - t0).toBeLessThan(700); // did not wait for the 800 ms request
  });

  it('exits non-zero with the app message when lifespan startup fails', async () => {
    const cli = serve(`${FIXTURES}/lifespan-fail.js`, '--bind', '127.0.0.1:0');
    const { code } = await cli.exited;
    expect(code).toBe(1);
    expect(cli.stderr).toMatch(/^portico: lifespan startup failed: database unreachable$/m);
    expect(cli.stderr).not.toContain('listening');
  });
});

describe('portico: usage errors exit 2 with one line naming what was wrong', () => {
  it.each([
    ['a missing module', [`${FIXTURES}/nope.js`], /nope\.js/],
    ['a missing TypeScript module', ['examples/hello/nope.ts'], /nope\.ts/],
    ['a missing export', ['examples/hello/async.ts:nope'], /nope/],
    ['a default export that is not an app', [`${FIXTURES}/not-an-app.js`], /not an app/],
    ['a named export that is not an app', [`${FIXTURES}/not-an-app.js:config`], /not an app/],
    ['a module that throws while loading', [`${FIXTURES}/throws-on-load.js`], /configuration missing/],
    ['an unknown option', ['app.js', '--bogus'], /^portico: unknown option --bogus/],
    ['a bad size', ['app.js', '--max-body-size', '12q'], /option --max-body-size: expected .* got "12q"/],
    ['a bad bind', ['app.js', '--bind', 'localhost:http'], /option --bind/],
    ['a bad choice', ['app.js', '--interface', 'wsgi'], /option --interface/],
    [
      'an access log that cannot be opened',
      ['examples/hello/async.ts', '--access-log', '/nonexistent-dir/access.log'],
      /option --access-log: cannot open \/nonexistent-dir\/access\.log: ENOENT/,
    ],
    [
      'an unknown adapter',
      ['app.js', '--adapter', 'gopher'],
      /option --adapter: expected one of http, fastcgi, scgi/,
    ],
  ])('%s', async (_what, args, pattern) => {
    const { code, stdout, stderr } = await runCli(['serve', ...args]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^portico: [^\n]+\n$/); // exactly one line
    expect(stderr).toMatch(pattern);
  });

  it('an unknown command', async () => {
    const { code, stderr } = await runCli(['start']);
    expect(code).toBe(2);
    expect(stderr).toBe('portico: unknown command "start" (see portico --help)\n');
  });
});
