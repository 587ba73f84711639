/**
 * The `bodyLimit()` middleware: a request body over a size limit is answered with 413 and not read.
 *
 * @module
 */

import {
  type App,
  type AsyncApp,
  asyncApp,
  isPorticoError,
  PorticoError,
  type Receive,
  type Send,
} from '@portico/spec';
import { declaresOver, tooLarge } from '../compose/body.js';
import { toAsyncApp } from '../compose/mount.js';
import { sendPlainText } from '../shared/plain-response.js';

/** The default of {@link BodyLimitOptions.limit}: 1 MiB, in bytes. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** Options of {@link bodyLimit}. */
export interface BodyLimitOptions {
  /** The most request body bytes the app may read, an integer >= 0. Default 1 MiB (1 048 576). */
  limit?: number;
}

/**
 * Limits the request body of `http` scopes to `limit` bytes (RFC 9110 section 15.5.14, 413 Content
 * Too Large).
 *
 * - A declared `content-length` over the limit is answered at once with `413` (`text/plain`,
 *   `connection: close`, so the server closes the connection instead of reading the rest): the app
 *   is not called and no body byte is read.
 * - A body without a length (chunked) is counted as the app reads it. The `receive()` call that
 *   would pass the limit rejects with PorticoError `ERR_BODY_TOO_LARGE` (status 413, exposed)
 *   instead of returning the chunk, and so does every later call: nothing more is read. When that
 *   error escapes the app before `http.response.start`, the middleware answers `413` itself
 *   (`connection: close`); when the app catches it, the app answers; when the response had started,
 *   the error goes on to the server.
 *
 * Websocket, lifespan and other scopes pass through (MW-PASS-1). The body is never held.
 *
 * @param options - see {@link BodyLimitOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` when `limit` is not an integer >= 0 (when called)
 */
export function bodyLimit(options: BodyLimitOptions = {}): (app: App) => AsyncApp {
  const limit = options.limit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new PorticoError('ERR_INVALID_OPTION', `option limit must be an integer >= 0: ${String(limit)}`);
  }
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to bodyLimit()');
    return asyncApp(async function bodyLimitApp(scope, receive, send) {
      if (scope.type !== 'http') return inner(scope, receive, send);
      const refuse = () =>
        sendPlainText(send, scope.method, 413, 'Content Too Large', [['connection', 'close']]);
      if (declaresOver(scope.headers, limit)) return refuse();
      let size = 0;
      let refused: PorticoError | undefined;
      let started = false;
      const limitedReceive: Receive = async () => {
        if (refused !== undefined) throw refused;
        const event = await receive();
        if (event.type === 'http.request') {
          size += event.body.byteLength;
          if (size > limit) {
            refused = tooLarge(limit);
            throw refused;
          }
        }
        return event;
      };
      const watchSend: Send = (event) => {
        if (event.type === 'http.response.start') started = true;
        return send(event);
      };
      try {
        await inner(scope, limitedReceive, watchSend);
      } catch (error) {
        if (started || refused === undefined || !isPorticoError(error, 'ERR_BODY_TOO_LARGE')) throw error;
        await refuse();
      }
    });
  };
}
