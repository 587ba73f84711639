/**
 * From request path to program (spec/servers.md SRV-CGI-6): SCRIPT_NAME and PATH_INFO, and every
 * way out of the root refused. The host is mounted at /cgi-bin and runs under the validator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../../../../packages/server/test/rule.js';
import { type CGIRoot, hostClient, makeRoot } from './helpers.js';

let dir: CGIRoot;
let host: ReturnType<typeof hostClient>;

beforeAll(() => {
  dir = makeRoot();
  host = hostClient(dir.root);
});
afterAll(() => dir.remove());

/** The `key=value` lines hello.sh prints. */
function lines(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('the program and PATH_INFO', () => {
  rule('SRV-CGI-6', 'runs the program a path names, with the query', async () => {
    const res = await host.client.get('/cgi-bin/hello.sh?a=1&b=two');
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toBe('text/plain');
    expect(res.header('x-script')).toBe('hello.sh');
    expect(lines(res.text())).toEqual({
      query: 'a=1&b=two',
      path_info: 'unset',
      script_name: '/cgi-bin/hello.sh',
      method: 'GET',
    });
  });

  rule('SRV-CGI-6', 'the rest of the path after the program is PATH_INFO', async () => {
    const res = await host.client.get('/cgi-bin/hello.sh/extra/path%20with%20space');
    expect(res.status).toBe(200);
    expect(lines(res.text())).toMatchObject({
      path_info: '/extra/path with space',
      script_name: '/cgi-bin/hello.sh',
    });
    const slash = await host.client.get('/cgi-bin/hello.sh/');
    expect(lines(slash.text()).path_info).toBe('/');
  });

  rule('SRV-CGI-6', 'walks into subdirectories, and follows links that stay in the root', async () => {
    const nested = await host.client.get('/cgi-bin/sub/nested.sh/x');
    expect(nested.status).toBe(200);
    expect(lines(nested.text())).toMatchObject({ script_name: '/cgi-bin/sub/nested.sh', path_info: '/x' });
    const linked = await host.client.get('/cgi-bin/link-in.sh');
    expect(linked.status).toBe(200);
    expect(lines(linked.text()).script_name).toBe('/cgi-bin/link-in.sh');
  });

  it('a host mounted at / has SCRIPT_NAME = the program path', async () => {
    const { createClient } = await import('../../../../packages/testing/src/index.js');
    const { cgiHost } = await import('../../src/index.js');
    const res = await createClient(cgiHost({ root: dir.root })).get('/hello.sh/p');
    expect(lines(res.text())).toMatchObject({ script_name: '/hello.sh', path_info: '/p' });
  });
});

describe('refused paths', () => {
  const refused: [string, string, number][] = [
    ['a .. segment', '/cgi-bin/../outside/secret.sh', 404],
    ['a .. segment after a directory', '/cgi-bin/sub/../hello.sh', 404],
    ['a .. segment in PATH_INFO', '/cgi-bin/hello.sh/../../etc/passwd', 404],
    ['a . segment', '/cgi-bin/./hello.sh', 404],
    ['an encoded ..', '/cgi-bin/%2e%2e/outside/secret.sh', 404],
    ['an encoded .. in upper case', '/cgi-bin/sub/%2E%2E/hello.sh', 404],
    ['an encoded slash', '/cgi-bin/sub%2Fnested.sh', 404],
    ['an encoded slash in lower case', '/cgi-bin/hello.sh/a%2fb', 404],
    ['an encoded NUL', '/cgi-bin/hello.sh%00.txt', 404],
    ['a name that does not exist', '/cgi-bin/missing.sh', 404],
    ['a link to a program outside the root', '/cgi-bin/escape.sh', 404],
    ['a linked directory outside the root', '/cgi-bin/outdir/secret.sh', 404],
    ['the root itself', '/cgi-bin', 403],
    ['the root with a slash', '/cgi-bin/', 403],
    ['a directory', '/cgi-bin/sub', 403],
    ['a directory with a slash', '/cgi-bin/sub/', 403],
    ['a file without an execute bit', '/cgi-bin/plain.txt', 403],
    ['a script without an execute bit', '/cgi-bin/noexec.sh', 403],
    ['a FIFO', '/cgi-bin/fifo', 403],
  ];
  for (const [what, path, status] of refused) {
    rule('SRV-CGI-6', `${status} for ${what}: ${path}`, async () => {
      const res = await host.client.get(path);
      expect(res.status).toBe(status);
      expect(res.text()).not.toContain('SECRET');
      expect(res.text()).not.toContain('hello from sh');
    });
  }

  rule(
    'SRV-CGI-6',
    'the secret program outside the root does run when asked directly (the test can fail)',
    async () => {
      const { createClient } = await import('../../../../packages/testing/src/index.js');
      const { cgiHost } = await import('../../src/index.js');
      const res = await createClient(cgiHost({ root: dir.outside })).get('/secret.sh');
      expect(res.text()).toBe('SECRET\n');
    },
  );

  rule('SRV-CGI-6', 'a refusal is logged at debug with its reason', async () => {
    const mark = host.logger.records.length;
    await host.client.get('/cgi-bin/escape.sh');
    expect(host.logger.records.slice(mark)).toEqual([
      expect.objectContaining({ level: 'debug', message: expect.stringContaining('outside the root') }),
    ]);
  });
});

describe('options', () => {
  it('refuses a root that is not a directory', async () => {
    const { cgiHost } = await import('../../src/index.js');
    expect(() => cgiHost({ root: `${dir.root}/hello.sh` })).toThrow(/option root is not a directory/);
    expect(() => cgiHost({ root: '' })).toThrow(/option root/);
    expect(() => cgiHost({ root: dir.root, timeout: -1 })).toThrow(/option timeout/);
    expect(() => cgiHost({ root: dir.root, maxHeaderSize: 0 })).toThrow(/option maxHeaderSize/);
    expect(() => cgiHost({ root: dir.root, timeout: 2 ** 31 })).toThrow(/option timeout/);
    expect(() => cgiHost({ root: dir.root, env: { 'A=B': 'x' } })).toThrow(/option env/);
    expect(() => cgiHost({ root: dir.root, env: { A: 'x\0y' } })).toThrow(/option env/);
  });
});
