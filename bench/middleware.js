#!/usr/bin/env node
// @ts-check
/**
 * `pnpm bench:middleware` (or `node bench/middleware.js`): the per-request cost of the middleware of
 * @portico/middleware. In process (no sockets): the async hello app called directly against the same
 * app behind each middleware alone and behind a typical stack, ns per request and the overhead, best
 * of N interleaved rounds. Over HTTP (with wrk, when installed): @portico/http serving the hello app
 * bare and behind the typical stack, side by side. Needs `npx tsc -b` first (it runs the built
 * dist/). Prints the tables and writes them to bench/results/middleware.md. See bench/README.md.
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { STACK_NAMES } from './apps/hello-stack.js';
import { cases } from './middleware/cases.js';
import { httpCells, measureHttp } from './middleware/http.js';
import { inProcessCells, int, measureInProcess } from './middleware/in-process.js';
import { LOAD_OPTIONS, loadLine, loadSettings, names, positive, runCli } from './options.js';
import { commandLine, markdownTable, notesSection, printTables, textTable, writeResults } from './report.js';
import { wrkVersion } from './wrk.js';

const PARTS = ['in-process', 'http'];

// ---- Command line -------------------------------------------------------------------------------

const USAGE = `Usage: pnpm bench:middleware [options]

In process:
  --seconds N             length of one measurement per row, seconds (default: 0.5)
  --only a,b              rows to run, by name (default: all); the rows they are compared with
                          are added
HTTP (needs wrk):
  --duration TIME         measured wrk run per server, wrk syntax (default: 3s)
  --warmup TIME           warm-up run per server before it (default: same as --duration)
  --connections N         open client connections (default: 50)
  --threads N             wrk threads (default: 1)
  --pick best|median      with --rounds: each server's best run or the median of each figure
                          (default: best)
  --no-pin                do not pin the server to CPU 0 and wrk to CPU 1 with taskset
Both:
  --rounds N              rounds, rows (servers) interleaved; in process the best round counts
                          (default: 3)
  --parts a,b             ${PARTS.join(', ')} (default: both)
  -h, --help              show this help
`;

const { values } = parseArgs({
  options: {
    ...LOAD_OPTIONS,
    duration: { type: 'string', default: '3s' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '0.5' },
    parts: { type: 'string' },
  },
});

await runCli('bench:middleware', USAGE, values, main);

async function main() {
  const settings = loadSettings(values, 50);
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds: expected a positive number, got ${values.seconds}`);
  positive('rounds', values.rounds);
  const parts = names('parts', values.parts, PARTS);
  for (const file of ['packages/spec', 'packages/server', 'packages/middleware', 'adapters/http']) {
    if (!existsSync(new URL(`../${file}/dist/index.js`, import.meta.url))) {
      throw new Error(`${file}/dist is missing: run npx tsc -b (or pnpm build) first`);
    }
  }
  const all = cases();
  const only = names(
    'only',
    values.only,
    all.map((c) => c.name),
  );
  // A row needs the row it is compared with (csrf: session, and session: bare).
  const wanted = new Set(only);
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of all) {
      if (wanted.has(c.name) && !wanted.has(c.over)) {
        wanted.add(c.over);
        grew = true;
      }
    }
  }
  const list = all.filter((c) => wanted.has(c.name));

  /** @type {string[]} */
  const notes = [];
  /** @type {string[]} */
  const textTables = [];
  /** @type {string[]} */
  const mdSections = [];

  /** @type {import('./wrk.js').WrkResult[] | null} */
  let http = null;
  let wrk = '';
  if (parts.includes('http')) {
    try {
      wrk = wrkVersion();
    } catch (err) {
      notes.push(`HTTP part not run: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  let ns = null;
  if (parts.includes('in-process')) {
    process.stdout.write(
      `in process: ${list.length} rows, best of ${settings.rounds} interleaved rounds of ${seconds}s\n`,
    );
    ns = await measureInProcess(list, seconds, settings.rounds);
  }
  if (wrk !== '') {
    process.stdout.write(
      `HTTP: ${loadLine(settings)}; ${settings.pin ? 'server on CPU 0, wrk on CPU 1' : 'not pinned'}\n`,
    );
    http = await measureHttp(settings);
  }

  const httpNs = http?.[0] === undefined ? null : 1e9 / http[0].requestsPerSec;
  if (ns !== null) {
    const { head, cells } = inProcessCells(list, ns, httpNs);
    textTables.push(textTable(head, cells));
    mdSections.push(`## In process

GET / with a minimal scope, \`receive\` and \`send\` that do nothing; best of ${settings.rounds} interleaved rounds of ${seconds} s per row. \`overhead ns\`: the row's ns/request minus that of the row named in \`over\`; \`x\`: the ratio of the two${httpNs === null ? '' : `; the last column: the overhead as a share of the server time of one bare hello request over HTTP (${int(httpNs)} ns, from the HTTP part)`}.

${markdownTable(head, cells)}
`);
    const shown = new Set(list.map((c) => c.name));
    if (shown.has('stack')) {
      notes.push(
        `typical stack: ${STACK_NAMES.join(', ')} (1 route), outermost first; the request asks for gzip.`,
      );
    }
    if (shown.has('jwtAuth')) {
      notes.push(
        'jwtAuth: most of its time is jose verifying the token (HMAC-SHA-256, base64url, JSON, claim checks), not the middleware.',
      );
    }
    if (shown.has('csrf')) {
      notes.push(
        'csrf needs a session before it: its row runs session + csrf and its overhead is taken over the session row.',
      );
    }
  }
  if (http !== null) {
    const { head, cells } = httpCells(http);
    textTables.push(textTable(head, cells));
    const [bare, stack] = http;
    const extraUs = bare && stack ? 1e6 / stack.requestsPerSec - 1e6 / bare.requestsPerSec : Number.NaN;
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    mdSections.push(`## Over HTTP

- load: \`${loadLine(settings)}\`${settings.rounds > 1 ? `, ${settings.pick} of ${settings.rounds} rounds` : ''}
- machine: ${cpus().length} x ${cpu}, Node ${process.version}, ${wrk}; ${settings.pin ? 'server pinned to CPU 0, wrk to CPU 1' : 'not pinned'}
- servers: NODE_ENV=production, one process each, server log at warn, no server access log (the stack's accessLog writes to a no-op)

${markdownTable(head, cells)}
`);
    notes.push(
      `The typical stack costs ${extraUs.toFixed(2)} us of server time per request over HTTP (us/request = 1 / req/s: the server is the bottleneck, on one core).`,
      'wrk sends no cookie and no Accept-Encoding: every request gets a new empty session that is never written, and the 14-byte body is not compressed.',
    );
  }

  printTables(textTables, notes);
  const md = `# Middleware per-request cost

- date: ${new Date().toISOString()}
- command: \`${commandLine('bench:middleware')}\`
- machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}

${mdSections.join('\n')}${notesSection(notes)}`;
  writeResults('middleware.md', md);
}
