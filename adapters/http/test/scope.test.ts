import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AsyncApp } from '@portico/spec';
import { validateAsync } from '@portico/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../../../packages/server/test/rule.js';
import { echoScope, exchange, RawClient, type Running, start } from './helpers.js';

type Scope = Record<string, unknown>;

async function scopeFor(port: number, request: string): Promise<Scope> {
  const res = await exchange(port, request);
  expect(res.status).toBe(200);
  return JSON.parse(Buffer.from(res.body, 'latin1').toString('utf8')) as Scope;
}

const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: example.test\r\n${extra}\r\n`;

describe('wire to scope (spec/servers.md "From the wire to the scope")', () => {
  let root: Running;
  let mounted: Running;
  beforeAll(async () => {
    root = await start(validateAsync(echoScope));
    mounted = await start(validateAsync(echoScope), { rootPath: '/app/' });
  });
  afterAll(async () => {
    await root.server.close();
    await mounted.server.close();
  });

  it('maps the basic keys', async () => {
    const scope = await scopeFor(root.port, get('/hello?x=1'));
    expect(scope).toMatchObject({
      type: 'http',
      spec: { version: '1.0', specVersion: '1.0' },
      httpVersion: '1.1',
      method: 'GET',
      scheme: 'http',
      path: '/hello',
      rawPath: '/hello',
      queryString: 'x=1',
      rootPath: '',
      server: ['127.0.0.1', root.port],
      state: {},
      extensions: ['http.response.trailers', 'http.response.early_hints', 'http.response.pathsend'],
    });
    expect(scope.client).toEqual(['127.0.0.1', expect.any(Number)]);
  });

  rule('SRV-SCOPE-1', 'rawPath and queryString are the bytes as sent, undecoded', async () => {
    const scope = await scopeFor(root.port, get('/a%2Fb/%7e?q=caf%C3%A9&x=%20?y'));
    expect(scope).toMatchObject({
      rawPath: '/a%2Fb/%7e',
      queryString: 'q=caf%C3%A9&x=%20?y',
      path: '/a/b/~',
    });
    expect(await scopeFor(root.port, get('/p?'))).toMatchObject({ rawPath: '/p', queryString: '' });
  });

  rule(
    'SRV-PATH-1',
    'path is percent-decoded, then UTF-8-decoded with U+FFFD for invalid bytes',
    async () => {
      expect(await scopeFor(root.port, get('/caf%C3%A9/%E2%9C%93'))).toMatchObject({ path: '/café/✓' });
      expect(await scopeFor(root.port, get('/bad%FF'))).toMatchObject({
        path: '/bad\ufffd',
        rawPath: '/bad%FF',
      });
      expect(await scopeFor(root.port, get('/100%'))).toMatchObject({ path: '/100%' });
    },
  );

  rule('SRV-PATH-3', 'the path is not normalised: dot segments and double slashes stay', async () => {
    expect(await scopeFor(root.port, get('/a/../b//c/./d'))).toMatchObject({
      rawPath: '/a/../b//c/./d',
      path: '/a/../b//c/./d',
    });
  });

  rule('SRV-PATH-2', 'the configured rootPath moves out of path at a segment boundary only', async () => {
    const cases: [string, string, string][] = [
      ['/app/users/42', '/app', '/users/42'],
      ['/app', '/app', ''],
      ['/app/', '/app', '/'],
      ['/users/42', '/app', '/users/42'],
      ['/application', '/app', '/application'],
      ['/app%2Fusers', '/app', '/users'],
      ['/%61pp/x', '/app', '/x'],
    ];
    for (const [target, rootPath, path] of cases) {
      expect(await scopeFor(mounted.port, get(target)), target).toMatchObject({
        rawPath: target,
        rootPath,
        path,
      });
    }
  });

  rule('SRV-SCOPE-2', 'headers are lowercased from the raw headers, order and duplicates kept', async () => {
    const scope = await scopeFor(
      root.port,
      'GET / HTTP/1.1\r\nHost: h\r\nX-Dup: a\r\nCookie: c=1\r\nx-dup: b\r\nCOOKIE: d=2\r\nX-Latin: caf\xe9\r\n\r\n',
    );
    expect(scope.headers).toEqual([
      ['host', 'h'],
      ['x-dup', 'a'],
      ['cookie', 'c=1'],
      ['x-dup', 'b'],
      ['cookie', 'd=2'],
      ['x-latin', 'caf\xe9'],
    ]);
  });

  rule('SRV-SCOPE-3', 'an absolute-form target gives its path component', async () => {
    expect(await scopeFor(root.port, get('http://example.test/p%20q?r=1'))).toMatchObject({
      rawPath: '/p%20q',
      queryString: 'r=1',
      path: '/p q',
    });
    expect(await scopeFor(root.port, get('http://example.test?r=1'))).toMatchObject({
      rawPath: '/',
      queryString: 'r=1',
    });
  });

  it('OPTIONS * gives rawPath and path "*"', async () => {
    const scope = await scopeFor(root.port, 'OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n');
    expect(scope).toMatchObject({ method: 'OPTIONS', rawPath: '*', path: '*' });
  });

  it('HTTP/1.0 requests get httpVersion 1.0 and no trailers or early hints', async () => {
    const res = await exchange(root.port, 'GET /old HTTP/1.0\r\n\r\n');
    const scope = JSON.parse(res.body) as Scope;
    expect(scope).toMatchObject({ httpVersion: '1.0', extensions: ['http.response.pathsend'] });
  });
});

describe('state', () => {
  rule('SRV-SCOPE-4', 'each request gets its own shallow copy of the lifespan state', async () => {
    const pool = { name: 'pool' };
    const seen: Record<string, unknown>[] = [];
    const app: AsyncApp = async (scope, receive, send) => {
      if (scope.type === 'lifespan') {
        await receive();
        scope.state.pool = pool;
        await send({ type: 'lifespan.startup.complete' });
        await receive();
        await send({ type: 'lifespan.shutdown.complete' });
        return;
      }
      if (scope.type !== 'http') throw new Error('unsupported');
      seen.push(scope.state);
      scope.state.leak = 'request-only';
      await send({ type: 'http.response.start', status: 204 });
      await send({ type: 'http.response.body' });
    };
    const { server, port } = await start(validateAsync(app), { lifespan: 'on' });
    try {
      await exchange(port, get('/1'));
      await exchange(port, get('/2'));
      expect(seen).toHaveLength(2);
      expect(seen[0]).not.toBe(seen[1]);
      expect(seen[0]!.pool).toBe(pool);
      expect(seen[1]).toEqual({ pool, leak: 'request-only' });
      expect(seen[1]!.pool).toBe(pool);
    } finally {
      await server.close();
    }
  });
});

describe('unix sockets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portico-unix-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  rule('SRV-SCOPE-5', 'server is [path, null] and client null', async () => {
    const path = join(dir, 's.sock');
    const { server } = await start(validateAsync(echoScope), { bind: [`unix:${path}`] });
    try {
      expect(server.addresses).toEqual([`unix:${path}`]);
      const client = new RawClient(0, path);
      await client.send(get('/u'));
      const res = await client.response();
      client.close();
      expect(JSON.parse(res.body)).toMatchObject({ server: [path, null], client: null, path: '/u' });
    } finally {
      await server.close();
    }
  });
});
