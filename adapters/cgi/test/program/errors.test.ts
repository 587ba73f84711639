/**
 * SRV-CGI-4: an app that fails before any output gives `Status: 500` and a non-zero exit, its error
 * on standard error; after output began, the output is cut short and the exit is non-zero.
 */
import { cgiResponseHead, FIXED_RESPONSES } from '@portico/server';
import { describe, expect } from 'vitest';
import { rule } from '../../../../packages/server/test/rule.js';
import { cgiEnv, collect, PROGRAM, requireBuild, runCGIProgram, startProgram } from './helpers.js';

requireBuild();

const get = (path: string) => cgiEnv({ PATH_INFO: path });
const fixed500 = Buffer.concat([
  Buffer.from(cgiResponseHead(500, FIXED_RESPONSES[500].headers), 'latin1'),
  FIXED_RESPONSES[500].body,
]).toString('latin1');

describe('an app that fails', () => {
  rule('SRV-CGI-4', 'before any output: Status: 500, exit 1, the error and its stack on stderr', async () => {
    const run = await runCGIProgram(get('/throw-before'));
    expect(run.status).toBe(1);
    expect(run.stdout.toString('latin1')).toBe(fixed500);
    expect(fixed500).toMatch(/^Status: 500 Internal Server Error\r\n/);
    expect(run.stderr).toMatch(
      /ERROR app raised before the response started: 500 rule=SRV-ERR-1 .*boom before any output/,
    );
    expect(run.stderr).toContain('program.mjs:');
  });

  rule('SRV-CGI-4', 'before any output in NPH mode: an HTTP/1.1 500 response, exit 1', async () => {
    const run = await runCGIProgram(get('/throw-before'), { kind: 'null' }, ['--nph']);
    expect(run.status).toBe(1);
    expect(run.stdout.toString('latin1')).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
    expect(run.stdout.toString('latin1')).toMatch(/\r\n\r\nInternal Server Error\n$/);
  });

  rule('SRV-CGI-4', 'after output began: the output cut short, exit 1, the error on stderr', async () => {
    const run = await runCGIProgram(get('/throw-after'));
    expect(run.status).toBe(1);
    expect(run.stdout.toString('latin1')).toBe('Status: 200 OK\r\ncontent-type: text/plain\r\n\r\npartial');
    expect(run.stderr).toMatch(
      /app raised during the response: connection aborted rule=SRV-ERR-2 .*boom after output/,
    );
  });

  rule('SRV-CGI-4', 'returns without completing its response: 500, exit 1', async () => {
    const run = await runCGIProgram(get('/return-early'));
    expect(run.status).toBe(1);
    expect(run.stdout.toString('latin1')).toBe(fixed500);
    // The validator around the app says so first (ASYNC-HTTP-12); without it the cycle would (SRV-ERR-3).
    expect(run.stderr).toContain('app resolved before the final http.response.body');
  });

  rule('SRV-CGI-4', 'standard output closed by the web server (EPIPE): exit 1, no crash', async () => {
    const child = startProgram([PROGRAM], get(`/big/${4 * 1024 * 1024}`));
    child.stdout!.once('data', () => child.stdout!.destroy());
    const run = await collect(child);
    expect(run.status).toBe(1);
    expect(run.signal).toBeNull();
    expect(run.stderr).toContain('standard output failed: the web server stopped reading');
  });

  rule('SRV-CGI-4', 'an app error is not a 500 when the app answered one itself: exit 0', async () => {
    const run = await runCGIProgram(get('/not-a-route'));
    expect(run.status).toBe(0);
    expect(run.stdout.toString('latin1')).toMatch(/^Status: 404 Not Found\r\n/);
  });
});
