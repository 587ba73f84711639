import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type AsyncToSyncApp, asyncToSync } from '../src/bridge/async-to-sync.js';
import { MemoryInput } from '../src/bridge/input.js';
import { isPorticoError } from '../src/errors.js';
import { detectInterface } from '../src/interface.js';
import type { Environ, InputStream, ResponseBody } from '../src/sync-types.js';
import { dec, enc } from './fixtures/transcript.js';

const fixture = new URL('./fixtures/async-app.mjs', import.meta.url);
const tmp = mkdtempSync(join(tmpdir(), 'portico-a2s-'));
const apps: AsyncToSyncApp[] = [];
afterAll(() => {
  for (const app of apps) app.close();
  rmSync(tmp, { recursive: true, force: true });
});

function bridged(exportName?: string, timeout = 10_000): AsyncToSyncApp {
  const app = asyncToSync(
    { module: fixture, ...(exportName === undefined ? {} : { export: exportName }) },
    { timeout },
  );
  apps.push(app);
  return app;
}

function environ(path: string, extra: Record<string, unknown> = {}, body?: Uint8Array): Environ {
  return {
    REQUEST_METHOD: body === undefined ? 'GET' : 'POST',
    SCRIPT_NAME: '',
    PATH_INFO: path,
    QUERY_STRING: '',
    SERVER_NAME: 'localhost',
    SERVER_PORT: '8000',
    SERVER_PROTOCOL: 'HTTP/1.1',
    ...(body === undefined ? {} : { CONTENT_LENGTH: String(body.byteLength) }),
    'portico.version': [1, 0],
    'portico.url_scheme': 'http',
    'portico.input': new MemoryInput(body ?? new Uint8Array(0)),
    'portico.errors': { write() {}, writelines() {}, flush() {} },
    'portico.multithread': false,
    'portico.multiprocess': false,
    'portico.run_once': false,
    'portico.input_terminated': true,
    'portico.state': {},
    ...extra,
  } as Environ;
}

interface Response {
  status: string;
  headers: ReadonlyArray<readonly [string, string]>;
  body: ResponseBody;
}

function call(app: AsyncToSyncApp, env: Environ): Response {
  let status = '';
  let headers: ReadonlyArray<readonly [string, string]> = [];
  const body = app(env, (s, h) => {
    status = s;
    headers = h;
    return () => {};
  });
  return { status, headers, body };
}

function drain(body: ResponseBody): string[] {
  const out: string[] = [];
  try {
    for (const chunk of body) out.push(dec(chunk));
  } finally {
    body.close?.();
  }
  return out;
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('asyncToSync', () => {
  const app = bridged();

  it('is a sync app running the async app in a worker', () => {
    expect(detectInterface(app)).toBe('sync');
    const r = call(app, environ('/hello'));
    expect(r.status).toBe('200 OK');
    expect(r.headers).toEqual([['content-type', 'text/plain']]);
    expect(drain(r.body)).toEqual(['Hello, world!']);
  });

  it('builds the scope from the environ, with the worker lifespan state', () => {
    const r = call(
      app,
      environ('/scope', {
        SCRIPT_NAME: '/mount',
        REQUEST_URI: '/mount/scope?x=%20',
        QUERY_STRING: 'x=%20',
        REMOTE_ADDR: '192.0.2.1',
        REMOTE_PORT: '1234',
        HTTP_X_ONE: '1',
        HTTPS: 'on',
        'portico.url_scheme': undefined,
      }),
    );
    expect(r.status).toBe('201 Created');
    expect(JSON.parse(drain(r.body).join(''))).toEqual({
      method: 'GET',
      scheme: 'https',
      path: '/scope',
      rawPath: '/mount/scope',
      queryString: 'x=%20',
      rootPath: '/mount',
      headers: [['x-one', '1']],
      client: ['192.0.2.1', 1234],
      server: ['localhost', 8000],
      httpVersion: '1.1',
      state: { startedAt: 'lifespan' },
      extensions: {},
    });
  });

  it('hands the request body over, in pieces, with and without CONTENT_LENGTH', () => {
    const body = new Uint8Array(300_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const small = asyncToSync({ module: fixture }, { chunkSize: 1000 });
    apps.push(small);
    for (const a of [app, small]) {
      for (const withLength of [true, false]) {
        const env = environ('/echo', {}, body);
        if (!withLength) delete env.CONTENT_LENGTH;
        const r = call(a, env);
        expect(r.headers).toContainEqual(['X-Length', '300000']);
        const got = Buffer.concat([...r.body].map((c) => Buffer.from(c)));
        r.body.close?.();
        expect(got.equals(body)).toBe(true);
      }
    }
  });

  it('streams lazily: each next() takes one body event', () => {
    const r = call(app, environ('/stream'));
    const it = r.body[Symbol.iterator]();
    expect(dec(it.next().value as Uint8Array)).toBe('chunk 1\n');
    expect(dec(it.next().value as Uint8Array)).toBe('chunk 2\n');
    expect(dec(it.next().value as Uint8Array)).toBe('chunk 3\n');
    expect(it.next().done).toBe(true);
    expect(it.next().done).toBe(true);
    r.body.close?.();
  });

  it('serves calls that overlap', () => {
    const a = call(app, environ('/stream'));
    const b = call(app, environ('/hello'));
    const ia = a.body[Symbol.iterator]();
    expect(dec(ia.next().value as Uint8Array)).toBe('chunk 1\n');
    expect(drain(b.body)).toEqual(['Hello, world!']);
    expect(drain(a.body)).toEqual(['chunk 2\n', 'chunk 3\n']);
  });

  it('throws what the app throws before http.response.start', () => {
    let started = false;
    const err = caught(() =>
      app(environ('/throw-before'), () => {
        started = true;
        return () => {};
      }),
    );
    expect((err as Error).message).toBe('boom before start');
    expect(started).toBe(false);
  });

  it.each([
    ['/throw-bare', '[object Object]'],
    ['/throw-getters', '[object Error]'],
  ])(
    'throws an Error describing a value that cannot be printed (%s), and goes on serving',
    (path, message) => {
      const err = caught(() => call(app, environ(path)));
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toBe(message);
      expect(drain(call(app, environ('/hello')).body)).toEqual(['Hello, world!']);
    },
  );

  it('throws from next() what the app throws after http.response.start', () => {
    const r = call(app, environ('/throw-after'));
    expect(r.status).toBe('200 OK');
    const it = r.body[Symbol.iterator]();
    expect(dec(it.next().value as Uint8Array)).toBe('partial');
    expect((caught(() => it.next()) as Error).message).toBe('boom after start');
  });

  it('refuses an app that returns without http.response.start', () => {
    expect(
      isPorticoError(
        caught(() => call(app, environ('/no-start'))),
        'ERR_SPEC_VIOLATION',
      ),
    ).toBe(true);
  });

  it('passes on an error portico.input throws', () => {
    const failing: InputStream = {
      read() {
        throw new Error('disk gone');
      },
      readline: () => new Uint8Array(0),
      readlines: () => [],
      [Symbol.iterator]: () => [][Symbol.iterator](),
    };
    const err = caught(() => call(app, environ('/echo', { 'portico.input': failing }, enc('x'))));
    expect((err as Error).message).toBe('disk gone');
  });

  it('close() before the end: the app sees send() reject and receive() return http.disconnect', async () => {
    const report = join(tmp, 'disconnect.txt');
    const r = call(app, environ('/disconnect', { HTTP_X_REPORT: report }));
    const it = r.body[Symbol.iterator]();
    expect(dec(it.next().value as Uint8Array)).toBe('0\n');
    r.body.close?.();
    expect(it.next().done).toBe(true);
    for (let i = 0; i < 200 && !existsSync(report); i++) await new Promise((res) => setTimeout(res, 10));
    expect(readFileSync(report, 'utf8')).toBe(
      'send rejected: ERR_CLIENT_DISCONNECTED\nreceive: http.disconnect',
    );
  });

  it('times out with ERR_TIMEOUT, and goes on serving', () => {
    const quick = bridged(undefined, 300);
    const err = caught(() => call(quick, environ('/slow')));
    expect(isPorticoError(err, 'ERR_TIMEOUT')).toBe(true);
    expect((err as Error).message).toMatch(/within 300 ms .*http\.response\.start/);
    expect(drain(call(quick, environ('/hello')).body)).toEqual(['Hello, world!']);
  });

  it.each([
    ['/exit', /exited/],
    ['/uncaught', /thrown from a timer/],
  ])(
    'fails the call at once when the worker dies (%s), and starts a new one for the next',
    (path, message) => {
      const dying = bridged(undefined, 10_000);
      const started = Date.now();
      const err = caught(() => call(dying, environ(path)));
      expect((err as Error).message).toMatch(message);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(drain(call(dying, environ('/hello')).body)).toEqual(['Hello, world!']);
    },
  );

  it('runs an app without lifespan support', () => {
    expect(drain(call(bridged('noLifespan'), environ('/')).body)).toEqual(['state keys: 0']);
  });

  it('fails every call with ERR_LIFESPAN when startup failed', () => {
    const failing = bridged('failingStartup');
    for (let i = 0; i < 2; i++) {
      const err = caught(() => call(failing, environ('/')));
      expect(isPorticoError(err, 'ERR_LIFESPAN')).toBe(true);
      expect((err as Error).message).toContain('database unreachable');
    }
  });

  it.each([
    ['missing', /has no export 'missing'; its exports: .*failingStartup/],
    ['syncApp', /is a sync app/],
    ['notAnApp', /is not an app: it is object/],
  ])('refuses export %s with ERR_APP_LOAD', (name, message) => {
    const err = caught(() => call(bridged(name), environ('/')));
    expect(isPorticoError(err, 'ERR_APP_LOAD')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });

  it('refuses a module that does not exist at once', () => {
    const err = caught(() => asyncToSync({ module: './no/such/app.mjs' }, { cwd: tmp }));
    expect(isPorticoError(err, 'ERR_APP_LOAD')).toBe(true);
    expect((err as Error).message).toBe(`module not found: ${join(tmp, 'no/such/app.mjs')}`);
  });

  it('refuses bad options', () => {
    expect(
      isPorticoError(
        caught(() => asyncToSync({ module: fixture }, { timeout: 0 })),
        'ERR_INVALID_OPTION',
      ),
    ).toBe(true);
    expect(
      isPorticoError(
        caught(() => asyncToSync({ module: fixture }, { chunkSize: 0.5 })),
        'ERR_INVALID_OPTION',
      ),
    ).toBe(true);
  });

  it('close() runs lifespan shutdown, and later calls throw', () => {
    const marker = join(tmp, 'shutdown.txt');
    process.env.PORTICO_TEST_SHUTDOWN_FILE = marker;
    try {
      const closing = asyncToSync({ module: fixture });
      expect(drain(call(closing, environ('/hello')).body)).toEqual(['Hello, world!']);
      closing.close();
      expect(readFileSync(marker, 'utf8')).toBe('shutdown');
      closing.close(); // idempotent
      expect(
        isPorticoError(
          caught(() => call(closing, environ('/hello'))),
          'ERR_APP_LOAD',
        ),
      ).toBe(true);
    } finally {
      delete process.env.PORTICO_TEST_SHUTDOWN_FILE;
    }
  });
});

describe('asyncToSync worker lifetime', () => {
  const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

  it('never keeps the process alive (run from dist/: `pnpm build` first)', () => {
    expect(existsSync(dist)).toBe(true);
    const script = `
      import { asyncToSync, MemoryInput } from ${JSON.stringify(dist)};
      const app = asyncToSync({ module: ${JSON.stringify(fixture.href)} });
      const body = app({ REQUEST_METHOD: 'GET', PATH_INFO: '/stream', 'portico.input': new MemoryInput(new Uint8Array(0)) }, () => () => {});
      const it = body[Symbol.iterator]();
      process.stdout.write(new TextDecoder().decode(it.next().value));
      // Neither closed nor exhausted: the process must still exit.
    `;
    const started = Date.now();
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('chunk 1\n');
    expect(child.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
