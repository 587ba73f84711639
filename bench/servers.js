// @ts-check
/**
 * The servers under test and starting/stopping each in its own child process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * @typedef {object} ServerSpec
 * @property {string} name  short name, for `--only`
 * @property {string} label  what the table shows
 * @property {string[]} args  node arguments, relative to bench/
 * @property {{ rps: number, p99: number } | null} target  Portico's targets: minimum req/s ratio and
 *   maximum p99 ratio to bare node:http; `null` for the servers shown for comparison only
 */

/** @type {ServerSpec[]} */
export const SERVERS = [
  { name: 'node', label: 'bare node:http', args: ['servers/node-http.js'], target: null },
  {
    name: 'await',
    label: 'bare node:http after one await',
    args: ['servers/node-http-await.js'],
    target: null,
  },
  {
    name: 'shape',
    label: 'bare node:http calling the async app',
    args: ['servers/node-http-async-app.js'],
    target: null,
  },
  {
    name: 'async',
    label: 'Portico async app (@portico/http)',
    args: ['servers/portico.js', 'async'],
    target: { rps: 0.95, p99: 1.1 },
  },
  {
    name: 'sync',
    label: 'Portico sync app (bridge)',
    args: ['servers/portico.js', 'sync'],
    target: { rps: 0.9, p99: 1.1 },
  },
  { name: 'hono', label: 'Hono (@hono/node-server)', args: ['servers/hono.js'], target: null },
  { name: 'fastify', label: 'Fastify 5', args: ['servers/fastify.js'], target: null },
];

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const EXPECTED_BODY = 'Hello, world!\n';

/**
 * @typedef {object} RunningServer
 * @property {string} url
 * @property {() => Promise<void>} stop
 */

/**
 * Starts `spec` with NODE_ENV=production (pinned to `cpu` when not null), waits for its `READY <port>`
 * line (10 s at most), and checks that GET / answers 200 with the hello body.
 * @param {ServerSpec} spec
 * @param {number | null} cpu
 * @returns {Promise<RunningServer>}
 */
export async function startServer(spec, cpu) {
  const node = [process.execPath, ...spec.args];
  const [cmd, ...argv] = cpu === null ? node : ['taskset', '-c', String(cpu), ...node];
  const child = spawn(/** @type {string} */ (cmd), argv, {
    cwd: BENCH_DIR,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.setEncoding('utf8').on('data', (s) => {
    output += s;
  });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail('did not print READY within 10 s'), 10_000);
    /** @param {string} why */
    function fail(why) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${spec.label}: ${why}\n${output}`));
    }
    child.stdout.setEncoding('utf8').on('data', (s) => {
      output += s;
      const m = /^READY (\d+)$/m.exec(output);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code, signal) => fail(`exited early (${signal ?? code})`));
  });
  const url = `http://127.0.0.1:${port}/`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const res = await fetch(url);
    const body = await res.text();
    if (res.status !== 200 || body !== EXPECTED_BODY) {
      throw new Error(`${spec.label}: GET / answered ${res.status} ${JSON.stringify(body)}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}
