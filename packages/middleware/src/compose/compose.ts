/**
 * `compose`: stacking middleware around an app, once, when the app is built (spec/middleware.md
 * sections 2 and 3).
 *
 * @module
 */

import { type App, detectInterface, PorticoError } from '@portico/spec';

/**
 * A middleware: takes an app and returns an app (spec/middleware.md section 2). The same type serves
 * both interfaces; a middleware written for one interface only is a `Middleware<AsyncApp>` or a
 * `Middleware<SyncApp>`.
 */
export type Middleware<A extends App = App> = (app: A) => A;

/** A readable name for a middleware or app in error messages. */
export function nameOf(fn: unknown): string {
  return typeof fn === 'function' && fn.name !== '' ? fn.name : '(anonymous)';
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/**
 * Checks that `app` is an app (a function whose interface `detectInterface` can tell).
 *
 * @param app - the value to check
 * @param what - how to name it in the message (`"the app given to compose()"`)
 * @throws PorticoError `ERR_MIDDLEWARE_MISUSE` when it is not
 */
export function assertApp(app: unknown, what: string): asserts app is App {
  if (typeof app !== 'function') {
    throw new PorticoError(
      'ERR_MIDDLEWARE_MISUSE',
      `${what} is not an app: expected a function, got ${describe(app)}`,
      {
        value: app,
      },
    );
  }
  try {
    detectInterface(app);
  } catch (err) {
    throw new PorticoError(
      'ERR_MIDDLEWARE_MISUSE',
      `${what} is not an app: ${nameOf(app)} declares ${app.length} parameter(s); an app takes ` +
        '(environ, startResponse) or (scope, receive, send), or is marked with syncApp()/asyncApp()',
      { cause: err, value: app },
    );
  }
}

/**
 * Checks the arguments of `compose`/`use`: each must be a function.
 *
 * @throws PorticoError `ERR_MIDDLEWARE_MISUSE` naming the position of the first that is not
 */
export function assertMiddleware(middleware: readonly unknown[]): void {
  middleware.forEach((m, i) => {
    if (typeof m !== 'function') {
      throw new PorticoError(
        'ERR_MIDDLEWARE_MISUSE',
        `middleware #${i + 1} is not a function: got ${describe(m)}`,
        { value: m },
      );
    }
  });
}

/**
 * Applies one middleware to `app` and checks that the result is an app.
 *
 * @throws PorticoError `ERR_MIDDLEWARE_MISUSE` naming the middleware when it returned something that
 *   is not an app; the message points at the usual cause, a factory passed without being called
 */
export function applyMiddleware<A extends App>(middleware: Middleware<A>, app: A): A {
  const result: unknown = middleware(app);
  const name = nameOf(middleware);
  if (typeof result === 'function' && result.length === 1 && detectable(result) === false) {
    throw new PorticoError(
      'ERR_MIDDLEWARE_MISUSE',
      `middleware ${name} returned a function of one parameter, not an app: ` +
        `was ${name} a factory that was not called (use(${name}()) rather than use(${name}))?`,
      { value: result },
    );
  }
  assertApp(result, `the result of middleware ${name}`);
  return result as A;
}

function detectable(fn: unknown): boolean {
  try {
    detectInterface(fn);
    return true;
  } catch {
    return false;
  }
}

/**
 * Composes middleware, outermost first: `compose(a, b, c)(app)` is `a(b(c(app)))`, so `a` sees the
 * request first and the response last (spec/middleware.md section 3). The stack is built once, when
 * the returned function is called, never per request. Each middleware is `(app) => app`, for either
 * interface; `compose` does not bridge between interfaces.
 *
 * @param middleware - the middleware, outermost first; none gives the app back unchanged
 * @returns a function that wraps an app in the stack and returns the outermost app
 * @throws PorticoError `ERR_MIDDLEWARE_MISUSE` (at once) when an argument is not a function; (when the
 *   returned function is called) when `app` is not an app, or when a middleware returns something
 *   that is not an app, e.g. `compose(cors)` for a factory `cors(options)` that should have been
 *   called: `compose(cors())`
 */
export function compose<A extends App = App>(...middleware: Middleware<A>[]): (app: A) => A {
  assertMiddleware(middleware);
  const layers = [...middleware];
  return function composed(app: A): A {
    assertApp(app, 'the app given to compose()');
    let inner = app;
    for (let i = layers.length - 1; i >= 0; i--) inner = applyMiddleware(layers[i] as Middleware<A>, inner);
    return inner;
  };
}
