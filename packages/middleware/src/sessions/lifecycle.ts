/**
 * The request cycle both session middlewares share: load the session, put it in
 * `scope.state.session`, save it when the app sends `http.response.start` (before forwarding it),
 * and fail closed.
 *
 * Failing closed: when loading or saving fails (a store error, `ERR_SESSION_STORE`; a cookie session
 * over 4096 bytes, `ERR_SESSION_TOO_LARGE`), the middleware sends its own `500 Internal Server
 * Error` (never the app's response without its session), the app's `send()` rejects with the
 * error from then on, and the middleware's call throws the error once the app has returned, so the
 * server logs it.
 *
 * @module
 */

import {
  type AsyncApp,
  type Header,
  type HTTPScope,
  PorticoError,
  type Receive,
  type Scope,
  type Send,
} from '@portico/spec';
import { sendPlainText } from '../shared/plain-response.js';
import { createSession, SESSION_STATE_KEY, type SessionControl, type SessionInit } from './session.js';

/** What a middleware does at each end of the cycle. @internal */
export interface SessionHooks<L> {
  /** Reads the request's session (`data: undefined` for none). Throws a PorticoError to fail closed. */
  load(
    scope: HTTPScope | { type: 'websocket'; headers: HTTPScope['headers']; scheme: string },
  ): Promise<Omit<SessionInit, 'now' | 'ids'> & { extra: L }>;
  /** Saves the session; returns the `Set-Cookie` values to add. Throws a PorticoError to fail closed. */
  commit(scheme: string, control: SessionControl, id: () => string | undefined, extra: L): Promise<string[]>;
}

/** Sends the 500 of a failed session (no body for HEAD). */
function sendFailure(method: string, send: Send): Promise<void> {
  return sendPlainText(send, method, 500, 'Internal Server Error', [['cache-control', 'no-store']]);
}

function asPorticoError(error: unknown): PorticoError {
  if (error instanceof PorticoError) return error;
  return new PorticoError('ERR_SESSION_STORE', 'session failed', { cause: error, status: 500 });
}

/**
 * Runs one request through a session middleware: `http` gets the whole cycle, `websocket` gets the
 * session loaded (read-only: changes are not saved, a websocket handshake answer has no place for
 * them here), every other scope type passes through untouched (MW-PASS-1).
 * @internal
 */
export async function runSession<L>(
  scope: Scope,
  receive: Receive,
  send: Send,
  inner: AsyncApp,
  ids: boolean,
  now: () => number,
  hooks: SessionHooks<L>,
): Promise<void> {
  if (scope.type !== 'http' && scope.type !== 'websocket') return inner(scope, receive, send);
  let loaded: Awaited<ReturnType<SessionHooks<L>['load']>>;
  try {
    loaded = await hooks.load(scope);
  } catch (error) {
    const failure = asPorticoError(error);
    if (scope.type === 'http') await sendFailure(scope.method, send);
    throw failure;
  }
  const { session, control } = createSession({ ...loaded, ids, now });
  scope.state[SESSION_STATE_KEY] = session;
  if (scope.type === 'websocket') return inner(scope, receive, send);
  const method = scope.method;
  let failure: PorticoError | undefined;
  const sessionSend: Send = async (event) => {
    if (failure !== undefined) throw failure;
    if (event.type !== 'http.response.start') return send(event);
    control.lock();
    let cookies: string[];
    try {
      cookies = await hooks.commit(scope.scheme, control, () => session.id, loaded.extra);
    } catch (error) {
      failure = asPorticoError(error);
      await sendFailure(method, send);
      throw failure;
    }
    if (cookies.length === 0) return send(event);
    const headers: Header[] = [...(event.headers ?? []), ...cookies.map((v): Header => ['set-cookie', v])];
    return send({ ...event, headers });
  };
  try {
    await inner(scope, receive, sessionSend);
  } catch (error) {
    throw failure ?? error;
  }
  if (failure !== undefined) throw failure;
}
