/**
 * Caddy 2 (Debian's 2.6) in front of a FastCGI backend with `reverse_proxy` and `transport
 * fastcgi`, from examples/deploy/caddy/Caddyfile, started in the foreground (`caddy run`) on a
 * free loopback port, its data, config and home dirs in a fresh temp dir.
 */
import { join } from 'node:path';
import type { FcgiBackend } from './backend.js';
import { fillTempDir, launch } from './launch.js';
import { normalizeRootPath } from './nginx.js';
import { findBinary, freePort, renderTemplate, writeConfig } from './peer.js';

/** The caddy binary ('' when missing outside CI). */
export const caddyBinary = findBinary('caddy');

/** Options of {@link startCaddy}. */
export interface CaddyOptions {
  /** The FastCGI backend: TCP or unix socket. */
  backend: FcgiBackend;
  /** The mount prefix (SCRIPT_NAME; PATH_INFO is the rest); default `/` (SCRIPT_NAME empty). */
  rootPath?: string;
  /** The transport's `root` (DOCUMENT_ROOT, base of SCRIPT_FILENAME); default the run's temp dir. */
  docroot?: string;
  /**
   * More FastCGI params (transport `env`; `{...}` in a value is a Caddy placeholder), e.g.
   * `{ SCRIPT_FILENAME: fpm.scriptFilename }` for php-fpm.
   */
  params?: Record<string, string>;
  /** Caddy's log level on stderr; default `WARN`. */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/** A running Caddy. */
export interface RunningCaddy {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  baseUrl: string;
  /** Caddy's stderr (its JSON log lines) so far. */
  logs(): string;
  /** Stops Caddy (SIGTERM; SIGKILL after 5 s) and removes its temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts Caddy in front of a FastCGI backend. Resolves once it listens; the backend need not be up
 * yet.
 *
 * @throws Error when caddy is missing, rejects the config, or does not listen within 10 s (the
 *   message holds its output)
 */
export async function startCaddy(options: CaddyOptions): Promise<RunningCaddy> {
  if (caddyBinary === '') throw new Error('caddy is not installed (apt-get install caddy)');
  const root = normalizeRootPath(options.rootPath ?? '/');
  const port = await freePort();
  const backend = options.backend;
  const {
    dir,
    remove,
    value: config,
  } = fillTempDir('caddy', (dir) =>
    writeConfig(
      dir,
      'Caddyfile',
      renderTemplate('caddy/Caddyfile', {
        DIR: dir,
        PORT: port,
        LOG_LEVEL: options.logLevel ?? 'WARN',
        MATCH_PATHS: root === '' ? '*' : `${root} ${root}/*`,
        STRIP_PREFIX: root === '' ? '' : `uri strip_prefix ${root}`,
        UPSTREAM: 'path' in backend ? `unix/${backend.path}` : `${backend.host}:${backend.port}`,
        DOCROOT: options.docroot ?? dir,
        SCRIPT_NAME: root,
        ENV: Object.entries(options.params ?? {})
          .map(([name, value]) => `env ${name} ${quote(value)}`)
          .join('\n\t\t\t\t'),
        // Placeholders left empty leave blank lines with tabs, which `caddy run` warns about.
      }).replace(/^[\t ]+$/gm, ''),
    ),
  );
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CONFIG_HOME: join(dir, 'config'),
  };
  const peer = await launch(
    'caddy',
    caddyBinary,
    ['run', '--adapter', 'caddyfile', '--config', config],
    { port },
    { env, cwd: dir, cleanup: remove },
  );
  return { baseUrl: `http://127.0.0.1:${port}`, logs: peer.logs, stop: peer.stop };
}

/** A Caddyfile token in double quotes. */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}
