// @ts-check
/**
 * Memory per idle kept connection: N clients each send one request on their own connection, read
 * the whole response, and keep the connection open and idle; the backend's resident set size is
 * read before and after (no nginx in between, so every connection is one the backend holds).
 */
import { connect } from 'node:net';
import { keptRequest } from './fcgi-client.js';
import { rssKiB } from './process.js';

const HELLO = 'Hello, world!\n';

/**
 * `GET /` over HTTP/1.1 on a new connection; resolves once the hello body arrived, the connection
 * left open (HTTP/1.1 keeps it by default).
 * @param {number} port
 * @param {number} [timeoutMs]
 * @returns {Promise<import('./fcgi-client.js').Exchange>}
 */
function httpKeptRequest(port, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    const timer = setTimeout(() => fail(new Error(`no response after ${timeoutMs} ms`)), timeoutMs);
    /** @param {Error} err */
    function fail(err) {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    }
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the server closed the connection before the response')));
    socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
    socket.setEncoding('latin1').on('data', (s) => {
      text += s;
      if (text.endsWith(`\r\n\r\n${HELLO}`)) {
        clearTimeout(timer);
        socket.removeAllListeners('close');
        socket.removeAllListeners('data');
        socket.removeAllListeners('error');
        socket.on('error', () => {});
        resolve({ socket, stdout: text });
      }
    });
  });
}

/**
 * @typedef {object} MemoryResult
 * @property {number} connections  kept connections open at the second reading
 * @property {number} beforeKiB  RSS with no connection open (after a warm-up)
 * @property {number} afterKiB  RSS with `connections` idle kept connections
 * @property {number} perConnectionKiB  (after - before) / connections
 */

/**
 * Opens `n` kept connections to the backend on `port` (process `pid`), `protocol` FastCGI
 * (FCGI_KEEP_CONN) or HTTP/1.1, and measures the backend's RSS growth. A warm-up of the same size
 * runs first (connections opened and closed) so the JIT, the heap and the allocator have grown to
 * their working size before the first reading.
 * @param {{ port: number, pid: number, protocol: 'fastcgi' | 'http', n: number, settleMs?: number }} o
 * @returns {Promise<MemoryResult>}
 */
export async function measureIdleConnections(o) {
  const settle = () => new Promise((r) => setTimeout(r, o.settleMs ?? 1000));
  const open = async () => {
    /** @type {import('node:net').Socket[]} */
    const sockets = [];
    try {
      for (let at = 0; at < o.n; at += 100) {
        const batch = Array.from({ length: Math.min(100, o.n - at) }, () =>
          o.protocol === 'fastcgi' ? keptRequest(o.port, '/') : httpKeptRequest(o.port),
        );
        for (const x of await Promise.all(batch)) {
          sockets.push(x.socket);
          if (!x.stdout.endsWith(HELLO)) throw new Error(`unexpected response: ${JSON.stringify(x.stdout)}`);
        }
      }
    } catch (err) {
      for (const s of sockets) s.destroy();
      throw err;
    }
    return sockets;
  };
  for (const s of await open()) s.destroy();
  await settle();
  const beforeKiB = rssKiB(o.pid);
  const sockets = await open();
  await settle();
  const alive = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
  const afterKiB = rssKiB(o.pid);
  for (const s of sockets) s.destroy();
  if (alive < o.n)
    throw new Error(`the backend closed ${o.n - alive} of ${o.n} idle connections within the measurement`);
  return { connections: alive, beforeKiB, afterKiB, perConnectionKiB: (afterKiB - beforeKiB) / alive };
}
