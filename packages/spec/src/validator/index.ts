/**
 * The validator (the wsgiref.validate / Rack::Lint analogue). STUB: being written.
 *
 * @module
 */
import type { AsyncApp } from '../async-types.js';
import type { PorticoError } from '../errors.js';
import { type App, detectInterface } from '../interface.js';
import type { SyncApp } from '../sync-types.js';

/** Options of the validator. */
export interface ValidatorOptions {
  /**
   * Called with each violation (a `PorticoError` with code `ERR_SPEC_VIOLATION`, `rule`, `side`,
   * `value`). Default: throw it (from the call where it was detected).
   */
  onViolation?: (err: PorticoError) => void;
}

/** Wraps an async app; checks scope, events both ways, and completion. */
export function validateAsync(app: AsyncApp, _options: ValidatorOptions = {}): AsyncApp {
  return app;
}

/** Wraps a sync app; checks environ, startResponse, the body iterable, input and errors streams. */
export function validateSync(app: SyncApp, _options: ValidatorOptions = {}): SyncApp {
  return app;
}

/** Wraps an app of either interface (detected with `detectInterface`). */
export function validator<T extends App>(app: T, options: ValidatorOptions = {}): T {
  return (
    detectInterface(app) === 'async'
      ? validateAsync(app as AsyncApp, options)
      : validateSync(app as SyncApp, options)
  ) as T;
}
