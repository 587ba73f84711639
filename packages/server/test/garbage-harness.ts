/**
 * The part of the garbage-app properties every adapter shares: one server per test file whose app
 * is switched per run, a real logger writing to an array (so formatting runs), collectors of
 * unhandled rejections and uncaught exceptions, and the checks made after each run.
 */

import type { AsyncApp } from '@portico/spec';
import { syncToAsync } from '@portico/spec';
import fc from 'fast-check';
import { afterAll, beforeAll, expect } from 'vitest';
import { createLogger, type Logger } from '../src/index.js';
import {
  type AsyncStep,
  asyncAppOf,
  asyncBehaviour,
  type SyncBehaviour,
  statusesOf,
  syncAppOf,
  syncBehaviour,
  syncStatusesOf,
} from './garbage-apps.js';

/** A behaviour of either interface; the app is built afresh per run by {@link appOf}. */
export type GarbageCase = { kind: 'async'; steps: AsyncStep[] } | { kind: 'sync'; behaviour: SyncBehaviour };

/** Async behaviours, and sync ones run through `syncToAsync`. */
export const garbageCase: fc.Arbitrary<GarbageCase> = fc.oneof(
  { weight: 3, arbitrary: asyncBehaviour.map((steps) => ({ kind: 'async' as const, steps })) },
  { weight: 2, arbitrary: syncBehaviour.map((behaviour) => ({ kind: 'sync' as const, behaviour })) },
);

/** The app of a case, and the statuses a response to it may carry besides 500. */
export function appOf(c: GarbageCase, notes: string[]): { app: AsyncApp; statuses: Set<number> } {
  if (c.kind === 'async') return { app: asyncAppOf(c.steps, notes), statuses: statusesOf(c.steps) };
  const errors = { write() {}, writelines() {}, flush() {} };
  return { app: syncToAsync(syncAppOf(c.behaviour), { errors }), statuses: syncStatusesOf(c.behaviour) };
}

/** What a client saw of one request. */
export type Outcome =
  | { kind: 'response'; status: number }
  /** The connection closed before a whole response; `bytes` of it had come. */
  | { kind: 'closed'; bytes: number };

/** How long an app may take to settle once its request was answered, ms. */
const SETTLE_MS = 3000;

/** Most log lines one garbage request may write (refusal, app error, an error after the response). */
export const MAX_LINES_PER_REQUEST = 4;

/** The harness of one test file; see {@link garbageHarness}. */
export interface GarbageHarness {
  /** The app to serve: it runs whatever {@link GarbageHarness.run} installed. */
  readonly app: AsyncApp;
  readonly logger: Logger;
  /**
   * Runs one case: installs its app, calls `request` (which must settle within its own timeout),
   * waits for the app to settle, checks the outcome, the notes, the log and the process collectors,
   * then calls `stillServes` with a plain 200 app installed.
   */
  run(c: GarbageCase, request: () => Promise<Outcome>, stillServes: () => Promise<void>): Promise<void>;
}

const ok: AsyncApp = async (_scope, _receive, send) => {
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
  await send({ type: 'http.response.body', body: new TextEncoder().encode('alive') });
};

/** Registers the file's hooks (collectors) and returns the harness. */
export function garbageHarness(): GarbageHarness {
  const lines: string[] = [];
  const faults: string[] = [];
  const logger = createLogger('debug', { write: (chunk: string) => lines.push(chunk) });
  let current: AsyncApp = ok;
  let settled: Promise<void> = Promise.resolve();
  const onRejection = (reason: unknown) => faults.push(`unhandledRejection: ${describe(reason)}`);
  const onException = (err: unknown) => faults.push(`uncaughtException: ${describe(err)}`);
  beforeAll(() => {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
  });
  afterAll(() => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  });
  const app: AsyncApp = (scope, receive, send) => {
    if (scope.type !== 'http') return Promise.resolve();
    const result = current(scope, receive, send);
    settled = Promise.resolve(result).then(
      () => {},
      () => {},
    );
    return result;
  };
  return {
    app,
    logger,
    async run(c, request, stillServes) {
      const notes: string[] = [];
      const { app: garbage, statuses } = appOf(c, notes);
      const from = lines.length;
      current = garbage;
      settled = Promise.resolve();
      const outcome = await request();
      // A `send()` or `receive()` that never settles leaves the app hanging: a finding, not a wait.
      let timer: NodeJS.Timeout | undefined;
      const hung = await Promise.race([
        settled.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), SETTLE_MS);
        }),
      ]);
      clearTimeout(timer);
      expect(hung ? `the app did not settle within ${SETTLE_MS} ms` : 'settled').toBe('settled');
      // The server acts on the app's settling one tick later (logs, 500, abort).
      await new Promise((resolve) => setTimeout(resolve, 5));
      current = ok;
      if (outcome.kind === 'response') {
        if (outcome.status !== 500) expect([...statuses]).toContain(outcome.status);
      }
      expect(notes).toEqual([]);
      const written = lines.slice(from);
      expect(written.length).toBeLessThanOrEqual(MAX_LINES_PER_REQUEST);
      for (const line of written) expect(line.indexOf('\n')).toBe(line.length - 1);
      expect(faults.splice(0)).toEqual([]);
      await stillServes();
    },
  };
}

function describe(value: unknown): string {
  try {
    return value instanceof Error ? (value.stack ?? value.message) : fc.stringify(value);
  } catch {
    return '[unprintable]';
  }
}
