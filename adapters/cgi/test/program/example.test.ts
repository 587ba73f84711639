/**
 * The examples of examples/cgi run as a web server runs them: executed directly (their
 * `#!/usr/bin/env node` line), with the meta-variables in the environment.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cgiEnv, collect, requireBuild } from './helpers.js';

requireBuild();

const EXAMPLES = fileURLToPath(new URL('../../../../examples/cgi/', import.meta.url));

function runExample(name: string, env: Record<string, string>) {
  // PATH must find `node` for the #! line.
  const path = `${process.execPath.replace(/\/[^/]*$/, '')}:/usr/bin:/bin`;
  return collect(
    spawn(`${EXAMPLES}${name}`, [], { env: { ...env, PATH: path }, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
}

describe('examples/cgi', () => {
  it('hello.cgi.mjs answers the request in its environment', async () => {
    const run = await runExample(
      'hello.cgi.mjs',
      cgiEnv({ SCRIPT_NAME: '/cgi-bin/hello.cgi.mjs', PATH_INFO: '/you' }),
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.toString('latin1')).toBe(
      'Status: 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 12\r\n\r\nHello, you!\n',
    );
  });

  it('environ.cgi.mjs answers with the environ a sync app gets', async () => {
    const run = await runExample(
      'environ.cgi.mjs',
      cgiEnv({ SCRIPT_NAME: '/cgi-bin/environ.cgi.mjs', QUERY_STRING: 'a=1', DOCUMENT_ROOT: '/srv' }),
    );
    expect(run.status).toBe(0);
    const text = run.stdout.toString('latin1');
    expect(text).toMatch(/^Status: 200 OK\r\n/);
    expect(text).toContain('\nDOCUMENT_ROOT=/srv\n');
    expect(text).toContain('\nQUERY_STRING=a=1\n');
    expect(text).toContain('\nSCRIPT_NAME=/cgi-bin/environ.cgi.mjs\n');
  });
});
