/**
 * Running a sync app under the async interface (spec/sync.md "Running a sync app on an async
 * server").
 *
 * @module
 */
import { tmpdir as osTmpdir } from 'node:os';
import type { AsyncApp, HTTPReceiveEvent, HTTPScope, Receive, Scope, Send } from '../async-types.js';
import { PorticoError } from '../errors.js';
import { asyncApp } from '../interface.js';
import type { ErrorStream, SyncApp } from '../sync-types.js';
import { type EnvironOptions, environFromScope } from './environ.js';
import { stderrErrorStream } from './errors-stream.js';
import { readRequestBody, wholeBody } from './request-body.js';
import { ResponseState } from './start-response.js';
import { singleChunk, streamResponse } from './stream-response.js';

/** Options of {@link syncToAsync}. */
export interface SyncToAsyncOptions {
  /**
   * Request bodies of up to this many bytes stay in memory; longer ones spill to a temp file.
   * Default 1 MiB (1048576). `0` spills every non-empty body.
   */
  spoolThreshold?: number;
  /** Directory for spilled bodies. Default `os.tmpdir()`, read when `syncToAsync` is called. */
  tmpdir?: string;
  /** Where `portico.errors` writes. Default: synchronous writes to fd 2 (standard error). */
  errors?: ErrorStream;
  /** Value of `portico.multiprocess`. Default `false`. */
  multiprocess?: boolean;
}

/** Default of {@link SyncToAsyncOptions.spoolThreshold}: 1 MiB. */
export const DEFAULT_SPOOL_THRESHOLD = 1024 * 1024;

interface BridgeConfig {
  readonly threshold: number;
  readonly tmpdir: string;
  readonly errors: ErrorStream;
  readonly environ: EnvironOptions;
}

/**
 * Runs a sync app under the async interface.
 *
 * - **http**: reads the request body through `receive()` (in memory up to `spoolThreshold` bytes,
 *   beyond it in a temp file created with `O_EXCL`, mode 0600, in `tmpdir`), so `portico.input`
 *   reads are synchronous; builds the environ with {@link environFromScope}; calls the app with a
 *   `startResponse` that checks status and headers at once (a bad one throws `ERR_BAD_HEADER`,
 *   spec/sync.md section 7.2) and keeps the excInfo rule; streams the body with backpressure (each
 *   `send()` awaited before the body is asked for more), `http.response.start` (status code of
 *   `"NNN Reason"`, header names lowercased) going out with the first non-empty chunk, or at the
 *   end. An array body is sent with its last chunk in the event that has `moreBody: false` (a
 *   one-chunk body is exactly one start and one body event); any other iterable is not looked
 *   ahead (each chunk is on the wire before the next is computed) and ends with an empty event.
 *   Bytes given to `write()` go out, in order, before the body's next chunk. `close()` of the body
 *   is always called, in the run in which iteration stopped (SYNC-BODY-5..7), and the temp file is
 *   always removed. When `http.disconnect` arrives while the body is read, the app is not called.
 *   An error the app throws is rethrown (before `http.response.start` went out the server answers
 *   500; after, it aborts the response). A `portico.file_wrapper` body with a known path is sent
 *   with `http.response.pathsend` when the scope offers that extension.
 * - **lifespan**: answers `lifespan.startup` and `lifespan.shutdown` with `.complete` (the sync
 *   interface has no lifespan).
 * - **websocket**: sends `websocket.close` (code 1000) without accepting (the sync interface has no
 *   WebSocket); the server answers the handshake with 403.
 *
 * @param app - a sync-interface app (not checked: wrap it in `validateSync` for that)
 * @returns an async-interface app, marked as such (`asyncApp`)
 * @throws PorticoError `ERR_INVALID_OPTION` when an option is not valid; the returned app rejects
 *   with `ERR_SPEC_VIOLATION` for a scope type it does not know
 */
export function syncToAsync(app: SyncApp, options: SyncToAsyncOptions = {}): AsyncApp {
  if (typeof app !== 'function') {
    throw new PorticoError('ERR_INVALID_OPTION', `syncToAsync: app must be a function, got ${typeof app}`);
  }
  const threshold = options.spoolThreshold ?? DEFAULT_SPOOL_THRESHOLD;
  if (!Number.isSafeInteger(threshold) || threshold < 0) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `syncToAsync: spoolThreshold must be an integer >= 0 (bytes), got ${String(threshold)}`,
    );
  }
  if (options.tmpdir !== undefined && (typeof options.tmpdir !== 'string' || options.tmpdir === '')) {
    throw new PorticoError('ERR_INVALID_OPTION', 'syncToAsync: tmpdir must be a non-empty string');
  }
  const config: BridgeConfig = {
    threshold,
    tmpdir: options.tmpdir ?? osTmpdir(),
    errors: options.errors ?? stderrErrorStream,
    environ: { multiprocess: options.multiprocess === true },
  };
  // Not an `async function`, to save a promise per request: every path returns one.
  return asyncApp(function syncAppBridge(scope: Scope, receive: Receive, send: Send): Promise<void> {
    if (scope.type === 'http') return runHTTP(app, scope, receive, send, config);
    if (scope.type === 'lifespan') return runLifespan(receive, send);
    if (scope.type === 'websocket') return send({ type: 'websocket.close', code: 1000 });
    const type = (scope as { type?: unknown }).type;
    return Promise.reject(
      new PorticoError('ERR_SPEC_VIOLATION', `syncToAsync: unknown scope type ${JSON.stringify(type)}`, {
        side: 'server',
        value: type,
      }),
    );
  });
}

async function runHTTP(
  app: SyncApp,
  scope: HTTPScope,
  receive: Receive,
  send: Send,
  config: BridgeConfig,
): Promise<void> {
  const first = (await receive()) as HTTPReceiveEvent;
  const input =
    wholeBody(first, config.threshold) ??
    (await readRequestBody(receive, first, config.threshold, config.tmpdir));
  if (input === null) return; // The client left before the body was read: the app is not called.
  try {
    const environ = environFromScope(scope, input, errorStreamOf(scope, config.errors), config.environ);
    const res = new ResponseState();
    const body = app(environ, res.startResponse);
    const chunk = singleChunk(body, res);
    if (chunk !== null) {
      // The common case, with no streamResponse frame: one start event, one last body event.
      await send({ type: 'http.response.start', status: res.status, headers: res.headers });
      await send({ type: 'http.response.body', body: chunk, moreBody: false });
      return;
    }
    await streamResponse(
      body,
      res,
      send,
      scope.extensions?.['http.response.pathsend'] !== undefined,
      config.errors,
    );
  } finally {
    input.close();
  }
}

/**
 * `portico.errors` of a request: the `cgi` extension's error stream when the server offers one
 * (FastCGI's FCGI_STDERR), else the bridge's.
 */
function errorStreamOf(scope: HTTPScope, fallback: ErrorStream): ErrorStream {
  const stderr = scope.extensions?.cgi?.stderr;
  if (typeof stderr !== 'function') return fallback;
  return {
    write: (text: string) => stderr(typeof text === 'string' ? text : String(text)),
    writelines(lines: Iterable<string>) {
      for (const line of lines) this.write(line);
    },
    flush() {},
  };
}

/** The lifespan of a sync app: nothing to start or stop; both phases complete at once. */
async function runLifespan(receive: Receive, send: Send): Promise<void> {
  for (;;) {
    const event = await receive();
    if (event.type === 'lifespan.startup') await send({ type: 'lifespan.startup.complete' });
    else if (event.type === 'lifespan.shutdown') {
      await send({ type: 'lifespan.shutdown.complete' });
      return;
    }
  }
}
