/**
 * Hostile requests through the whole standard stack, in process (the validating test client): no
 * crash, no hang, no 5xx, no validator violation, one access log line per request, no body for HEAD
 * or 304, every Set-Cookie parses back.
 */
import { createClient } from '@portico/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzBudget } from '../../../spec/test/helpers/fuzz-budget.js';
import { type FuzzRequest, fuzzRequest } from './arbitraries.js';
import { responseProblems, watchProcess, within } from './check.js';
import { buildStack } from './stack.js';

/** `FUZZ_RUNS` (default 300) is the first property's number of runs; the others scale with it. */
const budget = fuzzBudget('FUZZ_RUNS', 300);

const stack = buildStack();
const client = createClient(stack.app, { headers: { host: 'example.com' } });
const watch = watchProcess();
afterAll(() => {
  watch.stop();
  stack.cleanup();
});

let next = 0;
let left = 0;

/** The body as one buffer (with content-length) or as `chunks` pieces (chunked). */
function bodyInit(req: FuzzRequest): { body?: Uint8Array | AsyncIterable<Uint8Array> } {
  const { body, chunks } = req;
  if (body === undefined) return {};
  if (chunks === 0) return { body };
  const size = Math.ceil(body.length / chunks) || 1;
  return {
    body: (async function* pieces() {
      for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
    })(),
  };
}

/** A session cookie and its CSRF token, from `GET /csrf` on the branch `target` goes to. */
async function primed(target: string): Promise<(readonly [string, string])[]> {
  const res = await client.get(target.startsWith('/cs') ? '/cs/csrf' : '/csrf');
  expect(res.status).toBe(200);
  const cookie = res
    .headerAll('set-cookie')
    .map((c) => c.split(';', 1)[0])
    .join('; ');
  return [
    ['cookie', cookie],
    ['x-csrf-token', res.text()],
  ];
}

/** Sends `req`; returns the problems found (empty when all is well), or null when not sendable. */
async function problemsOf(req: FuzzRequest, alone = true): Promise<string[] | null> {
  const id = String(next++);
  const extra = req.prime ? await primed(req.target) : [];
  const names = new Set(extra.map(([n]) => n));
  const headers = [...req.headers.filter(([n]) => !names.has(n)), ...extra, ['x-fuzz-id', id] as const];
  const lines = stack.log.length;
  const violations = stack.violations.length;
  const init = { headers, httpVersion: req.httpVersion, ...bodyInit(req) };
  let res: Awaited<ReturnType<typeof client.request>>;
  try {
    res = await within(client.request(req.method, req.target, init), 5000, 'request');
  } catch (err) {
    // The client refuses some requests before the app runs (no real client could send them).
    if (!stack.recorded.has(id)) return null;
    return [`request failed: ${String(err)}`];
  }
  const rec = stack.recorded.get(id);
  if (rec === undefined) return ['the stack never saw the request'];
  const out = responseProblems({
    status: res.status,
    body: () => res.text(),
    violations: stack.violations.slice(violations),
    logLines: alone ? stack.log.length - lines : undefined,
    setCookie: res.headerAll('set-cookie'),
    processErrors: watch.errors,
  });
  if (rec.method === 'HEAD' && rec.bodyBytes !== 0)
    out.push(`HEAD response with ${rec.bodyBytes} body bytes`);
  if (rec.status === 304 && rec.bodyBytes !== 0) out.push(`304 with ${rec.bodyBytes} body bytes`);
  stack.recorded.delete(id);
  return out;
}

describe('the standard stack under hostile requests (in process)', () => {
  it(
    'answers each with a sound response',
    async () => {
      await fc.assert(
        fc.asyncProperty(fuzzRequest, async (req) => {
          const problems = await problemsOf(req);
          if (problems === null) return;
          expect(problems).toEqual([]);
        }),
        { numRuns: budget.runs() },
      );
    },
    budget.limit,
  );

  it(
    'settles and logs once when the client leaves at any point',
    async () => {
      await fc.assert(
        fc.asyncProperty(fuzzRequest, fc.integer({ min: 0, max: 400 }), async (req, ticks) => {
          const id = String(next++);
          const lines = stack.log.length;
          const violations = stack.violations.length;
          const controller = new AbortController();
          const headers = [...req.headers, ['x-fuzz-id', id] as const];
          const init = { headers, httpVersion: req.httpVersion, signal: controller.signal, ...bodyInit(req) };
          void (async () => {
            for (let i = 0; i < ticks; i++) await null;
            controller.abort(new Error('client left'));
          })();
          const outcome = await within(
            client.request(req.method, req.target, init).then(
              (res) => `status ${res.status}`,
              (err: unknown) => String(err),
            ),
            5000,
            'request',
          );
          const rec = stack.recorded.get(id);
          if (rec === undefined) return; // refused by the client, or aborted before it was sent
          stack.recorded.delete(id);
          if (outcome.includes('client left')) left++;
          expect(outcome).toMatch(/^status [1-4]\d\d$|client left/);
          expect(rec.settled).toBe(true);
          expect(stack.violations.slice(violations).map((v) => v.message)).toEqual([]);
          expect(stack.log.length - lines).toBe(1);
          expect(watch.errors).toEqual([]);
        }),
        { numRuns: budget.runs(150) },
      );
      expect(left).toBeGreaterThan(10);
    },
    budget.limit,
  );

  it(
    'answers concurrent requests each with a sound response',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fuzzRequest, { minLength: 2, maxLength: 8 }), async (reqs) => {
          const lines = stack.log.length;
          const all = await Promise.all(reqs.map((r) => problemsOf(r, false)));
          expect(all.filter((p) => p !== null && p.length > 0)).toEqual([]);
          // One line per request sent, and one per `GET /csrf` priming a request.
          const primes = reqs.filter((r) => r.prime).length;
          expect(stack.log.length - lines).toBe(all.filter((p) => p !== null).length + primes);
        }),
        { numRuns: budget.runs(40) },
      );
    },
    budget.limit,
  );

  it('gives each a request id and the security headers', async () => {
    const res = await client.get('/items/42', { headers: { host: 'example.com', 'x-fuzz-id': 'get' } });
    // The recorder sees the bytes the stack sent (the HEAD and 304 checks rely on it).
    expect(stack.recorded.get('get')?.bodyBytes).toBe(11);
    await client.head('/items/42', { headers: { 'x-fuzz-id': 'head' } });
    expect(stack.recorded.get('head')).toMatchObject({
      method: 'HEAD',
      status: 200,
      bodyBytes: 0,
      settled: true,
    });
    expect(res.status).toBe(200);
    expect(res.text()).toBe('{"id":"42"}');
    expect(res.header('x-request-id')).toMatch(/./);
    expect(res.header('x-content-type-options')).toBe('nosniff');
    expect(stack.violations).toEqual([]);
  });
});
