import { type AsyncApp, type Environ, type SyncApp, syncApp, validateAsync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import {
  hosts,
  matchParams,
  type RouteState,
  RouteTree,
  routeParams,
  router,
} from '../../src/router/index.js';
import { sendJson, sendWhole } from '../helpers/respond.js';

const enc = new TextEncoder();

/** An async handler answering with a JSON of what it saw. */
function echo(tag: string): AsyncApp {
  return async function echoApp(scope, _receive, send) {
    if (scope.type !== 'http') return;
    await sendJson(send, {
      tag,
      method: scope.method,
      path: scope.path,
      rootPath: scope.rootPath,
      params: { ...routeParams(scope) },
    });
  };
}

/** A sync handler doing the same through environ['portico.state']. */
function echoSync(tag: string): SyncApp {
  return syncApp(function echoSyncApp(environ: Environ, startResponse) {
    const state = environ['portico.state'] as { router?: RouteState };
    const body = enc.encode(
      JSON.stringify({
        tag,
        path: environ.PATH_INFO,
        rootPath: environ.SCRIPT_NAME,
        params: { ...state.router?.params },
      }),
    );
    startResponse('200 OK', [
      ['Content-Type', 'application/json'],
      ['Content-Length', String(body.length)],
    ]);
    return [body];
  });
}

function build() {
  return router()
    .get('/', echo('root'))
    .get('/users', echo('users'), { name: 'users' })
    .get('/users/:id', echo('user'), { name: 'user' })
    .put('/users/:id', echo('put-user'))
    .get('/users/me', echo('me'))
    .get('/users/:id/posts/:post', echo('post'))
    .get('/files/*rest', echo('files'), { name: 'file' })
    .get('/sync/:x', echoSync('sync'));
}

describe('RouteTree', () => {
  it('prefers static over param over wildcard and backtracks', () => {
    const t = new RouteTree<string>();
    t.upsert('/a/:x/c', () => 'param');
    t.upsert('/a/b/d', () => 'static');
    t.upsert('/a/*rest', () => 'wild');
    expect(t.lookup('/a/b/c')?.leaf.value).toBe('param');
    expect(t.lookup('/a/b/c')?.values).toEqual(['b']);
    expect(t.lookup('/a/b/d')?.leaf.value).toBe('static');
    expect(t.lookup('/a/b/e')?.leaf.value).toBe('wild');
    expect(t.lookup('/a/b/e')?.values).toEqual(['b/e']);
    expect(t.lookup('/b')).toBeNull();
  });
  it('builds params that inherit nothing, __proto__ a plain key', () => {
    const t = new RouteTree<string>();
    t.upsert('/p/:__proto__/:constructor', () => 'p');
    const m = t.lookup('/p/x/y');
    expect(m).not.toBeNull();
    const params = matchParams(m as NonNullable<typeof m>);
    expect(Object.keys(params)).toEqual(['__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(params, '__proto__')?.value).toBe('x');
    expect(params.constructor).toBe('y');
    expect('toString' in params).toBe(false);
  });
  it('rejects bad patterns', () => {
    const t = new RouteTree<string>();
    expect(() => t.upsert('a', () => '')).toThrow(/starts with/);
    expect(() => t.upsert('/*x/y', () => '')).toThrow(/last segment/);
    expect(() => t.upsert('/:x/:x', () => '')).toThrow(/repeated/);
  });
});

describe.each([
  ['validated router', (r: AsyncApp) => r],
  ['router behind an outer validator', (r: AsyncApp) => validateAsync(r)],
])('router (%s)', (_label, wrap) => {
  const client = createClient(wrap(build()));

  it('routes static, params, wildcards and decoded paths', async () => {
    expect((await client.get('/')).json()).toMatchObject({ tag: 'root' });
    expect((await client.get('/users')).json()).toMatchObject({ tag: 'users', params: {} });
    expect((await client.get('/users/me')).json()).toMatchObject({ tag: 'me' });
    expect((await client.get('/users/42')).json()).toMatchObject({ tag: 'user', params: { id: '42' } });
    expect((await client.get('/users/j%C3%B6rg')).json()).toMatchObject({ params: { id: 'jörg' } });
    expect((await client.get('/users/1/posts/2')).json()).toMatchObject({
      tag: 'post',
      params: { id: '1', post: '2' },
    });
    expect((await client.get('/files/a/b.txt')).json()).toMatchObject({
      tag: 'files',
      params: { rest: 'a/b.txt' },
    });
    expect((await client.get('/files/a%2Fb')).json()).toMatchObject({ params: { rest: 'a/b' } });
  });

  it('serves a sync handler through the bridge with params in portico.state', async () => {
    const res = await client.get('/sync/hello');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ tag: 'sync', path: '/sync/hello', rootPath: '', params: { x: 'hello' } });
  });

  it('answers 404, 405 with Allow, HEAD from GET and OPTIONS', async () => {
    const missing = await client.get('/nope');
    expect(missing.status).toBe(404);
    expect(missing.text()).toBe('Not Found');
    const wrong = await client.post('/users/1');
    expect(wrong.status).toBe(405);
    expect(wrong.header('allow')).toBe('GET, PUT, HEAD, OPTIONS');
    const head = await client.request('HEAD', '/users/7');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.header('content-length'))).toBeGreaterThan(0);
    const options = await client.request('OPTIONS', '/users/7');
    expect(options.status).toBe(204);
    expect(options.header('allow')).toBe('GET, PUT, HEAD, OPTIONS');
    // 204 has no content: no Content-Length, no Content-Type (RFC 9110 sections 8.6, 15.3.5).
    expect(options.header('content-length')).toBeNull();
    expect(options.header('content-type')).toBeNull();
    expect((await client.put('/users/3')).json()).toMatchObject({ tag: 'put-user', method: 'PUT' });
  });

  it('builds URLs with urlFor, aware of rootPath', async () => {
    const r = build();
    expect(r.urlFor('user', { id: 'a b/c' })).toBe('/users/a%20b%2Fc');
    expect(r.urlFor('file', { rest: 'x y/z' }, { rootPath: '/site' })).toBe('/site/files/x%20y/z');
    expect(() => r.urlFor('user')).toThrow(/needs param id/);
    expect(() => r.urlFor('nope')).toThrow(/no route named/);
  });
});

describe('router under a rootPath', () => {
  it('routes on path and keeps rootPath', async () => {
    const client = createClient(build(), { rootPath: '/site' });
    expect((await client.get('/site/users/5')).json()).toMatchObject({
      rootPath: '/site',
      path: '/users/5',
      params: { id: '5' },
    });
  });
});

describe('mount', () => {
  const api = router().get('/users/:id', echo('api-user'), { name: 'apiUser' }).get('/', echo('api-root'));
  const outer = router()
    .get('/v/:version/x', echo('outer'))
    .mount('/api/:version', api)
    .mount('/legacy', echoSync('legacy'));
  const client = createClient(outer);

  it('moves the prefix into rootPath for a router and merges outer params', async () => {
    const res = (await client.get('/api/v2/users/9')).json();
    expect(res).toEqual({
      tag: 'api-user',
      method: 'GET',
      path: '/users/9',
      rootPath: '/api/v2',
      params: { version: 'v2', id: '9' },
    });
    expect((await client.get('/api/v2/')).json()).toMatchObject({
      tag: 'api-root',
      rootPath: '/api/v2',
      path: '/',
    });
  });

  it('mounts a sync app: PATH_INFO / SCRIPT_NAME', async () => {
    const res = (await client.get('/legacy/a/b')).json();
    expect(res).toMatchObject({ tag: 'legacy', path: '/a/b', rootPath: '/legacy' });
    expect((await client.post('/legacy')).json()).toMatchObject({ path: '', rootPath: '/legacy' });
    expect((await client.get('/legacyx')).status).toBe(404);
  });
});

describe('mount under validators on both sides (MW-PATH-1, MW-SCOPE-1)', () => {
  it('passes the inner validator and links back with urlFor', async () => {
    const inner = router();
    inner.get(
      '/items/:id',
      async function linkApp(scope, _receive, send) {
        if (scope.type !== 'http') return;
        await sendWhole(send, 200, inner.urlFor('item', { id: 'n 1' }, scope));
      },
      { name: 'item' },
    );
    const client = createClient(router().mount('/shop/', validateAsync(inner)), { rootPath: '/site' });
    const res = await client.get('/site/shop/items/3');
    expect(res.status).toBe(200);
    expect(res.text()).toBe('/site/shop/items/n%201');
    expect((await client.get('/site/shop/other')).status).toBe(404);
  });
});

describe('trailing slash policy', () => {
  it('strict keeps /a and /a/ apart', async () => {
    const client = createClient(router().get('/a', echo('a')).get('/b/', echo('b')));
    expect((await client.get('/a')).status).toBe(200);
    expect((await client.get('/a/')).status).toBe(404);
    expect((await client.get('/b/')).status).toBe(200);
    expect((await client.get('/b')).status).toBe(404);
  });
  it('redirect answers 308 to the other form, query and encoding kept', async () => {
    const client = createClient(
      router({ trailingSlash: 'redirect' }).get('/a%20b', echo('a')).get('/c/', echo('c')),
    );
    const r1 = await client.get('/a%2520b/?q=1');
    expect(r1.status).toBe(308);
    expect(r1.header('location')).toBe('/a%2520b?q=1');
    const r2 = await client.get('/c');
    expect(r2.status).toBe(308);
    expect(r2.header('location')).toBe('/c/');
  });
  it('ignore treats both as one route', async () => {
    const client = createClient(router({ trailingSlash: 'ignore' }).get('/a/', echo('a')));
    expect((await client.get('/a')).json()).toMatchObject({ tag: 'a' });
    expect((await client.get('/a/')).json()).toMatchObject({ tag: 'a' });
  });
  it('rejects a bad option and duplicate routes at build time', () => {
    expect(() => router({ trailingSlash: 'x' as 'strict' })).toThrow(/trailingSlash/);
    expect(() => router().get('/a', echo('a')).get('/a', echo('b'))).toThrow(/already routed/);
    expect(() => router().get('/a', 5 as never)).toThrow(/is not an app/);
  });
});

describe('hosts', () => {
  const app = hosts(
    {
      'api.example.com': router().get('/v/:n', echo('api')),
      '*.example.com': echoSync('wild'),
    },
    echo('fallback'),
  );
  const client = createClient(app);
  it('routes exact names, then wildcards, then the fallback', async () => {
    expect((await client.get('/v/3', { headers: { host: 'API.example.com:8080' } })).json()).toMatchObject({
      tag: 'api',
      params: { n: '3' },
    });
    expect((await client.get('/x', { headers: { host: 'a.b.example.com' } })).json()).toMatchObject({
      tag: 'wild',
      path: '/x',
    });
    expect((await client.get('/x', { headers: { host: 'example.com' } })).json()).toMatchObject({
      tag: 'fallback',
    });
  });
  it('answers 404 without a fallback and rejects bad patterns', async () => {
    const bare = createClient(hosts({ 'a.test': echo('a') }));
    expect((await bare.get('/', { headers: { host: 'b.test' } })).status).toBe(404);
    expect((await bare.get('/', { headers: { host: 'a.test' } })).status).toBe(200);
    expect(() => hosts({ 'a b': echo('a') })).toThrow(/bad host pattern/);
  });
});

describe('router lifespan and websocket', () => {
  it('completes lifespan startup and shutdown', async () => {
    const client = createClient(router().get('/', echo('x')));
    await client.startup();
    await client.shutdown();
    expect(client.interface).toBe('async');
  });
});

describe('router websocket routes', () => {
  const app = router().route('WEBSOCKET', '/ws/:room', async function roomApp(scope, receive, send) {
    if (scope.type !== 'websocket') return;
    await receive();
    await send({ type: 'websocket.accept' });
    await send({ type: 'websocket.send', text: `room ${routeParams(scope).room}` });
    await send({ type: 'websocket.close', code: 1000 });
  });
  const client = createClient(app);
  it('routes a websocket with params and refuses an unknown path', async () => {
    const ws = await client.websocket('/ws/blue');
    expect(await ws.receiveText()).toBe('room blue');
    await expect(client.websocket('/nope')).rejects.toThrow();
  });
});
