/**
 * Options of {@link cgiHost}, their defaults, and how they are checked.
 *
 * @module
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from '@portico/server';
import { silentLogger } from '@portico/server';
import { PorticoError } from '@portico/spec';

/**
 * Options of {@link cgiHost}. Sizes are bytes, times milliseconds; a timeout of 0 disables it.
 * There is no `interpreter` option: a program is a file with an execute bit, and a script names its
 * interpreter on its `#!` line, as under Apache's mod_cgi.
 */
export interface CGIHostOptions {
  /**
   * The directory holding the programs (Apache's `ScriptAlias` target, Python's `cgi_directories`).
   * A request path is looked up under it segment by segment (spec/servers.md SRV-CGI-6). Required;
   * it must exist when `cgiHost` is called. Relative paths are resolved against the current
   * directory once, then.
   */
  root: string;
  /**
   * How long a program may run, from its start to its exit, ms. When it expires the program's
   * process group gets SIGTERM, then SIGKILL after `killGrace`; the request is answered `504` when
   * nothing was sent yet, else the response is cut short. Default 30000; 0 disables it.
   */
  timeout?: number;
  /** Time between SIGTERM and SIGKILL when a program is stopped, ms. Default 3000 (Apache's). */
  killGrace?: number;
  /**
   * Largest response head a program may write (its header lines up to the blank line), bytes; over
   * it the program is stopped and the request answered `502`. Default 16384.
   */
  maxHeaderSize?: number;
  /**
   * Variables added to every program's environment. Nothing of the host's own environment reaches a
   * program except `PATH` (the host's, or `/usr/local/bin:/usr/bin:/bin` when it has none), as under
   * Apache. An entry here adds a variable or replaces `PATH`; `undefined` removes `PATH`. The
   * request's meta-variables (RFC 3875 section 4.1) are set after these and win over them. Names
   * may not be empty or hold `=` or NUL; values may not hold NUL. Default `{}`.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Pass the `Authorization` request header to programs as `HTTP_AUTHORIZATION`. Default `false`:
   * Apache withholds it because the program is not the one that authenticated the request, and a
   * script that logs its environment would leak credentials (spec/servers.md SRV-CGI-7).
   */
  passAuthorization?: boolean;
  /** `SERVER_SOFTWARE` of every program. Default `"Portico/<version of @portico/cgi>"`. */
  serverSoftware?: string;
  /**
   * Where the host logs: a program's standard error line by line (`warn`), programs that failed or
   * were stopped (`error`, `warn`), refused paths (`debug`). Default: silent.
   */
  logger?: Logger;
}

/** {@link CGIHostOptions} checked, with the defaults filled in. */
export interface ResolvedHostOptions {
  /** The absolute path of the root directory. */
  readonly root: string;
  readonly timeout: number;
  readonly killGrace: number;
  readonly maxHeaderSize: number;
  /** The configured variables, `PATH` included unless removed. */
  readonly env: ReadonlyMap<string, string>;
  readonly passAuthorization: boolean;
  readonly serverSoftware: string;
  readonly logger: Logger;
}

/** Used when the host process has no `PATH` (Apache's `DEFAULT_PATH`). */
export const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

function invalid(message: string, value?: unknown): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', message, { expose: true, value });
}

// The largest delay a Node timer takes (2^31 - 1 ms, about 24.8 days); a larger one fires at once.
const MAX_TIMER = 2_147_483_647;

function integer(name: string, given: unknown, fallback: number, min: number, max: number): number {
  if (given === undefined) return fallback;
  if (typeof given !== 'number' || !Number.isSafeInteger(given) || given < min || given > max)
    throw invalid(`option ${name} must be an integer in ${min}..${max}, got ${String(given)}`, given);
  return given;
}

let version: string | undefined;

/** `"Portico/<version>"` from this package's package.json (src/host and dist/host are two levels below it). */
function defaultSoftware(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version?: unknown;
      };
      version = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      version = '0.0.0';
    }
  }
  return `Portico/${version}`;
}

/**
 * Fills in defaults and checks every option.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` naming the option and the value
 */
export function resolveHostOptions(options: CGIHostOptions): ResolvedHostOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object', options);
  if (typeof options.root !== 'string' || options.root === '')
    throw invalid('option root must be the path of a directory', options.root);
  const root = resolve(options.root);
  let isDirectory = false;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch {}
  if (!isDirectory) throw invalid(`option root is not a directory: ${root}`, options.root);

  const env = new Map<string, string>();
  env.set('PATH', process.env.PATH || DEFAULT_PATH);
  const given = options.env ?? {};
  if (typeof given !== 'object' || given === null) throw invalid('option env must be an object', given);
  for (const [name, value] of Object.entries(given)) {
    if (name === '' || name.includes('=') || name.includes('\0'))
      throw invalid(`option env: ${JSON.stringify(name)} is not a variable name`, name);
    if (value === undefined) env.delete(name);
    else if (typeof value !== 'string' || value.includes('\0'))
      throw invalid(`option env: ${name} must be a string without NUL`, value);
    else env.set(name, value);
  }

  const passAuthorization = options.passAuthorization ?? false;
  if (typeof passAuthorization !== 'boolean')
    throw invalid('option passAuthorization must be a boolean', passAuthorization);
  const serverSoftware = options.serverSoftware ?? defaultSoftware();
  if (typeof serverSoftware !== 'string' || serverSoftware.includes('\0'))
    throw invalid('option serverSoftware must be a string', serverSoftware);
  const logger = options.logger ?? silentLogger;
  if (typeof logger !== 'object' || logger === null || typeof logger.warn !== 'function')
    throw invalid('option logger must have debug, info, warn and error methods', logger);

  return {
    root,
    timeout: integer('timeout', options.timeout, 30_000, 0, MAX_TIMER),
    killGrace: integer('killGrace', options.killGrace, 3_000, 0, MAX_TIMER),
    maxHeaderSize: integer('maxHeaderSize', options.maxHeaderSize, 16_384, 1, Number.MAX_SAFE_INTEGER),
    env,
    passAuthorization,
    serverSoftware,
    logger,
  };
}
