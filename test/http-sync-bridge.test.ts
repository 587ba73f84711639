/**
 * A sync app through the bridge on @portico/http, end to end over a socket: environ mapping,
 * request body, streaming body with close(), errors. Everything runs under both validators.
 */
import { request } from 'node:http';
import { type HTTPServer, serve } from '@portico/http';
import type { Environ, SyncApp } from '@portico/spec';
import { syncToAsync, validateAsync, validateSync } from '@portico/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../packages/server/test/rule.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const url = new URL(base);
  return new Promise<Reply>((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const closed: string[] = [];

const app: SyncApp = (environ: Environ, startResponse) => {
  const path = environ.PATH_INFO;
  if (path === '/environ') {
    const picked = Object.fromEntries(
      Object.entries(environ).filter(([, v]) => typeof v === 'string' || typeof v === 'boolean'),
    );
    startResponse('200 OK', [['Content-Type', 'application/json']]);
    return [Buffer.from(JSON.stringify(picked))];
  }
  if (path === '/echo') {
    const body = environ['portico.input'].read();
    startResponse('200 OK', [['Content-Type', 'application/octet-stream']]);
    return [body];
  }
  if (path === '/stream') {
    startResponse('200 OK', [['Content-Type', 'text/plain']]);
    let i = 0;
    return {
      [Symbol.iterator]() {
        return {
          next: () =>
            i < 3 ? { done: false, value: Buffer.from(`line ${++i}\n`) } : { done: true, value: undefined },
        };
      },
      close() {
        closed.push('stream');
      },
    };
  }
  if (path === '/error') throw new Error('sync app failure');
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [Buffer.from('Hello, world!\n')];
};

describe('a sync app on @portico/http through the bridge', () => {
  let server: HTTPServer;
  let base: string;
  beforeAll(async () => {
    server = await serve(validateAsync(syncToAsync(validateSync(app))), {
      bind: ['127.0.0.1:0'],
      rootPath: '/app',
      lifespan: 'off',
    });
    base = server.addresses[0]!;
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves the hello app', async () => {
    const res = await get(base, '/app/');
    expect(res.status).toBe(200);
    expect(res.body).toBe('Hello, world!\n');
  });

  it('builds the environ from the scope (spec/servers.md "From scope to environ")', async () => {
    const res = await get(base, '/app/environ?q=caf%C3%A9', { headers: { 'X-Trace': 'abc', Cookie: 'a=1' } });
    const environ = JSON.parse(res.body) as Record<string, unknown>;
    const port = new URL(base).port;
    expect(environ).toMatchObject({
      REQUEST_METHOD: 'GET',
      SCRIPT_NAME: '/app',
      PATH_INFO: '/environ',
      QUERY_STRING: 'q=caf%C3%A9',
      REQUEST_URI: '/app/environ?q=caf%C3%A9',
      SERVER_NAME: '127.0.0.1',
      SERVER_PORT: port,
      SERVER_PROTOCOL: 'HTTP/1.1',
      REMOTE_ADDR: '127.0.0.1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      HTTP_X_TRACE: 'abc',
      HTTP_COOKIE: 'a=1',
      'portico.url_scheme': 'http',
    });
  });

  rule(
    ['SRV-ENV-1', 'SRV-ENV-2'],
    'a Proxy header never becomes HTTP_PROXY; names with _ are dropped',
    async () => {
      const res = await get(base, '/app/environ', {
        headers: { Proxy: 'http://evil:1', X_Forwarded_For: '6.6.6.6' },
      });
      const environ = JSON.parse(res.body) as Record<string, unknown>;
      expect(environ).not.toHaveProperty('HTTP_PROXY');
      expect(environ).not.toHaveProperty('HTTP_X_FORWARDED_FOR');
    },
  );

  it('reads the request body through portico.input', async () => {
    const body = 'x'.repeat(200_000);
    const res = await get(base, '/app/echo', { method: 'POST', body });
    expect(res.body).toBe(body);
  });

  it('streams an iterable body and calls close()', async () => {
    const res = await get(base, '/app/stream');
    expect(res.body).toBe('line 1\nline 2\nline 3\n');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(closed).toContain('stream');
  });

  rule('SRV-ERR-1', 'an exception in the sync app becomes a 500', async () => {
    const res = await get(base, '/app/error');
    expect(res.status).toBe(500);
    expect(res.body).not.toContain('sync app failure');
    expect((await get(base, '/app/')).status).toBe(200);
  });
});
