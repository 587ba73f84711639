// @ts-check
/** Part of bench/middleware.js: the HTTP part: @portico/http serving the hello app bare and behind the typical stack, measured with wrk. */

import { startServer } from '../servers.js';
import { best, median, runWrk } from '../wrk.js';
import { int } from './in-process.js';

// ---- The HTTP part ------------------------------------------------------------------------------

/** @type {import('../servers.js').ServerSpec[]} */
export const SERVERS = [
  {
    name: 'bare',
    label: 'hello app (@portico/http)',
    args: ['servers/portico.js', 'async'],
    target: null,
  },
  {
    name: 'stack',
    label: 'hello app behind the typical stack',
    args: ['servers/portico-stack.js'],
    target: null,
  },
];

/**
 * The HTTP part: both servers started (pinned as run.js does), a warm-up run each, then `rounds`
 * measured runs, servers interleaved.
 * @param {import('../options.js').LoadSettings} s
 * @returns {Promise<import('../wrk.js').WrkResult[]>}  bare, stack
 */
export async function measureHttp(s) {
  /** @type {import('../wrk.js').WrkResult[][]} */
  const runs = SERVERS.map(() => []);
  /** @type {import('../servers.js').RunningServer[]} */
  const running = [];
  try {
    for (const spec of SERVERS) running.push(await startServer(spec, s.pin ? 0 : null));
    for (let round = 1; round <= s.rounds; round++) {
      for (const [i, spec] of SERVERS.entries()) {
        const common = {
          url: running[i]?.url ?? '',
          threads: s.threads,
          connections: s.connections,
          cpu: s.pin ? 1 : null,
        };
        if (round === 1) await runWrk({ ...common, duration: s.warmup });
        const result = await runWrk({ ...common, duration: s.duration });
        runs[i]?.push(result);
        const r = `${int(result.requestsPerSec)} req/s, p99 ${result.p99Ms.toFixed(2)} ms`;
        process.stdout.write(`  [${round}/${s.rounds}] ${spec.label}: ${r}\n`);
      }
    }
  } finally {
    await Promise.all(running.map((server) => server.stop()));
  }
  const choose = s.pick === 'best' ? best : median;
  return runs.map((list) => choose(list));
}

/**
 * The HTTP table's cells.
 * @param {import('../wrk.js').WrkResult[]} results  bare, stack
 */
export function httpCells(results) {
  const head = ['server', 'req/s', 'vs bare', 'us/request', 'p50', 'p99', 'errors'];
  const base = results[0]?.requestsPerSec ?? Number.NaN;
  const cells = results.map((r, i) => [
    SERVERS[i]?.label ?? '',
    int(r.requestsPerSec),
    `${(r.requestsPerSec / base).toFixed(2)}x`,
    (1e6 / r.requestsPerSec).toFixed(2),
    `${r.p50Ms.toFixed(2)} ms`,
    `${r.p99Ms.toFixed(2)} ms`,
    String(r.errors),
  ]);
  return { head, cells };
}
