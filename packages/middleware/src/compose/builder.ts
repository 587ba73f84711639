/**
 * A builder in the spirit of Plack::Builder and Rack::Builder: `use`, `mount`, `run`, `build`.
 *
 * @module
 */

import { type App, type AsyncApp, asyncApp, PorticoError, type SyncToAsyncOptions } from '@portico/spec';
import { applyMiddleware, assertMiddleware, type Middleware, nameOf } from './compose.js';
import { matchesPrefix, mountedScope, normalizePrefix, notFound, toAsyncApp } from './mount.js';

/** Options of {@link builder}. */
export interface BuilderOptions {
  /** Options of `syncToAsync`, for the sync apps given to `mount` and `run`. Default `{}`. */
  bridge?: SyncToAsyncOptions;
}

/**
 * Collects middleware and apps, then builds one async app from them, once ({@link Builder.build}).
 *
 * The built app is `use[0](use[1](...(urlMap)))`: middleware outermost first, around a URL map that
 * sends each http/websocket request to the mounted app with the longest prefix that matches at a
 * segment boundary (the prefix moved from `path` to `rootPath`), else to the `run` app with the scope
 * unchanged, else answers `404 Not Found`. `lifespan` and unknown scope types go to the `run` app only
 * (the main app, as in Starlette); without one they are refused (`unsupported scope type`), which
 * a server takes as "no lifespan". Mounted apps that need startup work do it in the `run` app's
 * lifespan, or are built with their own resources.
 */
export class Builder {
  readonly #middleware: Middleware<AsyncApp>[] = [];
  readonly #mounts = new Map<string, App>();
  #run: App | undefined;
  readonly #bridge: SyncToAsyncOptions;

  constructor(options: BuilderOptions = {}) {
    this.#bridge = options.bridge ?? {};
  }

  /**
   * Adds a middleware, inside those added before it. `use(factory, options)` is
   * `use(factory(options))`, Plack's `enable 'Name', %options`.
   *
   * @throws PorticoError `ERR_MIDDLEWARE_MISUSE` when `middleware` is not a function, or when
   *   `factory(options)` does not return one
   */
  use<O>(
    middleware: Middleware<AsyncApp> | ((options: O) => Middleware<AsyncApp>),
    ...options: [O] | []
  ): this {
    assertMiddleware([middleware]);
    if (options.length === 0) {
      this.#middleware.push(middleware as Middleware<AsyncApp>);
      return this;
    }
    const made: unknown = (middleware as (options: O) => unknown)(options[0] as O);
    if (typeof made !== 'function') {
      throw new PorticoError(
        'ERR_MIDDLEWARE_MISUSE',
        `use(${nameOf(middleware)}, options): the factory returned ${made === null ? 'null' : typeof made}, not a middleware`,
        { value: made },
      );
    }
    this.#middleware.push(made as Middleware<AsyncApp>);
    return this;
  }

  /**
   * Mounts `app` (either interface; a sync app goes through `syncToAsync`) at `prefix`.
   *
   * @throws PorticoError `ERR_INVALID_OPTION` for a bad prefix or a prefix mounted twice;
   *   `ERR_MIDDLEWARE_MISUSE` when `app` is not an app
   */
  mount(prefix: string, app: App): this {
    const at = normalizePrefix(prefix);
    toAsyncApp(app, `the app mounted at ${JSON.stringify(prefix)}`, this.#bridge);
    if (this.#mounts.has(at))
      throw new PorticoError('ERR_INVALID_OPTION', `prefix ${JSON.stringify(prefix)} is mounted twice`);
    this.#mounts.set(at, app);
    return this;
  }

  /**
   * Sets the main app: it gets what no mount matched, with the scope unchanged, and the lifespan.
   *
   * @throws PorticoError `ERR_MIDDLEWARE_MISUSE` when `app` is not an app, or when `run` was called before
   */
  run(app: App): this {
    toAsyncApp(app, 'the app given to run()', this.#bridge);
    if (this.#run !== undefined) throw new PorticoError('ERR_MIDDLEWARE_MISUSE', 'run() was called twice');
    this.#run = app;
    return this;
  }

  /**
   * Builds the app. Each call builds a new stack from what was added so far.
   *
   * @throws PorticoError `ERR_MIDDLEWARE_MISUSE` when a middleware returns something that is not an app
   */
  build(): AsyncApp {
    const bridge = this.#bridge;
    const mounts = [...this.#mounts]
      .sort(([a], [b]) => b.length - a.length)
      .map(([at, app]) => [at, toAsyncApp(app, 'a mounted app', bridge)] as const);
    const main = this.#run === undefined ? undefined : toAsyncApp(this.#run, 'the run() app', bridge);
    let app: AsyncApp;
    if (mounts.length === 0 && main !== undefined) app = main;
    else {
      const fallback = main ?? notFound;
      app = asyncApp(async function urlMapApp(scope, receive, send) {
        if (scope.type === 'http' || scope.type === 'websocket') {
          const { path } = scope;
          for (const [at, mounted] of mounts) {
            if (matchesPrefix(path, at)) return mounted(mountedScope(scope, at), receive, send);
          }
        }
        return fallback(scope, receive, send);
      });
    }
    for (let i = this.#middleware.length - 1; i >= 0; i--) {
      app = applyMiddleware(this.#middleware[i] as Middleware<AsyncApp>, app);
    }
    return app;
  }
}

/**
 * A new {@link Builder}; with a function, calls it with the builder and returns the built app:
 *
 * ```ts
 * const app = builder((b) => b.use(accessLog()).mount('/api', api).run(site));
 * const same = builder().use(accessLog()).mount('/api', api).run(site).build();
 * ```
 *
 * @throws PorticoError as {@link Builder} does
 */
export function builder(options?: BuilderOptions): Builder;
export function builder(fn: (b: Builder) => unknown, options?: BuilderOptions): AsyncApp;
export function builder(
  fnOrOptions?: ((b: Builder) => unknown) | BuilderOptions,
  options?: BuilderOptions,
): Builder | AsyncApp {
  if (typeof fnOrOptions === 'function') {
    const b = new Builder(options);
    fnOrOptions(b);
    return b.build();
  }
  return new Builder(fnOrOptions);
}
