/**
 * @portico/fastcgi at the record level: the per-connection state machine (FastCGI 1.0 sections 3 to
 * 6) and spec/servers.md's FastCGI rules, each test named after the rule it checks. The apps run
 * under the validator; every test ends with no violation reported.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { FastCGIClient } from '../src/client.js';
import {
  encodeBeginRequest,
  encodeNameValuePairs,
  encodeRecord,
  encodeStream,
  FCGI_ABORT_REQUEST,
  FCGI_AUTHORIZER,
  FCGI_CANT_MPX_CONN,
  FCGI_DATA,
  FCGI_END_REQUEST,
  FCGI_FILTER,
  FCGI_GET_VALUES,
  FCGI_GET_VALUES_RESULT,
  FCGI_KEEP_CONN,
  FCGI_OVERLOADED,
  FCGI_PARAMS,
  FCGI_REQUEST_COMPLETE,
  FCGI_RESPONDER,
  FCGI_STDERR,
  FCGI_STDIN,
  FCGI_STDOUT,
  FCGI_UNKNOWN_ROLE,
  FCGI_UNKNOWN_TYPE,
  serve,
} from '../src/index.js';
import { beginWithParams, paramsOf, RawConnection, start, stdin } from './helpers.js';

const running = serveForFile(() => start(testApp), { checkViolations: true });
const address = () => ({ port: running.port });

async function get(uri: string, extra: Record<string, string> = {}, stdinBytes?: Uint8Array) {
  const client = await FastCGIClient.connect(address());
  try {
    return await client.request({
      params: paramsOf('GET', uri, extra),
      ...(stdinBytes ? { stdin: stdinBytes } : {}),
    });
  } finally {
    client.close();
  }
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('responses on FCGI_STDOUT', () => {
  rule('SRV-FCGI-1', 'every response starts with an explicit Status line', async () => {
    const res = await get('/hello?x=1');
    expect(res.stdout.toString('latin1').startsWith('Status: 200 OK\r\n')).toBe(true);
    expect(res.protocolStatus).toBe(FCGI_REQUEST_COMPLETE);
    expect(res.appStatus).toBe(0);
    const seenScope = JSON.parse(res.body.toString());
    expect(seenScope).toMatchObject({ method: 'GET', path: '/hello', rawPath: '/hello', queryString: 'x=1' });
  });

  rule(
    'SRV-FCGI-1',
    'a Location with status 200 keeps Status: 200 (no local redirect by the web server)',
    async () => {
      const res = await get('/location200');
      expect(res.stdout.toString('latin1')).toMatch(/^Status: 200 OK\r\nlocation: \/elsewhere\r\n/);
      const redirect = await get('/redirect');
      expect(redirect.stdout.toString('latin1')).toMatch(/^Status: 302 Found\r\n/);
      expect(redirect.headers).toContainEqual(['location', 'http://example.test/there']);
    },
  );

  rule(
    'SRV-RESP-2',
    'Transfer-Encoding from the app is dropped; a one-chunk body gets an exact Content-Length',
    async () => {
      const te = await get('/te');
      expect(te.headers.map(([n]) => n.toLowerCase())).not.toContain('transfer-encoding');
      expect(te.headers.map(([n]) => n.toLowerCase())).not.toContain('content-length');
      expect(te.body.toString()).toBe('onetwo');
      const one = await get('/hello');
      expect(one.headers).toContainEqual(['content-length', String(one.body.length)]);
    },
  );

  rule('SRV-SEC-1', 'a header value with CR/LF gives a 500 before any output, nothing injected', async () => {
    const res = await get('/crlf');
    expect(res.status).toBe(500);
    expect(res.stdout.toString('latin1')).not.toContain('evil');
    expect(res.stdout.toString('latin1')).not.toContain('should not be sent');
    expect(running.logger.records.some((r) => r.message === 'response refused')).toBe(true);
    // The validator saw the app break the header rule too.
    expect(running.violations.splice(0)).toEqual([expect.stringMatching(/\(ASYNC-HDR-4\); side: app/)]);
  });

  it('a body over 65535 bytes goes out in records of at most 65535 content bytes, padded to 8', async () => {
    const client = await FastCGIClient.connect(address());
    const lengths: number[] = [];
    client.onRecord = (type, _id, content) => {
      if (type === FCGI_STDOUT) lengths.push(content.length);
    };
    const res = await client.request({ params: paramsOf('GET', '/big') });
    client.close();
    expect(res.body.length).toBe(200_000);
    expect(res.body.every((b, i) => b === i % 251)).toBe(true);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(65535);
    expect(lengths.length).toBeGreaterThanOrEqual(5); // head + 4 body records + the empty end record
    expect(lengths.at(-1)).toBe(0);
  });

  it("the app's error stream goes out as FCGI_STDERR, ended by an empty record", async () => {
    const client = await FastCGIClient.connect(address());
    const types: number[] = [];
    client.onRecord = (type) => types.push(type);
    const res = await client.request({ params: paramsOf('GET', '/stderr') });
    client.close();
    expect(res.stderr.toString()).toBe('a line for the error log\n');
    expect(res.body.toString()).toBe('ok');
    expect(types.filter((t) => t === FCGI_STDERR).length).toBe(2);
    expect(types.at(-1)).toBe(FCGI_END_REQUEST);
  });

  rule(
    'SRV-ERR-1',
    'the app raises before http.response.start: 500, logged, the server goes on',
    async () => {
      const res = await get('/fail-before');
      expect(res.status).toBe(500);
      expect(res.protocolStatus).toBe(FCGI_REQUEST_COMPLETE);
      expect(running.logger.records.some((r) => r.fields?.rule === 'SRV-ERR-1')).toBe(true);
      expect((await get('/hello')).status).toBe(200);
    },
  );

  rule(
    'SRV-FCGI-11',
    'the app raises mid-response alone on its connection: the connection is closed',
    async () => {
      const client = await FastCGIClient.connect(address());
      await expect(client.request({ params: paramsOf('GET', '/fail-mid'), keepConn: true })).rejects.toThrow(
        /closed/,
      );
      await client.closed;
      expect((await get('/hello')).status).toBe(200);
    },
  );

  rule(
    'SRV-FCGI-11',
    'the app raises mid-response on a shared connection: END_REQUEST with appStatus 1, the other request completes',
    async () => {
      const client = await FastCGIClient.connect(address());
      const [failed, other] = await Promise.all([
        client.request({ params: paramsOf('GET', '/fail-mid'), keepConn: true }),
        client.request({ params: paramsOf('GET', '/stream'), keepConn: true }),
      ]);
      client.close();
      expect(failed.appStatus).toBe(1);
      expect(failed.body.toString()).toBe('partial');
      expect(other.appStatus).toBe(0);
      expect(other.body.toString()).toBe('part 0\npart 1\npart 2\nend\n');
    },
  );
});

describe('roles and protocol status', () => {
  rule('SRV-FCGI-2', 'an unknown role gets FCGI_UNKNOWN_ROLE', async () => {
    const client = await FastCGIClient.connect(address());
    const res = await client.request({ params: paramsOf('GET', '/'), role: 7, keepConn: true });
    expect(res.protocolStatus).toBe(FCGI_UNKNOWN_ROLE);
    expect(res.stdout.length).toBe(0);
    // The connection still serves.
    expect((await client.request({ params: paramsOf('GET', '/x'), keepConn: true })).status).toBe(200);
    client.close();
  });

  rule('SRV-FCGI-2', 'multiplexing off: a second request in flight gets FCGI_CANT_MPX_CONN', async () => {
    const single = await start(testApp, { multiplex: false });
    const client = await FastCGIClient.connect({ port: single.port });
    const [first, second] = await Promise.all([
      client.request({ params: paramsOf('GET', '/stream'), keepConn: true }),
      client.request({ params: paramsOf('GET', '/x'), keepConn: true }),
    ]);
    expect(first.status).toBe(200);
    expect(second.protocolStatus).toBe(FCGI_CANT_MPX_CONN);
    expect(await client.getValues(['FCGI_MPXS_CONNS'])).toEqual(new Map([['FCGI_MPXS_CONNS', '0']]));
    client.close();
    await single.server.close();
    expect(single.violations).toEqual([]);
  });

  rule('SRV-FCGI-2', 'more requests in flight than maxRequests: FCGI_OVERLOADED', async () => {
    const small = await start(testApp, { maxRequests: 2 });
    const client = await FastCGIClient.connect({ port: small.port });
    const results = await Promise.all(
      [1, 2, 3].map(() => client.request({ params: paramsOf('GET', '/stream'), keepConn: true })),
    );
    expect(results.map((r) => r.protocolStatus)).toEqual([
      FCGI_REQUEST_COMPLETE,
      FCGI_REQUEST_COMPLETE,
      FCGI_OVERLOADED,
    ]);
    client.close();
    await small.server.close();
  });

  rule(
    ['EXT-FCGI-1', 'SRV-FCGI-13'],
    "Authorizer: no FCGI_STDIN at all (Apache), 200 with Variable-* headers in the app's case, or the denial",
    async () => {
      const client = await FastCGIClient.connect(address());
      const ok = await client.request({
        params: paramsOf('GET', '/authorize', { HTTP_X_TOKEN: 'good' }),
        role: FCGI_AUTHORIZER,
        omitStdin: true,
        keepConn: true,
      });
      expect(ok.status).toBe(200);
      // The name goes out in the app's case: the web server takes the variable AUTH_USER from it.
      expect(ok.stdout.toString('latin1')).toContain('\r\nVariable-AUTH_USER: bob\r\n');
      const denied = await client.request({
        params: paramsOf('GET', '/authorize', { HTTP_X_TOKEN: 'bad' }),
        role: FCGI_AUTHORIZER,
        omitStdin: true,
        keepConn: true,
      });
      expect(denied.status).toBe(403);
      expect(denied.body.toString()).toBe('no entry\n');
      const plain = await client.request({
        params: paramsOf('GET', '/x'),
        role: FCGI_AUTHORIZER,
        omitStdin: true,
        keepConn: true,
      });
      expect(JSON.parse(plain.body.toString())).toMatchObject({ role: 'authorizer', bodyLength: 0 });
      client.close();
    },
  );

  rule(
    'EXT-FCGI-2',
    'Filter: FCGI_DATA reaches the app through the fastcgi extension, after FCGI_STDIN',
    async () => {
      const client = await FastCGIClient.connect(address());
      const res = await client.request({
        params: paramsOf('GET', '/filter', {
          FCGI_DATA_LENGTH: '11',
          FCGI_DATA_LAST_MOD: '1700000000',
          CONTENT_LENGTH: '3',
        }),
        role: FCGI_FILTER,
        stdin: Buffer.from('abc'),
        data: [Buffer.from('hello '), Buffer.from('world')],
      });
      client.close();
      expect(JSON.parse(res.body.toString())).toEqual({
        role: 'filter',
        stdin: 'abc',
        data: 'HELLO WORLD',
        length: 11,
        lastModified: 1700000000,
      });
    },
  );
});

describe('connections', () => {
  rule('SRV-FCGI-3', 'FCGI_KEEP_CONN clear: the app closes the connection after END_REQUEST', async () => {
    const client = await FastCGIClient.connect(address());
    const res = await client.request({ params: paramsOf('GET', '/x'), keepConn: false });
    expect(res.status).toBe(200);
    await client.closed;
  });

  rule(
    'SRV-FCGI-3',
    'FCGI_KEEP_CONN set: request after request on one connection, request id 1 reused (nginx)',
    async () => {
      const client = await FastCGIClient.connect(address());
      for (let i = 0; i < 5; i++) {
        const res = await client.request({
          requestId: 1,
          params: paramsOf('GET', `/n/${i}`),
          keepConn: true,
        });
        expect(JSON.parse(res.body.toString()).path).toBe(`/n/${i}`);
      }
      client.close();
    },
  );

  rule('SRV-FCGI-3', 'maxRequestsPerConnection: the connection closes after that many requests', async () => {
    const limited = await start(testApp, { maxRequestsPerConnection: 2 });
    const client = await FastCGIClient.connect({ port: limited.port });
    await client.request({ params: paramsOf('GET', '/a'), keepConn: true });
    await client.request({ params: paramsOf('GET', '/b'), keepConn: true });
    await client.closed;
    await limited.server.close();
  });

  rule(
    'SRV-FCGI-5',
    'FCGI_GET_VALUES is answered from the configuration, also between requests on a kept connection',
    async () => {
      const client = await FastCGIClient.connect(address());
      const values = await client.getValues([
        'FCGI_MAX_CONNS',
        'FCGI_MAX_REQS',
        'FCGI_MPXS_CONNS',
        'NOT_A_VARIABLE',
      ]);
      expect(values).toEqual(
        new Map([
          ['FCGI_MAX_CONNS', '4096'],
          ['FCGI_MAX_REQS', '1024'],
          ['FCGI_MPXS_CONNS', '1'],
        ]),
      );
      await client.request({ params: paramsOf('GET', '/x'), keepConn: true });
      expect((await client.getValues(['FCGI_MAX_REQS'])).get('FCGI_MAX_REQS')).toBe('1024');
      expect((await client.request({ params: paramsOf('GET', '/y'), keepConn: true })).status).toBe(200);
      client.close();
    },
  );

  rule(
    'SRV-FCGI-5',
    'an unknown management record gets FCGI_UNKNOWN_TYPE; an empty GET_VALUES an empty result',
    async () => {
      const conn = await RawConnection.open(running.port);
      conn.send(encodeRecord(42, 0, Buffer.from('whatever')));
      conn.send(encodeRecord(FCGI_GET_VALUES, 0));
      await conn.until(() => conn.records.length >= 2);
      expect(conn.records[0]!.type).toBe(FCGI_UNKNOWN_TYPE);
      expect(conn.records[0]!.content[0]).toBe(42);
      expect(conn.records[1]!.type).toBe(FCGI_GET_VALUES_RESULT);
      expect(conn.records[1]!.content.length).toBe(0);
      conn.close();
    },
  );

  rule(
    'SRV-FCGI-4',
    'records of unknown types and for ids not in flight are ignored; the connection serves on',
    async () => {
      const conn = await RawConnection.open(running.port);
      conn.send(stdin(9, Buffer.from('stray body')));
      conn.send(encodeRecord(FCGI_PARAMS, 10, encodeNameValuePairs([['A', 'b']])));
      conn.send(encodeRecord(FCGI_ABORT_REQUEST, 11));
      conn.send(encodeRecord(200, 1, Buffer.from('from the future')));
      conn.send(encodeRecord(FCGI_DATA, 12, Buffer.from('x')));
      conn.send(beginWithParams(1, paramsOf('GET', '/after')));
      conn.send(stdin(1, Buffer.alloc(0)));
      const res = await conn.response(1);
      expect(JSON.parse(res.body.toString()).path).toBe('/after');
      expect(conn.records.every((r) => r.requestId === 1)).toBe(true);
      conn.close();
    },
  );

  rule(
    'SRV-FCGI-4',
    'a FCGI_BEGIN_REQUEST reusing an id in flight closes the connection, logged',
    async () => {
      const conn = await RawConnection.open(running.port);
      conn.send(beginWithParams(3, paramsOf('GET', '/wait-disconnect', { CONTENT_LENGTH: '10' })));
      conn.send(encodeBeginRequest(3, FCGI_RESPONDER, FCGI_KEEP_CONN));
      await conn.closed;
      expect(running.logger.records.some((r) => /request id 3, which is in flight/.test(r.message))).toBe(
        true,
      );
      await expect.poll(() => seen.some((s) => s.path === '/wait-disconnect')).toBe(true);
    },
  );

  rule(
    'SRV-FCGI-4',
    'a version byte other than 1 closes that connection only, logged; others keep serving',
    async () => {
      const other = await FastCGIClient.connect(address());
      const conn = await RawConnection.open(running.port);
      const record = encodeRecord(FCGI_GET_VALUES, 0);
      record[0] = 2;
      conn.send(record);
      await conn.closed;
      expect(running.logger.records.some((r) => /version 2/.test(r.message) && r.level === 'warn')).toBe(
        true,
      );
      expect((await other.request({ params: paramsOf('GET', '/still'), keepConn: true })).status).toBe(200);
      other.close();
    },
  );

  it('a peer that closes mid-record is logged; the server goes on', async () => {
    const conn = await RawConnection.open(running.port);
    conn.send(
      beginWithParams(1, paramsOf('GET', '/wait-disconnect', { CONTENT_LENGTH: '100' })).subarray(0, 30),
    );
    await new Promise((r) => setTimeout(r, 50));
    conn.socket.end();
    await conn.closed;
    await expect
      .poll(() => running.logger.records.some((r) => /in the middle of a record/.test(r.message)))
      .toBe(true);
    expect((await get('/ok')).status).toBe(200);
  });

  rule(
    'SRV-FCGI-10',
    'FCGI_WEB_SERVER_ADDRS: a connection from another address is closed, logged',
    async () => {
      const strict = await start(testApp, { webServerAddrs: ['192.0.2.1'] });
      const client = await FastCGIClient.connect({ port: strict.port });
      await client.closed;
      expect(strict.logger.records.some((r) => /FCGI_WEB_SERVER_ADDRS/.test(r.message))).toBe(true);
      await strict.server.close();
      const allowed = await start(testApp, { webServerAddrs: ['127.0.0.1'] });
      const ok = await FastCGIClient.connect({ port: allowed.port });
      expect((await ok.request({ params: paramsOf('GET', '/x') })).status).toBe(200);
      ok.close();
      await allowed.server.close();
    },
  );
});

it('a unix socket gets socketMode, so a front end running as another user can connect', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portico-fcgi-'));
  const path = join(dir, 'app.sock');
  const server = await serve(testApp, { bind: [`unix:${path}`], lifespan: 'off', socketMode: 0o666 });
  try {
    expect(server.addresses).toEqual([`unix:${path}`]);
    expect(statSync(path).mode & 0o777).toBe(0o666);
    const client = await FastCGIClient.connect({ path });
    const res = await client.request({ params: paramsOf('GET', '/over-unix') });
    client.close();
    expect(JSON.parse(res.body.toString())).toMatchObject({ path: '/over-unix' });
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('params', () => {
  rule(
    'SRV-FCGI-9',
    'FCGI_PARAMS without REQUEST_METHOD: 400, the app not called, the connection serves on',
    async () => {
      const client = await FastCGIClient.connect(address());
      const params = paramsOf('POST', '/no-method');
      delete (params as Record<string, string>).REQUEST_METHOD;
      const res = await client.request({ params, keepConn: true });
      expect(res.status).toBe(400);
      expect((await client.request({ params: paramsOf('GET', '/y'), keepConn: true })).status).toBe(200);
      client.close();
    },
  );

  rule(
    'SRV-FCGI-8',
    'a param sent twice keeps its last value; a repeated HTTP_* param is a repeated header',
    async () => {
      const client = await FastCGIClient.connect(address());
      const res = await client.request({
        params: [...Object.entries(paramsOf('GET', '/first')), ...REPEATED_VARIABLES],
      });
      client.close();
      expectRepeatedVariables(JSON.parse(res.body.toString()));
    },
  );

  rule('SRV-FCGI-9', 'FCGI_PARAMS over maxParamsSize: 431, and the connection serves on', async () => {
    const client = await FastCGIClient.connect(address());
    const res = await client.request({
      params: paramsOf('GET', '/x', { HTTP_X_BIG: 'x'.repeat(70_000) }),
      keepConn: true,
    });
    expect(res.status).toBe(431);
    expect((await client.request({ params: paramsOf('GET', '/y'), keepConn: true })).status).toBe(200);
    client.close();
  });

  rule(
    'SRV-FCGI-9',
    'a truncated 4-byte length in FCGI_PARAMS: 400 for that request, the connection serves on',
    async () => {
      const conn = await RawConnection.open(running.port);
      conn.send(encodeBeginRequest(1, FCGI_RESPONDER, FCGI_KEEP_CONN));
      conn.send(encodeRecord(FCGI_PARAMS, 1, Buffer.from([0x80, 0x00])));
      conn.send(encodeRecord(FCGI_PARAMS, 1));
      expect((await conn.response(1)).status).toBe(400);
      conn.send(beginWithParams(2, paramsOf('GET', '/next')));
      conn.send(stdin(2, Buffer.alloc(0)));
      expect((await conn.response(2)).status).toBe(200);
      conn.close();
    },
  );

  it('FCGI_PARAMS split across records at every byte, and in 16 KiB records of whole pairs (Apache)', async () => {
    const client = await FastCGIClient.connect(address());
    const params = paramsOf('GET', '/caf%C3%A9/x?y=%20', {
      HTTP_X_LONG: 'v'.repeat(300),
      HTTP_ACCEPT: 'text/plain',
    });
    const a = await client.request({
      params,
      paramsRecordSize: 1,
      paramsSplitAnywhere: true,
      keepConn: true,
    });
    const b = await client.request({ params, paramsRecordSize: 16384, keepConn: true });
    client.close();
    for (const res of [a, b]) {
      expect(JSON.parse(res.body.toString())).toMatchObject({
        path: '/café/x',
        rawPath: '/caf%C3%A9/x',
        queryString: 'y=%20',
        headers: [
          ['x-long', 'v'.repeat(300)],
          ['accept', 'text/plain'],
        ],
      });
    }
  });

  it('the scope comes from the params: client, server, scheme, rootPath, and every variable in the cgi extension', async () => {
    const res = await get('/app/users/7?x=1', {
      SCRIPT_NAME: '/app',
      PATH_INFO: '/users/7',
      HTTPS: 'on',
      DOCUMENT_ROOT: '/srv/www',
      HTTP_PROXY: 'http://evil.test',
      HTTP_HOST: 'example.test',
    });
    const scope = JSON.parse(res.body.toString());
    expect(scope).toMatchObject({
      method: 'GET',
      rootPath: '/app',
      path: '/users/7',
      rawPath: '/app/users/7',
      scheme: 'https',
      client: ['192.0.2.7', 50000],
      server: ['example.test', 80],
      role: 'responder',
    });
    expect(scope.variables.DOCUMENT_ROOT).toBe('/srv/www');
    // The scope keeps the Proxy header; the sync bridge never makes HTTP_PROXY of it (SRV-ENV-1).
    expect(scope.headers).toContainEqual(['proxy', 'http://evil.test']);
  });

  it('the rootPath option replaces the SCRIPT_NAME the web server sends (nginx stock fastcgi_params)', async () => {
    const mounted = await start(testApp, { rootPath: '/app' });
    const client = await FastCGIClient.connect({ port: mounted.port });
    const res = await client.request({
      params: paramsOf('GET', '/app/users', { SCRIPT_NAME: '/app/users', PATH_INFO: '' }),
    });
    client.close();
    expect(JSON.parse(res.body.toString())).toMatchObject({ rootPath: '/app', path: '/users' });
    await mounted.server.close();
  });
});

describe('request bodies', () => {
  rule('SRV-FCGI-7', 'the app sees exactly CONTENT_LENGTH bytes, however much FCGI_STDIN comes', async () => {
    const res = await get(
      '/echo',
      { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '5' },
      Buffer.from('hello, and more'),
    );
    expect(JSON.parse(res.body.toString())).toMatchObject({ bodyLength: 5, body: 'hello' });
  });

  rule(
    'SRV-FCGI-7',
    'without CONTENT_LENGTH, or with an empty one, the body is the whole FCGI_STDIN stream',
    async () => {
      const client = await FastCGIClient.connect(address());
      const pieces = [Buffer.from('chunk one, '), Buffer.from('chunk two')];
      const absent = await client.request({
        params: paramsOf('POST', '/echo'),
        stdin: pieces,
        keepConn: true,
      });
      const empty = await client.request({
        params: paramsOf('POST', '/echo', { CONTENT_LENGTH: '' }),
        stdin: pieces,
        keepConn: true,
      });
      client.close();
      for (const res of [absent, empty])
        expect(JSON.parse(res.body.toString())).toMatchObject({ body: 'chunk one, chunk two' });
    },
  );

  rule('SRV-FCGI-7', 'FCGI_STDIN ending short of CONTENT_LENGTH: the app sees the client gone', async () => {
    const conn = await RawConnection.open(running.port);
    conn.send(beginWithParams(1, paramsOf('POST', '/wait-disconnect', { CONTENT_LENGTH: '100' })));
    conn.send(stdin(1, Buffer.from('only ten b')));
    conn.send(stdin(1, Buffer.alloc(0)));
    await expect
      .poll(() => seen.filter((s) => s.path === '/wait-disconnect').length)
      .toBeGreaterThanOrEqual(2);
    conn.close();
  });

  it('zero-length records in every stream: empty FCGI_DATA, FCGI_STDIN end, empty GET_VALUES', async () => {
    const client = await FastCGIClient.connect(address());
    const res = await client.request({
      params: paramsOf('POST', '/filter', { CONTENT_LENGTH: '0' }),
      role: FCGI_FILTER,
      stdin: [],
      data: [],
    });
    client.close();
    expect(JSON.parse(res.body.toString())).toMatchObject({ role: 'filter', stdin: '', data: '' });
  });

  rule('SRV-REQ-4', 'a declared body over maxBodySize: 413 without calling the app', async () => {
    const small = await start(testApp, { maxBodySize: 10 });
    const client = await FastCGIClient.connect({ port: small.port });
    const res = await client.request({
      params: paramsOf('POST', '/echo', { CONTENT_LENGTH: '11' }),
      stdin: Buffer.from('x'.repeat(11)),
    });
    expect(res.status).toBe(413);
    client.close();
    await small.server.close();
  });

  rule(
    'SRV-FCGI-12',
    'alone on its connection, a body the app does not read stops the socket being read',
    async () => {
      const conn = await RawConnection.open(running.port);
      const size = 48 << 20;
      conn.send(
        beginWithParams(1, paramsOf('POST', '/slow-reader?ms=600', { CONTENT_LENGTH: String(size) })),
      );
      const body = Buffer.alloc(size, 'a');
      conn.send(stdin(1, body));
      conn.send(stdin(1, Buffer.alloc(0)));
      await new Promise((r) => setTimeout(r, 300));
      // The app sleeps 600 ms before reading: meanwhile the server reads no more than a socket's worth.
      expect(conn.socket.writableLength).toBeGreaterThan(16 << 20);
      const res = await conn.response(1);
      expect(JSON.parse(res.body.toString())).toEqual({ length: size, sha256: sha256(body) });
      conn.close();
    },
  );

  rule(
    'SRV-FCGI-12',
    'on a shared connection a slow reader is spooled (memory, then disk) and the other request is not stalled',
    async () => {
      const spooling = await start(testApp, { maxBufferedBody: 65536 });
      const conn = await RawConnection.open(spooling.port);
      const size = 4 << 20;
      const body = Buffer.alloc(size);
      for (let i = 0; i < size; i += 4096) body[i] = (i / 4096) & 0xff;
      conn.send(
        beginWithParams(1, paramsOf('POST', '/slow-reader?ms=800', { CONTENT_LENGTH: String(size) })),
      );
      conn.send(beginWithParams(2, paramsOf('POST', '/echo', { CONTENT_LENGTH: '3' })));
      conn.send(stdin(1, body));
      conn.send(stdin(1, Buffer.alloc(0)));
      conn.send(stdin(2, Buffer.from('two')));
      conn.send(stdin(2, Buffer.alloc(0)));
      const started = Date.now();
      const second = await conn.response(2);
      expect(Date.now() - started).toBeLessThan(600);
      expect(JSON.parse(second.body.toString())).toMatchObject({ body: 'two' });
      const first = await conn.response(1);
      expect(JSON.parse(first.body.toString())).toEqual({ length: size, sha256: sha256(body) });
      conn.close();
      await spooling.server.close();
      expect(spooling.violations).toEqual([]);
    },
  );
});

describe('FCGI_ABORT_REQUEST', () => {
  rule('SRV-FCGI-6', 'mid-body: the app gets http.disconnect and END_REQUEST follows', async () => {
    const before = seen.filter((s) => s.path === '/wait-disconnect').length;
    const conn = await RawConnection.open(running.port);
    conn.send(beginWithParams(5, paramsOf('POST', '/wait-disconnect', { CONTENT_LENGTH: '1000' })));
    conn.send(stdin(5, Buffer.from('some')));
    await new Promise((r) => setTimeout(r, 30));
    conn.send(encodeRecord(FCGI_ABORT_REQUEST, 5));
    const end = await conn.endOf(5);
    expect(end.protocolStatus).toBe(FCGI_REQUEST_COMPLETE);
    await expect.poll(() => seen.filter((s) => s.path === '/wait-disconnect').length).toBe(before + 1);
    conn.close();
  });

  rule(
    'SRV-FCGI-6',
    'mid-response: send() rejects with ERR_CLIENT_DISCONNECTED, the connection serves on',
    async () => {
      const conn = await RawConnection.open(running.port);
      conn.send(beginWithParams(1, paramsOf('GET', '/stream-until-gone')));
      conn.send(stdin(1, Buffer.alloc(0)));
      await conn.until(() => conn.stdout(1).length > 40);
      conn.send(encodeRecord(FCGI_ABORT_REQUEST, 1));
      await conn.endOf(1);
      await expect
        .poll(() =>
          seen.some((s) => s.path === '/stream-until-gone' && s.event === 'ERR_CLIENT_DISCONNECTED'),
        )
        .toBe(true);
      conn.send(beginWithParams(1, paramsOf('GET', '/again')));
      conn.send(stdin(1, Buffer.alloc(0)));
      await conn.until(() => conn.records.filter((r) => r.type === FCGI_END_REQUEST).length === 2);
      expect(conn.stdout(1).toString()).toContain('"path":"/again"');
      conn.close();
    },
  );
});

describe('shutdown and lifespan', () => {
  rule(
    'SRV-STOP-2',
    'graceful shutdown: the request in flight finishes, a new one gets FCGI_OVERLOADED',
    async () => {
      const closing = await start(testApp);
      const client = await FastCGIClient.connect({ port: closing.port });
      const inFlight = client.request({ params: paramsOf('GET', '/stream'), keepConn: true });
      await new Promise((r) => setTimeout(r, 10));
      const closed = closing.server.close();
      const refused = await client.request({ params: paramsOf('GET', '/late'), keepConn: true });
      expect(refused.protocolStatus).toBe(FCGI_OVERLOADED);
      expect((await inFlight).body.toString()).toBe('part 0\npart 1\npart 2\nend\n');
      await closed;
      await client.closed;
    },
  );

  rule('SRV-SCOPE-4', 'the lifespan state is copied into each scope', async () => {
    const withState = await start(lifespanStateApp, { lifespan: 'on' });
    const client = await FastCGIClient.connect({ port: withState.port });
    const res = await client.request({ params: paramsOf('GET', '/x') });
    expect(JSON.parse(res.body.toString()).state).toEqual({ pool: 'the pool' });
    client.close();
    await withState.server.close();
  });
});

it('data for the multiplexed requests of one connection interleaves and each response matches its id', async () => {
  const client = await FastCGIClient.connect(address());
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      client.request({ params: paramsOf('GET', `/m/${i}`), keepConn: true, stdin: Buffer.from(`b${i}`) }),
    ),
  );
  client.close();
  results.forEach((res, i) => {
    expect(JSON.parse(res.body.toString())).toMatchObject({ path: `/m/${i}`, requestId: res.requestId });
  });
  expect(new Set(results.map((r) => r.requestId)).size).toBe(20);
});

it('responses on a shared connection interleave: one 8 MiB send() does not hold a small response back', async () => {
  const conn = await RawConnection.open(running.port);
  conn.send(beginWithParams(1, paramsOf('GET', '/huge')));
  conn.send(stdin(1, Buffer.alloc(0)));
  conn.send(beginWithParams(2, paramsOf('GET', '/small-later')));
  conn.send(stdin(2, Buffer.alloc(0)));
  await conn.endOf(1, 20_000);
  const ends = conn.records.filter((r) => r.type === FCGI_END_REQUEST).map((r) => r.requestId);
  expect(ends).toEqual([2, 1]);
  // Request 2's records came between request 1's.
  const order = conn.records
    .filter((r) => r.type === FCGI_STDOUT && r.content.length > 0)
    .map((r) => r.requestId);
  expect(order.indexOf(2)).toBeGreaterThan(0);
  expect(order.lastIndexOf(1)).toBeGreaterThan(order.indexOf(2));
  expect(conn.stdout(1).length).toBeGreaterThan(8 << 20);
  conn.close();
});

it('FCGI_STDIN before the end of FCGI_PARAMS: 400 for that request', async () => {
  const conn = await RawConnection.open(running.port);
  conn.send(encodeBeginRequest(1, FCGI_RESPONDER, FCGI_KEEP_CONN));
  conn.send(encodeRecord(FCGI_PARAMS, 1, encodeNameValuePairs([['REQUEST_METHOD', 'GET']])));
  conn.send(encodeRecord(FCGI_STDIN, 1, Buffer.from('early')));
  expect((await conn.response(1)).status).toBe(400);
  conn.close();
});

it('a record longer than its header declares: the extra bytes are read as a header, the connection closed with the reason', async () => {
  const conn = await RawConnection.open(running.port);
  conn.send(beginWithParams(1, paramsOf('POST', '/echo', { CONTENT_LENGTH: '4' })));
  // Declares 4 content bytes, carries 12: the 8 extra bytes ("overflow") are not a FastCGI header.
  conn.send(Buffer.concat([Buffer.from([1, FCGI_STDIN, 0, 1, 0, 4, 0, 0]), Buffer.from('bodyoverflow')]));
  await conn.closed;
  expect(
    running.logger.records.some((r) =>
      /FastCGI connection closed: record header with version 111/.test(r.message),
    ),
  ).toBe(true);
  // "o" is 111: the first extra byte was taken as a version byte.
  expect((await get('/next')).status).toBe(200);
});

it('a sync app over FastCGI: the environ has every variable the web server sent, never HTTP_PROXY, and portico.errors is FCGI_STDERR', async () => {
  const syncApp = environEcho(
    [
      'DOCUMENT_ROOT',
      'SCRIPT_FILENAME',
      'HTTP_PROXY',
      'HTTP_HOST',
      'PATH_INFO',
      'SCRIPT_NAME',
      'REMOTE_USER',
    ],
    (environ) => (environ['portico.errors'] as { write(s: string): void }).write('from the sync app\n'),
  );
  const sync = await start(syncApp);
  const client = await FastCGIClient.connect({ port: sync.port });
  const res = await client.request({
    params: paramsOf('GET', '/app/x', {
      SCRIPT_NAME: '/app',
      PATH_INFO: '/x',
      DOCUMENT_ROOT: '/srv/www',
      SCRIPT_FILENAME: '/srv/www/index',
      REMOTE_USER: 'bob',
      HTTP_HOST: 'example.test',
      HTTP_PROXY: 'http://evil.test',
    }),
  });
  client.close();
  await sync.server.close();
  expect(JSON.parse(res.body.toString())).toEqual({
    DOCUMENT_ROOT: '/srv/www',
    SCRIPT_FILENAME: '/srv/www/index',
    HTTP_PROXY: null,
    HTTP_HOST: 'example.test',
    PATH_INFO: '/x',
    SCRIPT_NAME: '/app',
    REMOTE_USER: 'bob',
  });
  expect(res.stderr.toString()).toBe('from the sync app\n');
  expect(sync.violations).toEqual([]);
});

it('content length 65535 with padding 255 is read', async () => {
  const conn = await RawConnection.open(running.port);
  conn.send(beginWithParams(1, paramsOf('POST', '/echo', { CONTENT_LENGTH: '65535' })));
  const header = Buffer.from([1, FCGI_STDIN, 0, 1, 0xff, 0xff, 255, 0]);
  const content = Buffer.alloc(65535, 'z');
  conn.send(Buffer.concat([header, content, Buffer.alloc(255)]));
  conn.send(stdin(1, Buffer.alloc(0)));
  expect(JSON.parse((await conn.response(1)).body.toString())).toMatchObject({
    bodyLength: 65535,
    sha256: sha256(content),
  });
  conn.close();
});

export { encodeStream };
