import type { AsyncApp, HTTPScope } from '@portico/spec';
import { describe, expect, it } from 'vitest';
import { createClient } from '../src/index.js';
import { echoApp, enc, helloAsync, httpScope, readBody, scopeApp } from './apps.js';

async function scopeOf(path: string, init = {}, options = {}): Promise<HTTPScope> {
  const res = await createClient(scopeApp, options).request('GET', path, init);
  return res.json<HTTPScope>();
}

describe('response', () => {
  it('keeps status, header order and duplicate headers as the app sent them', async () => {
    const app: AsyncApp = async (scope, _receive, send) => {
      httpScope(scope);
      await send({
        type: 'http.response.start',
        status: 201,
        headers: [
          ['Set-Cookie', 'a=1'],
          ['x-one', '1'],
          ['set-cookie', 'b=2'],
        ],
      });
      await send({ type: 'http.response.body', body: enc('made') });
    };
    const res = await createClient(app).post('/things');
    expect(res.status).toBe(201);
    expect(res.headers).toEqual([
      ['Set-Cookie', 'a=1'],
      ['x-one', '1'],
      ['set-cookie', 'b=2'],
    ]);
    expect(res.header('set-cookie')).toBe('a=1');
    expect(res.header('X-ONE')).toBe('1');
    expect(res.header('missing')).toBeNull();
    expect(res.headerAll('SET-COOKIE')).toEqual(['a=1', 'b=2']);
    expect(res.trailers).toBeNull();
  });

  it('joins body events into exact bytes, and decodes text and json', async () => {
    const bytes = new Uint8Array([0, 255, 10, 13, 128]);
    const app: AsyncApp = async (scope, _receive, send) => {
      httpScope(scope);
      await send({ type: 'http.response.start', status: 200, headers: [] });
      await send({ type: 'http.response.body', body: bytes.subarray(0, 2), moreBody: true });
      await send({ type: 'http.response.body', body: bytes.subarray(2), moreBody: true });
      await send({ type: 'http.response.body' });
    };
    const res = await createClient(app).get('/');
    expect(res.body).toEqual(bytes);

    const json = await createClient(echoApp).post('/', { json: { a: [1, 'é'] } });
    expect(json.json()).toEqual({ a: [1, 'é'] });
    expect(json.text()).toBe('{"a":[1,"é"]}');
  });

  it('decodes text with the charset of content-type', async () => {
    const app: AsyncApp = async (scope, _receive, send) => {
      httpScope(scope);
      await send({
        type: 'http.response.start',
        status: 200,
        headers: [['content-type', 'text/plain; charset=latin1']],
      });
      await send({ type: 'http.response.body', body: new Uint8Array([0x63, 0x61, 0x66, 0xe9]) });
    };
    expect((await createClient(app).get('/')).text()).toBe('café');
  });

  it('copies each body chunk, so an app reusing its buffer does not change what was sent', async () => {
    const app: AsyncApp = async (scope, _receive, send) => {
      httpScope(scope);
      const buf = enc('aaa');
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: buf, moreBody: true });
      buf.fill(0x62);
      await send({ type: 'http.response.body', body: buf });
    };
    expect((await createClient(app).get('/')).text()).toBe('aaabbb');
  });

  it('drops the body of a HEAD response, as a server does', async () => {
    const res = await createClient(helloAsync).head('/');
    expect(res.status).toBe(200);
    expect(res.header('content-length')).toBe('12');
    expect(res.body.byteLength).toBe(0);
  });
});

describe('scope', () => {
  it('is built as a server builds it: defaults, lowercase headers, Host first', async () => {
    const s = await scopeOf('/a/b', {
      headers: [
        ['X-Trace', 'x'],
        ['Accept', 'a'],
        ['accept', 'b'],
      ],
    });
    expect(s).toMatchObject({
      type: 'http',
      spec: { version: '1.0', specVersion: '1.0' },
      httpVersion: '1.1',
      method: 'GET',
      scheme: 'http',
      path: '/a/b',
      rawPath: '/a/b',
      queryString: '',
      rootPath: '',
      client: ['127.0.0.1', 50000],
      server: ['testserver', 80],
      state: {},
      extensions: {},
    });
    expect(s.headers).toEqual([
      ['host', 'testserver'],
      ['x-trace', 'x'],
      ['accept', 'a'],
      ['accept', 'b'],
    ]);
  });

  it('keeps rawPath undecoded and decodes path, %2F included', async () => {
    const s = await scopeOf('/caf%C3%A9/a%2Fb/%ZZ');
    expect(s.rawPath).toBe('/caf%C3%A9/a%2Fb/%ZZ');
    expect(s.path).toBe('/café/a/b/%ZZ');
  });

  it('percent-encodes what a client must encode on the request line', async () => {
    const s = await scopeOf('/a b/é?q=a b&r=é#frag');
    expect(s.rawPath).toBe('/a%20b/%C3%A9');
    expect(s.path).toBe('/a b/é');
    expect(s.queryString).toBe('q=a%20b&r=%C3%A9');
  });

  it('splits rootPath at a segment boundary only', async () => {
    const opts = { rootPath: '/app/' };
    expect(await scopeOf('/app/users/1', {}, opts)).toMatchObject({
      rootPath: '/app',
      path: '/users/1',
      rawPath: '/app/users/1',
    });
    expect(await scopeOf('/app', {}, opts)).toMatchObject({ rootPath: '/app', path: '', rawPath: '/app' });
    // Not at a boundary: the front end already removed the prefix.
    expect(await scopeOf('/apple', {}, opts)).toMatchObject({ rootPath: '/app', path: '/apple' });
    expect(await scopeOf('/users', {}, opts)).toMatchObject({ rootPath: '/app', path: '/users' });
    // The split happens on the decoded path.
    expect(await scopeOf('/ap%70/x', {}, opts)).toMatchObject({
      rootPath: '/app',
      path: '/x',
      rawPath: '/ap%70/x',
    });
  });

  it('keeps a raw query and appends the query option', async () => {
    expect((await scopeOf('/s?a=1&a=2')).queryString).toBe('a=1&a=2');
    expect(
      (await scopeOf('/s', { query: { q: 'a b', n: 3, tag: ['x', 'y'], skip: undefined } })).queryString,
    ).toBe('q=a+b&n=3&tag=x&tag=y');
    expect((await scopeOf('/s?raw=%2F', { query: new URLSearchParams([['k', '&']]) })).queryString).toBe(
      'raw=%2F&k=%26',
    );
    expect((await scopeOf('/s?', {})).queryString).toBe('');
  });

  it('builds Host from the server option and an absolute URL', async () => {
    expect((await scopeOf('/', {}, { server: ['example.com', 8080] })).headers[0]).toEqual([
      'host',
      'example.com:8080',
    ]);
    expect((await scopeOf('/', {}, { scheme: 'https', server: ['example.com', 443] })).headers[0]).toEqual([
      'host',
      'example.com',
    ]);
    const abs = await scopeOf('https://api.example.org:8443/v1?x=1');
    expect(abs).toMatchObject({ scheme: 'https', rawPath: '/v1', queryString: 'x=1' });
    expect(abs.headers[0]).toEqual(['host', 'api.example.org:8443']);
    expect((await scopeOf('/', { headers: { Host: 'given' } })).headers).toEqual([['host', 'given']]);
  });

  it('merges default headers with the request headers, the request winning by name', async () => {
    const s = await scopeOf(
      '/',
      { headers: { accept: 'text/html' } },
      { headers: { Accept: '*/*', 'X-Default': ['1', '2'] } },
    );
    expect(s.headers).toEqual([
      ['host', 'testserver'],
      ['x-default', '1'],
      ['x-default', '2'],
      ['accept', 'text/html'],
    ]);
  });

  it('adds content-length for a known body and transfer-encoding for a streamed one', async () => {
    const fixed = await createClient(scopeApp).post('/', { body: 'héllo' });
    expect(fixed.json<HTTPScope>().headers).toContainEqual(['content-length', '6']);
    const json = await createClient(scopeApp).post('/', { json: [1] });
    expect(json.json<HTTPScope>().headers.slice(1)).toEqual([
      ['content-type', 'application/json'],
      ['content-length', '3'],
    ]);
    async function* pieces() {
      yield enc('x');
    }
    const streamed = await createClient(scopeApp).post('/', { body: pieces() });
    expect(streamed.json<HTTPScope>().headers).toContainEqual(['transfer-encoding', 'chunked']);
    const none = await createClient(scopeApp).get('/');
    expect(none.json<HTTPScope>().headers).toEqual([['host', 'testserver']]);
  });

  it('uppercases the method, takes httpVersion, and offers the configured extensions', async () => {
    const res = await createClient(scopeApp, { extensions: { 'http.response.trailers': {} } }).request(
      'patch',
      '/',
      {
        httpVersion: '2',
      },
    );
    expect(res.json()).toMatchObject({
      method: 'PATCH',
      httpVersion: '2',
      extensions: { 'http.response.trailers': {} },
    });
  });

  it('gives every request its own scope', async () => {
    const seen: HTTPScope[] = [];
    const app: AsyncApp = async (scope, receive, send) => {
      seen.push(httpScope(scope));
      await readBody(receive);
      await send({ type: 'http.response.start', status: 204 });
      await send({ type: 'http.response.body' });
    };
    const client = createClient(app);
    await Promise.all([client.get('/1'), client.get('/2')]);
    expect(seen.map((s) => s.path).sort()).toEqual(['/1', '/2']);
    expect(seen[0]?.state).not.toBe(seen[1]?.state);
    expect(seen[0]?.headers).not.toBe(seen[1]?.headers);
  });
});

describe('bad input', () => {
  const client = createClient(helloAsync);

  it('refuses headers a server would refuse, with ERR_BAD_HEADER', async () => {
    await expect(client.get('/', { headers: { 'x-a': 'b\r\nx-injected: 1' } })).rejects.toMatchObject({
      code: 'ERR_BAD_HEADER',
    });
    await expect(client.get('/', { headers: { 'bad name': 'x' } })).rejects.toMatchObject({
      code: 'ERR_BAD_HEADER',
    });
    await expect(client.get('/', { headers: { 'x-a': 'snow ☃' } })).rejects.toMatchObject({
      code: 'ERR_BAD_HEADER',
    });
  });

  it('refuses a path that is not a request target, and bad bodies', async () => {
    await expect(client.get('relative')).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(client.get('ftp://x/')).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(client.request('GE T', '/')).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(client.post('/', { body: { a: 1 } as never })).rejects.toThrow(/json option/);
    await expect(client.post('/', { body: 'x', json: 1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
  });

  it('refuses bad options by name', () => {
    expect(() => createClient(helloAsync, { rootPath: 'app' })).toThrow(/rootPath/);
    expect(() => createClient(helloAsync, { scheme: 'ftp' as never })).toThrow(/scheme/);
    expect(() => createClient(helloAsync, { client: ['x', 70000] })).toThrow(/client/);
    expect(() => createClient({} as never)).toThrow(expect.objectContaining({ code: 'ERR_APP_LOAD' }));
  });
});
