/**
 * The `head()` middleware: answers `HEAD` with the `GET` response's head and no body bytes
 * (Rack::Head, Plack::Middleware::Head).
 *
 * @module
 */

import { type App, type AsyncApp, asyncApp, type Send } from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';

const EMPTY = new Uint8Array(0);

/**
 * Drops the body of responses to `HEAD` requests, for apps that answer `HEAD` as they answer `GET`.
 *
 * The app sees the request as it came (method `HEAD`, unchanged scope) and its
 * `http.response.start` passes through as sent, `Content-Length` included (RFC 9110 section 9.3.2:
 * the fields a `GET` would have had). Each `http.response.body` the app sends is replaced by an empty
 * one with the same `moreBody`, so the response still ends with an empty body event with
 * `moreBody: false`, the app's `send()` keeps its pace (one event out per event in, MW-BODY-3) and
 * no bytes are forwarded. A path send becomes that final empty body event (the file is not opened).
 * The app is not stopped early: it produces its body and the bytes are discarded; an app for which
 * that is costly should test for `HEAD` itself. Servers drop `HEAD` bodies too (spec/async.md
 * section 8.3); this middleware keeps them out of every layer between it and the server (a
 * compressor, a logger counting bytes). Other methods and scope types pass through (MW-PASS-1).
 * A sync app is reached through `syncToAsync`.
 *
 * @returns a middleware, app in, async app out
 */
export function head(): (app: App) => AsyncApp {
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to head()');
    return asyncApp(async function headApp(scope, receive, send) {
      if (scope.type !== 'http' || scope.method !== 'HEAD') return inner(scope, receive, send);
      const headSend: Send = (event) => {
        if (event.type === 'http.response.body') {
          return send({ type: 'http.response.body', body: EMPTY, moreBody: event.moreBody === true });
        }
        if (event.type === 'http.response.pathsend') {
          return send({ type: 'http.response.body', body: EMPTY, moreBody: false });
        }
        return send(event);
      };
      return inner(scope, receive, headSend);
    });
  };
}
