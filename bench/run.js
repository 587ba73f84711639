#!/usr/bin/env node
// @ts-check
/**
 * `pnpm bench`: hello-world throughput of bare node:http, Portico (async app, and sync app through the
 * bridge), Hono and Fastify, each in its own child process, measured with wrk. Prints a table and
 * writes it to bench/results/http-hello.md. See bench/README.md.
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { LOAD_OPTIONS, loadLine, loadSettings, names, runCli } from './options.js';
import { commandLine, markdownTable, tableCells, textTable, writeResults } from './report.js';
import { SERVERS, startServer } from './servers.js';
import { best, median, middle, runWrk, wrkVersion } from './wrk.js';

const USAGE = `Usage: pnpm bench [options]

  --duration TIME      measured run per server, wrk syntax (default: 10s)
  --warmup TIME        warm-up run per server before it (default: same as --duration)
  --connections N      open connections (default: 50)
  --threads N          wrk threads (default: 1)
  --rounds N           repeat everything N times, servers interleaved (default: 1)
  --pick best|median   with --rounds: report each server's best run (highest req/s, its own
                       latencies) or the median of each figure (default: best)
  --only a,b           servers to run: ${SERVERS.map((s) => s.name).join(', ')} (default: all)
  --no-pin             do not pin the server to CPU 0 and wrk to CPU 1 with taskset
  -h, --help           show this help
`;

const { values } = parseArgs({ options: LOAD_OPTIONS });

await runCli('bench', USAGE, values, main);

async function main() {
  const { duration, warmup, connections, threads, rounds, pick, pin } = loadSettings(values, 50);
  const only = names(
    'only',
    values.only,
    SERVERS.map((s) => s.name),
  );
  const selected = SERVERS.filter((s) => only.includes(s.name));

  const wrk = wrkVersion();
  for (const file of ['packages/spec', 'packages/server', 'adapters/http']) {
    if (!existsSync(new URL(`../${file}/dist/index.js`, import.meta.url))) {
      throw new Error(`${file}/dist is missing: run pnpm build first`);
    }
  }
  const settings = loadLine({ duration, warmup, connections, threads });
  process.stdout.write(`${settings}; ${pin ? 'server on CPU 0, wrk on CPU 1' : 'not pinned'}\n`);

  /** @type {Map<string, import('./wrk.js').WrkResult[]>} */
  const results = new Map(selected.map((s) => [s.name, []]));
  // Every measured run gets a server process of its own, started for it, warmed up and stopped
  // after: on a shared VM one process of a server can run 10-20% slower than another of the same
  // server for its whole life (where its memory landed), so a process per run samples that too.
  // The rounds interleave the servers, each round starting one server later than the one before.
  for (let round = 1; round <= rounds; round++) {
    for (let k = 0; k < selected.length; k++) {
      const spec = selected[(k + round - 1) % selected.length];
      if (spec === undefined) continue;
      const server = await startServer(spec, pin ? 0 : null);
      try {
        const common = { url: server.url, threads, connections, cpu: pin ? 1 : null };
        await runWrk({ ...common, duration: warmup });
        const result = await runWrk({ ...common, duration });
        results.get(spec.name)?.push(result);
        const r = `${Math.round(result.requestsPerSec)} req/s, p99 ${result.p99Ms.toFixed(2)} ms`;
        process.stdout.write(`  [${round}/${rounds}] ${spec.label}: ${r}\n`);
      } finally {
        await server.stop();
      }
    }
  }

  const choose = pick === 'best' ? best : median;
  const rows = selected.map((spec) => ({ spec, result: choose(results.get(spec.name) ?? []) }));
  // With the median, each ratio is the median of the rounds' own ratios: the machine's speed drifts
  // between rounds (by 10% and more on a shared VM), and a round's servers run within seconds.
  const { header, cells, verdicts } = tableCells(rows, pick === 'median' ? roundRatios(results) : null);
  process.stdout.write(`\n${textTable(header, cells)}\n${verdicts.map((v) => `\n${v}`).join('')}\n`);

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const md = `# HTTP hello-world throughput

- date: ${new Date().toISOString()}
- command: \`${commandLine('bench')}\`
- load: \`${settings}\`${rounds > 1 ? `, ${pick === 'best' ? 'best' : 'median'} of ${rounds} rounds` : ''}${rounds > 1 && pick === 'median' ? ' (ratios: the median of the per-round ratios)' : ''}
- machine: ${cpus().length} x ${cpu}, Node ${process.version}, ${wrk}; ${pin ? 'server pinned to CPU 0, wrk to CPU 1' : 'not pinned'}
- servers: NODE_ENV=production, no access log, a fresh process for every measured run

${markdownTable(header, cells)}

Targets: Portico async >= 0.95x and sync >= 0.90x the req/s of bare node:http, p99 within 10%.
${verdicts.map((v) => `- ${v}`).join('\n')}
`;
  writeResults('http-hello.md', md);
}

/**
 * The median over rounds of each server's req/s and p99 ratio to bare node:http in the same round.
 * @param {Map<string, import('./wrk.js').WrkResult[]>} results  runs by server name, in round order
 * @returns {Map<string, { rps: number, p99: number }> | null}  `null` without a `node` row
 */
function roundRatios(results) {
  const base = results.get('node');
  if (base === undefined) return null;
  /** @type {Map<string, { rps: number, p99: number }>} */
  const ratios = new Map();
  for (const [name, runs] of results) {
    const rps = runs.map((r, i) => r.requestsPerSec / (base[i]?.requestsPerSec ?? Number.NaN));
    const p99 = runs.map((r, i) => r.p99Ms / (base[i]?.p99Ms ?? Number.NaN));
    ratios.set(name, { rps: middle(rps) ?? Number.NaN, p99: middle(p99) ?? Number.NaN });
  }
  return ratios;
}
