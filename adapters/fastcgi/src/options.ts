/**
 * Options of the FastCGI adapter, their defaults, and how they are checked.
 *
 * @module
 */
import type { CommonServerOptions, ResolvedServerOptions } from '@portico/server';
import { integerOption, invalidOption, resolveServerOptions } from '@portico/server';

/**
 * Options of {@link serve}. Sizes are bytes, times ms; a timeout of 0 disables it. The limits shared
 * with every adapter have the defaults of spec/servers.md "Limits" unless said otherwise here.
 */
export interface FastCGIServerOptions extends CommonServerOptions {
  /**
   * Where to listen: `HOST:PORT`, `[IPV6]:PORT`, `unix:PATH`, or `fd://0` for the listening socket
   * a web server hands to an app it spawns (FCGI_LISTENSOCK_FILENO, FastCGI 1.0 section 2.2).
   * Default `['127.0.0.1:9000']`.
   */
  bind?: string[];
  /**
   * The path prefix the app is mounted at. When given it replaces the front end's `SCRIPT_NAME`
   * (which nginx's stock `fastcgi_params` sets to the whole path); when absent, `SCRIPT_NAME` from
   * the params is the `rootPath`. Default: absent.
   */
  rootPath?: string;
  /**
   * Whether several requests may run at once on one connection (FastCGI 1.0 section 3.3); announced
   * as `FCGI_MPXS_CONNS`. When off, a second concurrent request gets `FCGI_CANT_MPX_CONN`. Default `true`.
   */
  multiplex?: boolean;
  /**
   * Most requests in flight at once across all connections (`FCGI_MAX_REQS`); one more gets
   * `FCGI_OVERLOADED`. Default 1024.
   */
  maxRequests?: number;
  /**
   * Requests served on one kept connection before the adapter closes it after the response
   * (0: no limit). Default 0.
   */
  maxRequestsPerConnection?: number;
  /** Largest FCGI_PARAMS stream of one request, bytes; over it: a 431 response. Default 65536. */
  maxParamsSize?: number;
  /**
   * Request body bytes one request of a multiplexed connection may hold in memory while its app
   * does not read; the rest spills to an unlinked temporary file (reading the shared connection is
   * never paused for one request). Default 1048576 (1 MiB).
   */
  maxBufferedBody?: number;
  /**
   * Addresses allowed to connect, as in the `FCGI_WEB_SERVER_ADDRS` environment variable (FastCGI
   * 1.0 section 3.2): others are closed at once. Default: that variable's value, or everyone when
   * it is not set. Applies to TCP connections only.
   */
  webServerAddrs?: string[];
  /** Largest request body in bytes; over it: 413. Default 104857600 (100 MiB). */
  maxBodySize?: number;
  /** Time from FCGI_BEGIN_REQUEST to the end of FCGI_PARAMS, ms; then 408. Default 60000. */
  headersTimeout?: number;
  /** Time to receive the whole request, ms; then 408. Default 300000. */
  requestTimeout?: number;
  /**
   * A kept connection with no request in flight closes after this long, ms. Default 0 (never: the
   * front end owns its pool and closes idle connections itself, as nginx's `keepalive_timeout` does).
   */
  keepAliveTimeout?: number;
  /** A connection with requests in flight and no I/O for this long is closed, ms. Default 60000. */
  idleTimeout?: number;
  /** Most open connections (`FCGI_MAX_CONNS`); more are closed on accept. Default 4096. */
  maxConnections?: number;
}

/** Options after defaults and checks. */
export interface ResolvedOptions extends ResolvedServerOptions {
  readonly multiplex: boolean;
  readonly maxRequests: number;
  readonly maxRequestsPerConnection: number;
  readonly maxParamsSize: number;
  readonly maxBufferedBody: number;
  readonly webServerAddrs: ReadonlySet<string> | null;
}

/** An integer option of this adapter, checked ({@link integerOption}). */
function count(
  options: FastCGIServerOptions,
  name: keyof FastCGIServerOptions,
  fallback: number,
  min: number,
): number {
  return integerOption(name, options[name], fallback, min);
}

/**
 * Parses a `FCGI_WEB_SERVER_ADDRS` value: comma-separated IP addresses (FastCGI 1.0 section 3.2).
 *
 * @throws PorticoError `ERR_INVALID_OPTION` for an entry that is not an IP address
 */
export function parseWebServerAddrs(value: string | readonly string[]): Set<string> {
  const list = typeof value === 'string' ? value.split(',') : value;
  const out = new Set<string>();
  for (const raw of list) {
    const address = String(raw).trim();
    if (address === '') continue;
    if (!/^[0-9a-fA-F.:]+$/.test(address))
      throw invalidOption(`FCGI_WEB_SERVER_ADDRS entry ${JSON.stringify(address)} is not an IP address`, raw);
    out.add(address.toLowerCase());
    // An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d.
    if (address.includes('.') && !address.includes(':')) out.add(`::ffff:${address}`);
  }
  return out;
}

/**
 * Fills in defaults and checks every option.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` naming the option and the value
 */
export function resolveOptions(options: FastCGIServerOptions = {}): ResolvedOptions {
  // keepAliveTimeout defaults to 0 here: the web server owns its pool of kept connections.
  const common = resolveServerOptions(options, '127.0.0.1:9000', { keepAliveTimeout: 0 });
  const multiplex = options.multiplex ?? true;
  if (typeof multiplex !== 'boolean') throw invalidOption('option multiplex must be a boolean', multiplex);
  const addrs = options.webServerAddrs ?? process.env.FCGI_WEB_SERVER_ADDRS;
  return {
    ...common,
    multiplex,
    maxRequests: count(options, 'maxRequests', 1024, 1),
    maxRequestsPerConnection: count(options, 'maxRequestsPerConnection', 0, 0),
    maxParamsSize: count(options, 'maxParamsSize', 65536, 1),
    maxBufferedBody: count(options, 'maxBufferedBody', 1 << 20, 0),
    webServerAddrs:
      addrs === undefined || (typeof addrs === 'string' && addrs.trim() === '')
        ? null
        : parseWebServerAddrs(addrs),
  };
}
