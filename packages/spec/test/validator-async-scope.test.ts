import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AsyncApp } from '../src/async-types.js';
import { decodePath, splitRootPath } from '../src/path.js';
import { pathsAgree } from '../src/validator/async-scope.js';
import { collecting, hello, httpScope, request, run, validate, violationOf } from './helpers/communicator.js';

/** Runs hello with `scope`; returns [rule, side] of the violation. */
async function ruleOf(scope: unknown): Promise<unknown[]> {
  let ran = false;
  const app: AsyncApp = async (s, r, send) => {
    ran = true;
    await hello(s, r, send);
  };
  const err = await violationOf(run(validate(app), scope, [request()]));
  expect(ran).toBe(false); // scope violations are reported before the app runs
  return [err.rule, err.side];
}

const TLS = {
  serverCert: '-----BEGIN CERTIFICATE-----\n...',
  clientCertChain: [],
  clientCertName: null,
  tlsVersion: 'TLSv1.3',
  cipherSuite: 'TLS_AES_128_GCM_SHA256',
};

describe('valid scopes pass cleanly', () => {
  it.each([
    ['plain', {}],
    [
      'HTTP/2 over TLS with the tls extension',
      { httpVersion: '2', scheme: 'https', extensions: { tls: TLS } },
    ],
    ['mounted', { rootPath: '/app', rawPath: '/app/users', path: '/users' }],
    ['unix socket, unknown client', { server: ['/run/portico.sock', null], client: null }],
    ['OPTIONS *', { method: 'OPTIONS', rawPath: '*', path: '*' }],
    ['unknown keys', { 'x-server-extra': { anything: true } }],
  ])('%s', async (_name, overrides) => {
    const { violations, onViolation } = collecting();
    await run(validate(hello, onViolation), httpScope(overrides), [request()]);
    expect(violations).toEqual([]);
  });

  it('a scope type this validator does not know passes through when the version is not 1.0', async () => {
    const app: AsyncApp = async (_s, receive, send) => {
      await receive();
      await send({ type: 'webtransport.accept' } as never);
    };
    const scope = { type: 'webtransport', spec: { version: '1.1', specVersion: '1.0' } };
    await expect(
      run(validate(app), scope, [{ type: 'webtransport.connect' } as never]),
    ).resolves.toHaveLength(1);
    const err = await violationOf(
      run(
        validate(async () => {}),
        scope,
      ),
    );
    expect(err.rule).toBe('ASYNC-GEN-7');
  });
});

describe('scope keys (ASYNC-SCOPE)', () => {
  it('ASYNC-SCOPE-1: spec is {version, specVersion}', async () => {
    expect(await ruleOf(httpScope({ spec: undefined }))).toEqual(['ASYNC-SCOPE-1', 'server']);
    expect(await ruleOf(httpScope({ spec: { version: 1, specVersion: '1.0' } }))).toEqual([
      'ASYNC-SCOPE-1',
      'server',
    ]);
    expect(await ruleOf(httpScope({ spec: { version: '1.0' } }))).toEqual(['ASYNC-SCOPE-1', 'server']);
  });

  it('ASYNC-SCOPE-2: the scope is an object whose type the announced version defines', async () => {
    expect(await ruleOf(null)).toEqual(['ASYNC-SCOPE-2', 'server']);
    expect(await ruleOf({ ...httpScope(), type: 'webtransport' })).toEqual(['ASYNC-SCOPE-2', 'server']);
  });

  it('ASYNC-SCOPE-3: httpVersion', async () => {
    for (const httpVersion of ['1.2', 'HTTP/1.1', 2, undefined]) {
      expect(await ruleOf(httpScope({ httpVersion }))).toEqual(['ASYNC-SCOPE-3', 'server']);
    }
  });

  it('ASYNC-SCOPE-4: path is "" or starts with "/"', async () => {
    expect(await ruleOf(httpScope({ path: 'users', rawPath: 'users' }))).toEqual(['ASYNC-SCOPE-4', 'server']);
    expect(await ruleOf(httpScope({ path: undefined }))).toEqual(['ASYNC-SCOPE-4', 'server']);
  });

  it('ASYNC-SCOPE-5: rawPath is a byte string without "?"', async () => {
    expect(await ruleOf(httpScope({ rawPath: '/?x=1' }))).toEqual(['ASYNC-SCOPE-5', 'server']);
    expect(await ruleOf(httpScope({ rawPath: '/caf\u00e9\u20ac', path: '/caf\u00e9\u20ac' }))).toEqual([
      'ASYNC-SCOPE-5',
      'server',
    ]);
  });

  it('ASYNC-SCOPE-6: rootPath is "" or starts but does not end with "/"', async () => {
    expect(await ruleOf(httpScope({ rootPath: 'app' }))).toEqual(['ASYNC-SCOPE-6', 'server']);
    expect(await ruleOf(httpScope({ rootPath: '/app/', rawPath: '/app/', path: '' }))).toEqual([
      'ASYNC-SCOPE-6',
      'server',
    ]);
    expect(await ruleOf(httpScope({ rootPath: '/' }))).toEqual(['ASYNC-SCOPE-6', 'server']);
  });

  it('ASYNC-SCOPE-7: path is what remains of decodePath(rawPath) after rootPath', async () => {
    // the ASGI servers' reading: path keeps the root path (asgiref #229, Starlette #1336)
    expect(await ruleOf(httpScope({ rootPath: '/app', rawPath: '/app/users', path: '/app/users' }))).toEqual([
      'ASYNC-SCOPE-7',
      'server',
    ]);
    expect(await ruleOf(httpScope({ rawPath: '/a%2Fb', path: '/a%2Fb' }))).toEqual([
      'ASYNC-SCOPE-7',
      'server',
    ]);
    expect(await ruleOf(httpScope({ rawPath: '/users', path: '/other' }))).toEqual([
      'ASYNC-SCOPE-7',
      'server',
    ]);
  });

  it('ASYNC-SCOPE-8: queryString is a byte string', async () => {
    expect(await ruleOf(httpScope({ queryString: undefined }))).toEqual(['ASYNC-SCOPE-8', 'server']);
    expect(await ruleOf(httpScope({ queryString: 'q=\u20ac' }))).toEqual(['ASYNC-SCOPE-8', 'server']);
  });

  it('ASYNC-SCOPE-9: client is null or [host, port]', async () => {
    for (const client of [['127.0.0.1'], ['127.0.0.1', 70000], ['127.0.0.1', '80'], undefined]) {
      expect(await ruleOf(httpScope({ client }))).toEqual(['ASYNC-SCOPE-9', 'server']);
    }
  });

  it('ASYNC-SCOPE-10: server is null, [host, port] or [path, null]', async () => {
    for (const server of [['127.0.0.1', 'x'], [8000], 'localhost:8000', undefined]) {
      expect(await ruleOf(httpScope({ server }))).toEqual(['ASYNC-SCOPE-10', 'server']);
    }
  });

  it('ASYNC-SCOPE-11: state is an object', async () => {
    for (const state of [undefined, null, [], 'x']) {
      expect(await ruleOf(httpScope({ state }))).toEqual(['ASYNC-SCOPE-11', 'server']);
    }
  });

  it('ASYNC-GEN-3: extensions is an object of objects', async () => {
    expect(await ruleOf(httpScope({ extensions: null }))).toEqual(['ASYNC-GEN-3', 'server']);
    expect(await ruleOf(httpScope({ extensions: { 'http.response.trailers': true } }))).toEqual([
      'ASYNC-GEN-3',
      'server',
    ]);
  });
});

describe('http scope keys', () => {
  it('ASYNC-HTTP-1: method is an uppercase token', async () => {
    for (const method of ['get', 'Get', 'GE T', '', undefined]) {
      expect(await ruleOf(httpScope({ method }))).toEqual(['ASYNC-HTTP-1', 'server']);
    }
  });

  it('ASYNC-HTTP-2: scheme is http or https', async () => {
    for (const scheme of ['ws', 'HTTP', '', undefined]) {
      expect(await ruleOf(httpScope({ scheme }))).toEqual(['ASYNC-HTTP-2', 'server']);
    }
  });
});

describe('request headers (ASYNC-HDR, server side)', () => {
  it('ASYNC-HDR-1: a list of [name, value] string pairs', async () => {
    expect(await ruleOf(httpScope({ headers: { host: 'x' } }))).toEqual(['ASYNC-HDR-1', 'server']);
    expect(await ruleOf(httpScope({ headers: [['host', Buffer.from('x')]] }))).toEqual([
      'ASYNC-HDR-1',
      'server',
    ]);
  });

  it('ASYNC-HDR-2: names are lowercase in a scope', async () => {
    expect(await ruleOf(httpScope({ headers: [['Host', 'x']] }))).toEqual(['ASYNC-HDR-2', 'server']);
  });

  it('ASYNC-HDR-3: names are tokens (no HTTP/2 pseudo-headers)', async () => {
    expect(await ruleOf(httpScope({ headers: [[':authority', 'x']] }))).toEqual(['ASYNC-HDR-3', 'server']);
  });

  it('ASYNC-HDR-4: values have no CR, LF, NUL and are byte strings', async () => {
    expect(await ruleOf(httpScope({ headers: [['x-a', 'a\nb']] }))).toEqual(['ASYNC-HDR-4', 'server']);
  });

  it('order and duplicates are kept: any valid list passes', async () => {
    const name = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9a-z]{1,16}$/);
    const value = fc.string({
      unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)),
      maxLength: 30,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, value), { maxLength: 10 }), async (headers) => {
        await expect(run(validate(hello), httpScope({ headers }), [request()])).resolves.toHaveLength(2);
      }),
      { numRuns: 60 },
    );
  });
});

describe('tls extension (EXT-TLS)', () => {
  it('EXT-TLS-1: the TLSInfo shape', async () => {
    const bad = { ...TLS, clientCertChain: 'pem' };
    expect(await ruleOf(httpScope({ scheme: 'https', extensions: { tls: bad } }))).toEqual([
      'EXT-TLS-1',
      'server',
    ]);
  });

  it('EXT-TLS-2: only on a TLS connection', async () => {
    expect(await ruleOf(httpScope({ extensions: { tls: TLS } }))).toEqual(['EXT-TLS-2', 'server']);
  });
});

describe('cgi and fastcgi extensions (EXT-CGI, EXT-FCGI)', () => {
  const filterData = (pieces: { body: Uint8Array; moreBody: boolean }[]) => ({
    length: 5,
    lastModified: null,
    receive: async () => pieces.shift() ?? { body: new Uint8Array(0), moreBody: false },
  });

  it('EXT-CGI-1: variables an object of strings, stderr a function', async () => {
    expect(await ruleOf(httpScope({ extensions: { cgi: { variables: { A: 1 } } } }))).toEqual([
      'EXT-CGI-1',
      'server',
    ]);
    expect(await ruleOf(httpScope({ extensions: { cgi: { variables: {}, stderr: 'fd2' } } }))).toEqual([
      'EXT-CGI-1',
      'server',
    ]);
    const ok = await run(
      validate(hello),
      httpScope({ extensions: { cgi: { variables: { DOCUMENT_ROOT: '/srv' }, stderr: () => {} } } }),
      [request()],
    );
    expect(ok.map((e) => e.type)).toEqual(['http.response.start', 'http.response.body']);
  });

  it('EXT-FCGI-1: a known role, an id 1..65535, data exactly for the Filter role', async () => {
    expect(await ruleOf(httpScope({ extensions: { fastcgi: { role: 'proxy', requestId: 1 } } }))).toEqual([
      'EXT-FCGI-1',
      'server',
    ]);
    expect(await ruleOf(httpScope({ extensions: { fastcgi: { role: 'responder', requestId: 0 } } }))).toEqual(
      ['EXT-FCGI-1', 'server'],
    );
    expect(await ruleOf(httpScope({ extensions: { fastcgi: { role: 'filter', requestId: 1 } } }))).toEqual([
      'EXT-FCGI-1',
      'server',
    ]);
    expect(
      await ruleOf(
        httpScope({ extensions: { fastcgi: { role: 'responder', requestId: 1, data: filterData([]) } } }),
      ),
    ).toEqual(['EXT-FCGI-1', 'server']);
  });

  it('EXT-FCGI-2: data pieces are {body, moreBody}, nothing after the last; the app gets a checked copy', async () => {
    const readAll: AsyncApp = async (scope, receive, send) => {
      const data = scope.type === 'http' ? scope.extensions.fastcgi?.data : undefined;
      for (let i = 0; i < 3; i++) await data?.receive();
      await hello(scope, receive, send);
    };
    const bad = collecting();
    const scope = httpScope({
      extensions: {
        fastcgi: {
          role: 'filter',
          requestId: 1,
          data: filterData([
            { body: new Uint8Array([1]), moreBody: false },
            { body: new Uint8Array([2]), moreBody: true },
          ]),
        },
      },
    });
    await run(validate(readAll, bad.onViolation), scope, [request()]);
    expect(bad.violations.map((v) => v.rule)).toEqual(['EXT-FCGI-2']);
    const good = collecting();
    const clean = httpScope({
      extensions: {
        fastcgi: {
          role: 'filter',
          requestId: 1,
          data: filterData([{ body: new Uint8Array([1]), moreBody: false }]),
        },
      },
    });
    await run(validate(readAll, good.onViolation), clean, [request()]);
    expect(good.violations).toEqual([]);
  });
});

describe('paths: the server rule as a property', () => {
  const segment = fc.stringMatching(/^([a-zA-Z0-9._~-]|%[0-9A-F]{2}|%2F|[\u0080-\u00ff]){0,6}$/);
  const rawPath = fc.array(segment, { maxLength: 5 }).map((segments) => `/${segments.join('/')}`);
  const rootPath = fc
    .array(fc.stringMatching(/^[a-z]{1,4}$/), { maxLength: 3 })
    .map((s) => (s.length ? `/${s.join('/')}` : ''));

  it('a scope built as servers build it passes, with or without the prefix in the request', () => {
    fc.assert(
      fc.property(rawPath, rootPath, fc.boolean(), (rest, root, prefixed) => {
        const raw = prefixed ? root + rest : rest;
        const [rp, path] = splitRootPath(decodePath(raw), root);
        expect(pathsAgree(raw, rp, path)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a path that keeps a present root path fails', () => {
    fc.assert(
      fc.property(
        rawPath,
        rootPath.filter((r) => r !== ''),
        (rest, root) => {
          expect(pathsAgree(root + rest, root, decodePath(root + rest))).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a mount below a prefix the front end removed passes (a trailing part of rootPath)', () => {
    expect(pathsAgree('/app/x', '/foo/app', '/x')).toBe(true);
    expect(pathsAgree('/app/x', '/foo/ap', '/p/x')).toBe(false);
  });
});
