// @ts-check
/**
 * The "typical stack" of bench/middleware.js around an app, shared by its in-process part and by
 * the server of its HTTP part (servers/portico-stack.js) so both measure the same thing:
 * errorHandler, accessLog (lines to a no-op), requestId, securityHeaders, compression,
 * session (MemoryStore), csrf, and a router with the app on `GET /`.
 */
import {
  accessLog,
  compose,
  compression,
  csrf,
  errorHandler,
  MemoryStore,
  requestId,
  router,
  securityHeaders,
  session,
} from '@portico/middleware';

/** The middleware of the stack, outermost first, as the tables name them. */
export const STACK_NAMES = [
  'errorHandler',
  'accessLog',
  'requestId',
  'securityHeaders',
  'compression',
  'session',
  'csrf',
  'router',
];

/** Where the stack's access log lines go: nowhere (the bench measures middleware, not a terminal). */
export function discardLine(/** @type {string} */ _line) {}

/**
 * `app` on `GET /` of a one-route router, behind the typical stack.
 * @param {import('@portico/spec').AsyncApp} app
 * @returns {import('@portico/spec').AsyncApp}
 */
export function typicalStack(app) {
  const routes = router();
  routes.get('/', app);
  return compose(
    errorHandler(),
    accessLog({ write: discardLine }),
    requestId(),
    securityHeaders(),
    compression(),
    session({ store: new MemoryStore() }),
    csrf(),
  )(routes);
}
