/**
 * Turning the app under test into the async app the client calls: interface detection, the sync
 * bridge, and the validator, with every violation recorded against the request that caused it.
 *
 * @module
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import type { AsyncApp, InterfaceName, PorticoError, SyncApp, ValidatorOptions } from '@portico/spec';
import { detectInterface, syncToAsync, validateAsync, validateSync } from '@portico/spec';
import type { ResolvedOptions } from './options.js';

/** The app as the client calls it. */
export interface PreparedApp {
  /** The async app to call: validated, and bridged when the app speaks sync. */
  readonly app: AsyncApp;
  /** The interface the app under test speaks. */
  readonly interface: InterfaceName;
  /** Runs `fn` so that violations the validator reports during it (and its async work) land in `sink`. */
  run<T>(sink: PorticoError[], fn: () => T): T;
}

/**
 * Prepares `app`: detects its interface (`options.interface` overrides), bridges a sync app with
 * `syncToAsync`, and wraps it in the validator when `options.validate`: a sync app is checked on both
 * sides of the bridge (`validateAsync(syncToAsync(validateSync(app)))`), so the bridge is held to the
 * async rules too. With the default violation handler each violation is recorded (through
 * `AsyncLocalStorage`, so concurrent requests keep theirs apart) and then thrown where it was found.
 *
 * @throws PorticoError `ERR_APP_LOAD` when `app` is not an app or its interface cannot be told
 */
export function prepareApp(app: unknown, options: ResolvedOptions): PreparedApp {
  const iface = detectInterface(app, options.interface);
  const store = new AsyncLocalStorage<PorticoError[]>();
  const user = options.validatorOptions;
  const checks: ValidatorOptions =
    user?.onViolation !== undefined
      ? user
      : {
          ...user,
          onViolation(err) {
            store.getStore()?.push(err);
            throw err;
          },
        };
  let called: AsyncApp;
  if (iface === 'async') {
    called = options.validate ? validateAsync(app as AsyncApp, checks) : (app as AsyncApp);
  } else {
    const sync = options.validate ? validateSync(app as SyncApp, checks) : (app as SyncApp);
    const bridged = syncToAsync(sync, options.bridge);
    called = options.validate ? validateAsync(bridged, checks) : bridged;
  }
  return {
    app: called,
    interface: iface,
    run: (sink, fn) => store.run(sink, fn),
  };
}
