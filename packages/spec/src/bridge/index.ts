/**
 * Bridges between the interfaces. STUB: being written.
 *
 * @module
 */
import type { AsyncApp, HTTPScope } from '../async-types.js';
import { PorticoError } from '../errors.js';
import type { Environ, ErrorStream, InputStream, SyncApp } from '../sync-types.js';

/** Options of {@link syncToAsync}. */
export interface SyncToAsyncOptions {
  /** Request bodies up to this many bytes stay in memory; larger ones spill to a temp file. Default 1 MiB. */
  spoolThreshold?: number;
  /** Directory for spilled bodies. Default `os.tmpdir()`. */
  tmpdir?: string;
  /** Where `portico.errors` writes. Default: process.stderr. */
  errors?: ErrorStream;
  /** Value of `portico.multiprocess`. Default `false`. */
  multiprocess?: boolean;
}

/** Runs a sync app under the async interface. */
export function syncToAsync(_app: SyncApp, _options: SyncToAsyncOptions = {}): AsyncApp {
  throw new PorticoError('ERR_INVALID_OPTION', 'syncToAsync: not implemented yet');
}

/** Builds the environ of an HTTP scope (spec/servers.md "From scope to environ"). */
export function environFromScope(_scope: HTTPScope, _input: InputStream, _errors: ErrorStream): Environ {
  throw new PorticoError('ERR_INVALID_OPTION', 'environFromScope: not implemented yet');
}
