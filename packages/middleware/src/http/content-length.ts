/**
 * The `contentLength()` middleware: `Content-Length` for a body sent whole (Rack::ContentLength).
 *
 * @module
 */

import { type App, type AsyncApp, asyncApp, type HTTPResponseStartEvent } from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';
import { hasNoContent, headerValue } from '../shared/headers.js';
import { holdStartForWholeBody } from '../shared/hold-start.js';

/** Whether a start may get a `Content-Length` from its body (see {@link contentLength}). */
function needsLength(start: HTTPResponseStartEvent): boolean {
  const h = start.headers;
  return !(
    hasNoContent(start.status) ||
    start.trailers === true ||
    headerValue(h, 'content-length') !== undefined ||
    headerValue(h, 'transfer-encoding') !== undefined
  );
}

/**
 * Adds `Content-Length` to responses whose whole body comes in the first body event.
 *
 * When the app's `http.response.start` has neither `Content-Length` nor `Transfer-Encoding`, the
 * middleware holds it until the first `http.response.body`: if that event ends the body
 * (`moreBody: false`), the start is sent with `content-length` set to its size in bytes; otherwise
 * (a streaming body) it is sent unchanged and the server frames the body (chunked on HTTP/1.1).
 * Nothing is buffered beyond the one event the app already built. Left alone: `HEAD` requests, and
 * 1xx, 204 and 304 responses (their `Content-Length`, if any, describes another response, RFC 9110
 * section 8.6), responses announcing trailers (they need chunked framing), and a path send (the
 * server knows the file's size). Other events and scope types pass through (MW-PASS-1, MW-PASS-3).
 *
 * Useful where a response with a length is better than a chunked one: HTTP/1.0 clients (no chunked
 * encoding, so the connection must close to end the body), keep-alive through old proxies, progress
 * bars. A sync app is reached through `syncToAsync`.
 *
 * @returns a middleware, app in, async app out
 */
export function contentLength(): (app: App) => AsyncApp {
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to contentLength()');
    return asyncApp(async function contentLengthApp(scope, receive, send) {
      if (scope.type !== 'http' || scope.method === 'HEAD') return inner(scope, receive, send);
      const lengthHold = holdStartForWholeBody(send, receive, needsLength, (body) => [
        'content-length',
        String(body.byteLength),
      ]);
      await inner(scope, lengthHold.receive, lengthHold.send);
      // An app that returns after its start without a body: let the server see what it sent.
      await lengthHold.flush();
    });
  };
}
