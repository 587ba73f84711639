/**
 * One adapter server for a whole test file: the `beforeAll`/`afterAll` (and, asked for, the
 * `afterEach` "no violation") hooks every adapter test file would otherwise write out.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Running } from './start-validated.js';

/** What {@link serveForFile} does besides starting and closing the server. */
export interface ServeForFileOptions {
  /** After each test, assert that the validator reported no violation (and clear the list). Default: false. */
  checkViolations?: boolean;
}

/**
 * Registers hooks that start a server with `start` before the file's tests (`startValidated` through
 * an adapter's `start` helper) and close it after them. Returns a view of the running server whose
 * fields (`server`, `port`, `logger`, `violations`) read the current one: use them inside tests
 * and hooks only, not while the file is being collected.
 */
export function serveForFile<S extends { close(): Promise<void> }>(
  start: () => Promise<Running<S>>,
  options: ServeForFileOptions = {},
): Running<S> {
  let running: Running<S> | undefined;
  beforeAll(async () => {
    running = await start();
  });
  afterAll(async () => {
    await running?.server.close();
  });
  if (options.checkViolations === true) {
    afterEach(() => {
      expect(running!.violations.splice(0)).toEqual([]);
    });
  }
  const now = (): Running<S> => {
    if (running === undefined) throw new Error('the server is not started yet (use it in a test or a hook)');
    return running;
  };
  return {
    get server() {
      return now().server;
    },
    get port() {
      return now().port;
    },
    get logger() {
      return now().logger;
    },
    get violations() {
      return now().violations;
    },
  };
}
