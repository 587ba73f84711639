/**
 * The `conditionalGet()` middleware: 304 Not Modified (and 412) for the app's own GET/HEAD
 * responses, from the validators it sends (RFC 9110 section 13; Rack::ConditionalGet).
 *
 * @module
 */

import type { App, AsyncApp, Header, HeaderList, Send } from '@portico/spec';
import { asyncApp } from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';
import { plainTextResponse } from '../shared/plain-response.js';
import { conditionalHeaders, evaluatePreconditions, type RepresentationValidators } from './preconditions.js';
import { parseEntityTag, parseHTTPDate } from './validators.js';

/** Response header fields a 304 leaves out: they describe a body it does not have. */
const DROPPED_ON_304 = new Set(['content-type', 'content-length', 'content-range', 'transfer-encoding']);

const EMPTY = new Uint8Array(0);

function validatorsOf(headers: HeaderList): RepresentationValidators {
  let etag: RepresentationValidators['etag'];
  let lastModified: number | undefined;
  for (const [name, value] of headers) {
    const n = name.toLowerCase();
    if (n === 'etag') etag = parseEntityTag(value);
    else if (n === 'last-modified') lastModified = parseHTTPDate(value);
  }
  return { etag, lastModified };
}

/**
 * Answers a GET or HEAD with `304 Not Modified` when the app's `200` response carries an `ETag`
 * and/or `Last-Modified` that the request's `If-None-Match` / `If-Modified-Since` match, and with
 * `412 Precondition Failed` when its `If-Match` / `If-Unmodified-Since` fail: the same evaluation as
 * `staticFiles()` ({@link evaluatePreconditions}, RFC 9110 section 13.2.2).
 *
 * It decides at the app's `http.response.start`: on a match it sends the 304 start at once (the
 * app's headers minus `content-type`, `content-length`, `content-range`, `transfer-encoding`;
 * `etag`, `last-modified`, `cache-control`, `set-cookie`... kept), then answers each of the app's
 * body events with an empty one (same `moreBody`; a pathsend with an empty final one) and drops its
 * trailers: nothing is held or buffered, and the app runs to its end (MW-BODY-3). A 412 goes the
 * same way with a short `text/plain` body in place of the first body event.
 * Other methods, other statuses, responses without validators and other scope types pass through
 * untouched: preconditions of unsafe methods (PUT with `If-Match`) are the app's to check, before
 * it acts, since a middleware only sees the response once the change is made.
 *
 * To give 304s to responses that have no ETag, put {@link etag} inside it:
 * `compose(conditionalGet(), etag())(app)`.
 *
 * @returns a middleware, app in (either interface), async app out
 */
export function conditionalGet(): (app: App) => AsyncApp {
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to conditionalGet()');
    return asyncApp(async function conditionalGetApp(scope, receive, send) {
      if (scope.type !== 'http' || (scope.method !== 'GET' && scope.method !== 'HEAD')) {
        return inner(scope, receive, send);
      }
      const request = conditionalHeaders(scope.headers);
      if (
        request.ifMatch === undefined &&
        request.ifNoneMatch === undefined &&
        request.ifModifiedSince === undefined &&
        request.ifUnmodifiedSince === undefined
      ) {
        return inner(scope, receive, send);
      }
      // Once answered: what goes out in place of the app's body (emptied after the first event).
      let replacement: Uint8Array | undefined;
      const conditionalSend: Send = async (event) => {
        if (replacement !== undefined) {
          // One event out per body event in (MW-BODY-3), nothing held: the first carries the
          // replacement body, the rest are empty and keep the app's `moreBody`.
          if (event.type === 'http.response.trailers') return;
          const body = replacement;
          replacement = EMPTY;
          if (event.type === 'http.response.pathsend') return send({ type: 'http.response.body', body });
          if (event.type === 'http.response.body') {
            return send({ type: 'http.response.body', body, moreBody: event.moreBody ?? false });
          }
          return send(event);
        }
        if (event.type !== 'http.response.start' || event.status !== 200) return send(event);
        const headers = event.headers ?? [];
        const current = validatorsOf(headers);
        if (current.etag === undefined && current.lastModified === undefined) return send(event);
        const outcome = evaluatePreconditions(scope.method, request, current);
        if (outcome === 'proceed') return send(event);
        if (outcome === 'not-modified') {
          replacement = EMPTY;
          const kept: Header[] = headers.filter(([name]) => !DROPPED_ON_304.has(name.toLowerCase()));
          return send({ type: 'http.response.start', status: 304, headers: kept });
        }
        const failed = plainTextResponse(scope.method, 412, 'Precondition Failed');
        replacement = failed.body;
        return send(failed.start);
      };
      return inner(scope, receive, conditionalSend);
    });
  };
}
