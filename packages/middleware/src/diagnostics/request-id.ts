/**
 * The `requestId()` middleware: one id per request in `scope.state.requestId`, in the request headers
 * the app sees and in the response headers.
 *
 * @module
 */

import { randomUUID } from 'node:crypto';
import { type App, type AsyncApp, asyncApp, type Header, PorticoError, type Send } from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';
import { firstHeader } from '../shared/headers.js';

/** The key of `scope.state` (and `environ['portico.state']`) that holds the request id (a string). */
export const REQUEST_ID_STATE_KEY = 'requestId';

/** Options of {@link requestId}. */
export interface RequestIdOptions {
  /** The header that carries the id, in the request and the response. Default `'x-request-id'`. */
  header?: string;
  /**
   * Use the id the request came with (when it is {@link isSafeRequestId}). Only turn this on behind a
   * proxy that sets or cleans the header itself: a client must not choose the ids of your logs.
   * Default `false`.
   */
  trustIncoming?: boolean;
  /** Makes a new id. Default `crypto.randomUUID` (36 characters). Must return a safe id. */
  generate?: () => string;
}

// 1..200 visible ASCII characters (0x21..0x7e): no space, no control character (CR, LF, NUL), no
// byte that could break a header (RFC 9110 section 5.5) or a log line.
const SAFE_ID = /^[\x21-\x7e]{1,200}$/;
// RFC 9110 section 5.6.2 token.
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** Whether `id` may be used as a request id: a string of 1..200 visible ASCII characters (0x21..0x7e). */
export function isSafeRequestId(id: unknown): id is string {
  return typeof id === 'string' && SAFE_ID.test(id);
}

/**
 * Gives every `http` and `websocket` request an id: the incoming `header` value when `trustIncoming`
 * and it is {@link isSafeRequestId}, else `generate()`. The id goes into `scope.state.requestId`
 * (sync apps: `environ['portico.state'].requestId`), into the request headers of the scope copy the
 * app gets (any other value of `header` removed, so the app never sees an untrusted id there; MW-SCOPE-1),
 * and, for `http`, into the response headers, unless the app set `header` itself (the app wins).
 * Other scope types pass through untouched (MW-PASS-1). The body is never held (MW-BODY-3).
 *
 * @param options - see {@link RequestIdOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` for a `header` that is not a token, a `trustIncoming`
 *   that is not a boolean or a `generate` that is not a function (when called); per request,
 *   `ERR_MIDDLEWARE_MISUSE` when `generate()` returns an id that is not safe
 */
export function requestId(options: RequestIdOptions = {}): (app: App) => AsyncApp {
  const { header: rawHeader = 'x-request-id', trustIncoming = false, generate = randomUUID } = options;
  if (typeof rawHeader !== 'string' || !TOKEN.test(rawHeader.toLowerCase())) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `option header of requestId() is not a header name: ${String(rawHeader)}`,
    );
  }
  if (typeof trustIncoming !== 'boolean') {
    throw new PorticoError('ERR_INVALID_OPTION', 'option trustIncoming of requestId() must be a boolean');
  }
  if (typeof generate !== 'function') {
    throw new PorticoError('ERR_INVALID_OPTION', 'option generate of requestId() must be a function');
  }
  const header = rawHeader.toLowerCase();
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to requestId()');
    return asyncApp(async function requestIdApp(scope, receive, send) {
      if (scope.type !== 'http' && scope.type !== 'websocket') return inner(scope, receive, send);
      const incoming = firstHeader(scope.headers, header);
      let id: string;
      if (trustIncoming && isSafeRequestId(incoming)) id = incoming;
      else {
        id = generate();
        if (!isSafeRequestId(id)) {
          throw new PorticoError('ERR_MIDDLEWARE_MISUSE', `generate() of requestId() returned an unsafe id`, {
            value: id,
          });
        }
      }
      scope.state[REQUEST_ID_STATE_KEY] = id;
      const headers: Header[] = [...scope.headers.filter(([name]) => name !== header), [header, id]];
      const copy = { ...scope, headers };
      if (scope.type !== 'http') return inner(copy, receive, send);
      const requestIdSend: Send = (event) => {
        if (event.type !== 'http.response.start') return send(event);
        const own = event.headers ?? [];
        if (own.some(([name]) => name.toLowerCase() === header)) return send(event);
        return send({ ...event, headers: [...own, [header, id]] });
      };
      return inner(copy, receive, requestIdSend);
    });
  };
}
