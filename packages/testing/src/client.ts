/**
 * The test client: calls an app of either interface in process, with no socket, building every
 * scope as a server on the wire would.
 *
 * @module
 */

import type { App, InterfaceName, State } from '@portico/spec';
import { PorticoError } from '@portico/spec';
import { type PreparedApp, prepareApp } from './app.js';
import { HTTPExchange } from './exchange.js';
import { Lifespan } from './lifespan.js';
import { type ClientOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { TestResponse } from './response.js';
import { buildHTTPScope, buildWebSocketScope, type RequestInit, type WebSocketInit } from './scope.js';
import { StreamingResponse } from './streaming.js';
import { concat } from './util.js';
import { TestWebSocket, WebSocketSession } from './websocket.js';

/**
 * An in-process client for one app. Make it with {@link createClient}. Requests may run
 * concurrently; each gets its own scope and its own `receive` / `send`.
 */
export class TestClient {
  readonly #opts: ResolvedOptions;
  readonly #app: PreparedApp;
  readonly #lifespan: Lifespan;

  /** @internal Use {@link createClient}. */
  constructor(app: App, options: ClientOptions = {}) {
    this.#opts = resolveOptions(options);
    this.#app = prepareApp(app, this.#opts);
    this.#lifespan = new Lifespan(this.#app);
  }

  /** The interface the app under test speaks (as detected, or as given in `options.interface`). */
  get interface(): InterfaceName {
    return this.#app.interface;
  }

  /**
   * The lifespan state (the lifespan scope's `state`, filled by the app at startup). Each request's
   * `scope.state` is a fresh shallow copy of it (spec/async.md "Lifespan state").
   */
  get state(): State {
    return this.#lifespan.state;
  }

  /**
   * Runs the app's lifespan startup: calls it with a `lifespan` scope, sends `lifespan.startup`,
   * waits for `lifespan.startup.complete`. Resolves at once for a sync app (no lifespan).
   *
   * @throws PorticoError `ERR_LIFESPAN` (with the app's message) when the app sends
   *   `lifespan.startup.failed`, throws, or returns first; `ERR_SPEC_VIOLATION` from the validator
   */
  startup(): Promise<void> {
    return this.#lifespan.startup();
  }

  /**
   * Runs the app's lifespan shutdown: sends `lifespan.shutdown`, waits for
   * `lifespan.shutdown.complete`. Does nothing when startup was not run or failed.
   *
   * @throws PorticoError `ERR_LIFESPAN` when the app sends `lifespan.shutdown.failed`, throws or
   *   returns first; `ERR_SPEC_VIOLATION` from the validator
   */
  shutdown(): Promise<void> {
    return this.#lifespan.shutdown();
  }

  #start(method: string, path: string, init: RequestInit, streaming: boolean): HTTPExchange {
    const { scope, body } = buildHTTPScope(this.#opts, method, path, init, this.#lifespan.state);
    const exchange = new HTTPExchange(scope, body, { streaming, raiseAppErrors: this.#opts.raiseAppErrors });
    const signal = init.signal;
    if (signal !== undefined) {
      // A request aborted before it was sent never reaches the app.
      if (signal.aborted) throw signal.reason;
      const onAbort = () => exchange.disconnect(signal.reason, !streaming || exchange.status === 0);
      signal.addEventListener('abort', onAbort, { once: true });
      exchange.settled.promise.then(() => signal.removeEventListener('abort', onAbort));
    }
    this.#app.run(exchange.violations, () => exchange.run(this.#app.app));
    return exchange;
  }

  /**
   * Sends a request and waits for the app to settle. `path` may carry a raw query (`/a?x=1`) or be
   * an absolute `http(s)://host/...` URL (which sets the scheme and Host).
   *
   * @param method - the request method (a token; uppercased, as node:http only accepts uppercase)
   * @param path - the request target
   * @param init - headers, query, body or json, signal, httpVersion
   * @returns the whole response
   * @throws PorticoError `ERR_SPEC_VIOLATION` when the validator found a violation (always, even if
   *   the app caught it); the app's error when it throws and `raiseAppErrors` (default); the
   *   signal's reason when aborted; `ERR_INVALID_OPTION` / `ERR_BAD_HEADER` for a request a real
   *   client could not send
   */
  async request(method: string, path: string, init: RequestInit = {}): Promise<TestResponse> {
    const exchange = this.#start(method, path, init, false);
    await exchange.settled.promise;
    const failure = exchange.failure();
    if (failure !== undefined) throw failure;
    return new TestResponse(
      exchange.status,
      exchange.headers,
      concat(exchange.collected()),
      exchange.trailers,
      exchange.earlyHints,
    );
  }

  /**
   * Sends a request and resolves at `http.response.start` with a {@link StreamingResponse}: the head,
   * then the body chunk by chunk as the app sends it, and `disconnect()`.
   *
   * @throws as {@link TestClient.request} for what happens before the response starts
   */
  async stream(method: string, path: string, init: RequestInit = {}): Promise<StreamingResponse> {
    const exchange = this.#start(method, path, init, true);
    await exchange.started.promise;
    return new StreamingResponse(exchange);
  }

  /** `GET path`. */
  get(path: string, init?: RequestInit): Promise<TestResponse> {
    return this.request('GET', path, init);
  }

  /** `HEAD path` (the body of the response is dropped, as on the wire). */
  head(path: string, init?: RequestInit): Promise<TestResponse> {
    return this.request('HEAD', path, init);
  }

  /** `OPTIONS path` (`*` allowed). */
  options(path: string, init?: RequestInit): Promise<TestResponse> {
    return this.request('OPTIONS', path, init);
  }

  /** `DELETE path`. */
  delete(path: string, init?: RequestInit): Promise<TestResponse> {
    return this.request('DELETE', path, init);
  }

  /** `POST path`. */
  post(path: string, init?: RequestInit): Promise<TestResponse> {
    return this.request('POST', path, init);
  }

  /** `PUT path`. */
  put(path: string, init?: RequestInit): Promise<TestResponse> {
    return this.request('PUT', path, init);
  }

  /** `PATCH path`. */
  patch(path: string, init?: RequestInit): Promise<TestResponse> {
    return this.request('PATCH', path, init);
  }

  /**
   * Opens a websocket: calls the app with a `websocket` scope and resolves once it accepts.
   *
   * @throws PorticoError `ERR_WEBSOCKET_CLOSED` (its `value` the close code and reason) when the app
   *   closes before accepting (a server answers 403) or returns without accepting; the app's error
   *   or a violation when the session fails with one first
   */
  async websocket(path: string, init: WebSocketInit = {}): Promise<TestWebSocket> {
    const scope = buildWebSocketScope(this.#opts, path, init, this.#lifespan.state);
    const session = new WebSocketSession(scope, this.#opts.raiseAppErrors);
    this.#app.run(session.violations, () => session.run(this.#app.app));
    await session.accepted.promise;
    return new TestWebSocket(session);
  }
}

/**
 * Makes a test client for `app`, an app of either interface (told apart by `detectInterface`;
 * `options.interface` overrides). By default the app runs under the validator.
 *
 * @example
 * ```ts
 * const client = createClient(app);
 * const res = await client.get('/hello?name=world');
 * expect(res.status).toBe(200);
 * expect(res.text()).toBe('Hello, world');
 * ```
 * @throws PorticoError `ERR_INVALID_OPTION` for a bad option; `ERR_APP_LOAD` when `app` is not an app
 */
export function createClient(app: App, options: ClientOptions = {}): TestClient {
  return new TestClient(app, options);
}

/** Options of {@link withClient}: the client's, plus whether to run the lifespan. */
export interface WithClientOptions extends ClientOptions {
  /** Run lifespan startup before `fn` and shutdown after it. Default `true`. */
  lifespan?: boolean;
}

/**
 * Runs `fn` with a client whose app has been started: `startup()`, then `fn(client)`, then
 * `shutdown()` (also when `fn` throws; `fn`'s error then wins over a shutdown error).
 *
 * @returns what `fn` returns
 * @throws what `startup()`, `fn` or `shutdown()` throw
 */
export async function withClient<T>(
  app: App,
  options: WithClientOptions,
  fn: (client: TestClient) => T | Promise<T>,
): Promise<T>;
export async function withClient<T>(app: App, fn: (client: TestClient) => T | Promise<T>): Promise<T>;
export async function withClient<T>(
  app: App,
  optionsOrFn: WithClientOptions | ((client: TestClient) => T | Promise<T>),
  maybeFn?: (client: TestClient) => T | Promise<T>,
): Promise<T> {
  const options = typeof optionsOrFn === 'function' ? {} : optionsOrFn;
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
  if (typeof fn !== 'function')
    throw new PorticoError('ERR_INVALID_OPTION', 'withClient needs a function to run');
  const { lifespan = true, ...clientOptions } = options;
  const client = createClient(app, clientOptions);
  if (!lifespan) return fn(client);
  await client.startup();
  let result: T;
  try {
    result = await fn(client);
  } catch (err) {
    await client.shutdown().catch(() => {});
    throw err;
  }
  await client.shutdown();
  return result;
}
