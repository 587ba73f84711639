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
import { best, median, runWrk, wrkVersion } from './wrk.js';

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
  // Every server is started once and stays up (idle) while the others are measured; each gets its
  // warm-up run right before its first measured run, and the rounds interleave the servers, so a
  // burst of background load hits one run of one server rather than all runs of it.
  /** @type {import('./servers.js').RunningServer[]} */
  const running = [];
  try {
    for (const spec of selected) running.push(await startServer(spec, pin ? 0 : null));
    for (let round = 1; round <= rounds; round++) {
      for (const [i, spec] of selected.entries()) {
        const common = { url: running[i]?.url ?? '', threads, connections, cpu: pin ? 1 : null };
        if (round === 1) await runWrk({ ...common, duration: warmup });
        const result = await runWrk({ ...common, duration });
        results.get(spec.name)?.push(result);
        const r = `${Math.round(result.requestsPerSec)} req/s, p99 ${result.p99Ms.toFixed(2)} ms`;
        process.stdout.write(`  [${round}/${rounds}] ${spec.label}: ${r}\n`);
      }
    }
  } finally {
    await Promise.all(running.map((server) => server.stop()));
  }

  const choose = pick === 'best' ? best : median;
  const rows = selected.map((spec) => ({ spec, result: choose(results.get(spec.name) ?? []) }));
  const { header, cells, verdicts } = tableCells(rows);
  process.stdout.write(`\n${textTable(header, cells)}\n${verdicts.map((v) => `\n${v}`).join('')}\n`);

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const md = `# HTTP hello-world throughput

- date: ${new Date().toISOString()}
- command: \`${commandLine('bench')}\`
- load: \`${settings}\`${rounds > 1 ? `, ${pick === 'best' ? 'best' : 'median'} of ${rounds} rounds` : ''}
- machine: ${cpus().length} x ${cpu}, Node ${process.version}, ${wrk}; ${pin ? 'server pinned to CPU 0, wrk to CPU 1' : 'not pinned'}
- servers: NODE_ENV=production, no access log, one process each

${markdownTable(header, cells)}

Targets: Portico async >= 0.95x and sync >= 0.90x the req/s of bare node:http, p99 within 10%.
${verdicts.map((v) => `- ${v}`).join('\n')}
`;
  writeResults('http-hello.md', md);
}
