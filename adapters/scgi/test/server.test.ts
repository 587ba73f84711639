import { describe, expect, it } from 'vitest';
import { seen, testApp } from '../../../packages/server/test/adapter-apps.js';
import {
  environEcho,
  expectRepeatedVariables,
  lifespanStateApp,
  REPEATED_VARIABLES,
} from '../../../packages/server/test/gateway-cases.js';
import { rule } from '../../../packages/server/test/rule.js';
import { serveForFile } from '../../../packages/server/test/served-for-file.js';
import { parseCGIResponse, scgiRequest } from '../src/client.js';
import {
  getFrom,
  headersOf,
  headOf,
  netstring,
  pairs,
  RawConnection,
  scopeOf,
  sha256,
  sleep,
  start,
} from './helpers.js';

const running = serveForFile(() => start(testApp), { checkViolations: true });
const address = () => ({ port: running.port });

const get = getFrom(running);

describe('the scope from the header block', () => {
  rule(
    'SRV-SCGI-2',
    'a head without REQUEST_METHOD (nginx with no scgi_param lines): 400, the app not called',
    async () => {
      const headers = headersOf('POST', '/no-method', {});
      delete (headers as Record<string, string>).REQUEST_METHOD;
      const res = await scgiRequest(address(), { headers, body: Buffer.from('body') });
      expect(res.status).toBe(400);
      expect(running.logger.records.some((r) => /REQUEST_METHOD is missing/.test(r.message))).toBe(true);
    },
  );

  rule('SRV-SCGI-4', 'GET with a query: a Status line, and the scope from the variables', async () => {
    const res = await get('/scope?x=1&y=%20', { HTTP_HOST: 'example.test', HTTP_ACCEPT: 'text/plain' });
    expect(res.raw.toString('latin1')).toMatch(/^Status: 200 OK\r\n/);
    expect(res.status).toBe(200);
    expect(scopeOf(res)).toMatchObject({
      method: 'GET',
      path: '/scope',
      rawPath: '/scope',
      rootPath: '',
      queryString: 'x=1&y=%20',
      scheme: 'http',
      httpVersion: '1.1',
      headers: [
        ['content-length', '0'],
        ['host', 'example.test'],
        ['accept', 'text/plain'],
      ],
      client: ['192.0.2.7', 50000],
      server: ['example.test', 80],
      bodyLength: 0,
    });
  });

  it('a non-ASCII percent-encoded path: path decoded, rawPath as received', async () => {
    const res = await get('/caf%C3%A9/x?y=%20');
    expect(scopeOf(res)).toMatchObject({ path: '/café/x', rawPath: '/caf%C3%A9/x', queryString: 'y=%20' });
  });

  it('rootPath from SCRIPT_NAME, scheme from HTTPS, every variable in the cgi extension', async () => {
    const res = await get('/app/users/7?x=1', {
      SCRIPT_NAME: '/app',
      PATH_INFO: '/users/7',
      HTTPS: 'on',
      HTTP_PROXY: 'http://evil.test',
    });
    const scope = scopeOf(res);
    expect(scope).toMatchObject({
      rootPath: '/app',
      path: '/users/7',
      rawPath: '/app/users/7',
      scheme: 'https',
    });
    expect(scope.variables).toMatchObject({
      CONTENT_LENGTH: '0',
      SCGI: '1',
      DOCUMENT_ROOT: '/srv/www',
      DOCUMENT_URI: '/app/users/7',
      REQUEST_SCHEME: 'http',
      SCRIPT_NAME: '/app',
      HTTPS: 'on',
    });
  });

  it('the rootPath option replaces SCRIPT_NAME (nginx sends none with its stock scgi_params)', async () => {
    const mounted = await start(testApp, { rootPath: '/app' });
    const res = await scgiRequest({ port: mounted.port }, { headers: headersOf('GET', '/app/users?q') });
    expect(scopeOf(res)).toMatchObject({
      rootPath: '/app',
      path: '/users',
      rawPath: '/app/users',
      queryString: 'q',
    });
    await mounted.server.close();
    expect(mounted.violations).toEqual([]);
  });

  rule(
    'SRV-SCGI-5',
    'a name sent twice keeps its last value; a repeated HTTP_* name is a repeated header field',
    async () => {
      const res = await scgiRequest(address(), {
        headers: [...Object.entries(headersOf('GET', '/first?q=1')), ...REPEATED_VARIABLES],
      });
      expectRepeatedVariables(scopeOf(res));
    },
  );

  rule(
    'SRV-SCGI-2',
    'a head without SCGI (nginx without scgi_params) is served, and logged at debug',
    async () => {
      const conn = await RawConnection.open(running.port);
      const content = pairs(['CONTENT_LENGTH', '0'], ...Object.entries(headersOf('GET', '/no-scgi')));
      conn.send(netstring(content));
      const res = await conn.response();
      expect(res.status).toBe(200);
      expect(scopeOf(res)).toMatchObject({ path: '/no-scgi' });
      expect(
        running.logger.records.some((r) => r.level === 'debug' && /without an SCGI header/.test(r.message)),
      ).toBe(true);
    },
  );

  rule('SRV-SCOPE-4', 'the lifespan state is copied into each scope', async () => {
    const withState = await start(lifespanStateApp, { lifespan: 'on' });
    const res = await scgiRequest({ port: withState.port }, { headers: headersOf('GET', '/x') });
    expect(scopeOf(res).state).toEqual({ pool: 'the pool' });
    await withState.server.close();
    expect(withState.violations).toEqual([]);
  });

  rule(
    'SRV-ENV-1',
    'a sync app sees every variable the web server sent in its environ, never HTTP_PROXY',
    async () => {
      const syncApp = environEcho([
        'DOCUMENT_ROOT',
        'DOCUMENT_URI',
        'HTTP_PROXY',
        'HTTP_HOST',
        'PATH_INFO',
        'SCRIPT_NAME',
        'SCGI',
      ]);
      const sync = await start(syncApp);
      const res = await scgiRequest(
        { port: sync.port },
        {
          headers: headersOf('GET', '/app/x', {
            SCRIPT_NAME: '/app',
            PATH_INFO: '/x',
            HTTP_HOST: 'example.test',
            HTTP_PROXY: 'http://evil.test',
          }),
        },
      );
      await sync.server.close();
      expect(JSON.parse(res.body.toString())).toEqual({
        DOCUMENT_ROOT: '/srv/www',
        DOCUMENT_URI: '/app/x',
        HTTP_PROXY: null,
        HTTP_HOST: 'example.test',
        PATH_INFO: '/x',
        SCRIPT_NAME: '/app',
        SCGI: '1',
      });
      expect(sync.violations).toEqual([]);
    },
  );
});

describe('request bodies', () => {
  rule('SRV-SCGI-3', 'the app sees exactly CONTENT_LENGTH bytes; bytes after them are ignored', async () => {
    // The extra bytes in the head's own write, and in writes of their own.
    const together = await RawConnection.open(running.port);
    together.send(Buffer.concat([headOf('POST', '/echo', 5), Buffer.from('hello, and more')]));
    const a = await together.response();
    const b = await scgiRequest(address(), {
      headers: headersOf('POST', '/echo'),
      body: [Buffer.from('hel'), Buffer.from('lo, and'), Buffer.from(' more')],
      contentLength: 5,
    });
    for (const res of [a, b]) expect(scopeOf(res)).toMatchObject({ bodyLength: 5, body: 'hello' });
  });

  it('a body in many pieces, 64 KiB and 0 B, arrives whole', async () => {
    const big = Buffer.alloc(65536);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const pieces = [big.subarray(0, 1), big.subarray(1, 30000), big.subarray(30000)];
    const res = await scgiRequest(address(), { headers: headersOf('POST', '/echo'), body: pieces });
    expect(scopeOf(res)).toMatchObject({ bodyLength: 65536, sha256: sha256(big) });
    const empty = await scgiRequest(address(), { headers: headersOf('POST', '/echo'), body: [] });
    expect(scopeOf(empty)).toMatchObject({ bodyLength: 0, body: '' });
  });

  rule(
    ['SRV-SCGI-3', 'SRV-ERR-4'],
    'a body shorter than CONTENT_LENGTH and the peer closing: the app sees http.disconnect, logged',
    async () => {
      const before = seen.filter((s) => s.path === '/wait-disconnect').length;
      const conn = await RawConnection.open(running.port);
      conn.send(Buffer.concat([headOf('POST', '/wait-disconnect', 100), Buffer.from('only ten b')]));
      await sleep(30);
      conn.socket.end();
      await conn.closed;
      await expect.poll(() => seen.filter((s) => s.path === '/wait-disconnect').length).toBe(before + 1);
      expect(
        running.logger.records.some(
          (r) => /body ended short of CONTENT_LENGTH/.test(r.message) && r.fields?.missing === 90,
        ),
      ).toBe(true);
      expect((await get('/next')).status).toBe(200);
    },
  );

  rule(
    ['SRV-SCGI-3', 'SRV-FLOW-2'],
    'a 48 MiB body the app does not read stops the socket being read; then it arrives whole',
    async () => {
      const conn = await RawConnection.open(running.port);
      const size = 48 << 20;
      const body = Buffer.alloc(size);
      for (let i = 0; i < size; i += 4096) body[i] = (i / 4096) & 0xff;
      conn.send(headOf('POST', '/slow-reader?ms=700', size));
      conn.send(body);
      await sleep(350);
      // The app sleeps 700 ms before reading: meanwhile the server reads no more than a socket's worth.
      expect(conn.socket.writableLength).toBeGreaterThan(16 << 20);
      const res = await conn.response(20_000);
      expect(scopeOf(res)).toEqual({ length: size, sha256: sha256(body) });
    },
    30_000,
  );

  it('a web server that shuts down its sending side after the request still gets the response', async () => {
    const res = await scgiRequest(address(), {
      headers: headersOf('POST', '/half'),
      body: [Buffer.from('half-'), Buffer.from('closed')],
      halfClose: true,
    });
    expect(res.status).toBe(200);
    expect(scopeOf(res)).toMatchObject({ path: '/half', body: 'half-closed' });
    const stream = await scgiRequest(address(), { headers: headersOf('GET', '/stream'), halfClose: true });
    expect(stream.body.toString()).toBe('part 0\npart 1\npart 2\nend\n');
  });

  rule('SRV-REQ-4', 'a CONTENT_LENGTH over maxBodySize: 413 without calling the app', async () => {
    const small = await start(testApp, { maxBodySize: 10 });
    const res = await scgiRequest(
      { port: small.port },
      { headers: headersOf('POST', '/echo'), body: Buffer.from('x'.repeat(11)) },
    );
    expect(res.status).toBe(413);
    expect(small.logger.records.some((r) => r.fields?.rule === 'SRV-REQ-4')).toBe(true);
    // A big body is not waited for: the 413 comes while the web server is still sending.
    const big = await scgiRequest(
      { port: small.port },
      { headers: headersOf('POST', '/echo'), body: Array.from({ length: 64 }, () => Buffer.alloc(1 << 20)) },
    );
    expect(big.status).toBe(413);
    const fits = await scgiRequest(
      { port: small.port },
      { headers: headersOf('POST', '/echo'), body: Buffer.from('x'.repeat(10)) },
    );
    expect(scopeOf(fits)).toMatchObject({ bodyLength: 10 });
    await small.server.close();
    expect(small.violations).toEqual([]);
  });
});

describe('responses', () => {
  rule(
    'SRV-SCGI-4',
    'a Status line always, a redirect keeps its status; the connection closed after',
    async () => {
      const redirect = await get('/redirect');
      expect(redirect.raw.toString('latin1')).toMatch(/^Status: 302 Found\r\n/);
      expect(redirect.headers).toContainEqual(['location', 'http://example.test/there']);
      const conn = await RawConnection.open(running.port);
      conn.send(headOf('GET', '/closes', 0));
      const res = await conn.response();
      expect(res.status).toBe(200);
      expect(conn.ended).toBe(true);
      expect(res.headers).toContainEqual(['content-length', String(res.body.length)]);
    },
  );

  rule('SRV-RESP-2', 'Transfer-Encoding from the app is dropped, the body passes as sent', async () => {
    const res = await get('/te');
    expect(res.headers.map(([n]) => n.toLowerCase())).not.toContain('transfer-encoding');
    expect(res.headers).toContainEqual(['content-type', 'text/plain']);
    expect(res.body.toString()).toBe('onetwo');
  });

  rule('SRV-SEC-1', 'a header value with CR/LF gives a 500 before any output, nothing injected', async () => {
    const res = await get('/crlf');
    expect(res.status).toBe(500);
    expect(res.raw.toString('latin1')).toMatch(/^Status: 500 /);
    expect(res.raw.toString('latin1')).not.toContain('evil');
    expect(res.raw.toString('latin1')).not.toContain('should not be sent');
    expect(running.logger.records.some((r) => r.message === 'response refused')).toBe(true);
    expect(running.violations.splice(0)).toEqual([expect.stringMatching(/\(ASYNC-HDR-4\); side: app/)]);
  });

  rule(
    'SRV-ERR-1',
    'the app raises before http.response.start: 500, logged, the server goes on',
    async () => {
      const res = await get('/fail-before');
      expect(res.status).toBe(500);
      expect(running.logger.records.some((r) => r.fields?.rule === 'SRV-ERR-1')).toBe(true);
      expect((await get('/next')).status).toBe(200);
    },
  );

  rule(
    ['SRV-SCGI-4', 'SRV-ERR-2'],
    'the app raises after http.response.start: the connection is closed with the response cut short',
    async () => {
      const conn = await RawConnection.open(running.port);
      conn.send(headOf('GET', '/fail-mid', 0));
      await conn.closed;
      const res = parseCGIResponse(conn.received);
      expect(res.status).toBe(200);
      expect(res.headers.map(([n]) => n.toLowerCase())).not.toContain('content-length');
      expect(res.body.toString()).toBe('partial');
      // Cut short, not ended: a reset after the bytes written so far.
      expect(conn.error?.message).toBe('read ECONNRESET');
      expect(running.logger.records.some((r) => r.fields?.rule === 'SRV-ERR-2')).toBe(true);
      expect((await get('/next')).status).toBe(200);
    },
  );

  it('a streaming response: the chunks arrive as the app sends them', async () => {
    const conn = await RawConnection.open(running.port);
    conn.send(headOf('GET', '/stream', 0));
    const res = await conn.response();
    expect(res.body.toString()).toBe('part 0\npart 1\npart 2\nend\n');
    const first = conn.chunks.find((c) => c.bytes.includes('part 0'))!;
    const last = conn.chunks.find((c) => c.bytes.includes('end\n'))!;
    // The app sleeps 40 ms after each of three parts: the first came well before the last.
    expect(last.at - first.at).toBeGreaterThanOrEqual(80);
    expect(conn.chunks.length).toBeGreaterThanOrEqual(3);
  });

  rule('SRV-RESP-1', 'HEAD: no body bytes, the length of the body the app sent kept', async () => {
    const res = await scgiRequest(address(), { headers: headersOf('HEAD', '/text') });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
    expect(res.raw.toString('latin1')).toBe(
      'Status: 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 14\r\n\r\n',
    );
    const full = await get('/text');
    expect(full.body.toString()).toBe('Hello, world!\n');
  });
});
