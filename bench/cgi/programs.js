// @ts-check
/**
 * The CGI programs of the CGI bench (bench/cgi.js), all answering the hello response of
 * apps/hello-async.js, and how to run one directly (without a web server) with a CGI/1.1
 * environment (RFC 3875 section 4.1): to check it works before Apache runs it, and to time its
 * cold start.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const APPS = fileURLToPath(new URL('../apps', import.meta.url));
const PORTICO = fileURLToPath(new URL('../../packages/cli/bin/portico.js', import.meta.url));
const CGI_DIST = new URL('../../adapters/cgi/dist/index.js', import.meta.url);

/**
 * The PATH the CGI programs get, under Apache and when run directly: the system's, so that
 * `#!/usr/bin/env python3` finds /usr/bin/python3 and not a shim under the invoking user's home
 * (a pyenv shim alone costs some 60 ms a start). Apache is started with it, and passes it on.
 */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What every program writes after its CGI header block. */
export const HELLO = 'Hello, world!\n';

/**
 * @typedef {object} ProgramSpec
 * @property {string} name  short name, for `--only`
 * @property {string} label  what the tables show
 * @property {(dir: string) => string} file  the executable Apache runs; a wrapper is written into
 *   `dir` (world-readable) when one is needed
 * @property {() => Promise<string | null>} [missing]  why the program cannot run yet, or null
 */

/** @type {ProgramSpec[]} */
export const PROGRAMS = [
  {
    name: 'portico',
    label: 'Portico runCGI (node script)',
    file: () => executable(`${APPS}/hello-cgi.js`),
    async missing() {
      if (!existsSync(CGI_DIST)) return 'adapters/cgi/dist is missing: run pnpm build first';
      /** @type {Record<string, unknown>} */
      const cgi = await import(CGI_DIST.href);
      return typeof cgi.runCGI === 'function'
        ? null
        : '@portico/cgi does not export runCGI yet (adapters/cgi/src/program)';
    },
  },
  {
    name: 'portico-cli',
    label: 'Portico `portico cgi` (sh wrapper)',
    file: (dir) => {
      const file = `${dir}/portico-cgi.sh`;
      writeFileSync(
        file,
        `#!/bin/sh\n# portico cgi <module>, from a wrapper script\nexec ${process.execPath} ${PORTICO} cgi ${APPS}/hello-async.js\n`,
        { mode: 0o755 },
      );
      return file;
    },
  },
  {
    name: 'node',
    label: 'bare Node script (no adapter)',
    file: () => executable(`${APPS}/hello-cgi-node.js`),
  },
  {
    name: 'python-wsgi',
    label: 'Python wsgiref CGIHandler',
    file: () => executable(`${APPS}/hello-cgi-wsgi.py`),
  },
  {
    name: 'python',
    label: 'Python script',
    file: () => executable(`${APPS}/hello-cgi.py`),
  },
  {
    name: 'shell',
    label: 'shell script (sh)',
    file: () => executable(`${APPS}/hello-cgi.sh`),
  },
];

/**
 * `file`, made readable and executable by everyone (Apache runs it as www-data; a checkout may
 * have lost the mode bits).
 * @param {string} file
 */
function executable(file) {
  chmodSync(file, 0o755);
  return file;
}

/**
 * The meta-variables of `GET /cgi-bin/NAME` as Apache sets them (RFC 3875 section 4.1), with
 * {@link SYSTEM_PATH} (for `#!/usr/bin/env`) and NODE_ENV=production as the bench's Apache sets it.
 * @param {string} name
 * @returns {NodeJS.ProcessEnv}
 */
export function cgiEnv(name) {
  return {
    PATH: SYSTEM_PATH,
    NODE_ENV: 'production',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_SOFTWARE: 'Apache',
    SERVER_NAME: '127.0.0.1',
    SERVER_ADDR: '127.0.0.1',
    SERVER_PORT: '80',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_SCHEME: 'http',
    REQUEST_METHOD: 'GET',
    REQUEST_URI: `/cgi-bin/${name}`,
    SCRIPT_NAME: `/cgi-bin/${name}`,
    QUERY_STRING: '',
    REMOTE_ADDR: '127.0.0.1',
    REMOTE_PORT: '40000',
    HTTP_HOST: '127.0.0.1',
  };
}

/**
 * @typedef {object} DirectRun
 * @property {number} ms  wall time from spawn to exit, milliseconds
 * @property {boolean} ok  exit code 0 and stdout a CGI header block followed by the hello body
 * @property {string} problem  when not ok: the first line of stderr, or what was wrong
 */

/**
 * Runs `command args` once, synchronously, with `env` and an empty stdin, and times it.
 * @param {string} command
 * @param {readonly string[]} args
 * @param {NodeJS.ProcessEnv} env
 * @param {boolean} [expectHello]  check that stdout is a hello CGI response (default true)
 * @returns {DirectRun}
 */
export function runDirect(command, args, env, expectHello = true) {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { env, input: '', encoding: 'latin1', timeout: 30_000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error !== undefined) return { ms, ok: false, problem: r.error.message };
  const stderr = (r.stderr ?? '').trim().split('\n')[0] ?? '';
  if (r.status !== 0) return { ms, ok: false, problem: `exit ${r.status ?? r.signal}: ${stderr}` };
  if (expectHello && !/\r?\n\r?\nHello, world!\n$/.test(r.stdout ?? '')) {
    return { ms, ok: false, problem: `unexpected output ${JSON.stringify((r.stdout ?? '').slice(0, 120))}` };
  }
  return { ms, ok: true, problem: '' };
}
