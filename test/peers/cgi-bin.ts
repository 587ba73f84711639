/**
 * The reference CGI programs (examples/deploy/cgi-bin/: echo.sh in POSIX shell, echo.py in
 * Python) copied into a fresh temp cgi-bin directory for the CGI front-end harnesses (Apache
 * mod_cgi/mod_cgid, lighttpd mod_cgi, Python's http.server, nginx + fcgiwrap). Both answer with
 * the CGI meta-variables they got, the body's length and SHA-256 and the user they ran as, or
 * stream lines on `?stream=N` (see the programs' header comments).
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEPLOY_DIR, tempDir } from './peer.js';

/** What echo.sh and echo.py answer. */
export interface CgiEcho {
  /**
   * The CGI meta-variables of the environment (GATEWAY_INTERFACE, SERVER_*, REQUEST_*, SCRIPT_*,
   * PATH_INFO, QUERY_STRING, REMOTE_*, CONTENT_*, DOCUMENT_*, REDIRECT_*, HTTP_*, ...) and PATH;
   * not the rest, which some front ends pass on whole.
   */
  params: Record<string, string>;
  /** The request body read from stdin: its length in bytes and hex SHA-256. */
  body: { length: number; sha256: string };
  /** The user the program ran as (`id -un`). */
  user: string;
}

/** A temp dir holding a `cgi-bin` directory with the reference programs. */
export interface CgiBin {
  /** The cgi-bin directory (0755, programs 0755): readable and runnable by any user. */
  dir: string;
  /** Removes the temp dir. */
  remove(): void;
}

/**
 * Copies every file of examples/deploy/cgi-bin/ into `<temp dir>/cgi-bin/`, mode 0755 (the
 * temp dir too: Apache runs the programs as www-data, Python's http.server as nobody).
 */
export function makeCgiBin(): CgiBin {
  const { dir: root, remove } = tempDir('cgi-bin');
  chmodSync(root, 0o755);
  const dir = join(root, 'cgi-bin');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  for (const name of readdirSync(join(DEPLOY_DIR, 'cgi-bin'))) {
    copyFileSync(join(DEPLOY_DIR, 'cgi-bin', name), join(dir, name));
    chmodSync(join(dir, name), 0o755);
  }
  return { dir, remove };
}

/**
 * The PATH the CGI harnesses give the programs: `/usr/local/bin:/usr/bin:/bin`, with the running
 * node binary's directory first when it is elsewhere, so that a `#!/usr/bin/env node` program
 * (a Portico app run by @portico/cgi) finds the same node.
 */
export function defaultCgiPath(): string {
  const nodeDir = dirname(process.execPath);
  const path = ['/usr/local/bin', '/usr/bin', '/bin'];
  return (path.includes(nodeDir) ? path : [nodeDir, ...path]).join(':');
}
