/**
 * From a sync environ back to an HTTP scope: for CGI-style servers, which receive an environ, and for
 * {@link asyncToSync}, which runs an async app where a sync app is expected.
 *
 * @module
 */
import type { ByteString, Extensions, Header, HTTPScope, SpecInfo, State } from '../async-types.js';
import { decodePath, splitRootPath } from '../path.js';

/** Options of {@link scopeFromEnviron}. */
export interface ScopeFromEnvironOptions {
  /** `scope.extensions`. Default `{}` (none offered). */
  extensions?: Extensions;
  /** `scope.state`. Default: `environ['portico.state']` when it is an object, else `{}`. */
  state?: State;
  /**
   * The mount point, used instead of `SCRIPT_NAME` (a server configured with a `rootPath` whose
   * front end sends a `SCRIPT_NAME` that is not one, as nginx's stock `fastcgi_params` does).
   * Default: `SCRIPT_NAME`.
   */
  rootPath?: string;
}

/** `scope.spec` of the scopes built here: interface 1.0, http scope spec 1.0. */
export const HTTP_SPEC: SpecInfo = Object.freeze({ version: '1.0', specVersion: '1.0' });

const VERSIONS: Record<string, HTTPScope['httpVersion']> = {
  'HTTP/1.0': '1.0',
  'HTTP/1.1': '1.1',
  'HTTP/2': '2',
  'HTTP/2.0': '2',
  'HTTP/3': '3',
  'HTTP/3.0': '3',
};

// pchar = unreserved / pct-encoded / sub-delims / ":" / "@" (RFC 3986 section 3.3), plus "/".
const PATH_SAFE = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/") {
  PATH_SAFE[c.charCodeAt(0)] = 1;
}
const HEX = '0123456789ABCDEF';

/**
 * Percent-encodes a decoded path back into a raw path (a byte string): UTF-8 bytes, each byte that
 * is not a `pchar` or `/` (RFC 3986 section 3.3) written as `%XX`. `decodePath(encodePath(s)) === s`
 * for every string without lone surrogates.
 */
export function encodePath(path: string): ByteString {
  let plain = true;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c > 0x7f || PATH_SAFE[c] !== 1) {
      plain = false;
      break;
    }
  }
  if (plain) return path;
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    out +=
      byte < 0x80 && PATH_SAFE[byte] === 1
        ? String.fromCharCode(byte)
        : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/** `http://host/p?q` (absolute-form, RFC 9112 section 3.2.2) -> `/p?q`; other forms unchanged. */
function originForm(uri: string): string {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(uri);
  if (m === null) return uri;
  const rest = uri.slice(m[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** `[::1]` -> `::1` (SERVER_NAME carries an IPv6 address in brackets, RFC 3875 section 4.1.14). */
function unbracket(name: string): string {
  return name.length > 2 && name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
}

function text(environ: Record<string, unknown>, key: string): string | undefined {
  const v = environ[key];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Builds an HTTP scope from an environ (the reverse of `environFromScope`):
 * - `method` = `REQUEST_METHOD` (default `GET`); `rootPath` = `SCRIPT_NAME` without a trailing `/`;
 * - when `REQUEST_URI` is present: `rawPath` = its path (before `?`; an absolute-form URI loses its
 *   scheme and authority), `path` = `decodePath(rawPath)`
 *   with `rootPath` removed by `splitRootPath` (spec/servers.md "rootPath"); otherwise `rawPath` =
 *   `SCRIPT_NAME + PATH_INFO` re-encoded with {@link encodePath} and `path` = `PATH_INFO`;
 * - `queryString` = `QUERY_STRING`, else the part of `REQUEST_URI` after `?`, else `""`;
 * - `headers`: `CONTENT_TYPE` as `content-type`, `CONTENT_LENGTH` as `content-length` (each when not
 *   empty), then each `HTTP_*` key as its name lowercase with `_` turned into `-`, in the environ's
 *   key order (an `HTTP_CONTENT_TYPE` / `HTTP_CONTENT_LENGTH` duplicating those two is skipped);
 * - `client` = `[REMOTE_ADDR, REMOTE_PORT]` (port 0 when absent), `null` without `REMOTE_ADDR`;
 *   `server` = `[SERVER_NAME, SERVER_PORT]` (brackets of an IPv6 address removed; port `null` when
 *   absent), `null` without `SERVER_NAME`;
 * - `scheme` = `portico.url_scheme`, else `"https"` when `HTTPS` is `on` or `1`, else `"http"`;
 * - `httpVersion` from `SERVER_PROTOCOL` (`"1.1"` when absent or unknown).
 * Non-string values are ignored.
 */
export function scopeFromEnviron(
  environ: Record<string, unknown>,
  options?: ScopeFromEnvironOptions,
): HTTPScope {
  let rootPath = options?.rootPath ?? text(environ, 'SCRIPT_NAME') ?? '';
  while (rootPath.endsWith('/')) rootPath = rootPath.slice(0, -1);
  if (rootPath !== '' && !rootPath.startsWith('/')) rootPath = `/${rootPath}`;

  const requestURI = text(environ, 'REQUEST_URI');
  let rawPath: string;
  let path: string;
  let uriQuery = '';
  if (requestURI !== undefined && requestURI !== '') {
    const target = originForm(requestURI);
    const q = target.indexOf('?');
    rawPath = q < 0 ? target : target.slice(0, q);
    if (q >= 0) uriQuery = target.slice(q + 1);
    path = splitRootPath(decodePath(rawPath), rootPath)[1];
  } else {
    path = text(environ, 'PATH_INFO') ?? '';
    if (path !== '' && !path.startsWith('/')) path = `/${path}`;
    rawPath = encodePath(rootPath + path);
  }

  const headers: Header[] = [];
  const contentType = text(environ, 'CONTENT_TYPE');
  const contentLength = text(environ, 'CONTENT_LENGTH');
  // An empty CONTENT_TYPE means none (RFC 3875 section 4.1.3: NULL when there is no body type);
  // nginx's stock params send it empty for every request without one.
  if (contentType !== undefined && contentType !== '') headers.push(['content-type', contentType]);
  if (contentLength !== undefined && contentLength !== '') headers.push(['content-length', contentLength]);
  for (const key of Object.keys(environ)) {
    if (!key.startsWith('HTTP_')) continue;
    const value = environ[key];
    if (typeof value !== 'string') continue;
    const name = key.slice(5).toLowerCase().replaceAll('_', '-');
    if (name === 'content-type' && contentType !== undefined && contentType !== '') continue;
    if (name === 'content-length' && contentLength !== undefined && contentLength !== '') continue;
    if (name !== '') headers.push([name, value]);
  }

  const remoteAddr = text(environ, 'REMOTE_ADDR');
  const remotePort = Number(text(environ, 'REMOTE_PORT') ?? '0');
  const serverName = text(environ, 'SERVER_NAME');
  const serverPort = text(environ, 'SERVER_PORT');
  const state = environ['portico.state'];
  const https = text(environ, 'HTTPS')?.toLowerCase();
  return {
    type: 'http',
    spec: HTTP_SPEC,
    httpVersion: VERSIONS[text(environ, 'SERVER_PROTOCOL')?.toUpperCase() ?? ''] ?? '1.1',
    method: text(environ, 'REQUEST_METHOD') ?? 'GET',
    scheme: text(environ, 'portico.url_scheme') ?? (https === 'on' || https === '1' ? 'https' : 'http'),
    path,
    rawPath,
    queryString: text(environ, 'QUERY_STRING') ?? uriQuery,
    rootPath,
    headers,
    client:
      remoteAddr === undefined || remoteAddr === ''
        ? null
        : [remoteAddr, Number.isInteger(remotePort) && remotePort >= 0 ? remotePort : 0],
    server:
      serverName === undefined || serverName === ''
        ? null
        : [
            unbracket(serverName),
            serverPort !== undefined && /^[0-9]{1,5}$/.test(serverPort) ? Number(serverPort) : null,
          ],
    state: options?.state ?? (typeof state === 'object' && state !== null ? (state as State) : ({} as State)),
    extensions: options?.extensions ?? {},
  };
}
