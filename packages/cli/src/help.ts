/**
 * Help texts of `portico --help` and `portico serve --help`, rendered from the option table.
 *
 * @module
 */
import { optionLines } from './command-line.js';
import { SERVE_OPTIONS } from './serve-options.js';

/** `portico --help`. */
export function mainHelp(version: string): string {
  return `portico ${version}: serve Portico apps (sync or async interface)

Usage:
  portico serve <module>[:<export>] [options]   serve an app (see portico serve --help)
  portico cgi <module>[:<export>] [options]     run an app as a CGI program (see portico cgi --help)
  portico --help                                show this help
  portico --version                             print the version

Exit status: 0 after a clean shutdown, 1 when the server fails (e.g. lifespan startup failed,
address in use), 2 for a usage error (unknown option, bad value, app module or export not found);
portico cgi: see portico cgi --help.
`;
}

/** `portico serve --help`: every option with its value, default and meaning. */
export function serveHelp(): string {
  return `Usage: portico serve <module>[:<export>] [options]

Serves the app exported by <module> (the default export unless :<export> names another one).
<module> is a file path (relative to the working directory) or a package name; .ts, .mts, .cts and
.tsx files are loaded without a build step through tsx.

Options:
${optionLines(SERVE_OPTIONS)}

Sizes are bytes, or a number followed by k, m or g (powers of 1024: 64k = 65536).
Times are milliseconds, or a number followed by ms or s (250ms, 5s, 1.5s).
SIGTERM or SIGINT closes the server gracefully (exit 0); a second signal exits at once.
`;
}
