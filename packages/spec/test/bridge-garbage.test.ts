/**
 * Garbage apps through the bridge and the test client (engineering rule 4): a sync app that calls
 * `startResponse` with garbage, returns a garbage body or throws anything runs through `syncToAsync`
 * (via `createClient`, validator off: the apps break rules on purpose) and always ends in a
 * completed exchange (a status it chose, or 500) or a failed one, within 5 s, never an unhandled
 * rejection or uncaught exception; what the bridge writes to its error stream is text. The same
 * for async garbage apps under the test client.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  asyncAppOf,
  asyncBehaviour,
  statusesOf,
  syncAppOf,
  syncBehaviour,
  syncStatusesOf,
} from '../../server/test/garbage-apps.js';
import { createClient } from '../../testing/src/index.js';
import { syncApp } from '../src/index.js';

const faults: string[] = [];
const onRejection = (reason: unknown) => faults.push(`unhandledRejection: ${fc.stringify(reason)}`);
const onException = (err: unknown) => faults.push(`uncaughtException: ${fc.stringify(err)}`);
beforeAll(() => {
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
});
afterAll(() => {
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
});

type Result = { kind: 'response'; status: number } | { kind: 'failed' };

async function settle(request: Promise<{ status: number }>): Promise<Result> {
  let timer: NodeJS.Timeout | undefined;
  const hung = Symbol('hung');
  const timeout = new Promise<typeof hung>((resolve) => {
    timer = setTimeout(() => resolve(hung), 5000);
  });
  try {
    // The app's own error may be anything (a revoked proxy): it is not looked at.
    const res = await Promise.race([request, timeout]).catch(() => null);
    if (res === hung) throw new Error('the exchange neither completed nor failed within 5 s');
    return res === null ? { kind: 'failed' } : { kind: 'response', status: res.status };
  } finally {
    clearTimeout(timer);
  }
}

async function afterwards(): Promise<void> {
  // Rejections are reported after the microtasks of the run drained.
  await new Promise((resolve) => setTimeout(resolve, 2));
  expect(faults.splice(0)).toEqual([]);
}

const method = fc.constantFrom('GET', 'POST');

it('a garbage sync app under syncToAsync completes or fails its exchange, never leaving a rejection', async () => {
  await fc.assert(
    fc.asyncProperty(syncBehaviour, fc.boolean(), method, async (behaviour, raise, verb) => {
      const written: unknown[] = [];
      const errors = {
        write: (text: string) => written.push(text),
        writelines: (lines: Iterable<string>) => written.push(...lines),
        flush() {},
      };
      const client = createClient(syncApp(syncAppOf(behaviour)), {
        interface: 'sync',
        validate: false,
        raiseAppErrors: raise,
        bridge: { errors, spoolThreshold: 2 },
      });
      const body = verb === 'POST' ? { body: new TextEncoder().encode('hello') } : {};
      const result = await settle(client.request(verb, '/garbage', body));
      if (result.kind === 'response' && result.status !== 500)
        expect([...syncStatusesOf(behaviour)]).toContain(result.status);
      if (!raise) expect(result.kind).toBe('response');
      for (const text of written) expect(typeof text).toBe('string');
      await afterwards();
    }),
    { numRuns: 300 },
  );
});

it('a garbage async app under the test client completes or fails its exchange, never leaving a rejection', async () => {
  await fc.assert(
    fc.asyncProperty(asyncBehaviour, fc.boolean(), method, async (steps, raise, verb) => {
      const notes: string[] = [];
      const client = createClient(asyncAppOf(steps, notes), {
        interface: 'async',
        validate: false,
        raiseAppErrors: raise,
        extensions: { 'http.response.trailers': {}, 'http.response.early_hints': {} },
      });
      const body = verb === 'POST' ? { body: new TextEncoder().encode('hello') } : {};
      const result = await settle(client.request(verb, '/garbage', body));
      if (result.kind === 'response' && result.status !== 500)
        expect([...statusesOf(steps)]).toContain(result.status);
      if (!raise) expect(result.kind).toBe('response');
      expect(notes).toEqual([]);
      await afterwards();
    }),
    { numRuns: 300 },
  );
});
