/**
 * php-fpm 8.2 as a reference FastCGI backend: a real, widely deployed FastCGI responder to check
 * the front-end harnesses (nginx.ts, haproxy.ts, caddy.ts, cgi-fcgi.ts, ...) and the configs in
 * examples/deploy/ against, independently of Portico's own FastCGI adapter.
 *
 * Config template: examples/deploy/php-fpm/php-fpm.conf; default script:
 * examples/deploy/php-fpm/echo.php (JSON of the params PHP saw and the request body's length and
 * SHA-256; `?stream=N` streams N flushed lines).
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FcgiBackend } from './backend.js';
import { fillTempDir, launch } from './launch.js';
import { DEPLOY_DIR, findBinary, freePort, renderTemplate, writeConfig } from './peer.js';

/** The php-fpm binary ('' when missing outside CI). */
export const phpFpmBinary = findBinary('php-fpm8.2', 'php8.2-fpm');

/** What echo.php (the default script) answers: the FastCGI params and the body it read. */
export interface PhpEcho {
  /** Every FastCGI param as a string, as PHP saw it in `$_SERVER` (PHP_SELF left out). */
  params: Record<string, string>;
  /** The request body read from php://input: its length in bytes and hex SHA-256. */
  body: { length: number; sha256: string };
}

/** Options of {@link startPhpFpm}. */
export interface PhpFpmOptions {
  /** PHP source of the one script every request runs; default examples/deploy/php-fpm/echo.php. */
  script?: string;
  /** Where to listen: a TCP port on 127.0.0.1 or a unix socket path; default a free TCP port. */
  listen?: { port: number } | { path: string };
  /** pm.max_children: how many requests run at once (pm = static); default 1. */
  maxChildren?: number;
}

/** A running php-fpm. */
export interface PhpFpm {
  /** Where it listens, in the shape the front-end harnesses take as `backend`. */
  address: FcgiBackend;
  /**
   * The absolute path of the script. php-fpm picks the script to run by the SCRIPT_FILENAME
   * param, so a front end must send this one: pass `params: { SCRIPT_FILENAME: scriptFilename }`
   * to the front-end harness (Portico ignores the param).
   */
  scriptFilename: string;
  /** The master's and the workers' stderr so far (PHP errors, php-fpm notices). */
  logs(): string;
  /** Stops php-fpm (SIGTERM, SIGKILL after 5 s) and removes its temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts php-fpm in the foreground (`php-fpm8.2 -F -R -y conf`) with one pool, pm = static.
 * Resolves once the socket accepts connections.
 *
 * @throws Error when php-fpm is not installed, or exits or does not listen within 10 s (the
 *   message holds its output)
 */
export async function startPhpFpm(options: PhpFpmOptions = {}): Promise<PhpFpm> {
  if (phpFpmBinary === '') throw new Error('php-fpm8.2 is not installed (apt-get install php8.2-fpm)');
  const listen = options.listen ?? { port: await freePort() };
  const {
    dir,
    remove,
    value: config,
  } = fillTempDir('php-fpm', (dir) => {
    chmodSync(dir, 0o755);
    const script = options.script ?? readFileSync(join(DEPLOY_DIR, 'php-fpm/echo.php'), 'utf8');
    writeFileSync(join(dir, 'index.php'), script, { mode: 0o644 });
    return writeConfig(
      dir,
      'php-fpm.conf',
      renderTemplate('php-fpm/php-fpm.conf', {
        PID_FILE: join(dir, 'php-fpm.pid'),
        LOG_FILE: join(dir, 'php-fpm.log'),
        LISTEN: 'path' in listen ? listen.path : `127.0.0.1:${listen.port}`,
        MAX_CHILDREN: options.maxChildren ?? 1,
      }),
    );
  });
  const scriptFilename = join(dir, 'index.php');
  const logFile = join(dir, 'php-fpm.log');
  // Keep the SCRIPT_NAME / PATH_INFO the front end sent (1 rewrites them), never take
  // PATH_TRANSLATED as the script, and let flush() reach the front end at once.
  const ini = ['cgi.fix_pathinfo=0', 'cgi.discard_path=1', 'output_buffering=0'].flatMap((d) => ['-d', d]);
  const readLog = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  let lastLog = '';
  const peer = await launch('php-fpm', phpFpmBinary, ['-F', '-R', '-y', config, ...ini], listen, {
    cleanup: () => {
      lastLog = readLog();
      remove();
    },
    extraOutput: readLog,
  });
  const address: FcgiBackend =
    'path' in listen ? { path: listen.path } : { host: '127.0.0.1', port: listen.port };
  const logs = () => `${peer.logs()}${existsSync(dir) ? readLog() : lastLog}`;
  return { address, scriptFilename, logs, stop: peer.stop };
}
