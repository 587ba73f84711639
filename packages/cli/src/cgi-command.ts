/**
 * `portico cgi <module>[:<export>]`: load the app and run it as a CGI/1.1 program for the one
 * request in this process's environment (`runCGI` of `@portico/cgi`; RFC 3875). A web server runs
 * it from a wrapper script, or a `#!` line that allows arguments.
 *
 * @module
 */
import { writeSync } from 'node:fs';
import { type OptionSpec, optionLines, parseCommandLine } from './command-line.js';
import { formatSize, parseSize } from './units.js';

/** Every option of `portico cgi`, in the order the help text lists them. */
export const CGI_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'nph',
    kind: 'flag',
    default: '',
    help: 'write a non-parsed-header response: a whole HTTP/1.1 response with a status line (RFC 3875 section 5)',
  },
  {
    name: 'interface',
    kind: 'choice',
    choices: ['auto', 'sync', 'async'],
    default: 'auto',
    help: 'the interface the app speaks; auto: an async function or 3 parameters = async, 2 = sync',
  },
  {
    name: 'max-body-size',
    kind: 'size',
    value: 'BYTES',
    default: formatSize(104_857_600),
    help: 'largest request body (CONTENT_LENGTH); larger gets 413',
  },
  {
    name: 'lifespan',
    kind: 'choice',
    choices: ['auto', 'on', 'off'],
    default: 'off',
    help: "run the app's lifespan startup before the request and its shutdown after the response",
  },
  {
    name: 'log-level',
    kind: 'choice',
    choices: ['debug', 'info', 'warn', 'error', 'silent'],
    default: 'info',
    help: "least severe log message written (to stderr: the web server's error log)",
  },
  { name: 'help', short: 'h', kind: 'flag', default: '', help: 'show this help and exit' },
];

/** The parsed command line of `portico cgi`. */
export interface CGICommandOptions {
  /** `<module>[:<export>]` as given. */
  readonly target: string;
  readonly nph: boolean;
  readonly interface: 'auto' | 'sync' | 'async';
  readonly maxBodySize: number | undefined;
  readonly lifespan: 'auto' | 'on' | 'off';
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

/**
 * Parses the arguments after `cgi`. Returns `'help'` when `--help` was given.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` naming the unknown option, the missing or bad value
 */
export function parseCGIArgs(argv: readonly string[]): CGICommandOptions | 'help' {
  const line = parseCommandLine(argv, CGI_OPTIONS, 'missing the app to run: portico cgi <module>[:<export>]');
  if (line === 'help') return 'help';
  const size = line.last('max-body-size');
  return {
    target: line.target,
    nph: line.flags.has('nph'),
    interface: line.choice('interface'),
    maxBodySize: size === undefined ? undefined : parseSize(size, 'max-body-size'),
    lifespan: line.choice('lifespan'),
    logLevel: line.choice('log-level'),
  };
}

/** `portico cgi --help`. */
export function cgiHelp(): string {
  return `Usage: portico cgi <module>[:<export>] [options]

Runs the app exported by <module> (the default export unless :<export> names another one) as a
CGI/1.1 program (RFC 3875) for the one request in the environment: the meta-variables from the
environment, CONTENT_LENGTH bytes of stdin as the body, the response on stdout, errors on stderr.
A web server runs it from a wrapper script:

  #!/bin/sh
  exec portico cgi /srv/app/app.js

Options:
${optionLines(CGI_OPTIONS)}

Sizes are bytes, or a number followed by k, m or g (powers of 1024: 64k = 65536).
Exit status: 0 when a complete response was written (the app's, or a 400 or 413 refusing a bad
request), 1 when the app failed (Status: 500, or the output cut short) or the client left, 2 for a
usage error, an app that cannot be loaded, or an environment without REQUEST_METHOD (not a CGI
request: a 400 response is written all the same).
`;
}

/**
 * Runs `portico cgi` with the arguments after `cgi` and resolves with the exit status of `runCGI`
 * (0, 1 or 2), or 0 for `--help`. The process exits once the response is written: one request per
 * process, so timers or connections the app left open must not keep the web server waiting.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` (bad command line) or `ERR_APP_LOAD` (module, export or
 *   interface not found): the caller exits 2. When the app cannot be loaded under a web server
 *   (`REQUEST_METHOD` set), a `Status: 500` response is written first, so the client gets one.
 */
export async function cgiCommand(argv: readonly string[]): Promise<number> {
  const options = parseCGIArgs(argv);
  if (options === 'help') {
    process.stdout.write(cgiHelp());
    return 0;
  }
  // Loaded here, not at the top: start-up time is most of a CGI request's time.
  const [{ loadApp }, { needsTypeScriptLoader, registerTypeScriptLoader }, { runCGI }] = await Promise.all([
    import('@portico/spec'),
    import('./typescript-loader.js'),
    import('@portico/cgi'),
  ]);
  let app: Awaited<ReturnType<typeof loadApp>>;
  try {
    if (needsTypeScriptLoader(options.target)) await registerTypeScriptLoader();
    app = await loadApp(options.target, { interface: options.interface, cwd: process.cwd() });
  } catch (err) {
    if (process.env.REQUEST_METHOD !== undefined) {
      const status = options.nph
        ? 'HTTP/1.1 500 Internal Server Error\r\nconnection: close'
        : 'Status: 500 Internal Server Error';
      const body = 'Internal Server Error\n';
      try {
        writeSync(
          1,
          `${status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
        );
      } catch {
        // stdout gone: the web server answers 500 by itself.
      }
    }
    throw err;
  }
  const status = await runCGI(app.app, {
    interface: app.interface,
    nph: options.nph,
    lifespan: options.lifespan,
    logger: options.logLevel,
    ...(options.maxBodySize === undefined ? {} : { maxBodySize: options.maxBodySize }),
  });
  // One request per process: exit once the response is out, whatever the app left running.
  setImmediate(() => process.exit(status));
  return status;
}
