// @ts-check
/**
 * The backends of the SCGI bench (bench/scgi.js): one process each, on 127.0.0.1, logging off, in
 * the shape of the FastCGI bench's backends so its stack and hello part run them unchanged.
 */
import { fileURLToPath } from 'node:url';
import { portico } from '../fastcgi/backends.js';
import { freePort, startDaemon, waitForPort } from '../fastcgi/process.js';

const HELLO_PY = fileURLToPath(new URL('../apps/hello.py', import.meta.url));

/**
 * Every backend gets a new connection from nginx per request: SCGI has no keep-alive (the backend
 * closes the connection once its response is written), and the proxy_pass row keeps its HTTP/1.1
 * connections, as in the FastCGI bench.
 * @type {import('../fastcgi/backends.js').BackendSpec[]}
 */
export const BACKENDS = [
  {
    name: 'portico',
    label: 'Portico SCGI',
    protocol: 'scgi',
    keepConn: false,
    transfer: false,
    start: portico('scgi'),
  },
  {
    name: 'uwsgi',
    label: 'uWSGI SCGI (1 process)',
    protocol: 'scgi',
    keepConn: false,
    transfer: false,
    async start({ cpu }) {
      const port = await freePort();
      // No --master: uWSGI runs without a master process unless told to (it has no
      // `--master=false`), so this is one process, as in the FastCGI bench.
      const args = ['--plugin', 'python3', '--scgi-socket', `127.0.0.1:${port}`];
      args.push('--wsgi-file', HELLO_PY, '--processes', '1', '--threads', '1');
      args.push('--disable-logging', '--listen', '1024');
      const daemon = startDaemon('uwsgi', args, { cpu });
      await waitForPort(port, daemon, 'uwsgi');
      return { port, pid: daemon.pid, daemon };
    },
  },
  {
    name: 'proxy',
    label: 'Portico HTTP (proxy_pass)',
    protocol: 'http',
    keepConn: true,
    transfer: false,
    start: portico('http'),
  },
];

/**
 * The references the Portico SCGI row is compared with, and the target (req/s ratio).
 * @type {import('../fastcgi/report.js').Reference[]}
 */
export const REFERENCES = [
  { name: 'uwsgi', column: 'vs uWSGI SCGI', target: 1.0 },
  { name: 'proxy', column: 'vs proxy_pass', target: null },
];
