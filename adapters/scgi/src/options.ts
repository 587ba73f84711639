/**
 * Options of the SCGI adapter, their defaults, and how they are checked.
 *
 * @module
 */
import type { AccessLogEntry, Bind, LifespanMode, Limits, Logger } from '@portico/server';
import { parseBind, resolveLimits, silentLogger } from '@portico/server';
import { normalizeRootPath, PorticoError } from '@portico/spec';

/**
 * Options of {@link serve}. Sizes are bytes, times ms; a timeout of 0 disables it. The limits shared
 * with every adapter have the defaults of spec/servers.md "Limits".
 */
export interface SCGIServerOptions {
  /** Where to listen: `HOST:PORT`, `[IPV6]:PORT`, `unix:PATH`, `fd://N`. Default `['127.0.0.1:4000']`. */
  bind?: string[];
  /**
   * The path prefix the app is mounted at. When given it replaces the web server's `SCRIPT_NAME`;
   * when absent, `SCRIPT_NAME` is the `rootPath`. Default: absent.
   */
  rootPath?: string;
  /** Permission bits of a unix socket the server creates (`0o666`: any user may connect). Default: umask. */
  socketMode?: number;
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
  /** How long `close()` lets requests in flight finish, ms. Default 30000. */
  shutdownTimeout?: number;
  /** Lifespan protocol: `auto` (default), `on`, `off`. */
  lifespan?: LifespanMode;
  /** Server log. Default: silent. */
  logger?: Logger;
  /** Called once per finished request (format it with `formatCombinedLog`). Default: none. */
  accessLog?: (entry: AccessLogEntry) => void;
}

/** Options after defaults and checks. */
export interface ResolvedOptions extends Limits {
  readonly binds: readonly Bind[];
  readonly rootPath: string | null;
  readonly socketMode: number | null;
  readonly lifespan: LifespanMode;
  readonly logger: Logger;
  readonly accessLog: ((entry: AccessLogEntry) => void) | null;
}

function invalid(message: string, value?: unknown): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', message, { expose: true, value, rule: 'SRV-LIMIT-1' });
}

/**
 * Fills in defaults and checks every option.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` naming the option and the value
 */
export function resolveOptions(options: SCGIServerOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object', options);
  const limits = resolveLimits(options);
  const bindList = options.bind ?? ['127.0.0.1:4000'];
  if (!Array.isArray(bindList) || bindList.length === 0)
    throw invalid('option bind must be a non-empty array of addresses', bindList);
  const binds = bindList.map((b) => parseBind(b));
  let rootPath: string | null = null;
  if (options.rootPath !== undefined) {
    if (typeof options.rootPath !== 'string')
      throw invalid('option rootPath must be a string', options.rootPath);
    try {
      rootPath = normalizeRootPath(options.rootPath);
    } catch (err) {
      throw invalid(`option rootPath: ${(err as Error).message}`, options.rootPath);
    }
  }
  const socketMode = options.socketMode ?? null;
  if (socketMode !== null && (!Number.isInteger(socketMode) || socketMode < 0 || socketMode > 0o777))
    throw invalid('option socketMode must be permission bits 0..0o777', socketMode);
  const lifespan = options.lifespan ?? 'auto';
  if (lifespan !== 'auto' && lifespan !== 'on' && lifespan !== 'off')
    throw invalid(`option lifespan must be auto, on or off, got ${JSON.stringify(lifespan)}`, lifespan);
  const logger = options.logger ?? silentLogger;
  if (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function')
    throw invalid('option logger must have debug, info, warn and error methods', logger);
  const accessLog = options.accessLog ?? null;
  if (accessLog !== null && typeof accessLog !== 'function')
    throw invalid('option accessLog must be a function', accessLog);
  return { ...limits, binds, rootPath, socketMode, lifespan, logger, accessLog };
}
