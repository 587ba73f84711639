/**
 * SRV-CGI-1: the meta-variables come from the environment's raw bytes (/proc/self/environ), not from
 * process.env, and become the scope by scopeFromVariableList; the sync app's environ (SRV-ENV-1).
 */
import { describe, expect, it } from 'vitest';
import { rule } from '../../../../packages/server/test/rule.js';
import { parseEnvironBlock, readProcessVariables } from '../../src/index.js';
import { cgiEnv, jsonBody, requireBuild, runCGIProgram } from './helpers.js';

requireBuild();

describe('parseEnvironBlock', () => {
  it('splits NAME=value entries at the first =, keeps bytes as byte strings, skips entries without =', () => {
    const block = Buffer.concat([
      Buffer.from('A=1\0B=x=y\0NOEQUALS\0=C:=weird\0EMPTY=\0PATH_INFO=/caf', 'latin1'),
      Buffer.from([0xe9, 0, 0x55, 0x3d, 0xc3, 0xa9]),
    ]);
    expect(parseEnvironBlock(block)).toEqual([
      'A',
      '1',
      'B',
      'x=y',
      '=C:',
      'weird',
      'EMPTY',
      '',
      'PATH_INFO',
      '/caf\u00e9',
      'U',
      '\u00c3\u00a9',
    ]);
  });

  it('an empty block is no variables', () => {
    expect(parseEnvironBlock(new Uint8Array(0))).toEqual([]);
  });
});

describe('readProcessVariables', () => {
  it('reads this process environment from /proc/self/environ', () => {
    const list = readProcessVariables();
    const path = list.indexOf('PATH');
    expect(path % 2).toBe(0);
    expect(list[path + 1]).toBe(Buffer.from(process.env.PATH ?? '', 'utf8').toString('latin1'));
  });

  it('falls back to process.env (values encoded back to UTF-8 bytes) when the file cannot be read', () => {
    process.env.PORTICO_CGI_TEST = 'caf\u00e9';
    try {
      const list = readProcessVariables('/nonexistent/environ');
      const i = list.indexOf('PORTICO_CGI_TEST');
      expect(list[i + 1]).toBe('caf\u00c3\u00a9');
    } finally {
      delete process.env.PORTICO_CGI_TEST;
    }
  });
});

describe('a CGI program reads the raw bytes of its environment', () => {
  rule('SRV-CGI-1', 'bytes that are not UTF-8 reach the app as bytes, not as U+FFFD', async () => {
    const run = await runCGIProgram(
      cgiEnv({
        PATH_INFO: '/scope',
        // Latin-1 é in the header value and the query: process.env would give U+FFFD.
        HTTP_X_RAW: 'caf\u00e9 na\u00efve',
        QUERY_STRING: 'q=\u00e9t\u00e9',
        REQUEST_URI: '/cgi-bin/app/scope?q=\u00e9t\u00e9',
        // UTF-8 bytes of "é" in a header: one character per byte in the scope.
        HTTP_X_UTF8: '\u00c3\u00a9',
      }),
    );
    expect(run.status).toBe(0);
    const scope = jsonBody(run);
    const headers = scope.headers as [string, string][];
    expect(headers).toContainEqual(['x-raw', 'caf\u00e9 na\u00efve']);
    expect(headers).toContainEqual(['x-utf8', '\u00c3\u00a9']);
    expect(scope.queryString).toBe('q=\u00e9t\u00e9');
    expect(scope.rawPath).toBe('/cgi-bin/app/scope');
    expect((scope.cgi as Record<string, string>).HTTP_X_RAW).toBe('caf\u00e9 na\u00efve');
  });

  rule(
    'SRV-CGI-1',
    'PATH_INFO with a byte that is not UTF-8: raw in the cgi extension, U+FFFD in the decoded path',
    async () => {
      const run = await runCGIProgram(cgiEnv({ PATH_INFO: '/scope/caf\u00e9' }));
      const scope = jsonBody(run);
      expect((scope.cgi as Record<string, string>).PATH_INFO).toBe('/scope/caf\u00e9');
      expect(scope.path).toBe('/scope/caf\uFFFD');
      // Without REQUEST_URI, rawPath is the percent-encoding of SCRIPT_NAME + PATH_INFO as decoded.
      expect(scope.rawPath).toBe('/cgi-bin/app/scope/caf%EF%BF%BD');
    },
  );

  it('the variables become the scope: method, paths, query, headers, client, server, scheme, version', async () => {
    const run = await runCGIProgram(
      cgiEnv({
        PATH_INFO: '/scope',
        QUERY_STRING: 'a=1&b=%20',
        HTTPS: 'on',
        SERVER_PROTOCOL: 'HTTP/1.0',
        CONTENT_TYPE: 'text/plain',
        DOCUMENT_ROOT: '/srv/www',
        HTTP_COOKIE: 'a=1; b=2',
      }),
    );
    const scope = jsonBody(run);
    expect(scope).toMatchObject({
      method: 'GET',
      path: '/scope',
      rawPath: '/cgi-bin/app/scope',
      queryString: 'a=1&b=%20',
      rootPath: '/cgi-bin/app',
      client: ['192.0.2.7', 40000],
      server: ['example.org', 8080],
      scheme: 'https',
      httpVersion: '1.0',
      state: {},
      extensions: ['cgi', 'http.response.pathsend'],
      cgi: { DOCUMENT_ROOT: '/srv/www', PATH_INFO: '/scope', SCRIPT_NAME: '/cgi-bin/app' },
    });
    expect(scope.headers).toEqual([
      ['content-type', 'text/plain'],
      ['host', 'example.org:8080'],
      ['cookie', 'a=1; b=2'],
    ]);
  });

  it('a sync app: the environ holds the variables, DOCUMENT_ROOT and the body; portico.errors is stderr', async () => {
    const run = await runCGIProgram(
      cgiEnv({
        REQUEST_METHOD: 'POST',
        PATH_INFO: '/x',
        CONTENT_LENGTH: '5',
        CONTENT_TYPE: 'text/plain',
        DOCUMENT_ROOT: '/srv/www',
      }),
      { kind: 'socket', data: Buffer.from('hello') },
      ['sync'],
    );
    expect(run.status).toBe(0);
    const environ = jsonBody(run);
    expect(environ).toMatchObject({
      REQUEST_METHOD: 'POST',
      SCRIPT_NAME: '/cgi-bin/app',
      PATH_INFO: '/x',
      CONTENT_LENGTH: '5',
      CONTENT_TYPE: 'text/plain',
      DOCUMENT_ROOT: '/srv/www',
      SERVER_NAME: 'example.org',
      SERVER_PORT: '8080',
      'portico.multiprocess': true,
      body: 'hello',
    });
    expect(run.stderr).toBe('a line from the sync app\n');
  });

  rule(
    'SRV-ENV-1',
    'a Proxy: request header (HTTP_PROXY) never reaches a sync app, nor process.env',
    async () => {
      const run = await runCGIProgram(
        cgiEnv({ PATH_INFO: '/x', HTTP_PROXY: 'http://attacker.example:8080' }),
        { kind: 'null' },
        ['sync'],
      );
      const environ = jsonBody(run);
      expect(environ.hasProxy).toBe(false);
      expect(environ.envProxy).toBeNull();
      expect(environ.HTTP_HOST).toBe('example.org:8080');
    },
  );

  it('the async app does not find HTTP_PROXY in process.env either', async () => {
    const run = await runCGIProgram(cgiEnv({ PATH_INFO: '/scope', HTTP_PROXY: 'http://attacker.example' }));
    expect(jsonBody(run).envProxy).toBeNull();
  });
});
