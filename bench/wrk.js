// @ts-check
/**
 * Running wrk (https://github.com/wg/wrk; Debian package `wrk`) and reading its report.
 */
import { spawn, spawnSync } from 'node:child_process';

/**
 * @typedef {object} WrkResult
 * @property {number} requestsPerSec  `Requests/sec` line
 * @property {number} p50Ms  50th percentile latency, ms (`--latency` distribution)
 * @property {number} p99Ms  99th percentile latency, ms
 * @property {number} requests  total requests completed
 * @property {number} errors  non-2xx/3xx responses plus socket errors (connect, read, write, timeout)
 */

/**
 * The version line of `wrk`, or throws a message saying how to install it.
 * @returns {string}
 */
export function wrkVersion() {
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined) {
    throw new Error('wrk not found on PATH: install it (Debian/Ubuntu: sudo apt-get install wrk)');
  }
  // "wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer" -> "wrk debian/4.1.0-3+b2 [epoll]"
  const first = (r.stdout + r.stderr).split('\n', 1)[0] ?? '';
  return first.replace(/\s*Copyright.*$/, '').trim() || 'wrk';
}

/**
 * Runs `wrk -t<threads> -c<connections> -d<duration> --latency <url>`, optionally pinned to a CPU.
 * @param {{ url: string, threads: number, connections: number, duration: string, cpu: number | null }} o
 * @returns {Promise<WrkResult>}
 */
export function runWrk(o) {
  const args = [`-t${o.threads}`, `-c${o.connections}`, `-d${o.duration}`, '--latency', o.url];
  const [cmd, argv] = o.cpu === null ? ['wrk', args] : ['taskset', ['-c', String(o.cpu), 'wrk', ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s) => {
      out += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s) => {
      out += s;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}:\n${out}`));
      try {
        resolve(parseWrkReport(out));
      } catch (err) {
        reject(err);
      }
    });
  });
}

const UNIT_MS = /** @type {Record<string, number>} */ ({ us: 0.001, ms: 1, s: 1000, m: 60_000 });

/**
 * Reads the numbers out of wrk's text report (wrk 4.x with `--latency`).
 * @param {string} text
 * @returns {WrkResult}
 */
export function parseWrkReport(text) {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const total = /^\s+(\d+) requests in /m.exec(text);
  if (rps === null || p50 === null || p99 === null || total === null) {
    throw new Error(`cannot read the wrk report:\n${text}`);
  }
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket === null ? 0 : socket.slice(1).reduce((sum, n) => sum + Number(n), 0);
  return {
    requestsPerSec: Number(rps[1]),
    p50Ms: Number(p50[1]) * (UNIT_MS[p50[2] ?? 'ms'] ?? 1),
    p99Ms: Number(p99[1]) * (UNIT_MS[p99[2] ?? 'ms'] ?? 1),
    requests: Number(total[1]),
    errors: Number(non2xx?.[1] ?? 0) + socketErrors,
  };
}

/**
 * The run with the highest req/s, with its own latencies (errors summed over all runs). Background
 * load on the machine only ever slows a run down, so the best run is the least disturbed one.
 * @param {WrkResult[]} list
 * @returns {WrkResult}
 */
export function best(list) {
  const top = list.reduce((a, b) => (b.requestsPerSec > a.requestsPerSec ? b : a));
  return { ...top, errors: list.reduce((sum, r) => sum + r.errors, 0) };
}

/**
 * Median of each figure across rounds (errors summed).
 * @param {WrkResult[]} list
 * @returns {WrkResult}
 */
export function median(list) {
  /** @param {(r: WrkResult) => number} pick */
  const mid = (pick) => middle(list.map(pick)) ?? 0;
  return {
    requestsPerSec: mid((r) => r.requestsPerSec),
    p50Ms: mid((r) => r.p50Ms),
    p99Ms: mid((r) => r.p99Ms),
    requests: mid((r) => r.requests),
    errors: list.reduce((sum, r) => sum + r.errors, 0),
  };
}

/**
 * The middle value of `values` (the lower of the two middle ones for an even count), or `undefined`
 * for none.
 * @param {number[]} values
 */
export function middle(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
