/**
 * The options of `portico serve`: one table that both the parser and the help text read, so an option
 * cannot be parsed without being documented (or the other way round).
 *
 * @module
 */
import { DEFAULT_LIMITS, type LogLevel, parseBind, resolveLimits } from '@portico/server';
import { normalizeRootPath } from '@portico/spec';
import { type OptionSpec, parseCommandLine, usage } from './command-line.js';
import { formatDuration, formatSize, invalid, parseCount, parseDuration, parseSize } from './units.js';

export type { OptionKind, OptionSpec } from './command-line.js';

/**
 * The adapter limits the CLI forwards to `@portico/http`'s `serve()`: option name -> serve() key.
 * Defaults are `DEFAULT_LIMITS` of `@portico/server` (the help text shows them); the CLI passes only
 * the limits given, so the adapter's defaults apply to the rest.
 */
export const LIMIT_KEYS = {
  'max-header-size': 'maxHeaderSize',
  'max-headers-count': 'maxHeadersCount',
  'max-body-size': 'maxBodySize',
  'headers-timeout': 'headersTimeout',
  'request-timeout': 'requestTimeout',
  'keep-alive-timeout': 'keepAliveTimeout',
  'idle-timeout': 'idleTimeout',
  'max-connections': 'maxConnections',
  'shutdown-timeout': 'shutdownTimeout',
} as const;

/** The limits given on the command line, keyed as `serve()` takes them; absent ones are omitted. */
export type Limits = { -readonly [K in keyof typeof LIMIT_KEYS as (typeof LIMIT_KEYS)[K]]?: number };

/** Every option of `portico serve`, in the order the help text lists them. */
export const SERVE_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'adapter',
    kind: 'choice',
    choices: ['http', 'fastcgi', 'scgi'],
    default: 'http',
    help: 'the server adapter: http (node:http), fastcgi (FastCGI 1.0) or scgi (SCGI), the last two behind a web server',
  },
  {
    name: 'bind',
    short: 'b',
    kind: 'bind',
    value: 'ADDR',
    default: '127.0.0.1:8000 (http), 127.0.0.1:9000 (fastcgi), 127.0.0.1:4000 (scgi)',
    help: 'listen on HOST:PORT, [IPV6]:PORT, unix:PATH or fd://N; repeatable (port 0 = any free port)',
  },
  {
    name: 'socket-mode',
    kind: 'string',
    value: 'OCTAL',
    default: 'as the umask leaves it',
    help: 'permission bits of a unix socket the server creates, e.g. 660 or 666 (php-fpm listen.mode)',
  },
  {
    name: 'interface',
    kind: 'choice',
    choices: ['auto', 'sync', 'async'],
    default: 'auto',
    help: 'the interface the app speaks; auto: an async function or 3 parameters = async, 2 = sync',
  },
  {
    name: 'root-path',
    kind: 'string',
    value: 'PATH',
    default: '"" (http), SCRIPT_NAME (fastcgi, scgi)',
    help: 'path prefix the app is mounted at (scope.rootPath / SCRIPT_NAME), e.g. /api; with fastcgi and scgi it replaces the SCRIPT_NAME the web server sends',
  },
  size('max-header-size', 'largest request head (request line and headers); larger gets 431'),
  count('max-headers-count', 'most request header fields; more gets 431'),
  size('max-body-size', 'largest request body; larger gets 413 and the connection is closed'),
  duration('headers-timeout', 'time to receive the request head, then 408 (0 = none)'),
  duration('request-timeout', 'time to receive the whole request, then 408 (0 = none)'),
  duration('keep-alive-timeout', 'how long an idle keep-alive connection stays open (0 = none)'),
  duration('idle-timeout', 'a connection with no traffic for this long is closed (0 = none)'),
  count('max-connections', 'most open client connections; more are closed on accept'),
  duration('shutdown-timeout', 'on SIGTERM/SIGINT, how long in-flight requests may take (0 = none)'),
  {
    name: 'multiplex',
    kind: 'choice',
    choices: ['on', 'off'],
    default: 'on',
    help: '(fastcgi) run several requests at once on one connection (FCGI_MPXS_CONNS); off answers FCGI_CANT_MPX_CONN',
  },
  {
    name: 'max-requests',
    kind: 'count',
    value: 'N',
    default: '1024',
    help: '(fastcgi) most requests in flight at once (FCGI_MAX_REQS); more get FCGI_OVERLOADED',
  },
  {
    name: 'max-requests-per-connection',
    kind: 'count',
    value: 'N',
    default: '0',
    help: '(fastcgi) close a kept connection after this many requests (0 = no limit)',
  },
  {
    name: 'max-params-size',
    kind: 'size',
    value: 'BYTES',
    default: '64KiB',
    help: '(fastcgi) largest FCGI_PARAMS stream of one request; larger gets 431',
  },
  {
    name: 'lifespan',
    kind: 'choice',
    choices: ['auto', 'on', 'off'],
    default: 'auto',
    help: 'lifespan protocol: on = required, auto = skipped if the app fails it before startup, off = never',
  },
  {
    name: 'log-level',
    kind: 'choice',
    choices: ['debug', 'info', 'warn', 'error', 'silent'],
    default: 'info',
    help: 'least severe server-log message written (to stderr)',
  },
  {
    name: 'access-log',
    kind: 'string',
    value: '-|PATH|off',
    default: '-',
    help: 'access log in Combined Log Format: - = stdout, PATH = append to that file, off = none',
  },
  { name: 'help', short: 'h', kind: 'flag', default: '', help: 'show this help and exit' },
];

function size(name: keyof typeof LIMIT_KEYS, help: string): OptionSpec {
  return { name, kind: 'size', value: 'BYTES', default: formatSize(DEFAULT_LIMITS[LIMIT_KEYS[name]]), help };
}
function duration(name: keyof typeof LIMIT_KEYS, help: string): OptionSpec {
  return {
    name,
    kind: 'duration',
    value: 'TIME',
    default: formatDuration(DEFAULT_LIMITS[LIMIT_KEYS[name]]),
    help,
  };
}
function count(name: keyof typeof LIMIT_KEYS, help: string): OptionSpec {
  return { name, kind: 'count', value: 'N', default: String(DEFAULT_LIMITS[LIMIT_KEYS[name]]), help };
}

/** The FastCGI-only options, keyed as `@portico/fastcgi`'s `serve()` takes them. */
export interface FastCGIOptions {
  multiplex?: boolean;
  maxRequests?: number;
  maxRequestsPerConnection?: number;
  maxParamsSize?: number;
}

/** The default `--bind` of each adapter: 8000 (gunicorn's), 9000 (php-fpm's), 4000 (the SCGI convention). */
const DEFAULT_BINDS = { http: '127.0.0.1:8000', fastcgi: '127.0.0.1:9000', scgi: '127.0.0.1:4000' } as const;

const FASTCGI_ONLY = ['multiplex', 'max-requests', 'max-requests-per-connection', 'max-params-size'] as const;

/** The parsed command line of `portico serve`. */
export interface ServeOptions {
  /** `<module>[:<export>]` as given. */
  readonly target: string;
  /** Adapter name. */
  readonly adapter: 'http' | 'fastcgi' | 'scgi';
  /** The FastCGI options given (`multiplex`, `maxRequests`, ...); empty for other adapters. */
  readonly fastcgi: FastCGIOptions;
  /** Addresses to listen on, each `HOST:PORT`, `[IPV6]:PORT` or `unix:PATH`. */
  readonly bind: readonly string[];
  /** Interface override. */
  readonly interface: 'auto' | 'sync' | 'async';
  /**
   * `""` or a path starting with `/` and not ending with `/`; `null` when not given (http: `""`;
   * fastcgi: the web server's SCRIPT_NAME).
   */
  readonly rootPath: string | null;
  /** Permission bits for unix sockets (`--socket-mode`), or `null` when not given. */
  readonly socketMode: number | null;
  /** The limits given (bytes, ms, counts); absent ones take the adapter's defaults. */
  readonly limits: Limits;
  /** Lifespan mode. */
  readonly lifespan: 'auto' | 'on' | 'off';
  /** Log level of the server log (stderr). */
  readonly logLevel: LogLevel;
  /** `-` (stdout), `off`, or a file path opened in append mode. */
  readonly accessLog: string;
}

/**
 * Parses the arguments after `serve`. Returns `'help'` when `--help` was given.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` with a one-line message naming the unknown option, the
 *   missing value or the bad value; a FastCGI-only option with another adapter.
 */
export function parseServeArgs(argv: readonly string[]): ServeOptions | 'help' {
  const line = parseCommandLine(
    argv,
    SERVE_OPTIONS,
    'missing the app to serve: portico serve <module>[:<export>]',
  );
  if (line === 'help') return 'help';
  const specs = new Map(SERVE_OPTIONS.map((o) => [o.name, o]));
  const bind = (line.values.get('bind') ?? []).map(checkBind);
  const value = (name: string): string | undefined => line.last(name);
  const choice = <T extends string>(name: string): T => line.choice<T>(name);
  const adapter = choice<string>('adapter');
  if (adapter !== 'http' && adapter !== 'fastcgi' && adapter !== 'scgi')
    throw usage(`adapter ${adapter} is not available (available: http, fastcgi, scgi)`);
  const fastcgi: FastCGIOptions = {};
  for (const name of FASTCGI_ONLY) {
    const text = value(name);
    if (text === undefined) continue;
    if (adapter !== 'fastcgi') throw usage(`option --${name} applies to --adapter fastcgi only`);
    if (name === 'multiplex') fastcgi.multiplex = choice<'on' | 'off'>('multiplex') === 'on';
    else if (name === 'max-requests') fastcgi.maxRequests = parseCount(text, name);
    else if (name === 'max-requests-per-connection')
      fastcgi.maxRequestsPerConnection = parseCount(text, name);
    else fastcgi.maxParamsSize = parseSize(text, name);
  }

  const limits: Record<string, number> = {};
  for (const [name, key] of Object.entries(LIMIT_KEYS)) {
    const text = value(name);
    if (text === undefined) continue;
    const kind = specs.get(name)!.kind;
    limits[key] =
      kind === 'size'
        ? parseSize(text, name)
        : kind === 'duration'
          ? parseDuration(text, name)
          : parseCount(text, name);
  }
  checkLimits(limits);

  return {
    target: line.target,
    adapter,
    fastcgi,
    bind: bind.length > 0 ? bind : [DEFAULT_BINDS[adapter]],
    interface: choice('interface'),
    rootPath: line.values.has('root-path') ? parseRootPath(value('root-path')!) : null,
    socketMode: line.values.has('socket-mode') ? parseSocketMode(value('socket-mode')!) : null,
    limits,
    lifespan: choice('lifespan'),
    logLevel: choice('log-level'),
    accessLog: parseAccessLog(value('access-log') ?? '-'),
  };
}

/**
 * Checks the limits together with the adapters' own rules (`resolveLimits` of `@portico/server`:
 * e.g. `--headers-timeout` may not exceed `--request-timeout`) before any app is loaded; the message
 * names the options as typed on the command line.
 */
function checkLimits(limits: Record<string, number>): void {
  try {
    resolveLimits(limits);
  } catch (err) {
    let message = err instanceof Error ? err.message : String(err);
    for (const [name, key] of Object.entries(LIMIT_KEYS)) {
      message = message.replace(new RegExp(`\\b${key}\\b`, 'g'), `--${name}`);
    }
    throw usage(message);
  }
}

/** `--bind`: checked with the adapters' own parser (`parseBind` of `@portico/server`), passed on as typed. */
function checkBind(text: string): string {
  try {
    parseBind(text);
  } catch (err) {
    throw usage(`option --bind: ${err instanceof Error ? err.message : String(err)}`);
  }
  return text;
}

/** `--root-path`: `""` or starts with `/`; trailing slashes are dropped (`normalizeRootPath`). */
function parseRootPath(text: string): string {
  try {
    return normalizeRootPath(text);
  } catch {
    throw invalid('root-path', text, '"" or a path starting with /');
  }
}

/** `--socket-mode`: octal permission bits, `660`, `0660` or `0o660`. */
function parseSocketMode(text: string): number {
  const m = /^(?:0o?)?([0-7]{1,3})$/.exec(text);
  if (m === null) throw invalid('socket-mode', text, 'octal permission bits such as 660');
  return Number.parseInt(m[1]!, 8);
}

function parseAccessLog(text: string): string {
  if (text === '') throw invalid('access-log', text, '-, off or a file path');
  return text;
}
