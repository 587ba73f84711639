/**
 * Options of the HTTP adapter, their defaults, and how they are checked.
 *
 * @module
 */
import type { CommonServerOptions, ResolvedServerOptions } from '@portico/server';
import { resolveServerOptions } from '@portico/server';

/**
 * Options of {@link serve}. Sizes are bytes, times ms; a timeout of 0 disables it. Every limit has
 * the default of spec/servers.md "Limits".
 */
export interface HTTPServerOptions extends CommonServerOptions {
  /** Where to listen: `HOST:PORT`, `[IPV6]:PORT`, `unix:PATH`, `fd://N`. Default `['127.0.0.1:8000']`. */
  bind?: string[];
  /** The path prefix the app is mounted at (`scope.rootPath`, SCRIPT_NAME). Default `''`. */
  rootPath?: string;
  /** Largest request head in bytes; over it: 431. Default 16384. */
  maxHeaderSize?: number;
  /** Most request header fields; over it: 431. Default 100. */
  maxHeadersCount?: number;
  /** Largest request body in bytes; over it: 413 and the connection closed. Default 104857600 (100 MiB). */
  maxBodySize?: number;
  /** Time to receive the request head, ms; then 408. Default 60000. */
  headersTimeout?: number;
  /** Time to receive the whole request, ms; then 408. Default 300000. */
  requestTimeout?: number;
  /** Idle keep-alive connections close after this long, ms. Default 5000. */
  keepAliveTimeout?: number;
  /** A connection without any I/O for this long is closed, ms. Default 60000. */
  idleTimeout?: number;
  /** Most open client connections. Default 4096. */
  maxConnections?: number;
}

/** Options after defaults and checks; `rootPath` is `''` when none was given. */
export interface ResolvedOptions extends ResolvedServerOptions {
  readonly rootPath: string;
}

/**
 * Fills in defaults and checks every option.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` naming the option and the value
 */
export function resolveOptions(options: HTTPServerOptions = {}): ResolvedOptions {
  const resolved = resolveServerOptions(options, '127.0.0.1:8000');
  return { ...resolved, rootPath: resolved.rootPath ?? '' };
}
