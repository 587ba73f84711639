/**
 * HAProxy (Debian's 2.6) in front of a FastCGI backend with its native FastCGI client (`fcgi-app`
 * section, `proto fcgi` servers), from examples/deploy/haproxy/haproxy.cfg, started in the
 * foreground (`-db`) on a free loopback port.
 */
import type { FcgiBackend } from './backend.js';
import { fillTempDir, launch } from './launch.js';
import { normalizeRootPath } from './nginx.js';
import { findBinary, freePort, renderTemplate, writeConfig } from './peer.js';

/** The haproxy binary ('' when missing outside CI). */
export const haproxyBinary = findBinary('haproxy');

/** Options of {@link startHaproxy}. */
export interface HaproxyOptions {
  /** The FastCGI backend: TCP or unix socket. */
  backend: FcgiBackend;
  /** `option keep-conn` (default true) or `no option keep-conn` (a connection per request). */
  keepConn?: boolean;
  /**
   * `option mpxs-conns` with `option max-reqs` = {@link HaproxyOptions.maxReqs}: several requests
   * at once on one backend connection. Default false (one request per connection at a time).
   */
  multiplex?: boolean;
  /** Concurrent requests per connection when multiplexing; default 100. */
  maxReqs?: number;
  /**
   * `option get-values`: HAProxy opens each app connection with FCGI_GET_VALUES (FCGI_MAX_REQS,
   * FCGI_MPXS_CONNS) and takes the app's answers over `multiplex` and `maxReqs`. Default false.
   */
  getValues?: boolean;
  /** The mount prefix (SCRIPT_NAME; PATH_INFO is the rest); default `/` (SCRIPT_NAME empty). */
  rootPath?: string;
  /** `docroot` (mandatory in HAProxy; the base of SCRIPT_FILENAME); default the run's temp dir. */
  docroot?: string;
  /**
   * More FastCGI params by `set-param` (values are HAProxy log-format strings; an empty value is
   * skipped by HAProxy), e.g. `{ SCRIPT_FILENAME: fpm.scriptFilename }` for php-fpm.
   */
  params?: Record<string, string>;
  /** The `log` level of HAProxy's stderr log; default `notice` (no per-request lines). */
  logLevel?: 'err' | 'warning' | 'notice' | 'info' | 'debug';
}

/** A running HAProxy. */
export interface RunningHaproxy {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  baseUrl: string;
  /** HAProxy's stderr (its log, with the app's FCGI_STDERR) so far. */
  logs(): string;
  /** Stops HAProxy (SIGTERM: hard stop; SIGKILL after 5 s) and removes its temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts HAProxy in front of a FastCGI backend. Resolves once it listens; the backend need not be
 * up yet.
 *
 * @throws Error when haproxy is missing, rejects the config, or does not listen within 10 s (the
 *   message holds its output)
 */
export async function startHaproxy(options: HaproxyOptions): Promise<RunningHaproxy> {
  if (haproxyBinary === '') throw new Error('haproxy is not installed (apt-get install haproxy)');
  const root = normalizeRootPath(options.rootPath ?? '/');
  const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const port = await freePort();
  const backend = options.backend;
  const { remove, value: config } = fillTempDir('haproxy', (dir) =>
    writeConfig(
      dir,
      'haproxy.cfg',
      renderTemplate('haproxy/haproxy.cfg', {
        PORT: port,
        LOG_LEVEL: options.logLevel ?? 'notice',
        SERVER: 'path' in backend ? backend.path : `${backend.host}:${backend.port}`,
        DOCROOT: options.docroot ?? dir,
        KEEP_CONN: (options.keepConn ?? true) ? 'option keep-conn' : 'no option keep-conn',
        MPXS_CONNS: [
          options.multiplex
            ? `option mpxs-conns\n    option max-reqs ${options.maxReqs ?? 100}`
            : 'no option mpxs-conns',
          ...(options.getValues ? ['option get-values'] : []),
        ].join('\n    '),
        PATH_INFO_REGEX: root === '' ? "'^()(/.*)$'" : `'^(${escaped})(/.*)?$'`,
        SET_PARAMS: Object.entries(options.params ?? {})
          .map(([name, value]) => `set-param ${name} ${quote(value)}`)
          .join('\n    '),
      }),
    ),
  );
  const peer = await launch('haproxy', haproxyBinary, ['-f', config, '-db'], { port }, { cleanup: remove });
  return { baseUrl: `http://127.0.0.1:${port}`, logs: peer.logs, stop: peer.stop };
}

/** A HAProxy config word in double quotes (`"`, `\`, `$` escaped). */
function quote(value: string): string {
  return `"${value.replace(/["\\$]/g, '\\$&')}"`;
}
