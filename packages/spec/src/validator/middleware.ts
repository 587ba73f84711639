/**
 * Middleware-rule checks (spec/middleware.md) for both interfaces. STUB: being written.
 *
 * @module
 */
import type { AsyncApp } from '../async-types.js';
import type { SyncApp } from '../sync-types.js';
import type { Report } from './violation.js';

/** Wraps an async app with the checks of spec/middleware.md (e.g. the scope it is given is not mutated). */
export function guardAsyncMiddleware(app: AsyncApp, _report: Report): AsyncApp {
  return app;
}

/** Wraps a sync app with the checks of spec/middleware.md (e.g. the environ it is given is not mutated). */
export function guardSyncMiddleware(app: SyncApp, _report: Report): SyncApp {
  return app;
}
