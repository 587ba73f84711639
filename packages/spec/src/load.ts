/**
 * Loading an app from a module. STUB: being written.
 *
 * @module
 */
import type { AsyncApp } from './async-types.js';
import { PorticoError } from './errors.js';
import type { App, InterfaceName } from './interface.js';

/** An app loaded from a module. */
export interface LoadedApp {
  /** The export as found. */
  readonly app: App;
  /** The interface it speaks. */
  readonly interface: InterfaceName;
  /** The app under the async interface (sync apps wrapped with `syncToAsync`). */
  readonly asyncApp: AsyncApp;
}

/** Options of {@link loadApp}. */
export interface LoadAppOptions {
  /** Interface override; default `auto` (see `detectInterface`). */
  interface?: InterfaceName | 'auto';
  /** Directory relative module paths resolve against; default `process.cwd()`. */
  cwd?: string;
}

/** Loads `<module>[:<export>]`. */
export async function loadApp(_target: string, _options: LoadAppOptions = {}): Promise<LoadedApp> {
  throw new PorticoError('ERR_APP_LOAD', 'loadApp: not implemented yet');
}
