// @ts-check
/**
 * One backend with its own nginx in front: what every measured URL of the FastCGI bench points at.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { PHP_DIR } from './backends.js';
import { nginxConf } from './configs.js';
import { freePort, startDaemon, tempDir, waitForPort } from './process.js';

const EXPECTED_BODY = 'Hello, world!\n';

/**
 * Checks what every stack needs: nginx on PATH and the built `portico` CLI (packages/cli/dist).
 * @returns {string} nginx's version (`nginx/1.22.1`)
 * @throws Error saying what is missing and how to get it
 */
export function nginxStackVersion() {
  const nginx = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  if (nginx.error !== undefined) {
    throw new Error('nginx not found on PATH (Debian/Ubuntu: apt-get install nginx)');
  }
  if (!existsSync(new URL('../../packages/cli/dist/main.js', import.meta.url))) {
    throw new Error('packages/cli/dist is missing: run pnpm build first');
  }
  // `nginx -v` writes `nginx version: nginx/1.22.1` to stderr.
  return (nginx.stderr ?? '').trim().replace(/^nginx version: /, '');
}

/**
 * @typedef {object} Stack
 * @property {string} url  nginx's address, `http://127.0.0.1:PORT`
 * @property {import('./backends.js').RunningBackend} backend
 * @property {number} nginxPid  nginx's master (its worker is the master's child)
 * @property {() => Promise<void>} stop  stops nginx, then the backend, and removes the temp dir
 */

/**
 * Starts `spec` (on `cpus.backend`) and an nginx with one worker in front of it (on `cpus.nginx`),
 * then checks that `GET /` through nginx answers 200 with the hello body.
 * @param {import('./backends.js').BackendSpec} spec
 * @param {import('./backends.js').AppKind} app
 * @param {{ cpus: { backend: number | null, nginx: number | null }, keepalive: number }} o
 *   `keepalive`: size of nginx's upstream keepalive pool
 * @returns {Promise<Stack>}
 */
export async function startStack(spec, app, o) {
  const temp = tempDir(spec.name);
  /** @type {import('./process.js').Daemon[]} */
  const daemons = [];
  const stop = async () => {
    for (const d of daemons.reverse()) await d.stop();
    temp.remove();
  };
  try {
    const backend = await spec.start({ cpu: o.cpus.backend, dir: temp.dir, app });
    daemons.push(backend.daemon);
    const listen = await freePort();
    const conf = `${temp.dir}/nginx.conf`;
    const upstream = {
      protocol: spec.protocol,
      port: backend.port,
      keepConn: spec.keepConn,
      phpDir: spec.name === 'php-fpm' ? PHP_DIR : null,
    };
    writeFileSync(conf, nginxConf({ dir: temp.dir, listen, upstream, keepalive: o.keepalive }));
    // -e: nginx opens its default error log before reading the config; point it at the temp dir.
    const nginx = startDaemon('nginx', ['-c', conf, '-e', `${temp.dir}/nginx-error.log`], {
      cpu: o.cpus.nginx,
    });
    daemons.push(nginx);
    await waitForPort(listen, nginx, 'nginx');
    const url = `http://127.0.0.1:${listen}`;
    const res = await fetch(`${url}/`);
    const body = await res.text();
    if (res.status !== 200 || body !== EXPECTED_BODY) {
      throw new Error(`GET / through nginx answered ${res.status} ${JSON.stringify(body.slice(0, 200))}`);
    }
    return { url, backend, nginxPid: nginx.pid, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
