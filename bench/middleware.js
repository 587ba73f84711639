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
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import {
  accessLog,
  basicAuth,
  basicUsers,
  bodyLimit,
  compose,
  compression,
  conditionalGet,
  contentLength,
  cookieSession,
  cookies,
  cors,
  csrf,
  encodeBasicCredentials,
  errorHandler,
  etag,
  jwtAuth,
  MemoryStore,
  methodOverride,
  proxyHeaders,
  requestId,
  router,
  securityHeaders,
  session,
  trustedHost,
} from '@portico/middleware';
import hello from './apps/hello-async.js';
import { discardLine, STACK_NAMES, typicalStack } from './apps/hello-stack.js';
import { LOAD_OPTIONS, loadLine, loadSettings, names, positive, runCli } from './options.js';
import { commandLine, markdownTable, notesSection, printTables, textTable, writeResults } from './report.js';
import { startServer } from './servers.js';
import { best, median, runWrk, wrkVersion } from './wrk.js';

/** @typedef {import('@portico/spec').AsyncApp} AsyncApp */
/** @typedef {import('@portico/spec').HeaderList} HeaderList */
/** @typedef {import('@portico/spec').HTTPScope} HTTPScope */

const PARTS = ['in-process', 'http'];

// ---- The cases of the in-process part ------------------------------------------------------------

const HELLO_BODY = 'Hello, world!\n';
/** 4 KiB of compressible text: the body of the row where compression() does compress. */
const BIG_BODY = new TextEncoder().encode(
  Array.from({ length: 200 }, (_, i) => `line ${String(i).padStart(4, '0')} of the body\n`)
    .join('')
    .slice(0, 4096),
);
const BIG_HEADERS = /** @type {HeaderList} */ ([
  ['content-type', 'text/plain; charset=utf-8'],
  ['content-length', String(BIG_BODY.byteLength)],
]);

/** @type {AsyncApp} */
async function helloBig(_scope, _receive, send) {
  await send({ type: 'http.response.start', status: 200, headers: BIG_HEADERS });
  await send({ type: 'http.response.body', body: BIG_BODY });
}

/** A JWT (RFC 7519) signed with HS256 by hand (RFC 7515 section 3), valid for a day. */
function hs256Token(/** @type {Uint8Array} */ key) {
  const b64 = (/** @type {object} */ o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'alice', iat: now, exp: now + 86_400 })}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}
const JWT_KEY = new TextEncoder().encode('bench-secret-of-32-bytes-at-least!!');

/**
 * What an app answered: status, headers, the body bytes concatenated.
 * @typedef {{ status: number, headers: HeaderList, body: Buffer }} Answer
 */

/**
 * One row of the in-process table.
 * @typedef {object} Case
 * @property {string} name  short name, for `--only`
 * @property {string} label  what the table shows
 * @property {string} over  the row its overhead is taken over (`bare`, `bare-4k`, `session`)
 * @property {AsyncApp} app
 * @property {HeaderList} headers  request headers besides `host: example.com`
 * @property {(a: Answer) => string | null} [check]  the problem with the answer beyond status 200
 *   and the hello body, or null
 */

/** @param {Answer} a @param {string} name */
const header = (a, name) => a.headers.find(([n]) => n.toLowerCase() === name)?.[1];
/** @param {string} name */
const has = (name) => (/** @type {Answer} */ a) => (header(a, name) === undefined ? `no ${name}` : null);
/** @param {string} name */
const hasNo = (name) => (/** @type {Answer} */ a) =>
  header(a, name) === undefined ? null : `unexpected ${name}: ${header(a, name)}`;
/** @param {(app: AsyncApp) => AsyncApp} m */
const wrap = (m) => m(hello);

/** @returns {Case[]} */
function cases() {
  const cookieKey = 'bench-cookie-session-key-32-bytes!!';
  const oneRoute = router();
  oneRoute.get('/', hello);
  return [
    { name: 'bare', label: 'hello app, called directly', over: 'bare', app: hello, headers: [] },
    {
      name: 'errorHandler',
      label: 'errorHandler',
      over: 'bare',
      app: wrap(errorHandler()),
      headers: [],
    },
    {
      name: 'accessLog',
      label: 'accessLog (combined, to a no-op)',
      over: 'bare',
      app: wrap(accessLog({ write: discardLine })),
      headers: [
        ['user-agent', 'wrk'],
        ['referer', 'https://example.com/'],
      ],
    },
    {
      name: 'requestId',
      label: 'requestId (new id)',
      over: 'bare',
      app: wrap(requestId()),
      headers: [],
      check: has('x-request-id'),
    },
    {
      name: 'securityHeaders',
      label: 'securityHeaders (defaults)',
      over: 'bare',
      app: wrap(securityHeaders()),
      headers: [],
      check: has('x-content-type-options'),
    },
    {
      name: 'cors',
      label: 'cors (allowed Origin)',
      over: 'bare',
      app: wrap(cors({ origins: ['https://app.example'] })),
      headers: [['origin', 'https://app.example']],
      check: has('access-control-allow-origin'),
    },
    {
      name: 'compression',
      label: 'compression (gzip asked, 14 B body under threshold: skipped)',
      over: 'bare',
      app: wrap(compression()),
      headers: [['accept-encoding', 'gzip']],
      check: hasNo('content-encoding'),
    },
    {
      name: 'contentLength',
      label: 'contentLength (app sends one already)',
      over: 'bare',
      app: wrap(contentLength()),
      headers: [],
      check: has('content-length'),
    },
    {
      name: 'etag',
      label: 'etag (SHA-1 of the body)',
      over: 'bare',
      app: wrap(etag()),
      headers: [],
      check: has('etag'),
    },
    {
      name: 'conditionalGet',
      label: 'conditionalGet (If-None-Match, response without validators)',
      over: 'bare',
      app: wrap(conditionalGet()),
      headers: [['if-none-match', '"other"']],
    },
    {
      name: 'proxyHeaders',
      label: 'proxyHeaders (X-Forwarded-For/-Proto from 127.0.0.1)',
      over: 'bare',
      app: wrap(proxyHeaders()),
      headers: [
        ['x-forwarded-for', '203.0.113.7'],
        ['x-forwarded-proto', 'https'],
      ],
    },
    {
      name: 'trustedHost',
      label: 'trustedHost (allowed Host)',
      over: 'bare',
      app: wrap(trustedHost({ allowed: ['example.com'] })),
      headers: [],
    },
    {
      name: 'bodyLimit',
      label: 'bodyLimit (GET, no body)',
      over: 'bare',
      app: wrap(bodyLimit()),
      headers: [],
    },
    {
      name: 'methodOverride',
      label: 'methodOverride (GET: passed through)',
      over: 'bare',
      app: wrap(methodOverride()),
      headers: [],
    },
    {
      name: 'cookies',
      label: 'cookies (2 request cookies, none set)',
      over: 'bare',
      app: wrap(cookies()),
      headers: [['cookie', 'theme=dark; lang=en']],
      check: hasNo('set-cookie'),
    },
    {
      name: 'cookieSession',
      label: 'cookieSession (no cookie: new empty session, untouched)',
      over: 'bare',
      app: wrap(cookieSession({ keys: [cookieKey] })),
      headers: [],
      check: hasNo('set-cookie'),
    },
    {
      name: 'session',
      label: 'session (MemoryStore; no cookie: new empty session, untouched)',
      over: 'bare',
      app: wrap(session({ store: new MemoryStore() })),
      headers: [],
      check: hasNo('set-cookie'),
    },
    {
      name: 'csrf',
      label: 'csrf (GET; behind session, overhead over the session row)',
      over: 'session',
      app: wrap(compose(session({ store: new MemoryStore() }), csrf())),
      headers: [],
      check: hasNo('set-cookie'),
    },
    {
      name: 'basicAuth',
      label: 'basicAuth (valid header, basicUsers: 2 SHA-256)',
      over: 'bare',
      app: wrap(basicAuth({ verify: basicUsers({ alice: 'correct horse' }) })),
      headers: [['authorization', encodeBasicCredentials('alice', 'correct horse')]],
    },
    {
      name: 'jwtAuth',
      label: 'jwtAuth (valid HS256 token; jose jwtVerify dominates)',
      over: 'bare',
      app: wrap(jwtAuth({ algorithms: ['HS256'], key: JWT_KEY })),
      headers: [['authorization', `Bearer ${hs256Token(JWT_KEY)}`]],
    },
    { name: 'router', label: 'router (1 route)', over: 'bare', app: oneRoute, headers: [] },
    {
      name: 'stack',
      label: 'typical stack (see the notes)',
      over: 'bare',
      app: typicalStack(hello),
      headers: [['accept-encoding', 'gzip']],
      check: (a) => has('x-request-id')(a) ?? has('x-content-type-options')(a) ?? hasNo('set-cookie')(a),
    },
    {
      name: 'bare-4k',
      label: '4 KiB text app, called directly',
      over: 'bare-4k',
      app: helloBig,
      headers: [],
    },
    {
      name: 'compression-4k',
      label: 'compression (gzip of the 4 KiB body)',
      over: 'bare-4k',
      app: compression()(helloBig),
      headers: [['accept-encoding', 'gzip']],
      check: (a) => (header(a, 'content-encoding') === 'gzip' ? null : 'not gzip-encoded'),
    },
  ];
}

/** @type {import('@portico/spec').Receive} */
const receive = async () => ({ type: 'http.request', body: new Uint8Array(0), moreBody: false });
/** @type {import('@portico/spec').Send} */
const send = async () => {};

/** @param {HeaderList} headers */
function scopeWith(headers) {
  return /** @type {HTTPScope} */ ({
    type: 'http',
    spec: { version: '1.0', specVersion: '1.0' },
    httpVersion: '1.1',
    method: 'GET',
    scheme: 'http',
    path: '/',
    rawPath: '/',
    queryString: '',
    rootPath: '',
    headers: [['host', 'example.com'], ...headers],
    client: ['127.0.0.1', 50_000],
    server: ['127.0.0.1', 8000],
    state: {},
    extensions: {},
  });
}

/**
 * Calls `c` once with a recording `send` and checks the answer: status 200, the body of its
 * baseline (the hello body, or the 4 KiB body, gunzipped when gzip-encoded), and `c.check`.
 * @param {Case} c
 * @throws Error naming the row and the problem
 */
async function checkCase(c) {
  /** @type {Answer} */
  const answer = { status: 0, headers: [], body: Buffer.alloc(0) };
  await c.app(scopeWith(c.headers), receive, async (event) => {
    if (event.type === 'http.response.start') {
      answer.status = event.status;
      answer.headers = [...(event.headers ?? [])];
    } else if (event.type === 'http.response.body') {
      answer.body = Buffer.concat([answer.body, event.body ?? new Uint8Array(0)]);
    }
  });
  const wanted = c.over === 'bare-4k' ? Buffer.from(BIG_BODY) : Buffer.from(HELLO_BODY);
  const body = header(answer, 'content-encoding') === 'gzip' ? gunzipSync(answer.body) : answer.body;
  const problem =
    answer.status !== 200
      ? `status ${answer.status}`
      : !body.equals(wanted)
        ? `body ${JSON.stringify(body.toString('utf8').slice(0, 40))}`
        : (c.check?.(answer) ?? null);
  if (problem !== null) throw new Error(`${c.label}: wrong answer: ${problem}`);
}

/**
 * ns per request of `c` over about `seconds`: requests one after the other, each with a fresh
 * `state` (as router.js measures).
 * @param {Case} c
 * @param {number} seconds
 */
async function nsPerRequest(c, seconds) {
  const scope = scopeWith(c.headers);
  const app = c.app;
  let n = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < until) {
    for (let k = 0; k < 100; k++) await app({ ...scope, state: {} }, receive, send);
    n += 100;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / n;
}

/**
 * The in-process part: one untimed warm-up pass over every case, then `rounds` rounds, every case
 * once per round (interleaved); each case's best round.
 * @param {Case[]} list
 * @param {number} seconds
 * @param {number} rounds
 * @returns {Promise<Map<string, number>>}  name -> best ns per request
 */
async function measureInProcess(list, seconds, rounds) {
  for (const c of list) await checkCase(c);
  for (const c of list) await nsPerRequest(c, Math.min(seconds, 0.2));
  /** @type {Map<string, number>} */
  const bestNs = new Map();
  for (let round = 1; round <= rounds; round++) {
    for (const c of list) {
      const ns = await nsPerRequest(c, seconds);
      bestNs.set(c.name, Math.min(bestNs.get(c.name) ?? Number.POSITIVE_INFINITY, ns));
    }
    process.stdout.write(`  [${round}/${rounds}] in process: ${list.length} rows measured\n`);
  }
  return bestNs;
}

/** @param {number} x */
const int = (x) => Math.round(x).toLocaleString('en-US');

/**
 * The in-process table's cells.
 * @param {Case[]} list
 * @param {Map<string, number>} ns
 * @param {number | null} httpNs  server time of one bare hello request over HTTP (1 / req/s), or null
 */
function inProcessCells(list, ns, httpNs) {
  const head = ['middleware', 'ns/request', 'overhead ns', 'over', 'x', 'of an HTTP hello request'];
  const cells = list.map((c) => {
    const own = ns.get(c.name) ?? Number.NaN;
    const base = ns.get(c.over) ?? Number.NaN;
    const isBase = c.over === c.name;
    const overhead = own - base;
    return [
      c.label,
      int(own),
      isBase ? '-' : int(overhead),
      isBase ? '-' : c.over,
      isBase ? '-' : `${(own / base).toFixed(2)}x`,
      isBase || httpNs === null ? '-' : `${((overhead / httpNs) * 100).toFixed(1)}%`,
    ];
  });
  return { head, cells };
}

// ---- The HTTP part ------------------------------------------------------------------------------

/** @type {import('./servers.js').ServerSpec[]} */
const SERVERS = [
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
 * @param {import('./options.js').LoadSettings} s
 * @returns {Promise<import('./wrk.js').WrkResult[]>}  bare, stack
 */
async function measureHttp(s) {
  /** @type {import('./wrk.js').WrkResult[][]} */
  const runs = SERVERS.map(() => []);
  /** @type {import('./servers.js').RunningServer[]} */
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
 * @param {import('./wrk.js').WrkResult[]} results  bare, stack
 */
function httpCells(results) {
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
