/**
 * The `requestTimeout()` middleware: an app that has not started its response by a deadline gets
 * its request answered for it, and is told the client is gone.
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
  type ReceiveEvent,
  type Send,
} from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';
import { sendPlainText } from '../shared/plain-response.js';

/** The default of {@link RequestTimeoutOptions.timeout}: 30 seconds, in milliseconds. */
export const DEFAULT_REQUEST_TIMEOUT = 30_000;

/** Options of {@link requestTimeout}. */
export interface RequestTimeoutOptions {
  /** Time to first byte allowed, in milliseconds: an integer 1..2 147 483 647. Default 30 000. */
  timeout?: number;
  /** The status sent when the time is up: an integer 400..599. Default 503 (Service Unavailable). */
  status?: number;
}

const DISCONNECT: ReceiveEvent = { type: 'http.disconnect' };

/**
 * Answers `http` requests whose app has not sent `http.response.start` within `timeout` ms.
 *
 * At the deadline the middleware sends `status` itself (`text/plain` body, `connection: close`).
 * From then on the app is treated as if its client had gone (spec/async.md ASYNC-HTTP-9): its
 * `receive()` (also one already waiting) returns `http.disconnect` and its `send()` rejects with
 * PorticoError `ERR_CLIENT_DISCONNECTED`, so a well-behaved app stops at its next call. The app's
 * call is still awaited (not abandoned); an `ERR_CLIENT_DISCONNECTED` it throws after the timeout
 * is a normal end, other errors go on to the server.
 *
 * The timeout covers the time to the first byte only: once `http.response.start` is sent the timer
 * is cleared, because the status can no longer change, and because a long response that is making
 * progress (a download, server-sent events) is legitimate. Slow or stalled streams are the job of
 * the server's send/idle timeouts. The timer is also cleared when the app returns or throws, so no
 * timer outlives its request.
 *
 * Websocket, lifespan and other scopes pass through (MW-PASS-1).
 *
 * @param options - see {@link RequestTimeoutOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` for a bad `timeout` or `status` (when called)
 */
export function requestTimeout(options: RequestTimeoutOptions = {}): (app: App) => AsyncApp {
  const timeout = options.timeout ?? DEFAULT_REQUEST_TIMEOUT;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 2_147_483_647) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `option timeout must be an integer number of ms in 1..2147483647: ${String(timeout)}`,
    );
  }
  const status = options.status ?? 503;
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `option status must be an integer 400..599: ${String(status)}`,
    );
  }
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to requestTimeout()');
    return asyncApp(async function requestTimeoutApp(scope, receive, send) {
      if (scope.type !== 'http') return inner(scope, receive, send);
      let started = false;
      let timedOut = false;
      let answered: Promise<void> = Promise.resolve();
      let wake: () => void = () => {};
      const gone = new Promise<ReceiveEvent>((resolve) => {
        wake = () => resolve(DISCONNECT);
      });
      const timer = setTimeout(function onRequestTimeout() {
        if (started) return;
        timedOut = true;
        wake();
        answered = sendPlainText(send, scope.method, status, 'Request timed out', [['connection', 'close']]);
        answered.catch(() => {}); // awaited below; the client may be gone already
      }, timeout);
      const timedReceive: Receive = () => (timedOut ? gone : Promise.race([receive(), gone]));
      const timedSend: Send = (event) => {
        if (timedOut) {
          return Promise.reject(
            new PorticoError(
              'ERR_CLIENT_DISCONNECTED',
              'the request timed out: the response was already sent',
              {
                status,
              },
            ),
          );
        }
        if (event.type === 'http.response.start') {
          started = true;
          clearTimeout(timer);
        }
        return send(event);
      };
      try {
        await inner(scope, timedReceive, timedSend);
      } catch (error) {
        if (!timedOut || !isPorticoError(error, 'ERR_CLIENT_DISCONNECTED')) throw error;
      } finally {
        clearTimeout(timer);
      }
      if (timedOut) await answered.catch(() => {});
    });
  };
}
