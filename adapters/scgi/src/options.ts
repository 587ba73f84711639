/**
 * Options of the SCGI adapter, their defaults, and how they are checked.
 *
 * @module
 */
import type { CommonServerOptions, ResolvedServerOptions } from '@portico/server';
import { resolveServerOptions } from '@portico/server';

/**
 * Options of {@link serve}. Sizes are bytes, times ms; a timeout of 0 disables it. The limits shared
 * with every adapter have the defaults of spec/servers.md "Limits".
 */
export interface SCGIServerOptions extends CommonServerOptions {
  /** Where to listen: `HOST:PORT`, `[IPV6]:PORT`, `unix:PATH`, `fd://N`. Default `['127.0.0.1:4000']`. */
  bind?: string[];
  /**
   * The path prefix the app is mounted at. When given it replaces the web server's `SCRIPT_NAME`;
   * when absent, `SCRIPT_NAME` is the `rootPath`. Default: absent.
   */
  rootPath?: string;
  /** Largest header block (the netstring's content), bytes; over it: 431. Default 16384. */
  maxHeaderSize?: number;
  /** Largest request body (CONTENT_LENGTH), bytes; over it: 413. Default 104857600 (100 MiB). */
  maxBodySize?: number;
  /** Time to receive the header block, ms; then 408. Default 60000. */
  headersTimeout?: number;
  /** Time to receive the whole request, ms; then 408. Default 300000. */
  requestTimeout?: number;
  /** A connection with no I/O for this long is closed, ms. Default 60000. */
  idleTimeout?: number;
  /** Most open connections (one request each); more are closed on accept. Default 4096. */
  maxConnections?: number;
}

/** Options after defaults and checks. */
export type ResolvedOptions = ResolvedServerOptions;

/**
 * Fills in defaults and checks every option.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` naming the option and the value
 */
export function resolveOptions(options: SCGIServerOptions = {}): ResolvedOptions {
  return resolveServerOptions(options, '127.0.0.1:4000');
}
