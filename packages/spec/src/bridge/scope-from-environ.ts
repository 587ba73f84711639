/**
 * From a sync environ back to an HTTP scope: for CGI-style servers, which receive an environ, and for
 * {@link asyncToSync}, which runs an async app where a sync app is expected.
 *
 * @module
 */
import type { ByteString, Extensions, Header, HTTPScope, SpecInfo, State } from '../async-types.js';
import { PorticoError } from '../errors.js';
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

/** The CGI variables a scope is built from, gathered from an environ or a variable list. */
interface CGIFields {
  method: string | undefined;
  requestURI: string | undefined;
  queryString: string | undefined;
  scriptName: string | undefined;
  pathInfo: string | undefined;
  contentType: string | undefined;
  contentLength: string | undefined;
  protocol: string | undefined;
  https: string | undefined;
  urlScheme: string | undefined;
  remoteAddr: string | undefined;
  remotePort: string | undefined;
  serverName: string | undefined;
  serverPort: string | undefined;
  state: unknown;
  /**
   * `REDIRECT_URL` was set: Apache's internal redirect (a CGI local redirect), whose second request
   * keeps the first one's REQUEST_URI; SCRIPT_NAME and PATH_INFO are the new path.
   */
  redirected: boolean;
  /** `HTTP_*` variables as header pairs, in order; a name sent twice gives two pairs. */
  headers: Header[];
}

function emptyFields(): CGIFields {
  return {
    method: undefined,
    requestURI: undefined,
    queryString: undefined,
    scriptName: undefined,
    pathInfo: undefined,
    contentType: undefined,
    contentLength: undefined,
    protocol: undefined,
    https: undefined,
    urlScheme: undefined,
    remoteAddr: undefined,
    remotePort: undefined,
    serverName: undefined,
    serverPort: undefined,
    state: undefined,
    redirected: false,
    headers: [],
  };
}

// `HTTP_X_FOO` -> `x-foo`, cached: front ends send the same few dozen names again and again.
const HEADER_NAMES = new Map<string, string>();
function headerName(variable: string): string {
  let name = HEADER_NAMES.get(variable);
  if (name === undefined) {
    name = variable.slice(5).toLowerCase().replaceAll('_', '-');
    if (HEADER_NAMES.size < 1024) HEADER_NAMES.set(variable, name);
  }
  return name;
}

/**
 * Takes one variable into `fields`. Returns false for a variable the scope has no key for. `HTTP_*`
 * ones become headers; the framing headers are dropped: the body reaches the app de-chunked, its
 * length is CONTENT_LENGTH or unknown, so a forwarded `Transfer-Encoding` (nginx) or a copy of the
 * length (Caddy's `HTTP_CONTENT_LENGTH`) would describe bytes the app never sees.
 */
function takeVariable(fields: CGIFields, key: string, value: string): void {
  switch (key) {
    case 'REQUEST_METHOD':
      fields.method = value;
      return;
    case 'REQUEST_URI':
      fields.requestURI = value;
      return;
    case 'QUERY_STRING':
      fields.queryString = value;
      return;
    case 'SCRIPT_NAME':
      fields.scriptName = value;
      return;
    case 'PATH_INFO':
      fields.pathInfo = value;
      return;
    case 'CONTENT_TYPE':
      fields.contentType = value;
      return;
    case 'CONTENT_LENGTH':
      fields.contentLength = value;
      return;
    case 'SERVER_PROTOCOL':
      fields.protocol = value;
      return;
    case 'HTTPS':
      fields.https = value;
      return;
    case 'portico.url_scheme':
      fields.urlScheme = value;
      return;
    case 'REMOTE_ADDR':
      fields.remoteAddr = value;
      return;
    case 'REMOTE_PORT':
      fields.remotePort = value;
      return;
    case 'SERVER_NAME':
      fields.serverName = value;
      return;
    case 'SERVER_PORT':
      fields.serverPort = value;
      return;
    case 'REDIRECT_URL':
      fields.redirected = true;
      return;
    case 'HTTP_TRANSFER_ENCODING':
    case 'HTTP_CONTENT_LENGTH':
      return;
  }
  if (key.length <= 5 || !key.startsWith('HTTP_')) return;
  fields.headers.push([headerName(key), value]);
}

/** A byte string holding UTF-8 (as CGI variables on the wire do), decoded; bad sequences become U+FFFD. */
function decodeUtf8(bytes: string): string {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes.charCodeAt(i) > 0x7f) return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return bytes;
}

function buildScope(f: CGIFields, options: ScopeFromEnvironOptions | undefined): HTTPScope {
  let rootPath = options?.rootPath ?? f.scriptName ?? '';
  while (rootPath.endsWith('/')) rootPath = rootPath.slice(0, -1);
  if (rootPath !== '' && !rootPath.startsWith('/')) rootPath = `/${rootPath}`;

  const requestURI = f.redirected ? undefined : f.requestURI;
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
    path = f.pathInfo ?? '';
    if (path !== '' && !path.startsWith('/')) path = `/${path}`;
    rawPath = encodePath(rootPath + path);
  }

  // An empty CONTENT_TYPE means none (RFC 3875 section 4.1.3: NULL when there is no body type);
  // nginx's stock params send it empty for every request without one. A CONTENT_LENGTH of -1
  // (Caddy, a chunked upload) means the length is not known, as when it is absent.
  const contentType = f.contentType === '' ? undefined : f.contentType;
  const contentLength = f.contentLength === '' || f.contentLength === '-1' ? undefined : f.contentLength;
  let headers = f.headers;
  if (contentType !== undefined || contentLength !== undefined) {
    const own: Header[] = [];
    if (contentType !== undefined) own.push(['content-type', contentType]);
    if (contentLength !== undefined) own.push(['content-length', contentLength]);
    for (const header of headers)
      if (contentType === undefined || header[0] !== 'content-type') own.push(header);
    headers = own;
  }

  const remoteAddr = f.remoteAddr;
  const remotePort = Number(f.remotePort ?? '0');
  const serverName = f.serverName;
  const serverPort = f.serverPort;
  const state = f.state;
  const https = f.https?.toLowerCase();
  return {
    type: 'http',
    spec: HTTP_SPEC,
    httpVersion: VERSIONS[f.protocol?.toUpperCase() ?? ''] ?? '1.1',
    method: f.method ?? 'GET',
    scheme: f.urlScheme ?? (https === 'on' || https === '1' ? 'https' : 'http'),
    path,
    rawPath,
    queryString: f.queryString ?? uriQuery,
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

/**
 * Builds an HTTP scope from an environ (the reverse of `environFromScope`):
 * - `method` = `REQUEST_METHOD` (default `GET`); `rootPath` = `SCRIPT_NAME` (or the `rootPath`
 *   option) without a trailing `/`;
 * - when `REQUEST_URI` is present (and no `REDIRECT_URL`, which marks Apache's internal redirect,
 *   whose REQUEST_URI is the first request's): `rawPath` = its path (before `?`; an absolute-form URI loses its
 *   scheme and authority), `path` = `decodePath(rawPath)` with `rootPath` removed by `splitRootPath`
 *   (spec/servers.md "rootPath"); otherwise `rawPath` = `SCRIPT_NAME + PATH_INFO` re-encoded with
 *   {@link encodePath} and `path` = `PATH_INFO`;
 * - `queryString` = `QUERY_STRING`, else the part of `REQUEST_URI` after `?`, else `""`;
 * - `headers`: `CONTENT_TYPE` as `content-type` and `CONTENT_LENGTH` as `content-length` (each when
 *   not empty; a length of `-1` is no length), then each `HTTP_*` key as its name lowercase with `_`
 *   turned into `-`, in the environ's key order; an `HTTP_CONTENT_TYPE` duplicating `CONTENT_TYPE`,
 *   and `HTTP_CONTENT_LENGTH` and `HTTP_TRANSFER_ENCODING` (framing the app never sees) are left out;
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
  const fields = emptyFields();
  for (const key in environ) {
    const value = environ[key];
    if (key === 'portico.state') fields.state = value;
    else if (typeof value === 'string') takeVariable(fields, key, value);
  }
  return buildScope(fields, options);
}

/**
 * Builds an HTTP scope from CGI variables as a CGI-family protocol carries them (FastCGI params, an
 * SCGI header block): a flat list `[name0, value0, name1, value1, ...]` of byte strings (one
 * character per byte). The mapping is {@link scopeFromEnviron}'s, with two differences that come from
 * the wire: a variable sent twice keeps its **last** value, except `HTTP_*` ones, which each become a
 * header pair in order (nginx before 1.23 and HAProxy send repeated header fields as repeated
 * params: a scope keeps repeated fields); and `SCRIPT_NAME` and `PATH_INFO` are decoded from UTF-8
 * (an environ holds them decoded). Written as one pass over the list, without an intermediate
 * object: it runs for every request.
 *
 * @throws PorticoError `ERR_BAD_REQUEST` (status 400) when `REQUEST_METHOD` is missing (RFC 3875
 *   section 4.1.12: it MUST be set)
 */
export function scopeFromVariableList(list: readonly string[], options?: ScopeFromEnvironOptions): HTTPScope {
  const fields = emptyFields();
  for (let i = 0; i + 1 < list.length; i += 2) takeVariable(fields, list[i]!, list[i + 1]!);
  if (fields.method === undefined) {
    // RFC 3875 section 4.1.12: REQUEST_METHOD MUST be set. A front end that sends none (nginx with
    // no scgi_param lines) gives the app nothing to tell a POST from a GET.
    throw new PorticoError('ERR_BAD_REQUEST', 'REQUEST_METHOD is missing from the CGI variables', {
      status: 400,
    });
  }
  if (fields.scriptName !== undefined) fields.scriptName = decodeUtf8(fields.scriptName);
  if (fields.pathInfo !== undefined) fields.pathInfo = decodeUtf8(fields.pathInfo);
  fields.urlScheme = undefined; // a wire variable named portico.url_scheme is not the environ key
  return buildScope(fields, options);
}
