/**
 * Apps and checks the FastCGI and SCGI adapters' tests share: both take a request as CGI-style
 * variables from a web server (RFC 3875 section 4.1), so the same cases hold for each: the lifespan
 * state copied into each scope (SRV-SCOPE-4), a variable sent twice (SRV-FCGI-8, SRV-SCGI-5), and
 * a sync app's environ (SRV-ENV-1).
 */
import { type AsyncApp, type Environ, syncToAsync } from '@portico/spec';
import { expect } from 'vitest';
import { testApp } from './adapter-apps.js';

/**
 * The variables a web server sends for `method` and `uri` (path and query as sent): REQUEST_METHOD,
 * REQUEST_URI, QUERY_STRING, then `pathVariables(path)` (the adapter's own: SCRIPT_NAME and
 * PATH_INFO, DOCUMENT_URI), a client at 192.0.2.7:50000 and a server example.test:80 over HTTP/1.1,
 * then `extra` (which replaces any of them).
 */
export function requestVariables(
  method: string,
  uri: string,
  pathVariables: (path: string) => Record<string, string>,
  extra: Record<string, string> = {},
): Record<string, string> {
  const q = uri.indexOf('?');
  return {
    REQUEST_METHOD: method,
    REQUEST_URI: uri,
    QUERY_STRING: q < 0 ? '' : uri.slice(q + 1),
    ...pathVariables(q < 0 ? uri : uri.slice(0, q)),
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_NAME: 'example.test',
    SERVER_PORT: '80',
    REMOTE_ADDR: '192.0.2.7',
    REMOTE_PORT: '50000',
    ...extra,
  };
}

/** {@link testApp}, with a lifespan whose startup puts `pool: 'the pool'` in the state. */
export const lifespanStateApp: AsyncApp = async (scope, receive, send) => {
  if (scope.type === 'lifespan') {
    await receive();
    scope.state.pool = 'the pool';
    await send({ type: 'lifespan.startup.complete' });
    await receive();
    await send({ type: 'lifespan.shutdown.complete' });
    return;
  }
  return testApp(scope, receive, send);
};

/**
 * Variables to send after a request's own: REQUEST_URI and QUERY_STRING again (`/second?q=2`), and
 * `HTTP_X_REPEAT` and `HTTP_COOKIE` twice each, interleaved.
 */
export const REPEATED_VARIABLES: readonly [string, string][] = [
  ['REQUEST_URI', '/second?q=2'],
  ['QUERY_STRING', 'q=2'],
  ['HTTP_X_REPEAT', 'one'],
  ['HTTP_COOKIE', 'a=1'],
  ['HTTP_X_REPEAT', 'two'],
  ['HTTP_COOKIE', 'b=2'],
];

/**
 * Asserts what {@link testApp} saw of a request ending with {@link REPEATED_VARIABLES}: a variable
 * sent twice keeps its last value; a repeated `HTTP_*` variable is a header field each time, in the
 * order sent, and one joined variable in the `cgi` extension (`, `; cookies `; `).
 */
export function expectRepeatedVariables(seen: {
  headers: [string, string][];
  variables: Record<string, string>;
}): void {
  expect(seen).toMatchObject({ path: '/second', queryString: 'q=2' });
  expect(seen.headers.filter(([n]) => n === 'x-repeat' || n === 'cookie')).toEqual([
    ['x-repeat', 'one'],
    ['cookie', 'a=1'],
    ['x-repeat', 'two'],
    ['cookie', 'b=2'],
  ]);
  expect(seen.variables).toMatchObject({
    HTTP_X_REPEAT: 'one, two',
    HTTP_COOKIE: 'a=1; b=2',
    REQUEST_URI: '/second?q=2',
  });
}

/**
 * A sync app (through `syncToAsync`) that answers with JSON of the environ's values for `keys`
 * (`null` for an absent one), after calling `touch` with the environ.
 */
export function environEcho(keys: readonly string[], touch: (environ: Environ) => void = () => {}): AsyncApp {
  return syncToAsync((environ, startResponse) => {
    touch(environ);
    startResponse('200 OK', [['Content-Type', 'application/json']]);
    return [Buffer.from(JSON.stringify(Object.fromEntries(keys.map((k) => [k, environ[k] ?? null]))))];
  });
}
