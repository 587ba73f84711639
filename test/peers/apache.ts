/**
 * Apache httpd 2.4 (Debian's apache2, mpm_event) as a FastCGI front end: mod_proxy_fcgi in front
 * of a FastCGI responder (examples/deploy/apache/fastcgi.conf), and mod_authnz_fcgi asking a
 * FastCGI authorizer before serving a static directory (examples/deploy/apache/authorizer.conf);
 * as an SCGI front end with mod_proxy_scgi (scgi.conf); and running CGI programs from a cgi-bin
 * directory with mod_cgid (mpm_event) or mod_cgi (mpm_prefork) (cgi.conf), or one CGI program as
 * an app mounted at a path (cgi-app.conf). Started in the
 * foreground on a free loopback port with its config, pid file and mutexes in a fresh temp dir.
 *
 * Apache will not serve as root (unless built with BIG_SECURITY_HOLE): its children run as
 * www-data, so the temp dir and document root are made world-readable, and a backend's unix
 * socket must be writable by www-data (php-fpm.ts makes its socket 0666).
 */
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FcgiBackend } from './backend.js';
import { defaultCgiPath } from './cgi-bin.js';
import { launch } from './launch.js';
import { normalizeRootPath } from './nginx.js';
import { findBinary, freePort, renderTemplate, tempDir, writeConfig } from './peer.js';

/** The apache2 binary ('' when missing outside CI). */
export const apacheBinary = findBinary('apache2');

/** Where Debian keeps Apache's loadable modules. */
const MODULES_DIR = '/usr/lib/apache2/modules';

/** Options of {@link startApacheFcgi}. */
export interface ApacheFcgiOptions {
  /** The FastCGI backend: TCP or unix socket (writable by www-data). */
  backend: FcgiBackend;
  /**
   * `ProxyPass ... enablereuse=on`: FCGI_KEEP_CONN is set and backend connections stay open
   * between requests (a pool per Apache child; the template runs one); `off`: no
   * FCGI_KEEP_CONN, a new connection per request.
   */
  enableReuse: boolean;
  /**
   * The mount prefix: SCRIPT_NAME is this prefix and PATH_INFO the rest of the path
   * (percent-decoded); default `/` (SCRIPT_NAME empty). Other paths get Apache's 404.
   */
  rootPath?: string;
  /** More FastCGI params, e.g. `{ SCRIPT_FILENAME: fpm.scriptFilename }` for php-fpm. */
  params?: Record<string, string>;
}

/** Options of {@link startApacheAuthorizer}. */
export interface ApacheAuthorizerOptions {
  /** The FastCGI Authorizer app (mod_authnz_fcgi connects over TCP only). */
  authorizer: { host: string; port: number };
  /** The directory the authorizer guards; made world-readable (Apache serves it as www-data). */
  docroot: string;
  /**
   * A FastCGI responder mounted at /app behind the same authorizer; it receives the
   * authorizer's `Variable-*` values as params (AUTH_USER, REMOTE_USER). Default none.
   */
  responder?: FcgiBackend;
  /** More FastCGI params for the responder (e.g. SCRIPT_FILENAME for php-fpm). */
  responderParams?: Record<string, string>;
}

/** A running Apache httpd. */
export interface RunningApache {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  baseUrl: string;
  /** Apache's output, then its error log and access log (files in its temp dir) so far. */
  logs(): string;
  /** Stops Apache (SIGTERM: the parent stops its children; SIGKILL after 5 s), removes its temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts Apache with mod_proxy_fcgi in front of a FastCGI backend, from
 * examples/deploy/apache/fastcgi.conf (`ProxyFCGIBackendType GENERIC`,
 * `proxy-fcgi-pathinfo=unescape`). Resolves once Apache listens; the backend need not be up yet.
 *
 * @throws Error when apache2 is missing, rejects the config, or does not listen within 10 s (the
 *   message holds Apache's output)
 */
export async function startApacheFcgi(options: ApacheFcgiOptions): Promise<RunningApache> {
  const root = normalizeRootPath(options.rootPath ?? '/');
  return startWith(
    'apache/fastcgi.conf',
    {
      MOUNT: root === '' ? '/' : root,
      // A `/` mount needs the trailing slash (ProxyPass appends the path below the mount to
      // the URL); a prefix mount needs none, so that `/app` itself maps too.
      BACKEND_URL: proxyUrl(options.backend, root === '' ? '/' : ''),
      ENABLE_REUSE: options.enableReuse ? 'on' : 'off',
      EXTRA_PARAMS: paramLines(options.params),
    },
    [],
  );
}

/**
 * Starts Apache with mod_authnz_fcgi: every request under `/` is first sent to the FastCGI
 * authorizer (role AUTHORIZER, type authnz, check_user_id mode), then served from `docroot`
 * (or by the responder under /app), from examples/deploy/apache/authorizer.conf. The
 * authorizer's `Variable-AUTH_USER` becomes the user and comes back in an `X-Auth-User` header.
 *
 * @throws Error as {@link startApacheFcgi}
 */
export async function startApacheAuthorizer(options: ApacheAuthorizerOptions): Promise<RunningApache> {
  chmodSync(options.docroot, 0o755);
  const { host, port } = options.authorizer;
  return startWith(
    'apache/authorizer.conf',
    {
      DOCUMENT_ROOT: options.docroot,
      AUTHORIZER_HOST: host.includes(':') ? `[${host}]` : host,
      AUTHORIZER_PORT: port,
      RESPONDER_URL: options.responder === undefined ? '' : proxyUrl(options.responder, ''),
      RESPONDER_PARAMS: paramLines(options.responderParams),
    },
    options.responder === undefined ? [] : ['-D', 'WITH_RESPONDER'],
  );
}

/** Options of {@link startApacheScgi}. */
export interface ApacheScgiOptions {
  /** The SCGI backend: TCP or unix socket (writable by www-data). */
  backend: FcgiBackend;
  /**
   * The mount prefix: SCRIPT_NAME is this prefix and PATH_INFO the rest of the path; default
   * `/` (SCRIPT_NAME empty). Other paths get Apache's 404.
   */
  rootPath?: string;
  /**
   * Default true: `proxy-scgi-pathinfo` is set, so SCRIPT_NAME is the mount and PATH_INFO the rest
   * (re-encoded: right only for paths that need no percent-encoding; see scgi.conf). false
   * (`-DNO_SCGI_PATHINFO`): no PATH_INFO, SCRIPT_NAME the whole decoded path.
   */
  pathInfo?: boolean;
}

/**
 * Starts Apache with mod_proxy_scgi in front of an SCGI backend, from
 * examples/deploy/apache/scgi.conf. Resolves once Apache listens;
 * the backend need not be up yet.
 *
 * @throws Error as {@link startApacheFcgi}
 */
export async function startApacheScgi(options: ApacheScgiOptions): Promise<RunningApache> {
  const root = normalizeRootPath(options.rootPath ?? '/');
  return startWith(
    'apache/scgi.conf',
    {
      MOUNT: root === '' ? '/' : root,
      BACKEND_URL: proxyUrl(options.backend, root === '' ? '/' : '', 'scgi'),
    },
    (options.pathInfo ?? true) ? [] : ['-D', 'NO_SCGI_PATHINFO'],
  );
}

/** Options of {@link startApacheCgi}. */
export interface ApacheCgiOptions {
  /**
   * The directory of CGI programs, served at /cgi-bin/. The programs run as www-data: the harness
   * makes the directory world-readable and searchable (0755); the programs must be executable by
   * www-data, and every directory above it searchable.
   */
  cgiBin: string;
  /**
   * `cgid`: mpm_event with mod_cgid (Debian's default pairing; a daemon forks the programs and
   * talks to them over a unix socket). `cgi`: mpm_prefork with mod_cgi (the child that serves
   * the request forks the program, talking to it over pipes).
   */
  module: 'cgi' | 'cgid';
  /**
   * The PATH the programs get (`SetEnv PATH`; without it Apache passes its own); default
   * {@link defaultCgiPath}, so that `#!/usr/bin/env node` finds the running node.
   */
  path?: string;
}

/**
 * Starts Apache running CGI programs from `cgiBin` at /cgi-bin/ (ScriptAlias), with mod_cgi or
 * mod_cgid, from examples/deploy/apache/cgi.conf. Resolves once Apache listens.
 *
 * @throws Error as {@link startApacheFcgi}, or when `cgiBin` or `path` holds a quote, a
 *   backslash or a line break
 */
export async function startApacheCgi(options: ApacheCgiOptions): Promise<RunningApache> {
  const cgiBin = options.cgiBin.replace(/\/+$/, '');
  const path = options.path ?? defaultCgiPath();
  // Both go into the config inside double quotes.
  for (const value of [cgiBin, path])
    if (/["\\\r\n]/.test(value)) throw new Error(`not allowed in httpd.conf: ${JSON.stringify(value)}`);
  chmodSync(cgiBin, 0o755);
  return startWith(
    'apache/cgi.conf',
    { CGI_BIN: cgiBin, CGI_PATH: path },
    options.module === 'cgid' ? ['-D', 'CGID'] : [],
    // mpm_prefork stops by sending SIGTERM to its whole process group (ap_unixd_killpg), which
    // in the foreground is the test runner's: it runs in a session of its own.
    options.module === 'cgi',
  );
}

/** Options of {@link startApacheCgiApp}. */
export interface ApacheCgiAppOptions {
  /**
   * The CGI program serving every path under the mount (absolute path). It runs as www-data: it
   * must be executable by www-data and every directory above it searchable; the harness makes its
   * directory 0755.
   */
  program: string;
  /** `cgid` (mpm_event + mod_cgid) or `cgi` (mpm_prefork + mod_cgi), as in {@link ApacheCgiOptions}. */
  module: 'cgi' | 'cgid';
  /**
   * The mount prefix: SCRIPT_NAME is this prefix and PATH_INFO the rest of the path
   * (percent-decoded, `%2F` kept); default `/` (SCRIPT_NAME empty). Other paths get Apache's 404.
   */
  rootPath?: string;
  /** The PATH the program gets; default {@link defaultCgiPath}. */
  path?: string;
}

/**
 * Starts Apache running one CGI program as the app mounted at `rootPath` (ScriptAlias), with
 * mod_cgi or mod_cgid, from examples/deploy/apache/cgi-app.conf. Resolves once Apache listens.
 *
 * @throws Error as {@link startApacheCgi}
 */
export async function startApacheCgiApp(options: ApacheCgiAppOptions): Promise<RunningApache> {
  const root = normalizeRootPath(options.rootPath ?? '/');
  const path = options.path ?? defaultCgiPath();
  for (const value of [options.program, root, path])
    if (/["\\\r\n]/.test(value)) throw new Error(`not allowed in httpd.conf: ${JSON.stringify(value)}`);
  chmodSync(dirname(options.program), 0o755);
  return startWith(
    'apache/cgi-app.conf',
    {
      // `/` maps every path below PROGRAM/ (PATH_INFO the whole path); a prefix maps itself too.
      MOUNT: root === '' ? '/' : root,
      PROGRAM_PATH: root === '' ? `${options.program}/` : options.program,
      PROGRAM_DIR: dirname(options.program),
      CGI_PATH: path,
    },
    options.module === 'cgid' ? ['-D', 'CGID'] : [],
    options.module === 'cgi',
  );
}

/** `setsid` (util-linux), to start a peer in a new session and process group. */
const setsidBinary = findBinary('setsid', 'util-linux');

async function startWith(
  template: string,
  values: Record<string, string | number>,
  extraArgs: readonly string[],
  ownSession = false,
): Promise<RunningApache> {
  if (apacheBinary === '') throw new Error('apache2 is not installed (apt-get install apache2)');
  if (ownSession && setsidBinary === '')
    throw new Error('setsid is not installed (apt-get install util-linux)');
  const port = await freePort();
  const { dir, remove } = tempDir('apache');
  chmodSync(dir, 0o755);
  const config = writeConfig(
    dir,
    'httpd.conf',
    renderTemplate(template, {
      ...values,
      DIR: dir,
      PORT: port,
      MODULES_DIR,
      USER: 'www-data',
      GROUP: 'www-data',
    }),
  );
  chmodSync(config, 0o644);
  const readLogs = () =>
    ['error.log', 'access.log']
      .map((name) => join(dir, name))
      .filter((path) => existsSync(path))
      .map((path) => readFileSync(path, 'utf8'))
      .join('');
  let lastLogs = '';
  // No APACHE_* variables from /etc/apache2/envvars are needed: the config names every path.
  // setsid execs apache2 in the same process (a child of ours is no group leader, so it need
  // not fork): stopping the peer still signals apache2 itself.
  const args = ['-DFOREGROUND', ...extraArgs, '-f', config];
  const peer = await launch(
    'apache2',
    ownSession ? setsidBinary : apacheBinary,
    ownSession ? [apacheBinary, ...args] : args,
    { port },
    {
      cleanup: () => {
        lastLogs = readLogs();
        remove();
      },
      extraOutput: readLogs,
    },
  );
  const logs = () => `${peer.logs()}${existsSync(dir) ? readLogs() : lastLogs}`;
  return { baseUrl: `http://127.0.0.1:${port}`, logs, stop: peer.stop };
}

/**
 * A ProxyPass target: `fcgi://127.0.0.1:9000/`, or `unix:/path|fcgi://localhost/` for a unix
 * socket (mod_proxy's UDS syntax); `scgi://...` likewise. `tail` is `/` for a root mount, `` for
 * a prefix mount.
 */
function proxyUrl(backend: FcgiBackend, tail: '/' | '', scheme: 'fcgi' | 'scgi' = 'fcgi'): string {
  if ('path' in backend) return `unix:${backend.path}|${scheme}://localhost${tail}`;
  const host = backend.host.includes(':') ? `[${backend.host}]` : backend.host;
  return `${scheme}://${host}:${backend.port}${tail}`;
}

/** `ProxyFCGISetEnvIf "true" NAME "value"` lines: set last, after Apache's own params. */
function paramLines(params: Record<string, string> = {}): string {
  return Object.entries(params)
    .map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        throw new Error(`not a param name: ${JSON.stringify(name)}`);
      return `ProxyFCGISetEnvIf "true" ${name} ${quote(value)}`;
    })
    .join('\n    ');
}

/**
 * An Apache config string in double quotes. ProxyFCGISetEnvIf values are ap_expr string
 * expressions, where `%{` and `$` start a variable: they are escaped with a backslash.
 */
function quote(value: string): string {
  if (/[\r\n]/.test(value))
    throw new Error(`a param value cannot hold a line break: ${JSON.stringify(value)}`);
  return `"${value.replace(/["\\$%]/g, '\\$&')}"`;
}
