/**
 * The `etag()` middleware: an `ETag` for the app's one-event responses (Rack::ETag, without its
 * buffering of streams).
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { type App, type AsyncApp, asyncApp, type HTTPResponseStartEvent, PorticoError } from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';
import { holdStartForWholeBody } from '../shared/hold-start.js';
import { formatEntityTag } from './validators.js';

/** Options of {@link etag}. */
export interface ETagOptions {
  /** Send a weak ETag (`W/"..."`). Default `true`; `false` sends a strong one. */
  weak?: boolean;
}

/**
 * The ETag of a body: `"<length hex>-<first 27 chars of base64 SHA-1>"` (the scheme of jshttp's
 * `etag` package), weak or strong.
 */
export function bodyETag(body: Uint8Array, weak: boolean): string {
  const hash = createHash('sha1').update(body).digest('base64').slice(0, 27);
  return formatEntityTag({ weak, opaque: `${body.length.toString(16)}-${hash}` });
}

function skip(start: HTTPResponseStartEvent): boolean {
  if (start.status !== 200 && start.status !== 201) return true;
  for (const [name, value] of start.headers ?? []) {
    const n = name.toLowerCase();
    if (n === 'etag') return true;
    if (n === 'cache-control' && /(?:^|,)\s*no-store\s*(?:,|$)/i.test(value)) return true;
  }
  return false;
}

/**
 * Adds an `ETag` to the app's `200`/`201` responses that have none (and no `Cache-Control:
 * no-store`), computed from the body ({@link bodyETag}) ONLY when the whole body arrives in the
 * first `http.response.body` event (`moreBody: false`). To see that event, it holds the app's
 * `http.response.start` until the first body event (or pathsend) comes: one event, not a stream.
 * A streamed body (first event with `moreBody: true`) and a pathsend go out with the start unchanged,
 * nothing held. HEAD responses are left alone (their body is empty, so a hash would be wrong).
 *
 * Put {@link conditionalGet} outside it to answer 304s: `compose(conditionalGet(), etag())(app)`.
 *
 * @param options - see {@link ETagOptions}
 * @returns a middleware, app in (either interface), async app out
 * @throws PorticoError `ERR_INVALID_OPTION` when `weak` is not a boolean, when called
 */
export function etag(options: ETagOptions = {}): (app: App) => AsyncApp {
  const weak = options.weak ?? true;
  if (typeof weak !== 'boolean')
    throw new PorticoError('ERR_INVALID_OPTION', 'etag(): option weak must be a boolean');
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to etag()');
    return asyncApp(async function etagApp(scope, receive, send) {
      if (scope.type !== 'http' || scope.method === 'HEAD') return inner(scope, receive, send);
      const etagHold = holdStartForWholeBody(
        send,
        receive,
        (start) => !skip(start),
        (body) => ['etag', bodyETag(body, weak)],
      );
      await inner(scope, etagHold.receive, etagHold.send);
      await etagHold.flush();
    });
  };
}
