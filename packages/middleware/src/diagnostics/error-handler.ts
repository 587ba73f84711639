/**
 * The `errorHandler()` middleware: turns what the app throws into an error response, a plain one in
 * production and a debug page with the stack in development.
 *
 * @module
 */

import { createLogger, type Logger } from '@portico/server';
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
import { firstHeader } from '../shared/headers.js';
import { type ErrorBody, negotiateErrorType, renderDebugPage, renderErrorPage } from './error-page.js';

/** Options of {@link errorHandler}. */
export interface ErrorHandlerOptions {
  /**
   * Answer with the debug page (error name, message, stack, causes, request headers). Never in
   * production: it shows code paths and request data. Default `process.env.NODE_ENV ===
   * 'development'`, read when `errorHandler()` is called.
   */
  debug?: boolean;
  /** Where errors are logged. Default `createLogger('info')` of `@portico/server` (stderr). */
  logger?: Logger;
}

/**
 * The status an error answers with: its `status` (or `statusCode`, as http-errors sets it) when that
 * is an integer 400..599, else 500.
 */
export function errorStatus(err: unknown): number {
  if (typeof err === 'object' && err !== null) {
    const e = err as { status?: unknown; statusCode?: unknown };
    for (const s of [e.status, e.statusCode]) {
      if (typeof s === 'number' && Number.isInteger(s) && s >= 400 && s <= 599) return s;
    }
  }
  return 500;
}

/** Whether the message of `err` may be shown to the client: only when `err.expose === true`. */
function exposedMessage(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { expose?: unknown; message?: unknown };
  return e.expose === true && typeof e.message === 'string' ? e.message : undefined;
}

/**
 * Catches what the app throws for an `http` request (other scope types pass through, MW-PASS-1).
 *
 * - Before `http.response.start` went out: answers the error's status ({@link errorStatus}) with a
 *   body negotiated on `accept` (JSON `{"error": reason}` when `application/json` is preferred, HTML
 *   for browsers, else `text/plain`). In production the body holds the status's reason phrase and
 *   the error's message only when `err.expose === true`; never a stack or a hidden message. With
 *   `debug`, the debug page of {@link renderDebugPage}. The error is then handled: the call resolves.
 *   The response carries `cache-control: no-store`, `x-content-type-options: nosniff` and, for HTML,
 *   its own `content-security-policy` (so an outer `securityHeaders()` keeps it). HEAD gets no body.
 * - After `http.response.start` went out: the status and headers are on their way and cannot change.
 *   The error is logged and rethrown, so the server cuts the response short (the client sees it
 *   incomplete: spec/servers.md SRV-ERR-2, spec/async.md section 11).
 * - `ERR_CLIENT_DISCONNECTED` (spec/async.md ASYNC-HTTP-9): logged at `debug` only and rethrown;
 *   there is nobody to answer.
 *
 * Logs: `logger.error('app error', { method, path, status, error })` for 5xx (the error with its
 * stack), the same at `debug` for 4xx.
 *
 * @param options - see {@link ErrorHandlerOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` for a `debug` that is not a boolean or a `logger`
 *   without the four methods (when called)
 */
export function errorHandler(options: ErrorHandlerOptions = {}): (app: App) => AsyncApp {
  const { debug = process.env.NODE_ENV === 'development', logger = createLogger('info') } = options;
  if (typeof debug !== 'boolean') {
    throw new PorticoError('ERR_INVALID_OPTION', 'option debug of errorHandler() must be a boolean');
  }
  if (
    typeof logger !== 'object' ||
    logger === null ||
    !(['debug', 'info', 'warn', 'error'] as const).every((m) => typeof logger[m] === 'function')
  ) {
    throw new PorticoError('ERR_INVALID_OPTION', 'option logger of errorHandler() must be a Logger');
  }
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to errorHandler()');
    return asyncApp(async function errorHandlerApp(scope, receive, send) {
      if (scope.type !== 'http') return inner(scope, receive, send);
      let started = false;
      const errorHandlerSend: Send = (event) => {
        if (event.type === 'http.response.start') started = true;
        return send(event);
      };
      try {
        await inner(scope, receive, errorHandlerSend);
        return;
      } catch (err) {
        const fields = { method: scope.method, path: scope.rawPath };
        if (isPorticoError(err, 'ERR_CLIENT_DISCONNECTED')) {
          logger.debug('client disconnected', fields);
          throw err;
        }
        const status = errorStatus(err);
        if (started) {
          logger.error('app error after http.response.start', { ...fields, error: err });
          throw err;
        }
        if (status >= 500) logger.error('app error', { ...fields, status, error: err });
        else logger.debug('app error', { ...fields, status, error: err });
        await sendError(scope, send, status, err, debug);
      }
    });
  };
}

async function sendError(
  scope: HTTPScope,
  send: Send,
  status: number,
  err: unknown,
  debug: boolean,
): Promise<void> {
  const type = negotiateErrorType(firstHeader(scope.headers, 'accept'));
  const page: ErrorBody = debug
    ? renderDebugPage(
        status,
        err,
        {
          method: scope.method,
          target: scope.queryString === '' ? scope.rawPath : `${scope.rawPath}?${scope.queryString}`,
          headers: scope.headers,
        },
        type,
      )
    : renderErrorPage(status, exposedMessage(err), type);
  const body = new TextEncoder().encode(page.body);
  const headers: [string, string][] = [
    ['content-type', page.contentType],
    ['content-length', String(body.byteLength)],
    ['cache-control', 'no-store'],
    ['x-content-type-options', 'nosniff'],
  ];
  if (type === 'html') {
    headers.push([
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    ]);
  }
  await send({ type: 'http.response.start', status, headers });
  await send({ type: 'http.response.body', body: scope.method === 'HEAD' ? new Uint8Array(0) : body });
}
