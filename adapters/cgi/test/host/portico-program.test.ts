/**
 * A Portico app served by a Portico CGI host: the examples of examples/cgi (`#!/usr/bin/env node`
 * programs calling `runCGI`, from dist/: run `npx tsc -b` first) run by `cgiHost`, both under the
 * validator.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect } from 'vitest';
import { rule } from '../../../../packages/server/test/rule.js';
import { hostClient } from './helpers.js';

const EXAMPLES = fileURLToPath(new URL('../../../../examples/cgi/', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

describe('a Portico app as the CGI program', () => {
  // `#!/usr/bin/env node` needs node on the programs' PATH.
  const PATH = `${dirname(process.execPath)}:/usr/bin:/bin`;

  rule('SRV-CGI-8', 'the async hello example answers through the host', async () => {
    expect(existsSync(DIST), 'adapters/cgi/dist is missing: run `npx tsc -b` first').toBe(true);
    const { client, logger } = hostClient(EXAMPLES, { env: { PATH } });
    const res = await client.get('/cgi-bin/hello.cgi.mjs/you');
    expect(logger.records.filter((r) => r.level !== 'debug')).toEqual([]);
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.text()).toBe('Hello, you!\n');
    const head = await client.head('/cgi-bin/hello.cgi.mjs');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  rule(
    'SRV-CGI-7',
    'the sync environ example sees the variables the host set, and no HTTP_PROXY',
    async () => {
      const { client } = hostClient(EXAMPLES, { env: { PATH } });
      const res = await client.get('/cgi-bin/environ.cgi.mjs/a%20b?x=1', {
        headers: { proxy: 'http://evil.example', 'x-trace': 't1' },
      });
      expect(res.status).toBe(200);
      const lines = res.text().split('\n');
      expect(lines).toContain('SCRIPT_NAME=/cgi-bin/environ.cgi.mjs');
      expect(lines).toContain('PATH_INFO=/a b');
      expect(lines).toContain('QUERY_STRING=x=1');
      expect(lines).toContain('REQUEST_URI=/cgi-bin/environ.cgi.mjs/a%20b?x=1');
      expect(lines).toContain('HTTP_X_TRACE=t1');
      expect(lines).toContain('GATEWAY_INTERFACE=CGI/1.1');
      expect(lines.filter((l) => l.startsWith('HTTP_PROXY='))).toEqual([]);
    },
  );
});
