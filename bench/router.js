#!/usr/bin/env node
// @ts-check
/**
 * `pnpm bench:router` (or `node bench/router.js`): the router of @portico/middleware on 1,000 routes
 * (static, params, wildcards) against find-my-way used directly, and the router's per-request
 * overhead against a bare hello app, both in process (no sockets). Needs `npx tsc -b` first (it runs
 * the built dist/). Prints lookups/s, ratios and the overhead; see the "Routing" section of
 * packages/middleware/README.md.
 *
 * Options: --seconds N (per measurement, default 1), --rounds N (best of N, default 5).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { matchParams, RouteTree, router } from '@portico/middleware';
import FindMyWay from 'find-my-way';
import hello from './apps/hello-async.js';

const { values: opts } = parseArgs({
  options: { seconds: { type: 'string', default: '1' }, rounds: { type: 'string', default: '5' } },
});
const SECONDS = Number(opts.seconds);
const ROUNDS = Number(opts.rounds);

// ---- 1,000 routes: per resource one static, one param, one two-param, one wildcard route --------
/** @type {string[]} */
const patterns = [];
/** @type {string[]} */
const paths = [];
for (let i = 0; i < 250; i++) {
  patterns.push(`/r${i}/items`, `/r${i}/items/:id`, `/r${i}/items/:id/sub/:sub`, `/r${i}/files/*rest`);
  paths.push(
    `/r${i}/items`,
    `/r${i}/items/${i * 7}`,
    `/r${i}/items/${i}/sub/x${i}`,
    `/r${i}/files/a/b${i}.txt`,
  );
}
// The lookups: every 7th request path, in a fixed shuffled order, so both see the same mix.
const sample = paths.filter((_, i) => i % 7 === 0);

/** Runs `fn(path)` over the sample for about SECONDS, ROUNDS times; returns the best lookups/s. */
function measure(/** @type {(p: string) => unknown} */ fn, rounds = ROUNDS) {
  let best = 0;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = process.hrtime.bigint();
    const until = start + BigInt(Math.round(SECONDS * 1e9));
    let now = start;
    while (now < until) {
      for (let k = 0; k < 10; k++) for (const p of sample) if (fn(p) !== null) sink++;
      n += 10 * sample.length;
      now = process.hrtime.bigint();
    }
    best = Math.max(best, n / (Number(now - start) / 1e9));
  }
  if (sink === 0) throw new Error('nothing matched');
  return best;
}

// ---- Lookups: our tree vs find-my-way, both returning handler + params object ----------------------
const noop = () => {};
const fmw = FindMyWay();
for (const p of patterns) fmw.on('GET', p.replace(/\*rest$/, '*'), noop);
/** @type {RouteTree<Map<string, () => void>>} */
const tree = new RouteTree();
for (const p of patterns) tree.upsert(p, () => new Map()).value.set('GET', noop);

for (const p of paths) {
  if (fmw.find('GET', p) === null || tree.lookup(p) === null) throw new Error(`no match for ${p}`);
}

/** @type {(p: string) => unknown} */
const viaFmw = (p) => fmw.find('GET', p);
/** @type {(p: string) => unknown} */
const viaTree = (p) => {
  const m = tree.lookup(p);
  if (m === null) return null;
  const handler = m.leaf.value.get('GET');
  const params = matchParams(m);
  return handler === undefined ? null : params;
};
// Interleaved rounds (one of each in turn), best of each, so drift in the machine hits both alike.
let fmwRate = 0;
let ourRate = 0;
for (let r = 0; r < ROUNDS; r++) {
  fmwRate = Math.max(fmwRate, measure(viaFmw, 1));
  ourRate = Math.max(ourRate, measure(viaTree, 1));
}

// ---- Per-request overhead of the router middleware over a hello app -------------------------------
const app = router();
for (const p of patterns) app.get(p, hello);
/** @type {import('@portico/spec').Receive} */
const receive = async () => ({ type: 'http.request', body: new Uint8Array(0), moreBody: false });
/** @type {import('@portico/spec').Send} */
const send = async () => {};
/** @param {string} path */
function scopeFor(path) {
  return /** @type {import('@portico/spec').HTTPScope} */ ({
    type: 'http',
    spec: { version: '1.0', specVersion: '1.0' },
    httpVersion: '1.1',
    method: 'GET',
    scheme: 'http',
    path,
    rawPath: path,
    queryString: '',
    rootPath: '',
    headers: [['host', 'x']],
    client: null,
    server: null,
    state: {},
    extensions: {},
  });
}
/** Best ns per request of ROUNDS runs calling `target` sequentially over the sample paths. */
async function perRequest(/** @type {import('@portico/spec').AsyncApp} */ target) {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const start = process.hrtime.bigint();
    const until = start + BigInt(Math.round(SECONDS * 1e9));
    let now = start;
    while (now < until) {
      for (const p of sample) await target({ ...scopeFor(p), state: {} }, receive, send);
      n += sample.length;
      now = process.hrtime.bigint();
    }
    best = Math.min(best, Number(now - start) / n);
  }
  return best;
}
const helloNs = await perRequest(hello);
const routerNs = await perRequest(app);
const overheadNs = routerNs - helloNs;

// A hello request over a socket, from bench/results/http-hello.md (pnpm bench), when present.
let httpNs = Number.NaN;
try {
  const md = readFileSync(new URL('./results/http-hello.md', import.meta.url), 'utf8');
  const m = /\| Portico async app[^|]*\| ([\d,]+) \|/.exec(md);
  if (m?.[1] !== undefined) httpNs = 1e9 / Number(m[1].replaceAll(',', ''));
} catch {}

const f = (/** @type {number} */ x) => Math.round(x).toLocaleString('en-US');
console.log(
  `routes: ${patterns.length} (250 static, 500 param, 250 wildcard); ${sample.length} sample paths; best of ${ROUNDS} x ${SECONDS}s`,
);
console.log(
  `lookups/s  portico RouteTree: ${f(ourRate)}   find-my-way ${'9.10.1'}: ${f(fmwRate)}   ratio: ${(ourRate / fmwRate).toFixed(2)}x (target >= 1.00x) ${ourRate >= fmwRate ? 'MET' : 'MISSED'}`,
);
console.log(
  `in-process request  hello: ${helloNs.toFixed(0)} ns   router(1,000 routes) -> hello: ${routerNs.toFixed(0)} ns   overhead: ${overheadNs.toFixed(0)} ns = ${((overheadNs / helloNs) * 100).toFixed(1)}% of an in-process hello call`,
);
if (!Number.isNaN(httpNs)) {
  const pct = (overheadNs / httpNs) * 100;
  console.log(
    `vs a hello HTTP request (${httpNs.toFixed(0)} ns from results/http-hello.md): overhead ${pct.toFixed(2)}% (target < 5%) ${pct < 5 ? 'MET' : 'MISSED'}`,
  );
}
