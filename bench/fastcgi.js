#!/usr/bin/env node
// @ts-check
/**
 * `pnpm bench:fastcgi`: the same hello app on five backends, each with one nginx worker in front
 * (Portico FastCGI, PHP-FPM, uWSGI, node-fastcgi over fastcgi_pass; Portico HTTP over proxy_pass),
 * measured with wrk; 100 MiB downloads and uploads through nginx with curl; memory per idle kept
 * connection. Prints the tables and writes them to bench/results/fastcgi.md. See bench/README.md.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { BACKENDS } from './fastcgi/backends.js';
import { helloPart, memoryPart, transferPart } from './fastcgi/parts.js';
import { helloCells, memoryCells, transferCells } from './fastcgi/report.js';
import { nginxStackVersion } from './fastcgi/stack.js';
import { curlVersion } from './fastcgi/transfer.js';
import { LOAD_OPTIONS, loadLine, loadSettings, loadUsage, names, positive, runCli } from './options.js';
import { commandLine, markdownTable, notesSection, printTables, textTable, writeResults } from './report.js';
import { wrkVersion } from './wrk.js';

const PARTS = ['hello', 'transfer', 'memory'];

const USAGE = `Usage: pnpm bench:fastcgi [options]

${loadUsage({ unit: 'backend', units: 'backends', frontEnd: 'nginx', connections: 50 })}  --only a,b              backends: ${BACKENDS.map((b) => b.name).join(', ')} (default: all)
  --parts a,b             what to measure: ${PARTS.join(', ')} (default: all)
  --idle-connections N    idle kept connections opened for the memory figure (default: 1000)
  --no-pin                do not pin backend and nginx to CPU 0, wrk and curl to CPU 1
  -h, --help              show this help
`;

const { values } = parseArgs({
  options: {
    ...LOAD_OPTIONS,
    parts: { type: 'string' },
    'idle-connections': { type: 'string', default: '1000' },
  },
});

await runCli('bench:fastcgi', USAGE, values, main);

async function main() {
  const s = settings();
  const only = names(
    'only',
    values.only,
    BACKENDS.map((b) => b.name),
  );
  const parts = names('parts', values.parts, PARTS);
  const selected = BACKENDS.filter((b) => only.includes(b.name));

  const tools = [wrkVersion(), curlVersion()];
  const nginx = nginxStackVersion();
  const where = s.pin ? 'backend and nginx on CPU 0, wrk and curl on CPU 1' : 'not pinned';
  const load = loadLine(s);
  process.stdout.write(`${load}; ${where}\n`);

  /** @type {Map<string, string>} */
  const unavailable = new Map();
  /** @type {string[]} */
  const sections = [];
  /** @type {string[]} */
  const text = [];
  /** @type {string[]} */
  const notes = [];

  if (parts.includes('hello')) {
    const { rows, check } = await helloPart(selected, s, unavailable);
    const { header, cells, verdicts } = helloCells(rows);
    text.push([textTable(header, cells), '', ...verdicts].join('\n'));
    sections.push(
      `## Hello world (req/s, latency)\n\n${markdownTable(header, cells)}\n\n${verdicts.map((v) => `- ${v}`).join('\n')}`,
    );
    if (check !== '') notes.push(check);
  }
  if (parts.includes('transfer')) {
    const rows = await transferPart(
      selected.filter((b) => b.transfer),
      s,
      unavailable,
    );
    if (rows.length > 0) {
      const { header, cells } = transferCells(rows);
      text.push(textTable(header, cells));
      sections.push(`## 100 MiB through nginx (curl)\n\n${markdownTable(header, cells)}`);
    }
  }
  if (parts.includes('memory')) {
    const rows = await memoryPart(
      selected.filter((b) => b.name === 'portico' || b.name === 'proxy'),
      s,
      unavailable,
    );
    if (rows.length > 0) {
      const { header, cells } = memoryCells(rows);
      text.push(textTable(header, cells));
      sections.push(`## Memory per idle kept connection\n\n${markdownTable(header, cells)}`);
    }
  }
  for (const [name, why] of unavailable) notes.push(`${name}: ${why}`);

  printTables(text, notes);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const md = `# FastCGI behind nginx

- date: ${new Date().toISOString()}
- command: \`${commandLine('bench:fastcgi')}\`
- load: \`${load}\`${s.rounds > 1 ? `, ${s.pick} of ${s.rounds} rounds` : ''}
- machine: ${cpus().length} x ${cpu}, Node ${process.version}, ${nginx} (1 worker), ${tools.join(', ')}; ${where}
- backends: one process each, logging off; see bench/README.md

${sections.join('\n\n')}
${notesSection(notes)}`;
  writeResults('fastcgi.md', md);
}

/** @returns {import('./fastcgi/parts.js').Settings} */
function settings() {
  return {
    ...loadSettings(values, 50),
    idleConnections: positive('idle-connections', values['idle-connections']),
  };
}
