/**
 * A program's environment (spec/servers.md SRV-CGI-7): the configured variables (`PATH` by default),
 * then the RFC 3875 section 4.1 meta-variables built from the scope, with the ones Apache adds
 * (`REQUEST_URI`, `HTTPS`, `DOCUMENT_ROOT`, `SCRIPT_FILENAME`, `REMOTE_PORT`), then one `HTTP_*`
 * variable per request header by `cgiVariableName` (no `HTTP_PROXY`, no name with `_`), without
 * `HTTP_AUTHORIZATION` unless configured.
 *
 * Values are bytes, as the program will see them: header values, `QUERY_STRING` and `REQUEST_URI`
 * are the request's bytes (the scope's byte strings); `SCRIPT_NAME` and file paths are UTF-8;
 * `PATH_INFO` is the request path's percent-decoded bytes, so `%FF` reaches the program as the byte
 * 0xFF, as under Apache.
 *
 * @module
 */

import { cgiVariableName } from '@portico/server';
import { type HTTPScope, percentDecodeBytes } from '@portico/spec';
import type { ProgramTarget } from './map-request.js';
import type { ResolvedHostOptions } from './options.js';

/** Variable name -> value bytes, in the order they were set. */
export type ProgramEnvironment = Map<string, Buffer>;

const PROTOCOLS: Readonly<Record<string, string>> = {
  '1.0': 'HTTP/1.0',
  '1.1': 'HTTP/1.1',
  '2': 'HTTP/2',
  '3': 'HTTP/3',
};

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/**
 * Builds the environment of `target` for the request in `scope`.
 *
 * - `GATEWAY_INTERFACE` `CGI/1.1`, `SERVER_SOFTWARE`, `SERVER_PROTOCOL` `HTTP/<httpVersion>`,
 *   `REQUEST_METHOD`, `QUERY_STRING` (always, maybe empty), `REQUEST_URI` (`rawPath` and `?query`);
 * - `SCRIPT_NAME` = `rootPath` + the program's path under the root; `SCRIPT_FILENAME` its file;
 *   `DOCUMENT_ROOT` the root; `PATH_INFO` and `PATH_TRANSLATED` (`DOCUMENT_ROOT` + `PATH_INFO`) only
 *   when there is a path after the program's name (RFC 3875 sections 4.1.5 and 4.1.6: NULL otherwise);
 * - `SERVER_NAME`, `SERVER_PORT` as spec/servers.md section 4 says (the listening address when it has
 *   a port, else the `Host` header, else `localhost`); `HTTPS` `on` for an `https` scheme;
 * - `REMOTE_ADDR`, `REMOTE_PORT` from `client`; no `REMOTE_HOST` (no reverse lookup, Apache's
 *   default); `AUTH_TYPE` and `REMOTE_USER` only when a front end set them in the `cgi` extension;
 * - `CONTENT_LENGTH`, `CONTENT_TYPE` from the headers when present and not empty; a body sent without
 *   a length (chunked) has no `CONTENT_LENGTH` and the program reads its input to the end, as under
 *   Apache;
 * - `HTTP_*`: repeated fields joined with `", "`, `Cookie` with `"; "`.
 */
export function programEnvironment(
  scope: HTTPScope,
  target: ProgramTarget,
  options: ResolvedHostOptions,
): ProgramEnvironment {
  const env: ProgramEnvironment = new Map();
  for (const [name, value] of options.env) env.set(name, utf8(value));

  env.set('GATEWAY_INTERFACE', latin1('CGI/1.1'));
  env.set('SERVER_SOFTWARE', utf8(options.serverSoftware));
  env.set('SERVER_PROTOCOL', latin1(PROTOCOLS[scope.httpVersion] ?? `HTTP/${scope.httpVersion}`));
  env.set('REQUEST_METHOD', latin1(scope.method));
  env.set('QUERY_STRING', latin1(scope.queryString));
  env.set(
    'REQUEST_URI',
    latin1(scope.queryString === '' ? scope.rawPath : `${scope.rawPath}?${scope.queryString}`),
  );
  env.set('SCRIPT_NAME', utf8(scope.rootPath + target.script));
  env.set('SCRIPT_FILENAME', utf8(target.file));
  env.set('DOCUMENT_ROOT', utf8(options.root));
  if (target.pathInfo !== '') {
    const pathInfo = pathInfoBytes(scope, target.pathInfo);
    env.set('PATH_INFO', pathInfo);
    env.set('PATH_TRANSLATED', Buffer.concat([utf8(options.root), pathInfo]));
  }
  if (scope.scheme === 'https') env.set('HTTPS', latin1('on'));
  if (scope.client !== null) {
    env.set('REMOTE_ADDR', latin1(scope.client[0]));
    env.set('REMOTE_PORT', latin1(String(scope.client[1])));
  }
  const variables = scope.extensions?.cgi?.variables;
  for (const name of ['AUTH_TYPE', 'REMOTE_USER']) {
    const value = variables?.[name];
    if (typeof value === 'string' && value !== '') env.set(name, latin1(value));
  }

  let host: string | undefined;
  const joined = new Map<string, string>();
  for (const [name, value] of scope.headers) {
    // `SRV-CGI-7`: `cgiVariableName` drops `Proxy` (no HTTP_PROXY, SRV-ENV-1) and names with `_`.
    const key = cgiVariableName(name);
    if (key === null) continue;
    if (key === 'HTTP_AUTHORIZATION' && !options.passAuthorization) continue;
    if (key === 'HTTP_HOST' && host === undefined) host = value;
    const prior = joined.get(key);
    joined.set(key, prior === undefined ? value : `${prior}${key === 'HTTP_COOKIE' ? '; ' : ', '}${value}`);
  }
  for (const [key, value] of joined) {
    if ((key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH') && value === '') continue;
    env.set(key, latin1(value));
  }
  setServer(env, scope, host);
  return env;
}

/** `SERVER_NAME` and `SERVER_PORT` by the rule of spec/servers.md section 4 (as `environFromScope`). */
function setServer(env: ProgramEnvironment, scope: HTTPScope, host: string | undefined): void {
  const server = scope.server;
  if (server !== null && server[1] !== null && server[0] !== '') {
    const name = server[0];
    env.set('SERVER_NAME', latin1(name.includes(':') && !name.startsWith('[') ? `[${name}]` : name));
    env.set('SERVER_PORT', latin1(String(server[1])));
    return;
  }
  const defaultPort = scope.scheme === 'https' ? '443' : '80';
  let name = 'localhost';
  let port = defaultPort;
  if (host !== undefined && host !== '') {
    const close = host.startsWith('[') ? host.indexOf(']') : -1;
    const colon = close >= 0 ? (host.charCodeAt(close + 1) === 0x3a ? close + 1 : -1) : host.lastIndexOf(':');
    const hostName = colon < 0 ? host : host.slice(0, colon);
    const hostPort = colon < 0 ? '' : host.slice(colon + 1);
    if (hostName !== '') {
      name = hostName;
      if (/^[0-9]{1,5}$/.test(hostPort)) port = hostPort;
    }
  }
  env.set('SERVER_NAME', latin1(name));
  env.set('SERVER_PORT', latin1(port));
}

/**
 * `PATH_INFO` as bytes. A decoded path without U+FFFD is exactly its UTF-8; one with U+FFFD came from
 * bytes that are not UTF-8, so they are taken from the raw path: the same number of trailing
 * segments of its percent-decoded bytes (decoding never adds or removes a `/`), kept only when they
 * decode to the same string.
 */
function pathInfoBytes(scope: HTTPScope, pathInfo: string): Buffer {
  const text = utf8(pathInfo);
  if (!pathInfo.includes('\uFFFD')) return text;
  const decoded = percentDecodeBytes(scope.rawPath);
  const bytes = Buffer.from(decoded.buffer, decoded.byteOffset, decoded.byteLength);
  let segments = pathInfo.split('/').length - 1;
  let at = bytes.length;
  while (segments > 0 && at > 0) {
    at = bytes.lastIndexOf(0x2f, at - 1);
    if (at < 0) return text;
    segments--;
  }
  const candidate = bytes.subarray(at);
  return candidate.toString('utf8') === pathInfo ? Buffer.from(candidate) : text;
}
