/**
 * What a CGI program refuses with 400 before calling the app: SCRIPT_NAME and PATH_INFO that are not
 * paths or hold a `.` or `..` segment (SRV-CGI-5), no REQUEST_METHOD (not a CGI request: exit 2), a
 * method that is not a token, a CONTENT_LENGTH that is not a number.
 */
import { describe, expect, it } from 'vitest';
import { rule } from '../../../../packages/server/test/rule.js';
import { isContainedPath } from '../../src/index.js';
import { cgiEnv, jsonBody, requireBuild, runCGIProgram } from './helpers.js';

requireBuild();

const BAD_REQUEST = /^Status: 400 Bad Request\r\n[\s\S]*\r\n\r\nBad Request\n$/;

describe('isContainedPath', () => {
  it('takes empty and absolute paths without dot segments', () => {
    for (const path of [
      '',
      '/',
      '/a/b',
      '/a//b',
      '/a/..b/c.',
      '/.well-known/x',
      '/a/...',
      '/%2Fx',
      '/caf\u00e9',
    ])
      expect(isContainedPath(path), path).toBe(true);
  });

  rule('SRV-CGI-5', 'refuses relative paths and . or .. segments, percent-encoded or not', () => {
    for (const path of [
      'a/b',
      '..',
      '.',
      '/..',
      '/.',
      '/a/../b',
      '/a/./b',
      '/a/..',
      '/%2e%2e/x',
      '/%2E./x',
      '/.%2e',
      '/a/%2e/b',
    ])
      expect(isContainedPath(path), path).toBe(false);
  });
});

describe('requests refused before the app is called', () => {
  for (const [name, value] of [
    ['PATH_INFO', '/a/../../etc/passwd'],
    ['PATH_INFO', '/%2e%2e/secret'],
    ['PATH_INFO', 'relative/path'],
    ['PATH_INFO', '/./x'],
    ['SCRIPT_NAME', '/cgi-bin/../app'],
    ['SCRIPT_NAME', 'cgi-bin/app'],
  ] as const) {
    rule('SRV-CGI-5', `${name}=${value}: 400, exit 0, the app not called`, async () => {
      const run = await runCGIProgram(
        cgiEnv({ [name]: value, ...(name === 'SCRIPT_NAME' ? { PATH_INFO: '/scope' } : {}) }),
      );
      expect(run.status).toBe(0);
      expect(run.stdout.toString('latin1')).toMatch(BAD_REQUEST);
      expect(run.stderr).toContain(
        `WARN bad CGI request: ${name} is not a path or has a . or .. segment: 400 rule=SRV-CGI-5`,
      );
      expect(run.stderr).not.toContain('seen: app called');
    });
  }

  it('paths with dots that are not dot segments reach the app', async () => {
    const run = await runCGIProgram(cgiEnv({ PATH_INFO: '/scope/..hidden/a...b/.x' }));
    expect(jsonBody(run).path).toBe('/scope/..hidden/a...b/.x');
  });

  it('no REQUEST_METHOD: not a CGI request, 400 all the same, exit 2', async () => {
    const run = await runCGIProgram(cgiEnv({ REQUEST_METHOD: undefined, PATH_INFO: '/scope' }));
    expect(run.status).toBe(2);
    expect(run.stdout.toString('latin1')).toMatch(BAD_REQUEST);
    expect(run.stderr).toContain('REQUEST_METHOD is not set: not started as a CGI program');
  });

  it('a REQUEST_METHOD that is not a token: 400', async () => {
    const run = await runCGIProgram(cgiEnv({ REQUEST_METHOD: 'GET /x', PATH_INFO: '/scope' }));
    expect(run.status).toBe(0);
    expect(run.stdout.toString('latin1')).toMatch(BAD_REQUEST);
  });

  it('a CONTENT_LENGTH that is not a number: 400', async () => {
    const run = await runCGIProgram(
      cgiEnv({ REQUEST_METHOD: 'POST', CONTENT_LENGTH: '12abc', PATH_INFO: '/echo' }),
    );
    expect(run.stdout.toString('latin1')).toMatch(BAD_REQUEST);
  });

  it('a CONTENT_LENGTH of -1 is no body', async () => {
    const run = await runCGIProgram(
      cgiEnv({ REQUEST_METHOD: 'POST', CONTENT_LENGTH: '-1', PATH_INFO: '/echo' }),
    );
    expect(jsonBody(run)).toMatchObject({ length: 0 });
  });

  it('HEAD refused: the 400 head without its body', async () => {
    const run = await runCGIProgram(cgiEnv({ REQUEST_METHOD: 'HEAD', PATH_INFO: '/../x' }));
    expect(run.stdout.toString('latin1')).toMatch(
      /^Status: 400 Bad Request\r\n[\s\S]*content-length: 12\r\n[\s\S]*\r\n\r\n$/,
    );
  });
});
