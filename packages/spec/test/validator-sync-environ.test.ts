/**
 * The sync validator's environ checks (spec/sync.md "environ"): each test hands the validator an
 * environ that breaks one rule and expects that rule's id, server side, before the app runs.
 */
import { describe, expect, test } from 'vitest';
import type { Environ, StartResponse } from '../src/sync-types.js';
import { checkSyncApp } from '../src/validator/sync.js';
import {
  checked,
  collecting,
  hello,
  makeEnviron,
  serve,
  violationOf,
} from './helpers/validator-sync-server.js';

/** Serves `hello` through the validator with `overrides` applied to a valid environ; returns the violation. */
function brokenEnviron(overrides: Record<string, unknown>) {
  let called = false;
  const err = violationOf(() =>
    serve(
      checked((environ, startResponse) => {
        called = true;
        return hello(environ, startResponse);
      }),
      makeEnviron(overrides),
    ),
  );
  expect(called).toBe(false);
  expect(err.side).toBe('server');
  return err;
}

describe('a valid environ', () => {
  test('passes with no violation and reaches the app as a copy', () => {
    const { report, violations } = collecting();
    const environ = makeEnviron({
      CONTENT_TYPE: 'text/plain',
      CONTENT_LENGTH: '0',
      HTTP_X_UTF8: 'caf\xc3\xa9',
    });
    let seen: Environ | undefined;
    const app = checkSyncApp((env, startResponse) => {
      seen = env;
      return hello(env, startResponse);
    }, report);
    const response = serve(app, environ);
    expect(violations).toEqual([]);
    expect(response.status).toBe('200 OK');
    expect(seen).not.toBe(environ);
    expect(seen?.['portico.state']).toBe(environ['portico.state']);
    expect(seen?.PATH_INFO).toBe('/hello');
  });

  test('SCRIPT_NAME and PATH_INFO may hold any decoded Unicode; unknown dotted keys may hold anything', () => {
    const { report, violations } = collecting();
    serve(
      checkSyncApp(hello, report),
      makeEnviron({ SCRIPT_NAME: '/café', PATH_INFO: '/日本/😀', 'server.thing': { any: 1 } }),
    );
    expect(violations).toEqual([]);
  });

  test('keeps the declared parameter count, so interface detection still works', () => {
    expect(checked(hello).length).toBe(2);
  });
});

describe('SYNC-APP-1: the app is called as app(environ, startResponse)', () => {
  test('a call without startResponse is reported', () => {
    const app = checked(hello);
    const err = violationOf(() => app(makeEnviron(), undefined as unknown as StartResponse));
    expect(err.rule).toBe('SYNC-APP-1');
    expect(err.side).toBe('server');
  });

  test('a call with a third argument is reported', () => {
    const app = checked(hello) as unknown as (...args: unknown[]) => unknown;
    const err = violationOf(() => app(makeEnviron(), () => () => {}, 'extra'));
    expect(err.rule).toBe('SYNC-APP-1');
  });
});

describe('environ rules (server side)', () => {
  test('SYNC-ENV-1: environ must be a plain object', () => {
    const app = checked(hello);
    const err = violationOf(() => app(new Map() as unknown as Environ, () => () => {}));
    expect(err.rule).toBe('SYNC-ENV-1');
    const err2 = violationOf(() => app(null as unknown as Environ, () => () => {}));
    expect(err2.rule).toBe('SYNC-ENV-1');
  });

  test.each([
    'REQUEST_METHOD',
    'SCRIPT_NAME',
    'PATH_INFO',
    'QUERY_STRING',
    'SERVER_NAME',
    'SERVER_PORT',
    'SERVER_PROTOCOL',
    'portico.version',
    'portico.url_scheme',
    'portico.input',
    'portico.errors',
    'portico.multithread',
    'portico.multiprocess',
    'portico.run_once',
    'portico.input_terminated',
    'portico.state',
  ])('SYNC-ENV-2: environ without %s is reported', (key) => {
    const err = brokenEnviron({ [key]: undefined });
    expect(err.rule).toBe('SYNC-ENV-2');
    expect(err.value).toBe(key);
  });

  test('SYNC-ENV-3: a CGI variable that is not a string is reported', () => {
    expect(brokenEnviron({ SERVER_PORT: 8000 }).rule).toBe('SYNC-ENV-3');
    expect(brokenEnviron({ REMOTE_USER: null }).rule).toBe('SYNC-ENV-3');
  });

  test('SYNC-ENV-3: a CGI variable other than SCRIPT_NAME/PATH_INFO must be a byte string', () => {
    expect(brokenEnviron({ QUERY_STRING: 'q=café€' }).rule).toBe('SYNC-ENV-3');
    expect(brokenEnviron({ HTTP_X_NAME: 'Ωmega' }).rule).toBe('SYNC-ENV-3');
  });

  test.each([
    { REQUEST_METHOD: 'GE T' },
    { REQUEST_METHOD: '' },
    { SERVER_NAME: '' },
    { SERVER_PORT: 'http' },
    { SERVER_PROTOCOL: 'HTTP/1.1 ' },
    { SERVER_PROTOCOL: 'SPDY/3' },
  ])('SYNC-ENV-4: bad CGI variable syntax %o is reported', (overrides) => {
    expect(brokenEnviron(overrides).rule).toBe('SYNC-ENV-4');
  });

  test.each([
    { SCRIPT_NAME: '/' },
    { SCRIPT_NAME: 'app' },
    { SCRIPT_NAME: '/app/' },
    { PATH_INFO: 'hello' },
    { PATH_INFO: '/bad\ud800' },
    { SCRIPT_NAME: '/x\udc00y' },
  ])('SYNC-ENV-5: bad SCRIPT_NAME/PATH_INFO %o is reported', (overrides) => {
    expect(brokenEnviron(overrides).rule).toBe('SYNC-ENV-5');
  });

  test.each([
    { HTTP_CONTENT_TYPE: 'text/plain' },
    { HTTP_CONTENT_LENGTH: '3' },
    { CONTENT_LENGTH: '' },
    { CONTENT_LENGTH: '-1' },
    { CONTENT_LENGTH: '1e3' },
    { HTTP_X_lower: 'v' },
    { 'HTTP_X-DASH': 'v' },
    { HTTP_: 'v' },
  ])('SYNC-ENV-6: header mapping %o is reported', (overrides) => {
    expect(brokenEnviron(overrides).rule).toBe('SYNC-ENV-6');
  });

  test('SYNC-ENV-7: HTTP_PROXY must never be in environ (httpoxy)', () => {
    const err = brokenEnviron({ HTTP_PROXY: 'http://evil.example:3128' });
    expect(err.rule).toBe('SYNC-ENV-7');
    expect(err.message).toContain('SYNC-ENV-7');
    expect(err.message).toContain('side: server');
  });

  test.each([[[1]], [[2, 0]], [[1, -1]], [[1, 0.5]], ['1.0'], [{ 0: 1, 1: 0 }]])(
    'SYNC-ENV-8: portico.version %o is reported',
    (version) => {
      expect(brokenEnviron({ 'portico.version': version }).rule).toBe('SYNC-ENV-8');
    },
  );

  test('SYNC-ENV-8: a later minor version is accepted', () => {
    const { report, violations } = collecting();
    serve(checkSyncApp(hello, report), makeEnviron({ 'portico.version': [1, 3] }));
    expect(violations).toEqual([]);
  });

  test.each(['HTTP', 'ftp', '', 'wss'])('SYNC-ENV-9: portico.url_scheme %j is reported', (scheme) => {
    expect(brokenEnviron({ 'portico.url_scheme': scheme }).rule).toBe('SYNC-ENV-9');
  });

  test('SYNC-ENV-10: portico.input and portico.errors must have their methods', () => {
    expect(brokenEnviron({ 'portico.input': { read() {}, readline() {} } }).rule).toBe('SYNC-ENV-10');
    expect(brokenEnviron({ 'portico.input': { read() {}, readline() {}, readlines() {} } }).rule).toBe(
      'SYNC-ENV-10',
    );
    expect(brokenEnviron({ 'portico.errors': process.stderr }).rule).toBe('SYNC-ENV-10');
  });

  test.each([
    { 'portico.multithread': 0 },
    { 'portico.multiprocess': 'false' },
    { 'portico.run_once': null },
    { 'portico.input_terminated': false },
  ])('SYNC-ENV-11: flag %o is reported', (overrides) => {
    expect(brokenEnviron(overrides).rule).toBe('SYNC-ENV-11');
  });

  test.each([{ 'portico.state': null }, { 'portico.state': [] }, { 'portico.file_wrapper': 'sendfile' }])(
    'SYNC-ENV-12: %o is reported',
    (overrides) => {
      expect(brokenEnviron(overrides).rule).toBe('SYNC-ENV-12');
    },
  );
});
