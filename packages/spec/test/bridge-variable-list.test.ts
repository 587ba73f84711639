/**
 * scopeFromVariableList (CGI variables off the wire: FastCGI params, SCGI headers) against
 * scopeFromEnviron (the same variables as an environ): one mapping, two inputs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scopeFromEnviron, scopeFromVariableList } from '../src/bridge/index.js';

const token = fc.stringMatching(/^[A-Za-z0-9._~%/-]{0,12}$/);
const headerVar = fc.stringMatching(/^HTTP_[A-Z][A-Z0-9_]{0,8}$/);

const environ = fc.record(
  {
    REQUEST_METHOD: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT'),
    REQUEST_URI: fc.tuple(token, token).map(([p, q]) => `/${p}${q === '' ? '' : `?${q}`}`),
    QUERY_STRING: token,
    SCRIPT_NAME: fc.constantFrom('', '/app', '/a/b'),
    PATH_INFO: token.map((p) => `/${p}`),
    CONTENT_TYPE: fc.constantFrom('', 'text/plain', 'application/json'),
    CONTENT_LENGTH: fc.constantFrom('', '0', '12', '-1'),
    SERVER_PROTOCOL: fc.constantFrom('HTTP/1.0', 'HTTP/1.1', 'HTTP/2.0'),
    HTTPS: fc.constantFrom('on', 'off', '1', ''),
    REMOTE_ADDR: fc.constantFrom('127.0.0.1', '::1', ''),
    REMOTE_PORT: fc.constantFrom('50000', ''),
    SERVER_NAME: fc.constantFrom('example.test', '[::1]', ''),
    SERVER_PORT: fc.constantFrom('80', '8443', ''),
    DOCUMENT_ROOT: token,
  },
  { requiredKeys: ['REQUEST_METHOD'] },
);

describe('scopeFromVariableList', () => {
  it('builds the scope scopeFromEnviron builds from the same variables', () => {
    fc.assert(
      fc.property(
        environ,
        fc.uniqueArray(fc.tuple(headerVar, token), { selector: ([k]) => k, maxLength: 6 }),
        (vars, headers) => {
          const all: Record<string, string> = { ...vars };
          for (const [k, v] of headers) all[k] = v;
          const list = Object.entries(all).flat();
          expect(scopeFromVariableList(list)).toEqual(scopeFromEnviron(all));
        },
      ),
    );
  });

  it('a variable sent twice keeps its last value; a repeated HTTP_* variable is a repeated header', () => {
    const scope = scopeFromVariableList([
      'REQUEST_METHOD',
      'GET',
      'HTTP_ACCEPT',
      'a/b',
      'HTTP_X_ONE',
      '1',
      'REQUEST_URI',
      '/first',
      'HTTP_ACCEPT',
      'c/d',
      'REQUEST_URI',
      '/second?x',
    ]);
    expect(scope.headers).toEqual([
      ['accept', 'a/b'],
      ['x-one', '1'],
      ['accept', 'c/d'],
    ]);
    expect(scope.rawPath).toBe('/second');
    expect(scope.queryString).toBe('x');
  });

  it('SCRIPT_NAME and PATH_INFO are UTF-8 bytes on the wire: decoded', () => {
    const bytes = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
    const scope = scopeFromVariableList([
      'REQUEST_METHOD',
      'GET',
      'SCRIPT_NAME',
      bytes('/café'),
      'PATH_INFO',
      bytes('/naïve'),
    ]);
    expect(scope.rootPath).toBe('/café');
    expect(scope.path).toBe('/naïve');
    expect(scope.rawPath).toBe('/caf%C3%A9/na%C3%AFve');
  });

  it('framing variables never become headers; an empty CONTENT_TYPE and a -1 CONTENT_LENGTH are none', () => {
    const scope = scopeFromVariableList([
      'REQUEST_METHOD',
      'GET',
      'CONTENT_TYPE',
      '',
      'CONTENT_LENGTH',
      '-1',
      'HTTP_TRANSFER_ENCODING',
      'chunked',
      'HTTP_CONTENT_LENGTH',
      '-1',
      'HTTP_HOST',
      'h',
    ]);
    expect(scope.headers).toEqual([['host', 'h']]);
  });

  it("after Apache's internal redirect (REDIRECT_URL set) the path is SCRIPT_NAME + PATH_INFO, not the first REQUEST_URI", () => {
    const scope = scopeFromVariableList([
      'REQUEST_METHOD',
      'GET',
      'REQUEST_URI',
      '/app/go?x=1',
      'SCRIPT_NAME',
      '/app',
      'PATH_INFO',
      '/head',
      'QUERY_STRING',
      '',
      'REDIRECT_URL',
      '/app/go',
      'REDIRECT_STATUS',
      '200',
    ]);
    expect([scope.rootPath, scope.path, scope.rawPath, scope.queryString]).toEqual([
      '/app',
      '/head',
      '/app/head',
      '',
    ]);
  });

  it('REQUEST_METHOD must be there (RFC 3875 section 4.1.12): ERR_BAD_REQUEST, status 400', () => {
    expect(() => scopeFromVariableList(['REQUEST_URI', '/x'])).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_REQUEST', status: 400 }),
    );
  });

  it('a wire variable named portico.url_scheme does not set the scheme', () => {
    expect(scopeFromVariableList(['REQUEST_METHOD', 'GET', 'portico.url_scheme', 'https']).scheme).toBe(
      'http',
    );
    expect(scopeFromEnviron({ 'portico.url_scheme': 'https' }).scheme).toBe('https');
  });
});
