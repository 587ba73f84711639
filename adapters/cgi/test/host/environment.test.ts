/**
 * What a program finds in its environment (spec/servers.md SRV-CGI-7): the RFC 3875 meta-variables
 * from the scope and nothing of the host's own environment beyond PATH, never HTTP_PROXY, no
 * HTTP_AUTHORIZATION unless configured, values as the request's bytes. env.py reports the
 * environment it was started with (/proc/self/environ), byte for byte.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../../../../packages/server/test/rule.js';
import { createClient } from '../../../../packages/testing/src/index.js';
import { cgiHost } from '../../src/index.js';
import { type CGIRoot, hostClient, makeRoot } from './helpers.js';

interface Report {
  env: Record<string, string>;
  argv: string[];
  cwd: string;
  stdin_length: number;
  pid: number;
  pgid: number;
}

let dir: CGIRoot;
let host: ReturnType<typeof hostClient>;

beforeAll(() => {
  process.env.PORTICO_HOST_CANARY = 'must not reach programs';
  dir = makeRoot();
  host = hostClient(dir.root);
});
afterAll(() => {
  delete process.env.PORTICO_HOST_CANARY;
  dir.remove();
});

async function report(
  path: string,
  init: Parameters<typeof host.client.get>[1] = {},
  client = host.client,
): Promise<Report> {
  const res = await client.request(init.body === undefined ? 'GET' : 'POST', path, init);
  expect(res.status).toBe(200);
  expect(res.header('content-type')).toBe('application/json');
  return res.json<Report>();
}

describe('meta-variables', () => {
  rule('SRV-CGI-7', 'a GET with query and PATH_INFO: exactly the RFC 3875 variables and PATH', async () => {
    const r = await report('/cgi-bin/env.py/a/b%20c?x=1&y=%41', {
      headers: { 'user-agent': 'test/1', accept: 'text/plain' },
    });
    const file = join(dir.root, 'env.py');
    expect(r.env).toEqual({
      PATH: process.env.PATH,
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_SOFTWARE: expect.stringMatching(/^Portico\/\d+\.\d+\.\d+$/),
      SERVER_PROTOCOL: 'HTTP/1.1',
      REQUEST_METHOD: 'GET',
      QUERY_STRING: 'x=1&y=%41',
      REQUEST_URI: '/cgi-bin/env.py/a/b%20c?x=1&y=%41',
      SCRIPT_NAME: '/cgi-bin/env.py',
      SCRIPT_FILENAME: file,
      DOCUMENT_ROOT: dir.root,
      PATH_INFO: '/a/b c',
      PATH_TRANSLATED: `${dir.root}/a/b c`,
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_PORT: '50000',
      SERVER_NAME: 'testserver',
      SERVER_PORT: '80',
      HTTP_HOST: 'testserver',
      HTTP_USER_AGENT: 'test/1',
      HTTP_ACCEPT: 'text/plain',
    });
    expect(r.env.PORTICO_HOST_CANARY).toBeUndefined();
  });

  rule(
    'SRV-CGI-7',
    'no PATH_INFO nor PATH_TRANSLATED without a path after the program; QUERY_STRING always',
    async () => {
      const r = await report('/cgi-bin/env.py');
      expect(r.env.PATH_INFO).toBeUndefined();
      expect(r.env.PATH_TRANSLATED).toBeUndefined();
      expect(r.env.QUERY_STRING).toBe('');
      expect(r.env.REQUEST_URI).toBe('/cgi-bin/env.py');
    },
  );

  rule('SRV-CGI-7', 'a POST: CONTENT_LENGTH, CONTENT_TYPE and the body on standard input', async () => {
    const r = await report('/cgi-bin/env.py', {
      body: 'name=value&other=2',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(r.env.REQUEST_METHOD).toBe('POST');
    expect(r.env.CONTENT_LENGTH).toBe('18');
    expect(r.env.CONTENT_TYPE).toBe('application/x-www-form-urlencoded');
    expect(r.env.HTTP_CONTENT_LENGTH).toBeUndefined();
    expect(r.stdin_length).toBe(18);
  });

  rule('SRV-CGI-7', 'a chunked body has no CONTENT_LENGTH and reaches the program whole', async () => {
    async function* chunks() {
      yield 'abc';
      yield 'defg';
    }
    const r = await report('/cgi-bin/env.py', { body: chunks() });
    expect(r.env.CONTENT_LENGTH).toBeUndefined();
    expect(r.stdin_length).toBe(7);
  });

  rule('SRV-CGI-7', 'repeated headers are joined, cookies with "; "', async () => {
    const r = await report('/cgi-bin/env.py', {
      headers: [
        ['accept', 'a/b'],
        ['cookie', 'a=1'],
        ['accept', 'c/d'],
        ['cookie', 'b=2'],
      ],
    });
    expect(r.env.HTTP_ACCEPT).toBe('a/b, c/d');
    expect(r.env.HTTP_COOKIE).toBe('a=1; b=2');
  });

  rule('SRV-CGI-7', 'HTTPS is on for https, and SERVER_NAME/PORT follow the server address', async () => {
    const client = createClient(cgiHost({ root: dir.root }), {
      scheme: 'https',
      server: ['::1', 8443],
      client: ['::1', 40000],
    });
    const r = await report('/env.py', {}, client);
    expect(r.env.HTTPS).toBe('on');
    expect(r.env.SERVER_NAME).toBe('[::1]');
    expect(r.env.SERVER_PORT).toBe('8443');
    expect(r.env.REMOTE_ADDR).toBe('::1');
    expect(r.env.SCRIPT_NAME).toBe('/env.py');
  });

  rule(
    'SRV-CGI-7',
    'REMOTE_USER and AUTH_TYPE come from a front end that set them, nothing else of its variables',
    async () => {
      const client = createClient(cgiHost({ root: dir.root }), {
        extensions: {
          cgi: {
            variables: { REMOTE_USER: 'alice', AUTH_TYPE: 'Basic', DOCUMENT_ROOT: '/var/www', FOO: 'bar' },
          },
        },
      });
      const r = await report('/env.py', {}, client);
      expect(r.env.REMOTE_USER).toBe('alice');
      expect(r.env.AUTH_TYPE).toBe('Basic');
      expect(r.env.DOCUMENT_ROOT).toBe(dir.root);
      expect(r.env.FOO).toBeUndefined();
    },
  );

  rule(
    'SRV-CGI-7',
    'no command-line arguments, even for a query without "=" (RFC 3875 section 4.4, CVE-2012-1823)',
    async () => {
      const r = await report('/cgi-bin/env.py?-s+-d');
      expect(r.argv).toEqual([]);
      expect(r.env.QUERY_STRING).toBe('-s+-d');
    },
  );

  it('the program runs in its own directory', async () => {
    expect((await report('/cgi-bin/env.py')).cwd).toBe(dir.root);
  });
});

describe('what never reaches a program', () => {
  rule(['SRV-CGI-7', 'SRV-ENV-1'], 'a Proxy header never becomes HTTP_PROXY', async () => {
    const r = await report('/cgi-bin/env.py', {
      headers: { proxy: 'http://evil.example:8080', 'x-ok': '1' },
    });
    expect(r.env.HTTP_PROXY).toBeUndefined();
    expect(r.env.HTTP_X_OK).toBe('1');
    expect(Object.values(r.env)).not.toContain('http://evil.example:8080');
  });

  rule(['SRV-CGI-7', 'SRV-ENV-2'], 'a header with "_" in its name is dropped', async () => {
    const r = await report('/cgi-bin/env.py', { headers: { 'x-user_id': 'forged', 'x-user-id': 'real' } });
    expect(r.env.HTTP_X_USER_ID).toBe('real');
  });

  rule('SRV-CGI-7', 'Authorization is withheld by default, passed with passAuthorization', async () => {
    const headers = { authorization: 'Basic YWxpY2U6c2VjcmV0' };
    const withheld = await report('/cgi-bin/env.py', { headers });
    expect(withheld.env.HTTP_AUTHORIZATION).toBeUndefined();
    expect(Object.values(withheld.env).join('\n')).not.toContain('YWxpY2U6c2VjcmV0');
    const passing = hostClient(dir.root, { passAuthorization: true }).client;
    const passed = await report('/cgi-bin/env.py', { headers }, passing);
    expect(passed.env.HTTP_AUTHORIZATION).toBe('Basic YWxpY2U6c2VjcmV0');
  });

  rule(
    'SRV-CGI-7',
    'the env option adds variables, replaces or removes PATH; meta-variables win over it',
    async () => {
      const added = hostClient(dir.root, {
        env: { TZ: 'UTC', PATH: '/usr/bin:/bin', REQUEST_METHOD: 'FORGED' },
      });
      const r = await report('/cgi-bin/env.py', {}, added.client);
      expect(r.env.TZ).toBe('UTC');
      expect(r.env.PATH).toBe('/usr/bin:/bin');
      expect(r.env.REQUEST_METHOD).toBe('GET');
      expect(r.env.PORTICO_HOST_CANARY).toBeUndefined();
      const removed = hostClient(dir.root, { env: { PATH: undefined } });
      const r2 = await report('/cgi-bin/env.py', {}, removed.client);
      expect(r2.env.PATH).toBeUndefined();
    },
  );
});

describe('values are bytes', () => {
  rule(
    'SRV-CGI-7',
    'a header value with a byte that is not UTF-8 reaches the program as that byte',
    async () => {
      const r = await report('/cgi-bin/env.py', { headers: { 'x-latin': 'caf\u00e9' } });
      // env.py decodes bytes as Latin-1: one 0xE9 byte, not the two bytes of UTF-8 é.
      expect(r.env.HTTP_X_LATIN).toBe('caf\u00e9');
    },
  );

  rule('SRV-CGI-7', 'a UTF-8 header value reaches the program as its UTF-8 bytes', async () => {
    const r = await report('/cgi-bin/env.py', {
      headers: { 'x-utf8': Buffer.from('café', 'utf8').toString('latin1') },
    });
    expect(Buffer.from(r.env.HTTP_X_UTF8!, 'latin1').toString('utf8')).toBe('café');
  });

  rule(
    'SRV-CGI-7',
    'PATH_INFO holds the percent-decoded bytes of the path, %FF as the byte 0xFF',
    async () => {
      const r = await report('/cgi-bin/env.py/caf%C3%A9/%FF%FE');
      expect(Buffer.from(r.env.PATH_INFO!, 'latin1')).toEqual(
        Buffer.from([...Buffer.from('/café/', 'utf8'), 0xff, 0xfe]),
      );
      expect(r.env.REQUEST_URI).toBe('/cgi-bin/env.py/caf%C3%A9/%FF%FE');
    },
  );
});
