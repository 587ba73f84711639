/**
 * Sync-interface checks. STUB: being written.
 *
 * @module
 */
import type { SyncApp } from '../sync-types.js';
import type { Report } from './violation.js';

/** Wraps `app` with the checks of spec/sync.md, reporting through `report`. */
export function checkSyncApp(app: SyncApp, _report: Report): SyncApp {
  return app;
}
