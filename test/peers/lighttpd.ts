/**
 * lighttpd 1.4 (Debian's) as a FastCGI front end: mod_fastcgi in front of a FastCGI responder
 * that runs on its own (examples/deploy/lighttpd/fastcgi.conf) or that lighttpd spawns itself
 * with the listening socket on fd 0 (bin-path.conf), and mod_fastcgi's authorizer mode in front
 * of a static directory (authorizer.conf); mod_scgi in front of an SCGI app (scgi.conf); mod_cgi
 * running CGI programs from a cgi-bin directory (cgi.conf), or one CGI program as an app mounted
 * at a path (cgi-app.conf). Started in the foreground
 * (`lighttpd -D`) on a free loopback port with its config in a fresh temp dir. lighttpd stays
 * root when `server.username` is not set, so no permissions need widening.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FcgiBackend } from './backend.js';
import { defaultCgiPath } from './cgi-bin.js';
import { launch } from './launch.js';
import { normalizeRootPath } from './nginx.js';
import { findBinary, freePort, renderTemplate, tempDir, writeConfig } from './peer.js';

/** The lighttpd binary ('' when missing outside CI). */
export const lighttpdBinary = findBinary('lighttpd');

/**
 * A FastCGI app lighttpd starts itself (`bin-path`): lighttpd creates a unix socket in its temp
 * dir, listens on it and spawns `binPath binArgs...` with that socket as fd 0
 * (FCGI_LISTENSOCK_FILENO, FastCGI 1.0 section 2.2), one process (`max-procs` 1).
 */
export interface SpawnedBackend {
  /** Absolute path of the program. */
  binPath: string;
  /** Its arguments; lighttpd splits `bin-path` at spaces, so none may contain whitespace. */
  binArgs?: string[];
  /** Added to the environment it inherits from lighttpd (which is this process's). */
  binEnv?: Record<string, string>;
}

/** Options of {@link startLighttpdFcgi}: a backend to connect to, or one to spawn. */
export type LighttpdFcgiOptions = ({ backend: FcgiBackend } | SpawnedBackend) & {
  /**
   * The mount prefix: SCRIPT_NAME is this prefix and PATH_INFO the rest of the path
   * (percent-decoded); default `/` (SCRIPT_NAME empty). Other paths get lighttpd's 404.
   */
  rootPath?: string;
  /**
   * More FastCGI params, e.g. `{ SCRIPT_FILENAME: fpm.scriptFilename }` for php-fpm. lighttpd
   * appends them (mod_setenv): one it sends itself (SCRIPT_FILENAME) then comes twice, its own
   * value first.
   */
  params?: Record<string, string>;
};

/** Options of {@link startLighttpdAuthorizer}. */
export interface LighttpdAuthorizerOptions {
  /** The FastCGI Authorizer app: TCP, a unix socket, or one lighttpd spawns. */
  authorizer: FcgiBackend | SpawnedBackend;
  /** The directory the authorizer guards (served by mod_staticfile). */
  docroot: string;
}

/** A running lighttpd. */
export interface RunningLighttpd {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  baseUrl: string;
  /**
   * lighttpd's stderr (its error log, and a spawned app's stderr) so far; with the authorizer,
   * then its access log (one line a request, with `auth_user=` the AUTH_USER variable).
   */
  logs(): string;
  /** Stops lighttpd (SIGTERM; it stops a spawned app too; SIGKILL after 5 s), removes its temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts lighttpd with mod_fastcgi in front of a FastCGI responder, from
 * examples/deploy/lighttpd/fastcgi.conf (`backend`) or bin-path.conf (`binPath`). Resolves once
 * lighttpd listens (for `binPath`, lighttpd has spawned the app by then).
 *
 * @throws Error when lighttpd is missing, rejects the config, cannot spawn the app, or does not
 *   listen within 10 s (the message holds lighttpd's output)
 */
export async function startLighttpdFcgi(options: LighttpdFcgiOptions): Promise<RunningLighttpd> {
  const root = normalizeRootPath(options.rootPath ?? '/');
  const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const common = {
    URL_REGEX: root === '' ? '^/' : `^${escaped}(/|$)`,
    MOUNT: root === '' ? '/' : root,
    EXTRA_PARAMS: pairs(options.params),
  };
  if ('backend' in options) {
    return startWith('lighttpd/fastcgi.conf', () => ({
      ...common,
      BACKEND: backendEntries(options.backend),
    }));
  }
  return startWith('lighttpd/bin-path.conf', (dir) => ({ ...common, ...spawnEntries(options, dir) }));
}

/**
 * Starts lighttpd with mod_fastcgi in authorizer mode in front of `docroot`, from
 * examples/deploy/lighttpd/authorizer.conf: 200 from the authorizer serves the static file,
 * any other answer goes to the client as it is.
 *
 * @throws Error as {@link startLighttpdFcgi}
 */
export async function startLighttpdAuthorizer(options: LighttpdAuthorizerOptions): Promise<RunningLighttpd> {
  const { authorizer } = options;
  return startWith('lighttpd/authorizer.conf', (dir) => ({
    DOCUMENT_ROOT: options.docroot,
    AUTHORIZER:
      'binPath' in authorizer
        ? [
            `"socket" => ${quote(join(dir, 'app.sock'))}`,
            `"bin-path" => ${quote(binPathLine(authorizer))}`,
            `"bin-environment" => ( ${pairs(authorizer.binEnv)} )`,
            '"max-procs" => 1',
          ].join(',\n    ')
        : backendEntries(authorizer),
  }));
}

/** Options of {@link startLighttpdScgi}. */
export interface LighttpdScgiOptions {
  /** The SCGI backend: TCP or unix socket. */
  backend: FcgiBackend;
  /**
   * The mount prefix: SCRIPT_NAME is this prefix and PATH_INFO the rest of the path
   * (percent-decoded); default `/` (SCRIPT_NAME empty). Other paths get lighttpd's 404.
   */
  rootPath?: string;
}

/**
 * Starts lighttpd with mod_scgi (`scgi.protocol = "scgi"`) in front of an SCGI backend, from
 * examples/deploy/lighttpd/scgi.conf. Resolves once lighttpd listens; the backend need not be
 * up yet.
 *
 * @throws Error as {@link startLighttpdFcgi}
 */
export async function startLighttpdScgi(options: LighttpdScgiOptions): Promise<RunningLighttpd> {
  const root = normalizeRootPath(options.rootPath ?? '/');
  const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return startWith('lighttpd/scgi.conf', () => ({
    URL_REGEX: root === '' ? '^/' : `^${escaped}(/|$)`,
    MOUNT: root === '' ? '/' : root,
    BACKEND: backendEntries(options.backend),
  }));
}

/** Options of {@link startLighttpdCgi}. */
export interface LighttpdCgiOptions {
  /**
   * The directory of CGI programs, served at /cgi-bin/ (mod_alias); every file in it that is
   * executable runs as a CGI program (`cgi.assign = ( "" => "" )`), as root (lighttpd's user).
   */
  cgiBin: string;
  /**
   * The PATH the programs get (mod_setenv; without it mod_cgi passes none); default
   * {@link defaultCgiPath}, so that `#!/usr/bin/env node` finds the running node.
   */
  path?: string;
}

/**
 * Starts lighttpd running CGI programs from `cgiBin` at /cgi-bin/ with mod_cgi, from
 * examples/deploy/lighttpd/cgi.conf. Resolves once lighttpd listens.
 *
 * @throws Error as {@link startLighttpdFcgi}
 */
export async function startLighttpdCgi(options: LighttpdCgiOptions): Promise<RunningLighttpd> {
  // The template has the quotes.
  const cgiBin = quote(options.cgiBin.replace(/\/+$/, '')).slice(1, -1);
  const path = quote(options.path ?? defaultCgiPath()).slice(1, -1);
  return startWith('lighttpd/cgi.conf', () => ({ CGI_BIN: cgiBin, CGI_PATH: path }));
}

/** Options of {@link startLighttpdCgiApp}. */
export interface LighttpdCgiAppOptions {
  /** The CGI program serving every path under the mount (absolute path; runs as root here). */
  program: string;
  /**
   * The mount prefix: SCRIPT_NAME is this prefix and PATH_INFO the rest of the path
   * (percent-decoded, `%2F` too); default `/` (SCRIPT_NAME empty). Other paths get lighttpd's 404.
   */
  rootPath?: string;
  /** The PATH the program gets (mod_setenv); default {@link defaultCgiPath}. */
  path?: string;
}

/**
 * Starts lighttpd running one CGI program as the app mounted at `rootPath` (mod_alias onto the
 * program, mod_cgi), from examples/deploy/lighttpd/cgi-app.conf. Resolves once lighttpd listens.
 *
 * @throws Error as {@link startLighttpdFcgi}
 */
export async function startLighttpdCgiApp(options: LighttpdCgiAppOptions): Promise<RunningLighttpd> {
  const root = normalizeRootPath(options.rootPath ?? '/');
  const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // The template has the quotes.
  const inside = (value: string) => quote(value).slice(1, -1);
  return startWith('lighttpd/cgi-app.conf', () => ({
    // As in startLighttpdScgi: a regex, whose backslashes quote() would refuse.
    URL_REGEX: root === '' ? '^/' : `^${escaped}(/|$)`,
    MOUNT: inside(root === '' ? '/' : root),
    PROGRAM_PATH: inside(root === '' ? `${options.program}/` : options.program),
    CGI_PATH: inside(options.path ?? defaultCgiPath()),
  }));
}

async function startWith(
  template: string,
  values: (dir: string) => Record<string, string | number>,
): Promise<RunningLighttpd> {
  if (lighttpdBinary === '') throw new Error('lighttpd is not installed (apt-get install lighttpd)');
  const port = await freePort();
  const { dir, remove } = tempDir('lighttpd');
  const config = writeConfig(
    dir,
    'lighttpd.conf',
    renderTemplate(template, { ...values(dir), DIR: dir, PORT: port }),
  );
  const accessLog = join(dir, 'access.log');
  let lastAccessLog = '';
  const readAccessLog = () => (existsSync(accessLog) ? readFileSync(accessLog, 'utf8') : '');
  const peer = await launch(
    'lighttpd',
    lighttpdBinary,
    ['-D', '-f', config],
    { port },
    {
      cleanup: () => {
        lastAccessLog = readAccessLog();
        remove();
      },
      extraOutput: readAccessLog,
    },
  );
  const logs = () => `${peer.logs()}${existsSync(dir) ? readAccessLog() : lastAccessLog}`;
  return { baseUrl: `http://127.0.0.1:${port}`, logs, stop: peer.stop };
}

/** `"host" => "127.0.0.1", "port" => 9000` or `"socket" => "/path"`. */
function backendEntries(backend: FcgiBackend): string {
  if ('path' in backend) return `"socket" => ${quote(backend.path)}`;
  return `"host" => ${quote(backend.host)}, "port" => ${backend.port}`;
}

/** The SOCKET, BIN_PATH and BIN_ENVIRONMENT values of bin-path.conf. */
function spawnEntries(spawned: SpawnedBackend, dir: string): Record<string, string> {
  return {
    SOCKET: join(dir, 'app.sock'),
    BIN_PATH: quote(binPathLine(spawned)).slice(1, -1), // the template has the quotes
    BIN_ENVIRONMENT: pairs(spawned.binEnv),
  };
}

/**
 * `binPath binArgs...` joined with spaces, as lighttpd splits it again.
 *
 * @throws Error when the path or an argument is empty or holds whitespace
 */
function binPathLine(spawned: SpawnedBackend): string {
  const words = [spawned.binPath, ...(spawned.binArgs ?? [])];
  for (const word of words) {
    if (word === '' || /\s/.test(word))
      throw new Error(`lighttpd splits bin-path at spaces: ${JSON.stringify(word)}`);
  }
  return words.join(' ');
}

/** `"A" => "1", "B" => "2"`: the inside of a lighttpd key => value list (empty for none). */
function pairs(values: Record<string, string> = {}): string {
  return Object.entries(values)
    .map(([name, value]) => `${quote(name)} => ${quote(value)}`)
    .join(', ');
}

/**
 * A lighttpd config string in double quotes. lighttpd 1.4 reads `\"` as a quote but keeps any
 * other backslash as it is (`\\` stays two backslashes), so backslashes are refused.
 *
 * @throws Error when the value holds a backslash or a line break
 */
function quote(value: string): string {
  if (/[\\\r\n]/.test(value))
    throw new Error(`not allowed in a lighttpd config string: ${JSON.stringify(value)}`);
  return `"${value.replace(/"/g, '\\"')}"`;
}
