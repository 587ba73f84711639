/**
 * The `accessLog()` middleware: one line per finished HTTP request, Apache's Combined Log Format by
 * default.
 *
 * @module
 */

import { stat } from 'node:fs/promises';
import { type AccessLogEntry, accessLogEntry, formatCombinedLog } from '@portico/server';
import {
  type App,
  type AsyncApp,
  asyncApp,
  type HTTPScope,
  isPorticoError,
  PorticoError,
  type Send,
} from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';

/** A custom line format: the entry (`durationMs` is the response time in ms) and the request's scope. */
export type AccessLogFormat = (entry: AccessLogEntry, scope: HTTPScope) => string;

/** Options of {@link accessLog}. */
export interface AccessLogOptions {
  /**
   * Where each line goes, without a trailing newline. Default: `process.stdout.write(line + '\n')`.
   * An error it throws is not caught: it fails the request's call (after the response).
   */
  write?: (line: string) => void;
  /**
   * `'combined'` (default): `formatCombinedLog` from `@portico/server`, Apache's
   * `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`; or a function of the entry.
   */
  format?: 'combined' | AccessLogFormat;
}

/** The `content-length` of a response head as a number, or undefined when absent or not digits. */
function contentLengthOf(headers: Iterable<readonly [string, string]> | undefined): number | undefined {
  for (const [name, value] of headers ?? []) {
    if (name.toLowerCase() === 'content-length') return /^\d{1,15}$/.test(value) ? Number(value) : undefined;
  }
  return undefined;
}

/** The size of the file at `path` in bytes; 0 when it cannot be read (it was sent, or the send failed). */
async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function writeStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Writes one line per `http` request once the app's call settles, built with `accessLogEntry` from
 * `@portico/server` (the same entry the Portico servers log), from what it saw passing through
 * `send`: the status of `http.response.start` and the byte count of every `http.response.body`
 * (bytes of the body as sent by the app, before any outer middleware changes it). A file handed to
 * the server with `http.response.pathsend` counts as its size: the response's `content-length`, else
 * the size `stat` gives (nothing when that fails).
 *
 * The status logged: the one sent; `500` when the app threw before starting its response (what the
 * server then answers, SRV-ERR-1); `499` (nginx's "client closed request") when the client left
 * before a status was sent (`send` rejected with `ERR_CLIENT_DISCONNECTED`, or the app returned
 * without a response after `receive()` gave `http.disconnect`). A client that leaves mid-body is
 * logged with the status sent and the bytes counted so far, as nginx does. The app's error is
 * rethrown after the line is written. Other scope types pass through (MW-PASS-1); the body is never
 * held (MW-BODY-3). Put it outermost (after an error handler) to log what the client got.
 *
 * @param options - see {@link AccessLogOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` for a `write` that is not a function or a bad `format`
 */
export function accessLog(options: AccessLogOptions = {}): (app: App) => AsyncApp {
  const { write = writeStdout, format = 'combined' } = options;
  if (typeof write !== 'function') {
    throw new PorticoError('ERR_INVALID_OPTION', 'option write of accessLog() must be a function');
  }
  if (format !== 'combined' && typeof format !== 'function') {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `option format of accessLog() must be 'combined' or a function`,
    );
  }
  const render: AccessLogFormat = format === 'combined' ? (entry) => formatCombinedLog(entry) : format;
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to accessLog()');
    return asyncApp(async function accessLogApp(scope, receive, send) {
      if (scope.type !== 'http') return inner(scope, receive, send);
      const startTime = Date.now();
      let status = 0;
      let bytes = 0;
      let length: number | undefined;
      const accessLogSend: Send = async (event) => {
        if (event.type === 'http.response.start') {
          await send(event);
          status = event.status;
          length = contentLengthOf(event.headers);
          return;
        }
        if (event.type === 'http.response.pathsend') {
          await send(event);
          bytes += length ?? (await fileSize(event.path));
          return;
        }
        if (event.type === 'http.response.body') {
          await send(event);
          bytes += event.body?.byteLength ?? 0;
          return;
        }
        return send(event);
      };
      try {
        await inner(scope, receive, accessLogSend);
      } catch (err) {
        // Nothing sent: 500 is what the server answers, unless the client is gone (499, as 0 is).
        if (status === 0 && !isPorticoError(err, 'ERR_CLIENT_DISCONNECTED')) status = 500;
        write(render(accessLogEntry(scope, status, bytes, startTime), scope));
        throw err;
      }
      write(render(accessLogEntry(scope, status, bytes, startTime), scope));
    });
  };
}
