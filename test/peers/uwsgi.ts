/**
 * uWSGI's SCGI socket (Debian's uwsgi 2.0 with uwsgi-plugin-python3) as a reference SCGI backend:
 * a real, widely deployed SCGI server to check the SCGI front-end harnesses (nginx.ts `scgi_pass`,
 * apache.ts mod_proxy_scgi, lighttpd.ts mod_scgi) and their configs in examples/deploy/ against,
 * independently of Portico's own SCGI adapter.
 *
 * Default app: examples/deploy/uwsgi/echo.py (JSON of the SCGI headers the app saw and the
 * request body's length and SHA-256; `?stream=N` streams N lines), the same shape as php-fpm's
 * echo.php.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FcgiBackend } from './backend.js';
import { fillTempDir, launch } from './launch.js';
import { DEPLOY_DIR, findBinary, freePort } from './peer.js';

/** The uwsgi binary ('' when missing outside CI); the python3 plugin comes in its own package. */
export const uwsgiBinary = findBinary('uwsgi', 'uwsgi uwsgi-plugin-python3');

/** What echo.py (the default app) answers: the SCGI headers and the body it read. */
export interface WsgiEcho {
  /**
   * Every string in the WSGI environ but `wsgi.*` / `uwsgi.*`: the SCGI headers as sent (uWSGI
   * adds none of its own), decoded as UTF-8.
   */
  params: Record<string, string>;
  /** The request body read from wsgi.input: its length in bytes and hex SHA-256. */
  body: { length: number; sha256: string };
}

/** Options of {@link startUwsgiScgi}. */
export interface UwsgiScgiOptions {
  /** Python source of the WSGI app (a module-level `application`); default examples/deploy/uwsgi/echo.py. */
  app?: string;
  /**
   * Where to listen: a TCP port on 127.0.0.1 or a unix socket path (made 0666, so that Apache's
   * www-data children can connect); default a free TCP port.
   */
  listen?: { port: number } | { path: string };
}

/** A running uWSGI. */
export interface RunningUwsgi {
  /** Where it listens, in the shape the SCGI front-end harnesses take as `backend`. */
  address: FcgiBackend;
  /** uWSGI's output so far (its start-up banner, Python tracebacks; request logging is off). */
  logs(): string;
  /** Stops uWSGI (SIGTERM: without a master it exits at once; SIGKILL after 5 s), removes its temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts uWSGI in the foreground with one worker process and no master:
 * `uwsgi --plugin python3 --scgi-socket ADDRESS --wsgi-file app.py --processes 1
 * --disable-logging` (plus `--need-app`, `--buffer-size 65535`, `--chmod-socket 666`). Resolves
 * once the socket accepts connections.
 *
 * `--buffer-size`: uWSGI reads the whole SCGI header block into one buffer of this size (default
 * 4096 bytes) and resets the connection of a request whose block is larger, logging "invalid
 * SCGI request size (max 4096)...skip".
 *
 * @throws Error when uwsgi is not installed, or exits (e.g. the python3 plugin is missing, the
 *   app does not load) or does not listen within 10 s (the message holds its output)
 */
export async function startUwsgiScgi(options: UwsgiScgiOptions = {}): Promise<RunningUwsgi> {
  if (uwsgiBinary === '')
    throw new Error('uwsgi is not installed (apt-get install uwsgi uwsgi-plugin-python3)');
  const listen = options.listen ?? { port: await freePort() };
  const {
    dir,
    remove,
    value: appFile,
  } = fillTempDir('uwsgi', (dir) => {
    chmodSync(dir, 0o755);
    const source = options.app ?? readFileSync(join(DEPLOY_DIR, 'uwsgi/echo.py'), 'utf8');
    const file = join(dir, 'app.py');
    writeFileSync(file, source, { mode: 0o644 });
    return file;
  });
  const socket = 'path' in listen ? listen.path : `127.0.0.1:${listen.port}`;
  const args = [
    '--plugin',
    'python3',
    '--scgi-socket',
    socket,
    '--chmod-socket=666',
    '--wsgi-file',
    appFile,
    '--need-app',
    '--processes',
    '1',
    '--disable-logging',
    '--buffer-size',
    '65535',
  ];
  const peer = await launch('uwsgi', uwsgiBinary, args, listen, { cwd: dir, cleanup: remove });
  const address: FcgiBackend =
    'path' in listen ? { path: listen.path } : { host: '127.0.0.1', port: listen.port };
  return { address, logs: peer.logs, stop: peer.stop };
}
