/**
 * Marking and detecting which interface an app speaks (spec/sync.md and spec/async.md, "Telling the
 * interfaces apart").
 *
 * @module
 */

import type { AsyncApp } from './async-types.js';
import { PorticoError } from './errors.js';
import type { SyncApp } from './sync-types.js';

/** The two interfaces. */
export type InterfaceName = 'sync' | 'async';

/** The property an app may carry to declare its interface explicitly. */
export const INTERFACE: unique symbol = Symbol.for('portico.interface') as never;

/** An app of either interface. */
export type App = SyncApp | AsyncApp;

/** Marks `app` as a sync-interface app and returns it. */
export function syncApp<T extends SyncApp>(app: T): T {
  Object.defineProperty(app, INTERFACE, { value: 'sync' });
  return app;
}

/** Marks `app` as an async-interface app and returns it. */
export function asyncApp<T extends AsyncApp>(app: T): T {
  Object.defineProperty(app, INTERFACE, { value: 'async' });
  return app;
}

const AsyncFunction = (async () => {}).constructor;

/**
 * Tells which interface `app` speaks. The rule, first match wins:
 * 1. `override` when given (`--interface sync|async`);
 * 2. the {@link INTERFACE} mark set by {@link syncApp} / {@link asyncApp};
 * 3. an `async function` speaks async;
 * 4. a function declaring 3 parameters speaks async, 2 parameters sync.
 *
 * @throws PorticoError `ERR_APP_LOAD` when `app` is not a function or the rule cannot decide.
 */
export function detectInterface(app: unknown, override?: InterfaceName | 'auto'): InterfaceName {
  if (typeof app !== 'function') {
    throw new PorticoError('ERR_APP_LOAD', `not an app: expected a function, got ${describe(app)}`);
  }
  if (override === 'sync' || override === 'async') return override;
  const mark = (app as { [INTERFACE]?: unknown })[INTERFACE];
  if (mark === 'sync' || mark === 'async') return mark;
  if (app instanceof AsyncFunction) return 'async';
  if (app.length === 3) return 'async';
  if (app.length === 2) return 'sync';
  throw new PorticoError(
    'ERR_APP_LOAD',
    `cannot tell the interface of app ${app.name || '(anonymous)'}: it declares ${app.length} parameters; ` +
      'mark it with syncApp()/asyncApp() or pass --interface sync|async',
  );
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}
