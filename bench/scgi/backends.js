// @ts-check
/**
 * The backends of the SCGI bench (bench/scgi.js): one process each, on 127.0.0.1, logging off, in
 * the shape of the FastCGI bench's backends so its stack and hello part run them unchanged.
 */
import { portico, uwsgi } from '../fastcgi/backends.js';

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
    start: uwsgi('scgi'),
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
