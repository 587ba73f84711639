import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Header, HTTPScope } from '../src/async-types.js';
import { environFromScope } from '../src/bridge/environ.js';
import { stderrErrorStream } from '../src/bridge/errors-stream.js';
import { fileWrapper } from '../src/bridge/file-wrapper.js';
import { EMPTY_INPUT } from '../src/bridge/input.js';
import { encodePath, scopeFromEnviron } from '../src/bridge/scope-from-environ.js';
import { decodePath } from '../src/path.js';
import type { Environ } from '../src/sync-types.js';
import { httpScope } from './fixtures/transcript.js';

const environOf = (scope: HTTPScope, options?: Parameters<typeof environFromScope>[3]): Environ =>
  environFromScope(scope, EMPTY_INPUT, stderrErrorStream, options);

function httpKeys(environ: Environ): Record<string, unknown> {
  return Object.fromEntries(Object.entries(environ).filter(([k]) => k.startsWith('HTTP_')));
}

describe('environFromScope', () => {
  it('maps the request line, paths and protocol', () => {
    const environ = environOf(
      httpScope({
        method: 'POST',
        rootPath: '/app',
        path: '/a/b c',
        rawPath: '/app/a%2Fb%20c',
        queryString: 'x=1&y=%20',
        httpVersion: '2',
      }),
    );
    expect(environ).toMatchObject({
      REQUEST_METHOD: 'POST',
      SCRIPT_NAME: '/app',
      PATH_INFO: '/a/b c',
      QUERY_STRING: 'x=1&y=%20',
      REQUEST_URI: '/app/a%2Fb%20c?x=1&y=%20',
      SERVER_PROTOCOL: 'HTTP/2',
      GATEWAY_INTERFACE: 'CGI/1.1',
    });
    expect(environ.SERVER_SOFTWARE).toMatch(/^Portico\/\d+\.\d+\.\d+/);
  });

  it('leaves the query out of REQUEST_URI when there is none', () => {
    expect(environOf(httpScope({ rawPath: '/x%20y', path: '/x y' })).REQUEST_URI).toBe('/x%20y');
  });

  const servers: Array<[string, Partial<HTTPScope>, string, string]> = [
    ['server address with a port', { server: ['10.0.0.1', 8080] }, '10.0.0.1', '8080'],
    ['IPv6 server address, bracketed', { server: ['::1', 8443] }, '[::1]', '8443'],
    [
      'unix socket: the Host header',
      { server: ['/run/app.sock', null], headers: [['host', 'example.org:9000']] },
      'example.org',
      '9000',
    ],
    [
      'Host without a port, https',
      { server: null, scheme: 'https', headers: [['host', 'example.org']] },
      'example.org',
      '443',
    ],
    ['Host without a port, http', { server: null, headers: [['host', 'example.org']] }, 'example.org', '80'],
    ['IPv6 Host', { server: null, headers: [['host', '[2001:db8::1]:81']] }, '[2001:db8::1]', '81'],
    ['Host with a bad port', { server: null, headers: [['host', 'example.org:http']] }, 'example.org', '80'],
    ['no server, no Host', { server: null, headers: [] }, 'localhost', '80'],
    ['no server, no Host, https', { server: null, headers: [], scheme: 'https' }, 'localhost', '443'],
  ];
  it.each(servers)('SERVER_NAME / SERVER_PORT: %s', (_name, scope, name, port) => {
    const environ = environOf(httpScope(scope));
    expect([environ.SERVER_NAME, environ.SERVER_PORT]).toEqual([name, port]);
  });

  it('maps the client, and leaves REMOTE_* out without one', () => {
    expect(environOf(httpScope({ client: ['192.0.2.7', 4321] }))).toMatchObject({
      REMOTE_ADDR: '192.0.2.7',
      REMOTE_PORT: '4321',
    });
    const environ = environOf(httpScope({ client: null }));
    expect('REMOTE_ADDR' in environ).toBe(false);
    expect('REMOTE_PORT' in environ).toBe(false);
  });

  it('maps CONTENT_TYPE / CONTENT_LENGTH from their headers, and leaves them out without', () => {
    const environ = environOf(
      httpScope({
        headers: [
          ['content-type', 'text/plain'],
          ['content-length', '12'],
        ],
      }),
    );
    expect(environ.CONTENT_TYPE).toBe('text/plain');
    expect(environ.CONTENT_LENGTH).toBe('12');
    expect(httpKeys(environ)).toEqual({});
    const none = environOf(httpScope({ headers: [] }));
    expect('CONTENT_TYPE' in none).toBe(false);
    expect('CONTENT_LENGTH' in none).toBe(false);
  });

  const headerCases: Array<[string, Header[], Record<string, string>]> = [
    ['plain', [['x-request-id', 'abc']], { HTTP_X_REQUEST_ID: 'abc' }],
    [
      'duplicates joined with ", "',
      [
        ['accept', 'text/html'],
        ['x-other', '1'],
        ['accept', 'application/json'],
      ],
      { HTTP_ACCEPT: 'text/html, application/json', HTTP_X_OTHER: '1' },
    ],
    [
      'cookies joined with "; "',
      [
        ['cookie', 'a=1'],
        ['cookie', 'b=2'],
      ],
      { HTTP_COOKIE: 'a=1; b=2' },
    ],
    [
      'a name with "_" dropped',
      [
        ['x-forwarded-for', '1.2.3.4'],
        ['x_forwarded_for', '6.6.6.6'],
      ],
      { HTTP_X_FORWARDED_FOR: '1.2.3.4' },
    ],
    ['Proxy never becomes HTTP_PROXY (httpoxy)', [['proxy', 'http://evil:1']], {}],
    ['an uppercase Proxy neither', [['Proxy', 'http://evil:1']], {}],
  ];
  it.each(headerCases)('headers: %s', (_name, headers, expected) => {
    expect(httpKeys(environOf(httpScope({ headers })))).toEqual(expected);
  });

  it('sets the portico.* keys', () => {
    const scope = httpScope({ scheme: 'https' });
    const environ = environOf(scope, { multiprocess: true });
    expect(environ['portico.version']).toEqual([1, 0]);
    expect(environ['portico.url_scheme']).toBe('https');
    expect(environ['portico.input']).toBe(EMPTY_INPUT);
    expect(environ['portico.errors']).toBe(stderrErrorStream);
    expect(environ['portico.multithread']).toBe(false);
    expect(environ['portico.multiprocess']).toBe(true);
    expect(environ['portico.run_once']).toBe(false);
    expect(environ['portico.input_terminated']).toBe(true);
    expect(environ['portico.state']).toBe(scope.state);
    expect(environ['portico.file_wrapper']).toBe(fileWrapper);
    expect(environOf(scope)['portico.multiprocess']).toBe(false);
    expect('portico.file_wrapper' in environOf(scope, { fileWrapper: null })).toBe(false);
    expect(environOf(scope, { serverSoftware: 'X/1' }).SERVER_SOFTWARE).toBe('X/1');
  });

  // Header names: mostly tokens, with "proxy" in every case and names with "_" mixed in.
  const nameArb = fc.oneof(
    fc.constantFrom(
      'proxy',
      'Proxy',
      'PROXY',
      'pRoXy',
      'x-a',
      'x-b',
      'cookie',
      'content-type',
      'host',
      'x_a',
    ),
    fc.stringMatching(/^[a-z0-9_-]{1,12}$/),
  );
  const headersArb = fc.array(fc.tuple(nameArb, fc.stringMatching(/^[ -~]{0,12}$/)), { maxLength: 20 });

  it('never creates HTTP_PROXY, whatever the headers', () => {
    fc.assert(
      fc.property(headersArb, (headers) => {
        expect('HTTP_PROXY' in environOf(httpScope({ headers }))).toBe(false);
      }),
    );
  });

  it('ignores every header whose name contains "_"', () => {
    fc.assert(
      fc.property(headersArb, headersArb, (headers, noise) => {
        const underscored = noise.map(([n, v]): Header => [`${n}_x`, v]);
        const mixed: Header[] = [];
        headers.forEach((h, i) => {
          mixed.push(h);
          const extra = underscored[i];
          if (extra !== undefined) mixed.push(extra);
        });
        const a = environOf(httpScope({ headers }));
        const b = environOf(httpScope({ headers: mixed }));
        expect(httpKeys(b)).toEqual(httpKeys(a));
      }),
    );
  });

  it('joins repeated headers in order', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('x-dup', 'cookie', 'accept'),
        fc.array(fc.stringMatching(/^[!-~]{1,8}$/), { minLength: 1, maxLength: 6 }),
        (name, values) => {
          const headers = values.map((v): Header => [name, v]);
          const key = `HTTP_${name.toUpperCase().replaceAll('-', '_')}`;
          expect(environOf(httpScope({ headers }))[key]).toBe(values.join(name === 'cookie' ? '; ' : ', '));
        },
      ),
    );
  });
});

describe('encodePath', () => {
  it('is undone by decodePath', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const raw = encodePath(s);
        expect(decodePath(raw)).toBe(s);
        expect(raw).toMatch(/^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/);
      }),
    );
  });

  it('keeps pchar and "/" as they are, and escapes the rest', () => {
    expect(encodePath("/a-b_c.d~e!$&'()*+,;=:@")).toBe("/a-b_c.d~e!$&'()*+,;=:@");
    expect(encodePath('/a b/ü?#%')).toBe('/a%20b/%C3%BC%3F%23%25');
  });
});

describe('scopeFromEnviron', () => {
  const base = {
    REQUEST_METHOD: 'PUT',
    SCRIPT_NAME: '/app',
    PATH_INFO: '/a b',
    QUERY_STRING: 'q=1',
    SERVER_NAME: 'example.org',
    SERVER_PORT: '8080',
    SERVER_PROTOCOL: 'HTTP/1.0',
    REMOTE_ADDR: '192.0.2.1',
    REMOTE_PORT: '5000',
    CONTENT_TYPE: 'text/plain',
    CONTENT_LENGTH: '3',
    HTTP_X_FORWARDED_FOR: '10.0.0.1',
    HTTP_HOST: 'example.org:8080',
  };

  it('maps the CGI variables (no REQUEST_URI: the path re-encoded)', () => {
    const scope = scopeFromEnviron(base);
    expect(scope).toMatchObject({
      type: 'http',
      method: 'PUT',
      rootPath: '/app',
      path: '/a b',
      rawPath: '/app/a%20b',
      queryString: 'q=1',
      httpVersion: '1.0',
      scheme: 'http',
      client: ['192.0.2.1', 5000],
      server: ['example.org', 8080],
      extensions: {},
    });
    expect(scope.headers).toEqual([
      ['content-type', 'text/plain'],
      ['content-length', '3'],
      ['x-forwarded-for', '10.0.0.1'],
      ['host', 'example.org:8080'],
    ]);
  });

  const uris: Array<[string, Record<string, string>, Partial<HTTPScope>]> = [
    [
      'REQUEST_URI under SCRIPT_NAME',
      { SCRIPT_NAME: '/app', REQUEST_URI: '/app/x%2Fy?z=1', QUERY_STRING: 'z=1' },
      { rootPath: '/app', rawPath: '/app/x%2Fy', path: '/x/y', queryString: 'z=1' },
    ],
    [
      'REQUEST_URI the front end already stripped',
      { SCRIPT_NAME: '/app', REQUEST_URI: '/x' },
      { rootPath: '/app', rawPath: '/x', path: '/x', queryString: '' },
    ],
    [
      'query taken from REQUEST_URI without QUERY_STRING',
      { REQUEST_URI: '/x?a=%20' },
      { rootPath: '', rawPath: '/x', path: '/x', queryString: 'a=%20' },
    ],
    [
      'absolute-form REQUEST_URI',
      { REQUEST_URI: 'http://example.org/p%C3%BC?q' },
      { rawPath: '/p%C3%BC', path: '/pü', queryString: 'q' },
    ],
    [
      'SCRIPT_NAME "/" is the root',
      { SCRIPT_NAME: '/', PATH_INFO: '/x' },
      { rootPath: '', rawPath: '/x', path: '/x' },
    ],
  ];
  it.each(uris)('paths: %s', (_name, environ, expected) => {
    expect(scopeFromEnviron(environ)).toMatchObject(expected);
  });

  it('takes the scheme from portico.url_scheme, else HTTPS', () => {
    expect(scopeFromEnviron({ HTTPS: 'on' }).scheme).toBe('https');
    expect(scopeFromEnviron({ HTTPS: 'off' }).scheme).toBe('http');
    expect(scopeFromEnviron({ HTTPS: 'on', 'portico.url_scheme': 'http' }).scheme).toBe('http');
  });

  it('has no client or server when the variables are absent; state from portico.state', () => {
    const state = { a: 1 };
    const scope = scopeFromEnviron({ 'portico.state': state });
    expect(scope.client).toBeNull();
    expect(scope.server).toBeNull();
    expect(scope.state).toBe(state);
    expect(scope.method).toBe('GET');
    expect(scopeFromEnviron({ SERVER_NAME: '[::1]', SERVER_PORT: '80' }).server).toEqual(['::1', 80]);
  });

  const segment = fc.stringMatching(/^[^/]{1,8}$/);
  const pathArb = fc.array(segment, { maxLength: 4 }).map((segs) => segs.map((s) => `/${s}`).join(''));

  it('undoes environFromScope', () => {
    fc.assert(
      fc.property(
        pathArb,
        pathArb,
        fc.stringMatching(/^[!-~]{0,10}$/),
        fc.constantFrom('http', 'https'),
        fc.constantFrom('1.0', '1.1', '2') as fc.Arbitrary<HTTPScope['httpVersion']>,
        (rootPath, path, queryString, scheme, httpVersion) => {
          const scope = httpScope({
            method: 'PATCH',
            rootPath,
            path,
            rawPath: encodePath(rootPath + path),
            queryString: queryString.replaceAll('#', ''),
            scheme,
            httpVersion,
            headers: [
              ['host', 'example.org'],
              ['content-type', 'a/b'],
              ['x-a', '1'],
            ],
          });
          const back = scopeFromEnviron(environOf(scope));
          expect({ ...back, headers: [...back.headers].sort() }).toEqual({
            ...scope,
            // `path` comes back from rawPath, so a "/" inside a segment of it is decoded as "/".
            path: decodePath(scope.rawPath).slice(rootPath.length),
            headers: [...scope.headers].sort(),
          });
        },
      ),
    );
  });
});
