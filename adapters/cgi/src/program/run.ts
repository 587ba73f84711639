/**
 * `runCGI(app)`: runs a Portico app as a CGI/1.1 program (RFC 3875): the meta-variables from the
 * process environment, the body from standard input, the response on standard output, errors on
 * standard error, one request per process (spec/servers.md section 16, SRV-CGI-1..5).
 *
 * @module
 */
import { writeSync } from 'node:fs';
import type { CycleContext, Lifespan, LifespanMode, Logger, LogLevel } from '@portico/server';
import { CGIExtension, createLogger, isLogLevel, resolveLimits } from '@portico/server';
import type { App, AsyncApp, Receive, Scope, Send, State, SyncApp } from '@portico/spec';
import { detectInterface, PorticoError, scopeFromVariableList } from '@portico/spec';
import { CGICycle, type CGIStreams } from './cgi-cycle.js';
import { readProcessVariables, variableListOf } from './environment.js';
import { checkRequest, isRefusal, variableOf } from './request.js';

/**
 * The exit statuses of a CGI program run by {@link runCGI}. Web servers mostly log a non-zero one;
 * what the client gets is the response on standard output.
 */
export const CGI_EXIT = Object.freeze({
  /** A complete response was written: the app's (any status), or a 400 or 413 refusing a bad request. */
  OK: 0,
  /**
   * The response is not what the app meant: the app failed (threw, rejected, broke a rule, returned
   * before completing its response): `Status: 500` when nothing was written yet, else the output
   * cut short (`SRV-CGI-4`); the client left (standard input ended short of CONTENT_LENGTH) or the
   * web server stopped reading standard output before the response was whole; lifespan failed.
   */
  FAILED: 1,
  /** Not a CGI request: `REQUEST_METHOD` is not set (a 400 response is written all the same). */
  NOT_CGI: 2,
} as const);

/** Options of {@link runCGI}. */
export interface CGIOptions {
  /**
   * Write a non-parsed-header response (RFC 3875 section 5): a whole HTTP/1.1 response with a
   * status line, which the web server passes to the client untouched (Apache runs scripts whose name
   * starts with `nph-` this way). Default `false`: a CGI response with a `Status:` line.
   */
  nph?: boolean;
  /**
   * The interface the app speaks: `auto` (default: `detectInterface` of `@portico/spec` tells), `sync`
   * or `async`.
   */
  interface?: 'auto' | 'sync' | 'async';
  /** Largest request body, bytes; a larger CONTENT_LENGTH is answered 413. Default 104857600 (100 MiB). */
  maxBodySize?: number;
  /**
   * The log (to standard error, which web servers put in their error log): a level, or a logger.
   * Default `info` (a request that goes well logs nothing).
   */
  logger?: Logger | LogLevel;
  /**
   * The app's lifespan (spec/servers.md section 11) around the one request: `off` (default: a CGI
   * process lives for one request, and most apps start nothing), `auto` or `on` (startup before the
   * request, shutdown after the response; a failed startup is a 500).
   */
  lifespan?: LifespanMode;
  /**
   * Directory for request body bytes read ahead of the app beyond 1 MiB. Default `$TMPDIR`, else
   * `$TEMP`, else `/tmp` (`os.tmpdir()`'s rule, without loading `node:os` at start-up).
   */
  tmpdir?: string;
  /**
   * The meta-variables, by name, values as byte strings (one character per byte), instead of the
   * process environment. For tests and for embedding; default: the process environment's raw bytes.
   */
  env?: Readonly<Record<string, string>>;
  /** File descriptor of the request body. Default 0 (standard input). */
  stdin?: number;
  /** File descriptor of the response. Default 1 (standard output). */
  stdout?: number;
  /** File descriptor of errors and the log. Default 2 (standard error). */
  stderr?: number;
}

/**
 * Runs `app` (either interface, told apart by `detectInterface` unless `options.interface` says; a sync app runs through
 * `syncToAsync`) for the one request of this CGI process and resolves with the exit status
 * ({@link CGI_EXIT}) once every byte of the response was written, so that `process.exit()` right
 * after loses nothing:
 *
 * ```js
 * #!/usr/bin/env node
 * import { runCGI } from '@portico/cgi';
 * import app from './app.js';
 * process.exit(await runCGI(app));
 * ```
 *
 * - The meta-variables come from the environment's raw bytes (`/proc/self/environ` on Linux,
 *   `SRV-CGI-1`) and become the scope by `scopeFromVariableList` (spec/servers.md section 2); every
 *   variable is offered as the `cgi` extension, whose `stderr` (the sync `portico.errors`) writes to
 *   standard error. `HTTP_PROXY` is removed from `process.env` (httpoxy, CVE-2016-5385: in a CGI
 *   program it is a request's `Proxy:` header, and HTTP client libraries would take it as their
 *   proxy); a sync app's environ never has it (SRV-ENV-1).
 * - Exactly CONTENT_LENGTH bytes of standard input are the body (`SRV-CGI-2`); standard input that
 *   ends first is a client that left (`http.disconnect`; exit 1). No CONTENT_LENGTH is no body.
 * - The response is a CGI response with `Status:` always (a local redirect when the app answers 200
 *   with an empty body and a `location` that is an absolute path), or NPH; never
 *   `Transfer-Encoding` (`SRV-CGI-3`).
 * - The app failing before any output gives `Status: 500` and exit 1, after output the output cut
 *   short and exit 1, its error on standard error (`SRV-CGI-4`).
 * - Refused with 400 without calling the app: no `REQUEST_METHOD` (exit 2), a method that is not a
 *   token, `SCRIPT_NAME` or `PATH_INFO` that is not a path or has a `.` or `..` segment
 *   (`SRV-CGI-5`), a CONTENT_LENGTH that is not a number. A CONTENT_LENGTH over `maxBodySize`: 413.
 *
 * The app must not write to `process.stdout`: standard output is the response.
 *
 * @returns the exit status: 0, 1 or 2 ({@link CGI_EXIT}); never rejects once the options are valid
 * @throws PorticoError `ERR_INVALID_OPTION` when an option is not valid; `ERR_APP_LOAD` when `app`
 *   is not an app
 */
export async function runCGI(app: App, options: CGIOptions = {}): Promise<number> {
  const fds = {
    stdin: descriptor(options.stdin, 'stdin', 0),
    stdout: descriptor(options.stdout, 'stdout', 1),
    stderr: descriptor(options.stderr, 'stderr', 2),
  };
  const { maxBodySize } = resolveLimits({ maxBodySize: options.maxBodySize });
  if (options.nph !== undefined && typeof options.nph !== 'boolean') {
    throw new PorticoError('ERR_INVALID_OPTION', 'runCGI: option nph must be a boolean');
  }
  const lifespanMode = options.lifespan ?? 'off';
  if (lifespanMode !== 'off' && lifespanMode !== 'auto' && lifespanMode !== 'on') {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `runCGI: option lifespan must be auto, on or off, got ${JSON.stringify(lifespanMode)}`,
    );
  }
  const stderr = (text: string): void => writeAll(fds.stderr, text);
  const logger = resolveLogger(options.logger, stderr);
  const asyncApp = await asAsync(app, options.interface ?? 'auto');

  let list: string[];
  if (options.env === undefined) {
    list = readProcessVariables();
    // httpoxy: the app's own HTTP clients must not take a request header as their proxy.
    delete process.env.HTTP_PROXY;
  } else list = variableListOf(options.env, false);

  const ctx: CycleContext = { logger, maxBodySize, accessLog: null };
  const streams = (contentLength: number): CGIStreams => ({
    stdin: fds.stdin,
    stdout: fds.stdout,
    contentLength,
    nph: options.nph === true,
    tmpdir: options.tmpdir ?? defaultTmpdir(),
  });
  const isHead = variableOf(list, 'REQUEST_METHOD') === 'HEAD';

  const checked = checkRequest(list);
  if (isRefusal(checked)) {
    logger.warn(`bad CGI request: ${checked.reason}: 400`, {
      ...(checked.rule === undefined ? {} : { rule: checked.rule }),
      ...(checked.value === undefined ? {} : { value: checked.value }),
    });
    const cycle = new CGICycle(ctx, isHead, streams(0));
    cycle.respondWithoutApp(400);
    await cycle.output.flushed();
    if (checked.notCGI) return CGI_EXIT.NOT_CGI;
    return cycle.succeeded ? CGI_EXIT.OK : CGI_EXIT.FAILED;
  }

  const cycle = new CGICycle(ctx, isHead, streams(checked.contentLength));
  let state: State = {};
  let lifespan: Lifespan | null = null;
  if (lifespanMode !== 'off') {
    try {
      // Loaded only when asked for: start-up time is most of a CGI request.
      const { startLifespan } = await import('@portico/server');
      lifespan = await startLifespan(asyncApp, { mode: lifespanMode, logger });
      state = { ...lifespan.state };
    } catch (err) {
      logger.error('lifespan startup failed: 500', { error: err });
      cycle.respondWithoutApp(500);
      await cycle.output.flushed();
      return CGI_EXIT.FAILED;
    }
  }

  const scope = scopeFromVariableList(list, {
    state,
    extensions: { 'http.response.pathsend': {}, cgi: new CGIExtension(list, stderr) },
  });
  let appFailed = false;
  const onError = (err: unknown): Promise<never> => {
    appFailed = true;
    return Promise.reject(err);
  };
  const watched = (s: Scope, receive: Receive, send: Send): Promise<void> => {
    try {
      return Promise.resolve(asyncApp(s, receive, send)).catch(onError);
    } catch (err) {
      return onError(err);
    }
  };
  await cycle.run(watched, scope, checked.contentLength);
  await cycle.output.flushed();

  let lifespanFailed = false;
  if (lifespan !== null) {
    try {
      await lifespan.shutdown();
    } catch (err) {
      lifespanFailed = true;
      logger.error('lifespan shutdown failed', { error: err });
    }
  }
  return appFailed || lifespanFailed || !cycle.succeeded ? CGI_EXIT.FAILED : CGI_EXIT.OK;
}

function defaultTmpdir(): string {
  const env = process.env;
  return env.TMPDIR || env.TEMP || env.TMP || '/tmp';
}

/** The app under the async interface; the bridge is loaded only for a sync app. */
async function asAsync(app: App, override: 'auto' | 'sync' | 'async'): Promise<AsyncApp> {
  if (override !== 'auto' && override !== 'sync' && override !== 'async') {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `runCGI: option interface must be auto, sync or async, got ${JSON.stringify(override)}`,
    );
  }
  if (detectInterface(app, override) === 'async') return app as AsyncApp;
  const { syncToAsync } = await import('@portico/spec');
  // `portico.multiprocess`: every request is its own process.
  return syncToAsync(app as SyncApp, { multiprocess: true });
}

function descriptor(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `runCGI: option ${name} must be a file descriptor (an integer >= 0)`,
    );
  }
  return value;
}

function resolveLogger(option: Logger | LogLevel | undefined, stderr: (text: string) => void): Logger {
  if (option === undefined || typeof option === 'string') {
    const level = option ?? 'info';
    if (!isLogLevel(level)) {
      throw new PorticoError(
        'ERR_INVALID_OPTION',
        `runCGI: option logger: unknown log level ${JSON.stringify(level)}`,
      );
    }
    return createLogger(level, { write: stderr });
  }
  return option;
}

/**
 * Writes `text` (UTF-8) to `fd` synchronously: a log line is out before the process exits. A
 * descriptor that cannot take it (closed, non-blocking and full) loses the line rather than the
 * request.
 */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let off = 0;
  try {
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
  } catch {
    // Standard error is gone or full: nothing better to do with a log line.
  }
}
