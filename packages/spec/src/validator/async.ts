/**
 * Async-interface checks. STUB: being written.
 *
 * @module
 */
import type { AsyncApp } from '../async-types.js';
import type { Report } from './violation.js';

/** Wraps `app` with the checks of spec/async.md and spec/extensions.md, reporting through `report`. */
export function checkAsyncApp(app: AsyncApp, _report: Report): AsyncApp {
  return app;
}
