/**
 * `httpHandler()`: a route handler that only speaks http. The router sends only http scopes to
 * `get`/`post` routes; anything else here is a wiring mistake and throws.
 *
 * @module
 */
import { type AsyncApp, asyncApp, type HTTPScope, type Receive, type Send } from '@portico/spec';

/** Wraps `fn` as an async app (marked with `asyncApp`) that refuses non-http scopes. */
export function httpHandler(fn: (scope: HTTPScope, receive: Receive, send: Send) => Promise<void>): AsyncApp {
  return asyncApp(async function notesHandler(scope, receive, send) {
    if (scope.type !== 'http') throw new Error(`${fn.name}: unsupported scope type ${scope.type}`);
    return fn(scope, receive, send);
  });
}
