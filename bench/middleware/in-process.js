// @ts-check
/** Part of bench/middleware.js: the in-process part: each row called with a minimal scope, its answer checked once, then timed in interleaved rounds. */

import { gunzipSync } from 'node:zlib';
import { BIG_BODY, HELLO_BODY, header } from './cases.js';

/** @typedef {import('@portico/spec').HeaderList} HeaderList */
/** @typedef {import('@portico/spec').HTTPScope} HTTPScope */
/** @typedef {import('./cases.js').Case} Case */
/** @typedef {import('./cases.js').Answer} Answer */

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
export async function measureInProcess(list, seconds, rounds) {
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
export const int = (x) => Math.round(x).toLocaleString('en-US');

/**
 * The in-process table's cells.
 * @param {Case[]} list
 * @param {Map<string, number>} ns
 * @param {number | null} httpNs  server time of one bare hello request over HTTP (1 / req/s), or null
 */
export function inProcessCells(list, ns, httpNs) {
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
