/**
 * The validator (the wsgiref.validate / Rack::Lint analogue): a middleware that wraps an app and
 * checks, in both directions, every rule of spec/ that has an id. Each violation is a `PorticoError`
 * with code `ERR_SPEC_VIOLATION`, the rule id in `rule`, the side that broke it in `side` and the
 * offending value in `value`.
 *
 * @module
 */
import type { AsyncApp } from '../async-types.js';
import { type App, detectInterface } from '../interface.js';
import type { SyncApp } from '../sync-types.js';
import { checkAsyncApp } from './async.js';
import { guardAsyncMiddleware, guardSyncMiddleware } from './middleware.js';
import { checkSyncApp } from './sync.js';
import { type OnViolation, reporter } from './violation.js';

export type { OnViolation, Report } from './violation.js';
export { preview, violation } from './violation.js';

/** Options of the validator. */
export interface ValidatorOptions {
  /**
   * Called with each violation (a `PorticoError` with code `ERR_SPEC_VIOLATION`, `rule`, `side`,
   * `value`). Default: throw it from the call where it was detected (so an app-side violation in
   * `send()` rejects that `send()`, a server-side violation in the scope throws before the app runs).
   */
  onViolation?: OnViolation;
}

/** Wraps an async app; checks the scope, the events in both directions, and how the app completes. */
export function validateAsync(app: AsyncApp, options: ValidatorOptions = {}): AsyncApp {
  const report = reporter(options.onViolation);
  return checkAsyncApp(guardAsyncMiddleware(app, report), report);
}

/** Wraps a sync app; checks environ, startResponse, the body iterable, and the input and error streams. */
export function validateSync(app: SyncApp, options: ValidatorOptions = {}): SyncApp {
  const report = reporter(options.onViolation);
  return checkSyncApp(guardSyncMiddleware(app, report), report);
}

/**
 * Wraps an app of either interface (told apart by `detectInterface`) with the matching validator.
 *
 * @throws PorticoError `ERR_APP_LOAD` when `app` is not an app
 */
export function validator<T extends App>(app: T, options: ValidatorOptions = {}): T {
  return (
    detectInterface(app) === 'async'
      ? validateAsync(app as AsyncApp, options)
      : validateSync(app as SyncApp, options)
  ) as T;
}
