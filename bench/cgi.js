#!/usr/bin/env node
// @ts-check
/**
 * `pnpm bench:cgi`: requests/s of a hello CGI request under Apache's mod_cgid for a Portico CGI
 * program (runCGI in a node script, and `portico cgi` from a wrapper), a bare Node script, Python
 * (wsgiref's CGIHandler, and a plain script) and a shell script, measured with wrk at low
 * concurrency; and the cold start of one request, each program run directly. Prints the tables and
 * writes them to bench/results/cgi.md. See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { PROGRAMS, SYSTEM_PATH } from './cgi/programs.js';
import { coldStarts, startupCells } from './cgi/startup.js';
import { throughputCells, throughputPart } from './cgi/throughput.js';
import { tempDir } from './fastcgi/process.js';
import { LOAD_OPTIONS, loadLine, loadSettings, loadUsage, names, positive, runCli } from './options.js';
import { commandLine, markdownTable, notesSection, printTables, textTable, writeResults } from './report.js';
import { wrkVersion } from './wrk.js';

const PARTS = ['throughput', 'cold-start'];

/** The programs that run on Node: their cold start is set against bare `node -e ''`. */
const NODE_PROGRAMS = new Set(['portico', 'portico-cli', 'node']);

const USAGE = `Usage: pnpm bench:cgi [options]

${loadUsage({ unit: 'program', units: 'programs', frontEnd: 'Apache', connections: 4 })}  --only a,b              programs: ${PROGRAMS.map((p) => p.name).join(', ')} (default: all)
  --parts a,b             what to measure: ${PARTS.join(', ')} (default: all)
  --cold-runs N           timed cold starts per program (default: 20)
  --no-pin                do not pin Apache and its CGI programs to CPU 0, wrk to CPU 1
  -h, --help              show this help
`;

const { values } = parseArgs({
  options: {
    ...LOAD_OPTIONS,
    parts: { type: 'string' },
    'cold-runs': { type: 'string', default: '20' },
  },
});

await runCli('bench:cgi', USAGE, values, main);

async function main() {
  const s = loadSettings(values, 4);
  const coldRuns = positive('cold-runs', values['cold-runs']);
  const only = names(
    'only',
    values.only,
    PROGRAMS.map((p) => p.name),
  );
  const parts = names('parts', values.parts, PARTS);
  const selected = PROGRAMS.filter((p) => only.includes(p.name));

  const wrk = parts.includes('throughput') ? wrkVersion() : 'wrk not used';
  const apache = spawnSync('apache2', ['-v'], { encoding: 'utf8' });
  if (parts.includes('throughput') && apache.error !== undefined) {
    throw new Error('apache2 not found on PATH (Debian/Ubuntu: apt-get install apache2)');
  }
  const where = s.pin ? 'Apache and its CGI programs on CPU 0, wrk on CPU 1' : 'not pinned';
  const load = loadLine(s);
  process.stdout.write(`${load}; ${where}\n`);

  /** @type {Map<string, string>} */
  const unavailable = new Map();
  /** @type {string[]} */
  const sections = [];
  /** @type {string[]} */
  const text = [];

  if (parts.includes('throughput')) {
    const rows = await throughputPart(selected, s, unavailable);
    const { header, cells } = throughputCells(rows);
    text.push(textTable(header, cells));
    sections.push(`## Hello world under Apache mod_cgid (req/s, latency)\n\n${markdownTable(header, cells)}`);
  }
  if (parts.includes('cold-start')) {
    process.stdout.write(`\ncold start, each program run directly (${coldRuns} runs each):\n`);
    const temp = tempDir('cgi-cold');
    try {
      const programs = [];
      for (const spec of selected) {
        const problem = (await spec.missing?.()) ?? '';
        programs.push({ name: spec.name, label: spec.label, file: spec.file(temp.dir), problem });
      }
      const rows = coldStarts(programs, coldRuns);
      for (const row of rows) {
        // A program the throughput part found missing already has its note.
        if (row.result === null && !unavailable.has(row.label))
          unavailable.set(`${row.label}, cold start`, `not available: ${row.problem}`);
      }
      const { header, cells, verdicts } = startupCells(rows, NODE_PROGRAMS);
      text.push([textTable(header, cells), '', ...verdicts].join('\n'));
      sections.push(
        `## Cold start of one hello CGI request (${coldRuns} runs, run directly)\n\n${markdownTable(header, cells)}${verdicts.length > 0 ? `\n\n${verdicts.map((v) => `- ${v}`).join('\n')}` : ''}`,
      );
    } finally {
      temp.remove();
    }
  }
  const notes = [...unavailable].map(([name, why]) => `${name}: ${why}`);

  printTables(text, notes);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const httpd = /Server version: (\S+)/.exec(apache.stdout ?? '')?.[1] ?? 'apache2';
  // The python3 the programs run: the one on the system PATH they get.
  const python = (
    spawnSync('python3', ['--version'], { encoding: 'utf8', env: { PATH: SYSTEM_PATH } }).stdout ?? ''
  ).trim();
  const md = `# CGI under Apache

- date: ${new Date().toISOString()}
- command: \`${commandLine('bench:cgi')}\`
- load: \`${load}\`${s.rounds > 1 ? `, ${s.pick} of ${s.rounds} rounds` : ''}
- machine: ${cpus().length} x ${cpu}, Node ${process.version}, ${python || 'python3 not found'}, ${httpd} (mpm_event, mod_cgid), ${wrk}; ${where}
- programs: a process per request, forked by mod_cgid's daemon, running as www-data; see bench/README.md

${sections.join('\n\n')}
${notesSection(notes)}`;
  writeResults('cgi.md', md);
}
