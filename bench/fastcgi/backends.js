// @ts-check
/**
 * The backends of the FastCGI bench and how each is started: one process each (PHP-FPM: a master
 * and its one child), on 127.0.0.1, with logging off.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { phpFpmConf } from './configs.js';
import { freePort, startDaemon, waitForPort } from './process.js';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const PORTICO = fileURLToPath(new URL('../../packages/cli/bin/portico.js', import.meta.url));
const PHP_DIR = fileURLToPath(new URL('../apps/php', import.meta.url));
const PHP_FPM = '/usr/sbin/php-fpm8.2';

/** @typedef {'hello' | 'transfer'} AppKind  the hello app, or the app with /download and /upload */

/**
 * @typedef {object} BackendSpec
 * @property {string} name  short name, for `--only`
 * @property {string} label  what the tables show
 * @property {'fastcgi' | 'scgi' | 'http'} protocol  how nginx talks to it (fastcgi_pass, scgi_pass
 *   or proxy_pass)
 * @property {boolean} keepConn  whether nginx keeps its upstream connections open
 *   (`fastcgi_keep_conn on` / an HTTP/1.1 keepalive pool). Off for the two one-worker prefork
 *   backends (PHP-FPM, uWSGI): their only worker serves one connection at a time, so a connection
 *   nginx keeps idle would hold that worker while the requests nginx sends on other connections wait
 *   in the listen queue (measured: PHP-FPM then answered one connection in 50 and the rest waited
 *   for fastcgi_read_timeout). A new connection per request is how both are deployed behind nginx.
 * @property {boolean} transfer  whether it serves the 100 MiB upload/download routes
 * @property {(o: { cpu: number | null, dir: string, app: AppKind }) => Promise<RunningBackend>} start
 *   starts it (pinned to `cpu` unless null, temp files in `dir`) and resolves once its port accepts
 *   connections; rejects with its output when it exits first
 */

/**
 * @typedef {object} RunningBackend
 * @property {number} port
 * @property {number} pid  the process whose memory is measured (PHP-FPM: the master)
 * @property {import('./process.js').Daemon} daemon
 */

/**
 * Starts `command args(port)` on a free port (pinned to `cpu` unless null) and resolves once the
 * port accepts connections; rejects with its output, named `what`, when it exits first.
 * @param {string} what  the process in messages
 * @param {string} command
 * @param {(port: number) => string[]} args
 * @param {{ cpu: number | null, cwd?: string, env?: NodeJS.ProcessEnv }} options
 * @returns {Promise<RunningBackend>}
 */
async function daemonOnPort(what, command, args, options) {
  const port = await freePort();
  const daemon = startDaemon(command, args(port), options);
  await waitForPort(port, daemon, what);
  return { port, pid: daemon.pid, daemon };
}

/**
 * uWSGI serving bench/apps/hello.py on a `--fastcgi-socket` or `--scgi-socket`: one process, one
 * thread, logging off. No --master: uWSGI runs without a master process unless told to (it has no
 * `--master=false`), so this is one process.
 * @param {'fastcgi' | 'scgi'} protocol
 * @returns {BackendSpec['start']}
 */
export function uwsgi(protocol) {
  return ({ cpu }) =>
    daemonOnPort(
      'uwsgi',
      'uwsgi',
      (port) => [
        ...['--plugin', 'python3', `--${protocol}-socket`, `127.0.0.1:${port}`],
        ...['--wsgi-file', `${BENCH_DIR}/apps/hello.py`, '--processes', '1', '--threads', '1'],
        ...['--disable-logging', '--listen', '1024'],
      ],
      { cpu },
    );
}

/**
 * `portico serve` on the given adapter, NODE_ENV=production, no access log, server log at `warn`.
 * @param {'fastcgi' | 'scgi' | 'http'} adapter
 * @returns {BackendSpec['start']}
 */
export function portico(adapter) {
  return ({ cpu, app }) => {
    const file = app === 'hello' ? 'apps/hello-async.js' : 'apps/transfer-async.js';
    /** @param {number} port */
    const args = (port) => [
      ...[PORTICO, 'serve', file, '--bind', `127.0.0.1:${port}`, '--lifespan', 'off'],
      ...(adapter === 'http' ? [] : ['--adapter', adapter]),
      ...['--log-level', 'warn', '--access-log', 'off'],
    ];
    return daemonOnPort(`portico serve --adapter ${adapter}`, process.execPath, args, {
      cpu,
      cwd: BENCH_DIR,
      env: { ...process.env, NODE_ENV: 'production' },
    });
  };
}

/** @type {BackendSpec[]} */
export const BACKENDS = [
  {
    name: 'portico',
    label: 'Portico FastCGI (keep-conn)',
    protocol: 'fastcgi',
    keepConn: true,
    transfer: true,
    start: portico('fastcgi'),
  },
  {
    name: 'php-fpm',
    label: 'PHP-FPM 8.2 (pm static, 1 child)',
    protocol: 'fastcgi',
    keepConn: false,
    transfer: true,
    start: ({ cpu, dir }) =>
      daemonOnPort(
        'php-fpm',
        PHP_FPM,
        (port) => {
          const conf = `${dir}/php-fpm.conf`;
          writeFileSync(conf, phpFpmConf({ dir, port }));
          // -F foreground, -R allow running as root (the pool's user), -y the config.
          return ['-F', '-R', '-y', conf];
        },
        { cpu },
      ),
  },
  {
    name: 'uwsgi',
    label: 'uWSGI (1 process, 1 thread)',
    protocol: 'fastcgi',
    keepConn: false,
    transfer: false,
    start: uwsgi('fastcgi'),
  },
  {
    name: 'node-fastcgi',
    label: 'node-fastcgi 2.0.0',
    protocol: 'fastcgi',
    // Asked to keep connections, it closes each one after its response all the same.
    keepConn: true,
    transfer: false,
    start: ({ cpu }) =>
      daemonOnPort('node-fastcgi', process.execPath, (port) => ['apps/hello-node-fastcgi.js', String(port)], {
        cpu,
        cwd: BENCH_DIR,
        env: { ...process.env, NODE_ENV: 'production' },
      }),
  },
  {
    name: 'proxy',
    label: 'Portico HTTP (proxy_pass)',
    protocol: 'http',
    keepConn: true,
    transfer: true,
    start: portico('http'),
  },
];

export { PHP_DIR };
