/**
 * Options of the test client, their defaults, and their checks.
 *
 * @module
 */

import type {
  Address,
  Extensions,
  Header,
  InterfaceName,
  SyncToAsyncOptions,
  ValidatorOptions,
} from '@portico/spec';
import { normalizeRootPath, PorticoError } from '@portico/spec';
import { type HeadersInit, normalizeHeaders } from './headers.js';

/** Options of {@link createClient}. Every field is optional; defaults are given per field. */
export interface ClientOptions {
  /**
   * The interface the app speaks. Default `'auto'`: told by `detectInterface` from `@portico/spec`
   * (the `syncApp`/`asyncApp` mark, `async function`, then the parameter count).
   */
  interface?: InterfaceName | 'auto';
  /**
   * Wrap the app in the validator (`validateSync` / `validateAsync` from `@portico/spec`). Default
   * `true`. With the default handler every violation fails the request (or lifespan call) with
   * `ERR_SPEC_VIOLATION`, even when the app caught the error. Pass `ValidatorOptions` to handle
   * violations yourself (then they fail nothing unless your handler throws), `false` to turn it off.
   */
  validate?: boolean | ValidatorOptions;
  /** The configured root path (the mount point, SCRIPT_NAME). Default `''`. Trailing `/` removed. */
  rootPath?: string;
  /** URL scheme of requests: `'http'` (default) or `'https'`; websockets use `ws` / `wss`. */
  scheme?: 'http' | 'https';
  /** `scope.client`: the remote `[host, port]`, or `null`. Default `['127.0.0.1', 50000]`. */
  client?: Address | null;
  /**
   * `scope.server`: the local `[host, port]` (port `null` for a unix socket), or `null`. Default
   * `['testserver', 80]`. The Host header of a request is built from it (port left out when it is
   * the scheme's default), unless the request sets `host` itself.
   */
  server?: readonly [host: string, port: number | null] | null;
  /** Headers sent with every request; a request's own header of the same name replaces them. */
  headers?: HeadersInit;
  /**
   * Extensions offered to the app in `scope.extensions` (spec/extensions.md), e.g.
   * `{ 'http.response.trailers': {} }`. Default `{}`. The client implements `http.response.trailers`,
   * `http.response.early_hints` and `http.response.pathsend` when offered.
   */
  extensions?: Extensions;
  /**
   * When the app throws (or its promise rejects), reject the request's promise with that error
   * (default `true`, Starlette's `raise_server_exceptions`). When `false`, answer as a server would:
   * `500 Internal Server Error` if the response had not started, else the response as far as it got.
   */
  raiseAppErrors?: boolean;
  /** Options of `syncToAsync`, used for sync apps (spool threshold, temp dir, error stream). */
  bridge?: SyncToAsyncOptions;
}

/** {@link ClientOptions} checked, with defaults filled in. */
export interface ResolvedOptions {
  readonly interface: InterfaceName | 'auto';
  readonly validate: boolean;
  readonly validatorOptions: ValidatorOptions | null;
  readonly rootPath: string;
  readonly scheme: 'http' | 'https';
  readonly client: Address | null;
  readonly server: readonly [host: string, port: number | null] | null;
  readonly headers: readonly Header[];
  readonly extensions: Extensions;
  readonly raiseAppErrors: boolean;
  readonly bridge: SyncToAsyncOptions;
}

function bad(message: string): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', message);
}

function isPort(p: unknown): p is number {
  return typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 65535;
}

/**
 * Checks `options` and fills in the defaults.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` naming the option that is not valid;
 *   `ERR_BAD_HEADER` for a default header that is not valid
 */
export function resolveOptions(options: ClientOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw bad('options must be an object');
  const iface = options.interface ?? 'auto';
  if (iface !== 'auto' && iface !== 'sync' && iface !== 'async') {
    throw bad(`option interface must be 'auto', 'sync' or 'async': ${String(iface)}`);
  }
  const validate = options.validate ?? true;
  if (typeof validate !== 'boolean' && (typeof validate !== 'object' || validate === null)) {
    throw bad('option validate must be a boolean or validator options');
  }
  let rootPath: string;
  try {
    rootPath = normalizeRootPath(options.rootPath ?? '');
  } catch (err) {
    throw new PorticoError('ERR_INVALID_OPTION', `option rootPath: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const scheme = options.scheme ?? 'http';
  if (scheme !== 'http' && scheme !== 'https')
    throw bad(`option scheme must be 'http' or 'https': ${scheme}`);
  const client = options.client === undefined ? (['127.0.0.1', 50000] as const) : options.client;
  if (client !== null && !(Array.isArray(client) && typeof client[0] === 'string' && isPort(client[1]))) {
    throw bad('option client must be [host, port] or null');
  }
  const server = options.server === undefined ? (['testserver', 80] as const) : options.server;
  if (
    server !== null &&
    !(Array.isArray(server) && typeof server[0] === 'string' && (server[1] === null || isPort(server[1])))
  ) {
    throw bad('option server must be [host, port], [path, null] or null');
  }
  const extensions = options.extensions ?? {};
  if (typeof extensions !== 'object' || extensions === null) throw bad('option extensions must be an object');
  const raiseAppErrors = options.raiseAppErrors ?? true;
  if (typeof raiseAppErrors !== 'boolean') throw bad('option raiseAppErrors must be a boolean');
  return {
    interface: iface,
    validate: validate !== false,
    validatorOptions: typeof validate === 'object' ? validate : null,
    rootPath,
    scheme,
    client,
    server,
    headers: normalizeHeaders(options.headers),
    extensions,
    raiseAppErrors,
    bridge: options.bridge ?? {},
  };
}

/**
 * The Host header value for `server` under `scheme`: `host[:port]`, the port left out when it is the
 * scheme's default (RFC 9110 section 7.2); `testserver` when `server` is `null`, `localhost` for a
 * unix socket (`[path, null]`), as HTTP clients send over one.
 */
export function hostFor(server: ResolvedOptions['server'], scheme: string): string {
  if (server === null) return 'testserver';
  const [host, port] = server;
  if (port === null) return 'localhost';
  const name = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const secure = scheme === 'https' || scheme === 'wss';
  return port === (secure ? 443 : 80) ? name : `${name}:${port}`;
}
