/**
 * The options every Portico server adapter takes besides its limits: where to listen, the mount
 * point, the unix socket mode, the lifespan mode, the logs. Checked once here so that every adapter
 * refuses the same bad values with the same messages (spec/servers.md SRV-LIMIT-1).
 *
 * @module
 */
import { normalizeRootPath, PorticoError } from '@portico/spec';
import type { AccessLogEntry } from './access-log.js';
import { type Bind, parseBind } from './bind.js';
import type { LifespanMode } from './lifespan.js';
import { type Limits, resolveLimits } from './limits.js';
import { type Logger, silentLogger } from './logger.js';

/**
 * The options every adapter takes besides its limits, as given. An adapter's options interface
 * extends it, and declares `bind` and `rootPath` again with its own default and meaning.
 */
export interface CommonServerOptions {
  /**
   * Where to listen: `HOST:PORT`, `[IPV6]:PORT`, `unix:PATH`, `fd://N`. Default: one address, the
   * adapter's (`127.0.0.1:8000` HTTP, `127.0.0.1:9000` FastCGI, `127.0.0.1:4000` SCGI).
   */
  bind?: string[];
  /** The path prefix the app is mounted at (`scope.rootPath`). Default: see each adapter. */
  rootPath?: string;
  /**
   * Permission bits of a unix socket the server creates (`0o666` lets a front end running as
   * another user connect, as php-fpm's `listen.mode`). Default: as the process umask leaves them.
   */
  socketMode?: number;
  /** How long `close()` lets in-flight requests finish, ms. Default 30000. */
  shutdownTimeout?: number;
  /** Lifespan protocol: `auto` (default), `on`, `off`. */
  lifespan?: LifespanMode;
  /** Server log. Default: silent. */
  logger?: Logger;
  /** Called once per finished request (format it with `formatCombinedLog`). Default: none. */
  accessLog?: (entry: AccessLogEntry) => void;
}

/** The common options after defaults and checks, with the limits. */
export interface ResolvedServerOptions extends Limits {
  readonly binds: readonly Bind[];
  /** The configured mount point, normalised; `null` when none was given. */
  readonly rootPath: string | null;
  readonly socketMode: number | null;
  readonly lifespan: LifespanMode;
  readonly logger: Logger;
  readonly accessLog: ((entry: AccessLogEntry) => void) | null;
}

/** An `ERR_INVALID_OPTION` naming the option (`SRV-LIMIT-1`). */
export function invalidOption(message: string, value?: unknown): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', message, { expose: true, value, rule: 'SRV-LIMIT-1' });
}

/**
 * An adapter's own integer option (FastCGI `maxRequests`, ...), checked as the limits are:
 * `fallback` when `given` is `undefined`, else `given` when it is a safe integer of at least `min`.
 *
 * @param name - the option's name, for the message
 * @throws PorticoError `ERR_INVALID_OPTION` naming the option and the value (`SRV-LIMIT-1`)
 */
export function integerOption(name: string, given: unknown, fallback: number, min: number): number {
  if (given === undefined) return fallback;
  if (typeof given !== 'number' || !Number.isSafeInteger(given) || given < min)
    throw invalidOption(`option ${name} must be an integer >= ${min}, got ${JSON.stringify(given)}`, given);
  return given;
}

/**
 * Fills in defaults and checks the common options and the limits.
 *
 * @param defaultBind - the adapter's default `bind` (`127.0.0.1:8000` for HTTP, `:9000` FastCGI, `:4000` SCGI)
 * @param limitDefaults - limits whose default differs for this adapter (FastCGI: `keepAliveTimeout` 0)
 * @throws PorticoError `ERR_INVALID_OPTION` naming the option and the value
 */
export function resolveServerOptions(
  options: CommonServerOptions & Partial<Record<keyof Limits, unknown>>,
  defaultBind: string,
  limitDefaults: Partial<Limits> = {},
): ResolvedServerOptions {
  if (typeof options !== 'object' || options === null)
    throw invalidOption('options must be an object', options);
  const limits = resolveLimits({ ...limitDefaults, ...options });
  const bindList = options.bind ?? [defaultBind];
  if (!Array.isArray(bindList) || bindList.length === 0)
    throw invalidOption('option bind must be a non-empty array of addresses', bindList);
  const binds = bindList.map((b) => parseBind(b));
  let rootPath: string | null = null;
  if (options.rootPath !== undefined) {
    if (typeof options.rootPath !== 'string')
      throw invalidOption('option rootPath must be a string', options.rootPath);
    try {
      rootPath = normalizeRootPath(options.rootPath);
    } catch (err) {
      throw invalidOption(`option rootPath: ${(err as Error).message}`, options.rootPath);
    }
  }
  const socketMode = options.socketMode ?? null;
  if (socketMode !== null && (!Number.isInteger(socketMode) || socketMode < 0 || socketMode > 0o777))
    throw invalidOption('option socketMode must be permission bits 0..0o777', socketMode);
  const lifespan = options.lifespan ?? 'auto';
  if (lifespan !== 'auto' && lifespan !== 'on' && lifespan !== 'off')
    throw invalidOption(`option lifespan must be auto, on or off, got ${JSON.stringify(lifespan)}`, lifespan);
  const logger = options.logger ?? silentLogger;
  if (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function')
    throw invalidOption('option logger must have debug, info, warn and error methods', logger);
  const accessLog = options.accessLog ?? null;
  if (accessLog !== null && typeof accessLog !== 'function')
    throw invalidOption('option accessLog must be a function', accessLog);
  return { ...limits, binds, rootPath, socketMode, lifespan, logger, accessLog };
}
