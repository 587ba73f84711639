#!/usr/bin/env node
// @ts-check
/**
 * `pnpm bench:scgi`: the same hello app on three backends, each with one nginx worker in front
 * (Portico SCGI and uWSGI's SCGI socket over scgi_pass, Portico HTTP over proxy_pass), measured
 * with wrk. Prints the table and writes it to bench/results/scgi.md. See bench/README.md.
 *
 * The machinery is the FastCGI bench's (bench/fastcgi/): the same stacks, hello part and table;
 * only the backends and the references differ.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { LOAD_OPTIONS, loadSettings, names } from './fastcgi/options.js';
import { helloPart } from './fastcgi/parts.js';
import { helloCells } from './fastcgi/report.js';
import { markdownTable, textTable } from './report.js';
import { BACKENDS, REFERENCES } from './scgi/backends.js';
import { wrkVersion } from './wrk.js';

const USAGE = `Usage: pnpm bench:scgi [options]

  --duration TIME         measured wrk run per backend, wrk syntax (default: 10s)
  --warmup TIME           warm-up run per backend before it (default: same as --duration)
  --connections N         open client connections to nginx (default: 50)
  --threads N             wrk threads (default: 1)
  --rounds N              repeat the measurements N times, backends interleaved (default: 1)
  --pick best|median      with --rounds: each backend's best run or the median of each figure
                          (default: best)
  --only a,b              backends: ${BACKENDS.map((b) => b.name).join(', ')} (default: all)
  --no-pin                do not pin backend and nginx to CPU 0, wrk to CPU 1
  -h, --help              show this help
`;

const { values } = parseArgs({ options: LOAD_OPTIONS });

try {
  if (values.help) {
    process.stdout.write(USAGE);
  } else {
    await main();
  }
} catch (err) {
  process.stderr.write(`bench:scgi: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}

async function main() {
  const s = loadSettings(values, 50);
  const only = names(
    'only',
    values.only,
    BACKENDS.map((b) => b.name),
  );
  const selected = BACKENDS.filter((b) => only.includes(b.name));

  const wrk = wrkVersion();
  if (spawnSync('nginx', ['-v']).error !== undefined) {
    throw new Error('nginx not found on PATH (Debian/Ubuntu: apt-get install nginx)');
  }
  if (!existsSync(new URL('../packages/cli/dist/main.js', import.meta.url))) {
    throw new Error('packages/cli/dist is missing: run pnpm build first');
  }
  const where = s.pin ? 'backend and nginx on CPU 0, wrk on CPU 1' : 'not pinned';
  const load = `wrk -t${s.threads} -c${s.connections} -d${s.duration} --latency (after a ${s.warmup} warm-up run)`;
  process.stdout.write(`${load}; ${where}\n`);

  /** @type {Map<string, string>} */
  const unavailable = new Map();
  const { rows } = await helloPart(selected, s, unavailable);
  const subject = { name: 'portico', label: 'Portico SCGI' };
  const { header, cells, verdicts } = helloCells(rows, { subject, references: REFERENCES });
  const notes = [...unavailable].map(([name, why]) => `${name}: ${why}`);

  const text = [textTable(header, cells), '', ...verdicts].join('\n');
  process.stdout.write(`\n${text}\n${notes.map((n) => `\n${n}`).join('')}\n`);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const nginx = (spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr ?? '')
    .trim()
    .replace(/^nginx version: /, '');
  const uwsgi = (spawnSync('uwsgi', ['--version'], { encoding: 'utf8' }).stdout ?? '').trim();
  const args = process.argv.slice(2);
  const md = `# SCGI behind nginx

- date: ${new Date().toISOString()}
- command: \`pnpm bench:scgi${args.length > 0 ? ` ${args.join(' ')}` : ''}\`
- load: \`${load}\`${s.rounds > 1 ? `, ${s.pick} of ${s.rounds} rounds` : ''}
- machine: ${cpus().length} x ${cpu}, Node ${process.version}, ${nginx} (1 worker), uWSGI ${uwsgi || 'not found'}, ${wrk}; ${where}
- backends: one process each, logging off; nginx opens a new SCGI connection per request (SCGI has no keep-alive), proxy_pass keeps its HTTP/1.1 connections; see bench/README.md

## Hello world (req/s, latency)

${markdownTable(header, cells)}

${verdicts.map((v) => `- ${v}`).join('\n')}
${notes.length > 0 ? `\n## Notes\n\n${notes.map((n) => `- ${n}`).join('\n')}\n` : ''}`;
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('scgi.md', dir), md);
  process.stdout.write('\nwritten to bench/results/scgi.md\n');
}
