/**
 * nginx (Debian's 1.22) in front of a FastCGI backend (examples/deploy/nginx/fastcgi.conf), an
 * HTTP backend (examples/deploy/nginx/proxy-pass.conf) or an SCGI backend
 * (examples/deploy/nginx/scgi.conf), started in the foreground on a free
 * loopback port with its config, pid file and temp paths in a fresh temp dir.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import type { FcgiBackend } from './backend.js';
import { fillTempDir, launch } from './launch.js';
import { findBinary, freePort, renderTemplate, writeConfig } from './peer.js';

/** The nginx binary ('' when missing outside CI). */
export const nginxBinary = findBinary('nginx');

/** nginx's version as [major, minor] ([0, 0] when nginx is missing). */
function nginxVersion(): [number, number] {
  if (nginxBinary === '') return [0, 0];
  // `nginx -v` writes `nginx version: nginx/1.22.1` to stderr.
  const m = /nginx\/(\d+)\.(\d+)/.exec(spawnSync(nginxBinary, ['-v'], { encoding: 'utf8' }).stderr);
  return m === null ? [0, 0] : [Number(m[1]), Number(m[2])];
}
const [major, minor] = nginxVersion();
/**
 * nginx 1.23.0 and later join repeated request header fields into one FastCGI param or SCGI
 * variable (CHANGES, 1.23.0); before, each field is its own.
 */
export const nginxJoinsHeaders = major > 1 || (major === 1 && minor >= 23);

/** Options of {@link startNginx}. */
export interface NginxFastcgiOptions {
  /** The FastCGI backend: TCP or unix socket. */
  backend: FcgiBackend;
  /**
   * `fastcgi_keep_conn on` with a `keepalive 16` upstream (one backend connection serves many
   * requests), or `off` without keepalive (a connection per request).
   */
  keepConn: boolean;
  /** `fastcgi_request_buffering`: default true; false passes the body on as it arrives. */
  requestBuffering?: boolean;
  /**
   * The mount prefix: SCRIPT_NAME is this prefix and PATH_INFO the rest of the path; default `/`
   * (SCRIPT_NAME empty). Requests outside the prefix get nginx's 404.
   */
  rootPath?: string;
  /**
   * More FastCGI params, e.g. `{ SCRIPT_FILENAME: fpm.scriptFilename }` for php-fpm. Values are
   * quoted; a `$` in them is an nginx variable.
   */
  params?: Record<string, string>;
  /** More directives, put inside the `location` block. */
  extra?: string;
}

/** A running nginx. */
export interface RunningNginx {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  baseUrl: string;
  /** nginx's stderr (its error log) so far. */
  logs(): string;
  /** Stops nginx (SIGTERM: fast shutdown; SIGKILL after 5 s) and removes its temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts nginx in front of a FastCGI backend, from examples/deploy/nginx/fastcgi.conf.
 * Resolves once nginx listens; the backend need not be up yet.
 *
 * @throws Error when nginx is missing, rejects the config, or does not listen within 10 s (the
 *   message holds nginx's output)
 */
export async function startNginx(options: NginxFastcgiOptions): Promise<RunningNginx> {
  const root = normalizeRootPath(options.rootPath ?? '/');
  const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const extra = [
    ...Object.entries(options.params ?? {}).map(([name, value]) => `fastcgi_param ${name} ${quote(value)};`),
    options.extra ?? '',
  ].join('\n            ');
  return startWith('nginx/fastcgi.conf', {
    BACKEND: upstreamServer(options.backend),
    UPSTREAM_KEEPALIVE: options.keepConn ? 'keepalive 16;' : '',
    KEEP_CONN: options.keepConn ? 'on' : 'off',
    REQUEST_BUFFERING: (options.requestBuffering ?? true) ? 'on' : 'off',
    LOCATION: root === '' ? '/' : `~ ${quote(`^${escaped}(?:/|$)`)}`,
    SPLIT_PATH_INFO: root === '' ? quote('^()(/.*)$') : quote(`^(${escaped})(/.*)?$`),
    EXTRA: extra,
  });
}

/**
 * Starts nginx as an HTTP reverse proxy (proxy_pass, keepalive upstream) in front of an HTTP
 * backend, from examples/deploy/nginx/proxy-pass.conf.
 *
 * @throws Error as {@link startNginx}
 */
export async function startNginxProxy(options: { backend: FcgiBackend }): Promise<RunningNginx> {
  return startWith('nginx/proxy-pass.conf', { BACKEND: upstreamServer(options.backend) });
}

/** Options of {@link startNginxScgi}. */
export interface NginxScgiOptions {
  /** The SCGI backend: TCP or unix socket. */
  backend: FcgiBackend;
  /**
   * The mount prefix: SCRIPT_NAME is this prefix and PATH_INFO the rest of the path
   * (URL-decoded); default `/` (SCRIPT_NAME empty). Requests outside the prefix get nginx's 404.
   */
  rootPath?: string;
  /**
   * `scgi_request_buffering`: default true (nginx reads the whole body, then sends it); false
   * passes a body with a Content-Length on as it arrives (a chunked one is still read whole).
   * nginx 1.22 then declares as CONTENT_LENGTH only the body bytes read with the request head
   * (nginx/nginx#1118): the app sees a truncated body.
   */
  requestBuffering?: boolean;
  /**
   * Default true: the template's inline standard params (`SCGI 1`, REQUEST_METHOD, REQUEST_URI,
   * SCRIPT_NAME, PATH_INFO, ...). false leaves every `scgi_param` out, as a config without
   * `include scgi_params`: nginx then sends CONTENT_LENGTH (always first) and the HTTP_*
   * headers only, no `SCGI` header.
   */
  withScgiParams?: boolean;
  /** More directives, put inside the `location` block. */
  extra?: string;
}

/**
 * Starts nginx in front of an SCGI backend (`scgi_pass`), from examples/deploy/nginx/scgi.conf.
 * Resolves once nginx listens; the backend need not be up yet.
 *
 * @throws Error as {@link startNginx}
 */
export async function startNginxScgi(options: NginxScgiOptions): Promise<RunningNginx> {
  const root = normalizeRootPath(options.rootPath ?? '/');
  const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return startWith(
    'nginx/scgi.conf',
    {
      BACKEND: upstreamServer(options.backend),
      REQUEST_BUFFERING: (options.requestBuffering ?? true) ? 'on' : 'off',
      LOCATION:
        root === ''
          ? `~ ${quote('^(?<script_name>)(?<path_info>/.*)$')}`
          : `~ ${quote(`^(?<script_name>${escaped})(?<path_info>/.*)?$`)}`,
      EXTRA: options.extra ?? '',
    },
    (options.withScgiParams ?? true) ? undefined : withoutScgiParams,
  );
}

/**
 * Starts nginx from any whole-config template in examples/deploy/ (e.g. nginx/fcgiwrap.conf, used
 * by fcgiwrap.ts): `values` fill its placeholders, and `DIR` (the run's temp dir) and `PORT` (a
 * free port) are added.
 *
 * @throws Error as {@link startNginx}
 */
export async function startNginxWithTemplate(
  template: string,
  values: Record<string, string>,
): Promise<RunningNginx> {
  return startWith(template, values);
}

/** Drops the lines from `# --- scgi_params ---` to `# --- end scgi_params ---` (inclusive). */
function withoutScgiParams(config: string): string {
  const cut = config.replace(/^[ \t]*# --- scgi_params ---\n[\s\S]*?# --- end scgi_params ---\n/m, '');
  if (cut === config) throw new Error('nginx/scgi.conf: no scgi_params markers');
  return cut;
}

async function startWith(
  template: string,
  values: Record<string, string>,
  edit: (config: string) => string = (config) => config,
): Promise<RunningNginx> {
  if (nginxBinary === '') throw new Error('nginx is not installed (apt-get install nginx)');
  const port = await freePort();
  const {
    dir,
    remove,
    value: config,
  } = fillTempDir('nginx', (dir) => {
    chmodSync(dir, 0o755);
    return writeConfig(
      dir,
      'nginx.conf',
      edit(renderTemplate(template, { ...values, DIR: dir, PORT: port })),
    );
  });
  const peer = await launch(
    'nginx',
    nginxBinary,
    ['-p', dir, '-c', config, '-e', 'stderr'],
    { port },
    { cleanup: remove },
  );
  return { baseUrl: `http://127.0.0.1:${port}`, logs: peer.logs, stop: peer.stop };
}

/** An upstream `server` address: `127.0.0.1:9000` or `unix:/path`. */
function upstreamServer(backend: FcgiBackend): string {
  if ('path' in backend) return `unix:${backend.path}`;
  return backend.host.includes(':') ? `[${backend.host}]:${backend.port}` : `${backend.host}:${backend.port}`;
}

/** `/app/` -> `/app`, `/` -> `` (the SCRIPT_NAME of an app at the root is empty). */
export function normalizeRootPath(rootPath: string): string {
  if (rootPath !== '' && !rootPath.startsWith('/'))
    throw new Error(`rootPath must start with /: ${rootPath}`);
  return rootPath.replace(/\/+$/, '');
}

/** An nginx string argument in double quotes. */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}
