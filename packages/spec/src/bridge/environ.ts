/**
 * From an HTTP scope to a sync environ (spec/servers.md "From scope to environ").
 *
 * @module
 */
import type { HTTPScope } from '../async-types.js';
import type { Environ, ErrorStream, FileWrapper, InputStream } from '../sync-types.js';
import { fileWrapper as defaultFileWrapper } from './file-wrapper.js';
import { packageVersion } from './version.js';

/** Options of {@link environFromScope}. */
export interface EnvironOptions {
  /** Value of `portico.multiprocess`. Default `false`. */
  multiprocess?: boolean;
  /**
   * Value of `portico.file_wrapper`; `null` leaves the key out. Default: the bridge's
   * {@link fileWrapper} (blocks read with `fs.readSync`).
   */
  fileWrapper?: FileWrapper | null;
  /** Value of `SERVER_SOFTWARE`. Default `"Portico/<version of @portico/spec>"`. */
  serverSoftware?: string;
}

/** `portico.version`: interface 1.0. Shared and frozen. */
const PORTICO_VERSION: readonly [number, number] = Object.freeze([1, 0] as const);

const PROTOCOLS: Record<string, string> = {
  '1.0': 'HTTP/1.0',
  '1.1': 'HTTP/1.1',
  '2': 'HTTP/2',
  '3': 'HTTP/3',
};

/** Header name -> environ key (`null`: the header is dropped). Bounded, so odd names cannot grow it. */
const KEYS = new Map<string, string | null>();
const MAX_CACHED_KEYS = 1024;

/**
 * The environ key of a request header: `HTTP_<NAME>` with `-` turned into `_`, uppercase;
 * `CONTENT_TYPE` / `CONTENT_LENGTH` for those two; `null` for a header that must be dropped:
 * - a name containing `_` (it would collide with its `-` form: nginx's and gunicorn's rule);
 * - any name that would become `HTTP_PROXY` (httpoxy, CVE-2016-5385; spec/servers.md "Security").
 */
export function environKey(name: string): string | null {
  // Request header names are new strings on every request, and a Map lookup hashes each one: the
  // common names are found by length and comparison first, at a fraction of that.
  const common = COMMON_KEYS[name.length];
  if (common !== undefined) {
    for (let i = 0; i < common.length; i += 2) if (common[i] === name) return common[i + 1]!;
  }
  let key = KEYS.get(name);
  if (key !== undefined) return key;
  if (name.includes('_') || name === '') key = null;
  else {
    key = `HTTP_${name.toUpperCase().replaceAll('-', '_')}`;
    if (key === 'HTTP_PROXY') key = null;
    else if (key === 'HTTP_CONTENT_TYPE') key = 'CONTENT_TYPE';
    else if (key === 'HTTP_CONTENT_LENGTH') key = 'CONTENT_LENGTH';
  }
  if (KEYS.size < MAX_CACHED_KEYS) KEYS.set(name, key);
  return key;
}

/**
 * Request header names most requests carry (browsers, curl, proxies), each with its key: by name
 * length, `[name, key, name, key, ...]`. Filled from {@link environKey}'s own rule.
 */
const COMMON_KEYS: (string[] | undefined)[] = [];
for (const name of [
  'host',
  'accept',
  'accept-encoding',
  'accept-language',
  'authorization',
  'cache-control',
  'connection',
  'content-length',
  'content-type',
  'cookie',
  'dnt',
  'if-modified-since',
  'if-none-match',
  'origin',
  'pragma',
  'priority',
  'range',
  'referer',
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-user',
  'te',
  'upgrade-insecure-requests',
  'user-agent',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'x-request-id',
]) {
  const key = environKey(name);
  if (key === null) continue;
  const sameLength = COMMON_KEYS[name.length];
  if (sameLength === undefined) COMMON_KEYS[name.length] = [name, key];
  else sameLength.push(name, key);
}

let software: string | undefined;

function defaultSoftware(): string {
  software ??= `Portico/${packageVersion()}`;
  return software;
}

/**
 * Builds the environ of an HTTP scope, exactly as spec/servers.md "From scope to environ" says:
 * - `REQUEST_METHOD` = `method`; `SCRIPT_NAME` = `rootPath`; `PATH_INFO` = `path` (both decoded
 *   Unicode strings; the raw bytes stay in `REQUEST_URI`); `QUERY_STRING` = `queryString`;
 * - `CONTENT_TYPE` / `CONTENT_LENGTH` from those headers, absent when the header is;
 * - `SERVER_NAME` / `SERVER_PORT` from `server` when it has a port (an IPv6 address in brackets,
 *   RFC 3875 section 4.1.14), else from the `host` header (port defaulting to 443 for `https`,
 *   80 otherwise), else `"localhost"`;
 * - `SERVER_PROTOCOL` = `HTTP/<httpVersion>`; `REMOTE_ADDR` / `REMOTE_PORT` from `client` (absent
 *   when it is `null`); `REQUEST_URI` = `rawPath` plus `?queryString` when not empty;
 *   `GATEWAY_INTERFACE` = `"CGI/1.1"`; `SERVER_SOFTWARE` = `"Portico/<version>"`;
 * - every other header as `HTTP_<NAME>` (see {@link environKey}), repeated headers joined with
 *   `", "` (`cookie` with `"; "`, RFC 9113 section 8.2.3), in the order they came;
 * - `portico.version` = `[1, 0]`, `portico.url_scheme` = `scheme`, `portico.input` = `input`,
 *   `portico.errors` = `errors`, `portico.multithread` = `false`, `portico.multiprocess` (option),
 *   `portico.run_once` = `false`, `portico.input_terminated` = `true`, `portico.state` = `state`
 *   (the same object), `portico.file_wrapper` (option).
 *
 * @param scope - an HTTP scope (not validated: wrap the app in the validator for that)
 * @param input - the request body reader
 * @param errors - the error stream
 */
export function environFromScope(
  scope: HTTPScope,
  input: InputStream,
  errors: ErrorStream,
  options?: EnvironOptions,
): Environ {
  const queryString = scope.queryString;
  const environ: Environ = {
    REQUEST_METHOD: scope.method,
    SCRIPT_NAME: scope.rootPath,
    PATH_INFO: scope.path,
    QUERY_STRING: queryString,
    SERVER_NAME: 'localhost',
    SERVER_PORT: '',
    SERVER_PROTOCOL: PROTOCOLS[scope.httpVersion] ?? `HTTP/${scope.httpVersion}`,
    REQUEST_URI: queryString === '' ? scope.rawPath : `${scope.rawPath}?${queryString}`,
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_SOFTWARE: options?.serverSoftware ?? defaultSoftware(),
    'portico.version': PORTICO_VERSION,
    'portico.url_scheme': scope.scheme,
    'portico.input': input,
    'portico.errors': errors,
    'portico.multithread': false,
    'portico.multiprocess': options?.multiprocess ?? false,
    'portico.run_once': false,
    'portico.input_terminated': true,
    'portico.state': scope.state,
  };
  const wrapper = options?.fileWrapper;
  if (wrapper !== null) environ['portico.file_wrapper'] = wrapper ?? defaultFileWrapper;
  const client = scope.client;
  if (client !== null) {
    environ.REMOTE_ADDR = client[0];
    environ.REMOTE_PORT = String(client[1]);
  }

  let host: string | undefined;
  const headers = scope.headers;
  const fields = environ as Record<string, unknown>;
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i]!;
    const name = header[0];
    const key = environKey(name);
    if (key === null) continue;
    const value = header[1];
    const prior = fields[key];
    if (prior === undefined) {
      fields[key] = value;
      if (key === 'HTTP_HOST') host = value;
    } else fields[key] = `${prior as string}${key === 'HTTP_COOKIE' ? '; ' : ', '}${value}`;
  }

  // The `cgi` extension's variables that the scope does not carry (DOCUMENT_ROOT, SCRIPT_FILENAME,
  // REMOTE_USER, AUTH_TYPE, HTTPS, a front end's own): an environ as flup and mod_wsgi give it.
  // HTTP_* come from the headers only (SRV-ENV-1, SRV-ENV-2), and keys set above stay.
  const cgi = scope.extensions?.cgi;
  const variables = typeof cgi === 'object' && cgi !== null ? cgi.variables : undefined;
  if (typeof variables === 'object' && variables !== null) {
    for (const key in variables) {
      if (key.startsWith('HTTP_') || key.startsWith('portico.') || fields[key] !== undefined) continue;
      // The headers decided these two (an empty type and a -1 length are none): never the raw values.
      if (key === 'CONTENT_LENGTH' || key === 'CONTENT_TYPE') continue;
      const value = variables[key];
      if (typeof value === 'string') fields[key] = value;
    }
  }

  const server = scope.server;
  if (server !== null && server[1] !== null && server[0] !== '') {
    const name = server[0];
    environ.SERVER_NAME = name.includes(':') && name.charCodeAt(0) !== 0x5b ? `[${name}]` : name;
    environ.SERVER_PORT = String(server[1]);
  } else {
    const defaultPort = scope.scheme === 'https' ? '443' : '80';
    environ.SERVER_PORT = defaultPort;
    if (host !== undefined && host !== '') setServerFromHost(environ, host, defaultPort);
  }
  return environ;
}

/** Sets SERVER_NAME and SERVER_PORT from a Host header value: `name`, `name:port`, `[v6]:port`. */
function setServerFromHost(environ: Environ, host: string, defaultPort: string): void {
  let name = host;
  let port = '';
  if (host.charCodeAt(0) === 0x5b) {
    const close = host.indexOf(']');
    if (close > 0) {
      name = host.slice(0, close + 1);
      if (host.charCodeAt(close + 1) === 0x3a) port = host.slice(close + 2);
    }
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      name = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
  }
  if (name === '') return;
  environ.SERVER_NAME = name;
  environ.SERVER_PORT = /^[0-9]{1,5}$/.test(port) ? port : defaultPort;
}
