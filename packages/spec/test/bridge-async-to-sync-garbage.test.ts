/**
 * The async-to-sync bridge under arbitrary app behaviour (rule 4: an app's result never crashes the
 * process or another request): whatever the async app in the worker sends or throws, the sync
 * caller gets a response or an Error, the worker survives (same threadId), and the next request is
 * served. The app (fixtures/garbage-async-app.mjs) performs the steps named in a request header.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { asyncToSync } from '../src/bridge/async-to-sync.js';
import type { Environ, ResponseBody } from '../src/sync-types.js';
import { STEP_NAMES } from './fixtures/garbage-async-app.mjs';
import { fuzzBudget } from './helpers/fuzz-budget.js';
import { makeEnviron } from './helpers/validator-sync-server.js';

/** `FUZZ_RUNS` (default 300) is the number of runs. */
const budget = fuzzBudget('FUZZ_RUNS', 300);
const fixture = new URL('./fixtures/garbage-async-app.mjs', import.meta.url);
const app = asyncToSync({ module: fixture }, { timeout: 5000 });
afterAll(() => app.close());

const faults: unknown[] = [];
const onFault = (err: unknown) => faults.push(err);
process.on('unhandledRejection', onFault);
process.on('uncaughtException', onFault);
afterAll(() => {
  process.off('unhandledRejection', onFault);
  process.off('uncaughtException', onFault);
});

function environ(path: string, steps: readonly string[] = []): Environ {
  return makeEnviron({
    PATH_INFO: path,
    QUERY_STRING: '',
    REQUEST_URI: path,
    HTTP_X_STEPS: JSON.stringify(steps),
  });
}

/** Calls the bridged app and drains its body; what came out: a status, or the Error thrown. */
function run(env: Environ): { status: string } | { error: unknown } {
  let status = '';
  let body: ResponseBody | undefined;
  try {
    body = app(env, (s) => {
      status = s;
      return () => {};
    });
    for (const _ of body);
    return { status };
  } catch (error) {
    return { error };
  } finally {
    try {
      body?.close?.();
    } catch {
      // A close that throws is part of what is tried here.
    }
  }
}

function thread(): string {
  const chunks: Uint8Array[] = [];
  const body = app(environ('/thread'), () => () => {});
  for (const chunk of body) chunks.push(chunk);
  body.close?.();
  return Buffer.concat(chunks).toString();
}

describe('asyncToSync under arbitrary app behaviour', () => {
  it(
    'gives a response or an Error, keeps its worker, and serves the next request',
    () => {
      const first = thread();
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...STEP_NAMES), { maxLength: 6 }), (steps) => {
          const outcome = run(environ('/garbage', steps));
          if ('error' in outcome) expect(outcome.error).toBeInstanceOf(Error);
          else expect(outcome.status).toMatch(/^[2-5]\d\d /);
          expect(thread()).toBe(first);
          expect(faults).toEqual([]);
        }),
        { numRuns: budget.runs() },
      );
    },
    budget.limit,
  );
});
