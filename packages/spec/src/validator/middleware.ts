/**
 * Middleware-rule checks (spec/middleware.md) for both interfaces. The guards sit right around the
 * app the validator wraps (`checkAsyncApp(guardAsyncMiddleware(app))`), so they see the scope or
 * environ exactly as the app gets it and can tell whether the app changed it.
 *
 * The rules between a middleware and the app it calls (MW-PATH-*, MW-BODY-*) need a guard on both
 * sides of the middleware: stack the validator, `validateAsync(middleware(validateAsync(app)))`. The
 * layers of one request are recognised by the `state` object they share; a middleware that replaces
 * `state` hides its inner layers from these checks.
 *
 * @module
 */
export { guardAsyncMiddleware } from './middleware-async.js';
export { guardSyncMiddleware } from './middleware-sync.js';
