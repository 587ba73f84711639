/**
 * Python's `http.server --cgi` (CGIHTTPRequestHandler; Debian 12's Python 3.11; deprecated in
 * 3.13 and gone in 3.15) as a CGI front end: it serves a directory and runs the programs under
 * its `cgi-bin/` (and `htbin/`) as CGI/1.1 programs, one forked process per request. Started in
 * the foreground on a free loopback port, serving a fresh temp dir whose `cgi-bin` is a symlink
 * to the given directory.
 *
 * What it does differently from a web server's CGI module (Lib/http/server.py, run_cgi):
 * - it writes `HTTP/1.0 200 Script output follows` itself, then the program's output unparsed: a
 *   `Status:` header of the program reaches the client as a header, not as the status;
 * - run as root, it runs the programs as `nobody` (so the directory must be readable by anyone);
 * - the environment is its own (PATH and all: the harness starts it with only PATH and LANG) plus
 *   the CGI variables; of the request headers only Accept, User-Agent, Cookie and Referer become
 *   HTTP_* variables (no HTTP_HOST), and there is no REQUEST_URI;
 * - the forked program gets the client socket as stdin and stdout, so its output streams;
 * - no chunked uploads (CONTENT_LENGTH empty, no body). See examples/deploy/README.md.
 */
import { chmodSync, existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCgiPath } from './cgi-bin.js';
import { fillTempDir, launch } from './launch.js';
import { findBinary, freePort } from './peer.js';

const DEBIAN_PYTHON = '/usr/bin/python3';

/**
 * Debian's python3 when there is one (a python3 found first in PATH, such as a pyenv shim, may put
 * its own directories in front of the PATH the programs inherit), else the first in PATH; ''
 * when missing outside CI.
 */
export const pythonBinary = existsSync(DEBIAN_PYTHON) ? DEBIAN_PYTHON : findBinary('python3');

/** Options of {@link startPythonCgi}. */
export interface PythonCgiOptions {
  /** The directory of CGI programs, served at /cgi-bin/ (readable and executable by `nobody`). */
  cgiBin: string;
  /**
   * The PATH of the server, which the programs inherit; default {@link defaultCgiPath}. Its
   * environment is only this PATH (and LANG), so that nothing of the test process leaks to them.
   */
  path?: string;
}

/** A running `python3 -m http.server --cgi`. */
export interface RunningPythonCgi {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  baseUrl: string;
  /** Its stderr (a log line per request, the programs' stderr) so far. */
  logs(): string;
  /** Stops it (SIGTERM; SIGKILL after 5 s) and removes its temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts `python3 -m http.server --cgi --bind 127.0.0.1 --directory DIR PORT` with `DIR/cgi-bin`
 * a symlink to `cgiBin`. Resolves once it listens.
 *
 * @throws Error when python3 is missing, exits (e.g. a Python without `--cgi`), or does not
 *   listen within 10 s (the message holds its output)
 */
export async function startPythonCgi(options: PythonCgiOptions): Promise<RunningPythonCgi> {
  if (pythonBinary === '') throw new Error('python3 is not installed (apt-get install python3)');
  const port = await freePort();
  const { dir, remove } = fillTempDir('python-cgi', (dir) => {
    chmodSync(dir, 0o755);
    symlinkSync(options.cgiBin, join(dir, 'cgi-bin'));
  });
  const peer = await launch(
    'python3 -m http.server --cgi',
    pythonBinary,
    ['-u', '-m', 'http.server', '--cgi', '--bind', '127.0.0.1', '--directory', dir, String(port)],
    { port },
    // -u: unbuffered, so its log lines are in logs() at once.
    { cwd: dir, env: { PATH: options.path ?? defaultCgiPath(), LANG: 'C.UTF-8' }, cleanup: remove },
  );
  return { baseUrl: `http://127.0.0.1:${port}`, logs: peer.logs, stop: peer.stop };
}
