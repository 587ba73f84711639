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
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { helloPart } from './fastcgi/parts.js';
import { helloCells } from './fastcgi/report.js';
import { nginxStackVersion } from './fastcgi/stack.js';
import { LOAD_OPTIONS, loadLine, loadSettings, loadUsage, names, runCli } from './options.js';
import { commandLine, markdownTable, notesSection, printTables, textTable, writeResults } from './report.js';
import { BACKENDS, REFERENCES } from './scgi/backends.js';
import { wrkVersion } from './wrk.js';

const USAGE = `Usage: pnpm bench:scgi [options]

${loadUsage({ unit: 'backend', units: 'backends', frontEnd: 'nginx', connections: 50 })}  --only a,b              backends: ${BACKENDS.map((b) => b.name).join(', ')} (default: all)
  --no-pin                do not pin backend and nginx to CPU 0, wrk to CPU 1
  -h, --help              show this help
`;

const { values } = parseArgs({ options: LOAD_OPTIONS });

await runCli('bench:scgi', USAGE, values, main);

async function main() {
  const s = loadSettings(values, 50);
  const only = names(
    'only',
    values.only,
    BACKENDS.map((b) => b.name),
  );
  const selected = BACKENDS.filter((b) => only.includes(b.name));

  const wrk = wrkVersion();
  const nginx = nginxStackVersion();
  const where = s.pin ? 'backend and nginx on CPU 0, wrk on CPU 1' : 'not pinned';
  const load = loadLine(s);
  process.stdout.write(`${load}; ${where}\n`);

  /** @type {Map<string, string>} */
  const unavailable = new Map();
  const { rows } = await helloPart(selected, s, unavailable);
  const subject = { name: 'portico', label: 'Portico SCGI' };
  const { header, cells, verdicts } = helloCells(rows, { subject, references: REFERENCES });
  const notes = [...unavailable].map(([name, why]) => `${name}: ${why}`);

  printTables([[textTable(header, cells), '', ...verdicts].join('\n')], notes);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const uwsgi = (spawnSync('uwsgi', ['--version'], { encoding: 'utf8' }).stdout ?? '').trim();
  const md = `# SCGI behind nginx

- date: ${new Date().toISOString()}
- command: \`${commandLine('bench:scgi')}\`
- load: \`${load}\`${s.rounds > 1 ? `, ${s.pick} of ${s.rounds} rounds` : ''}
- machine: ${cpus().length} x ${cpu}, Node ${process.version}, ${nginx} (1 worker), uWSGI ${uwsgi || 'not found'}, ${wrk}; ${where}
- backends: one process each, logging off; nginx opens a new SCGI connection per request (SCGI has no keep-alive), proxy_pass keeps its HTTP/1.1 connections; see bench/README.md

## Hello world (req/s, latency)

${markdownTable(header, cells)}

${verdicts.map((v) => `- ${v}`).join('\n')}
${notesSection(notes)}`;
  writeResults('scgi.md', md);
}
