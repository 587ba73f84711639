/**
 * Running an async app where a sync app is expected, "where that is possible" (spec/sync.md
 * "Running an async app on a sync server").
 *
 * @module
 */
import { PorticoError } from '../errors.js';
import { type InterfaceName, syncApp } from '../interface.js';
import type { Environ, ResponseBody, StartResponse, SyncApp } from '../sync-types.js';
import { locateModule } from './module-location.js';
import { WorkerBridge } from './worker-bridge.js';

/** Where {@link asyncToSync} loads the async app from (functions cannot cross threads). */
export interface AsyncToSyncTarget {
  /** A path (relative to `cwd`), a `file:` URL or a package specifier, as `loadApp` resolves it. */
  module: string | URL;
  /** The export; default `"default"`. */
  export?: string;
  /** Interface override: `async` skips detection; `sync` is refused (a sync app needs no bridge). */
  interface?: InterfaceName | 'auto';
}

/** Options of {@link asyncToSync}. */
export interface AsyncToSyncOptions {
  /**
   * The longest a sync call blocks waiting for the worker, ms: for the app to load and finish
   * lifespan startup, for `http.response.start`, for each body event. Default 30000.
   */
  timeout?: number;
  /** Size of the request body pieces handed to the worker, bytes. Default 65536. */
  chunkSize?: number;
  /** Directory a relative `module` resolves against. Default `process.cwd()`. */
  cwd?: string;
}

/** A sync app running an async app in a worker thread; `close()` stops the worker. */
export interface AsyncToSyncApp extends SyncApp {
  /**
   * Runs the app's lifespan shutdown (blocking up to `timeout`) and terminates the worker. Later
   * calls of the app throw. Idempotent.
   *
   * @throws PorticoError `ERR_LIFESPAN` when the app reported a failed shutdown
   */
  close(): void;
}

/**
 * Runs an async app where a sync app is expected. Node cannot block on a promise, so the app runs in
 * a `worker_threads` Worker and each sync call blocks its thread with `Atomics.wait` on a
 * SharedArrayBuffer, reading the worker's replies with `receiveMessageOnPort` (the pattern of
 * synckit). Because functions cannot cross threads, the app is named by module and export, not
 * passed.
 *
 * Each call builds a scope from the environ (`scopeFromEnviron`), starts the app in the worker,
 * blocks until `http.response.start`, calls `startResponse`, and returns a lazily pulling iterable:
 * each `next()` blocks for the next body event, and taking a chunk is what lets the app's `send()`
 * resolve (backpressure). The request body is read from `portico.input` in `chunkSize` pieces as the
 * app calls `receive()`. `close()` of the iterable before its end makes the app's `receive()` return
 * `http.disconnect` and its pending `send()` reject with `ERR_CLIENT_DISCONNECTED`.
 *
 * Limits, by design:
 * - the app runs in another thread: it shares no state with the caller (no `portico.state`, no
 *   closures; `scope.state` is a copy of the worker's lifespan state), and the module is imported
 *   again there (a TypeScript module needs a loader the worker inherits, such as `--import tsx`
 *   on the command line; one registered with `module.register()` in the caller is not seen);
 * - every call blocks its thread until the worker answers: for the app to load (first call), for
 *   `http.response.start`, for each body chunk; nothing else runs on that thread meanwhile, so this
 *   suits sync servers (CGI, a worker per request), not an event-loop server;
 * - lifespan runs in the worker at first use (startup before the first request, shutdown on
 *   `close()`); an app that does not support lifespan is run without it;
 * - only the http scope is bridged: no websocket, and no extensions are offered (trailers, early
 *   hints and path send are refused);
 * - an iterable that is neither exhausted nor closed leaves its call waiting in the worker: always
 *   call `close()` (every conforming sync server does).
 *
 * The worker is unref'd: it never keeps the process alive. `close()` on the returned app ends it.
 *
 * @throws PorticoError `ERR_APP_LOAD` at once when the module is not found; from a call:
 *   `ERR_APP_LOAD` (the module failed to load, the export is missing or not an async app, or the app
 *   was closed), `ERR_LIFESPAN` (startup failed), `ERR_TIMEOUT` (no answer within `timeout` ms), or
 *   what the app threw (a `PorticoError` keeps its code); `ERR_INVALID_OPTION` for a bad option
 */
export function asyncToSync(target: AsyncToSyncTarget, options: AsyncToSyncOptions = {}): AsyncToSyncApp {
  const timeout = options.timeout ?? 30_000;
  const chunkSize = options.chunkSize ?? 64 * 1024;
  if (!(Number.isFinite(timeout) && timeout > 0)) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `asyncToSync: timeout must be a number of ms > 0, got ${String(timeout)}`,
    );
  }
  if (!(Number.isSafeInteger(chunkSize) && chunkSize > 0)) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `asyncToSync: chunkSize must be an integer > 0, got ${String(chunkSize)}`,
    );
  }
  const override = target.interface ?? 'auto';
  if (override !== 'auto' && override !== 'sync' && override !== 'async') {
    throw new PorticoError('ERR_INVALID_OPTION', `asyncToSync: interface must be auto, sync or async`);
  }
  const location = locateModule(target.module, options.cwd ?? process.cwd());
  const bridge = new WorkerBridge(location.url, target.export, override, timeout, chunkSize);
  const app = function asyncAppInWorker(environ: Environ, startResponse: StartResponse): ResponseBody {
    return bridge.call(environ, startResponse);
  } as AsyncToSyncApp;
  app.close = () => bridge.close();
  return syncApp(app);
}
