/**
 * `router()`: method + path routing over the decoded `path` of the scope, with named params,
 * catch-all wildcards, a trailing-slash policy, 404/405/HEAD/OPTIONS, mounts and `urlFor`.
 *
 * @module
 */

import {
  type App,
  type AsyncApp,
  asyncApp,
  type HTTPScope,
  PorticoError,
  type Receive,
  type Scope,
  type Send,
  type SendEvent,
  type WebSocketScope,
} from '@portico/spec';
import { mountedScope, normalizePrefix, toAsyncApp } from '../compose/mount.js';
import { sendPlainText } from '../shared/plain-response.js';
import { type Match, matchParams, parsePattern, RouteTree } from './tree.js';

/** The params of a pattern, as a type: `RouteParams<'/u/:id/*rest'>` is `{ id: string; rest: string }`. */
export type RouteParams<P extends string> = P extends `${string}:${infer N}/${infer Rest}`
  ? { [K in N]: string } & RouteParams<`/${Rest}`>
  : P extends `${string}:${infer N}`
    ? { [K in N]: string }
    : P extends `${string}*${infer N}`
      ? { [K in N]: string }
      : Record<never, string>;

/** Options of {@link router}. */
export interface RouterOptions {
  /**
   * What a request whose path differs from a route only by a trailing `/` gets. Default `'strict'`.
   * - `'strict'`: `/a` and `/a/` are different routes; the other one is a 404.
   * - `'redirect'`: a 308 to the other form (query kept, `rawPath` re-used so the encoding is kept).
   * - `'ignore'`: `/a/` and `/a` are the same route (patterns and paths lose a trailing `/`).
   */
  trailingSlash?: 'strict' | 'redirect' | 'ignore';
}

/** Options of one route. */
export interface RouteOptions {
  /** A name for {@link Router.urlFor}; unique within the router. */
  name?: string;
}

/** The per-request record a router leaves in `scope.state.router` (and `environ['portico.state'].router`). */
export interface RouteState {
  /** The params of the matched route, decoded; params of an outer router are kept unless shadowed. */
  readonly params: Readonly<Record<string, string>>;
  /** The pattern that matched. */
  readonly pattern: string;
  /** The route's name, if it has one. */
  readonly name: string | undefined;
}

interface Entry {
  readonly methods: Map<string, AsyncApp>;
  mount: AsyncApp | null;
  allow: string;
}

/** A router: an async app with methods to add routes. Built once; add routes before serving. */
export interface Router extends AsyncApp {
  /** Adds a route for `method` (uppercase token, or `'*'` for any). Returns the router. */
  route(method: string, pattern: string, handler: App, options?: RouteOptions): Router;
  get(pattern: string, handler: App, options?: RouteOptions): Router;
  post(pattern: string, handler: App, options?: RouteOptions): Router;
  put(pattern: string, handler: App, options?: RouteOptions): Router;
  delete(pattern: string, handler: App, options?: RouteOptions): Router;
  patch(pattern: string, handler: App, options?: RouteOptions): Router;
  /** Mounts `app` (either interface, a router too) under `prefix`, moving it into `rootPath`. */
  mount(prefix: string, app: App): Router;
  /**
   * Builds the URL path of a named route: `rootPath` (from `scope`, or `options.rootPath`, default
   * `""`) + the pattern with its params percent-encoded (`encodeURIComponent`; a wildcard keeps `/`).
   *
   * @throws PorticoError `ERR_INVALID_OPTION` for an unknown name or a missing param
   */
  urlFor(
    name: string,
    params?: Record<string, string | number>,
    scope?: { readonly rootPath: string },
  ): string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The params the router that handled this request matched, from `scope.state.router.params` (sync
 * apps: `environ['portico.state'].router.params`); `{}` outside a router.
 */
export function routeParams<P extends string = string>(scope: {
  readonly state: Record<string, unknown>;
}): RouteParams<P> & Record<string, string> {
  const r = scope.state.router as RouteState | undefined;
  return (r?.params ?? {}) as RouteParams<P> & Record<string, string>;
}

/** A send that keeps the head of a response and drops its body bytes (HEAD served by a GET route). */
function headSend(send: Send): Send {
  return function headOnlySend(event: SendEvent) {
    if (event.type === 'http.response.body' && event.body !== undefined && event.body.length > 0)
      return send({ ...event, body: new Uint8Array(0) });
    return send(event);
  };
}

/**
 * Creates a router (an async app). Handlers are apps of either interface (sync ones through
 * `syncToAsync`, once, when the route is added) and are called with the router's scope as is, the
 * params being in `scope.state.router` ({@link RouteState}, spec/middleware.md section 4: `state` is
 * the one per-request home; the scope itself is not changed). Unmatched path: 404; path without the
 * method: 405 with `Allow`; HEAD: the GET route, body dropped; OPTIONS without a route: 204 with
 * `Allow`. `lifespan` is answered (complete); a `websocket` scope goes to a `'WEBSOCKET'` route.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` for a bad option, pattern, method, duplicate route or name
 */
export function router(options: RouterOptions = {}): Router {
  const policy = options.trailingSlash ?? 'strict';
  if (policy !== 'strict' && policy !== 'redirect' && policy !== 'ignore') {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `router: trailingSlash is strict, redirect or ignore, got ${String(policy)}`,
    );
  }
  const tree = new RouteTree<Entry>();
  const names = new Map<string, string>();
  const norm =
    policy === 'ignore'
      ? (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p === '' ? '/' : p)
      : (p: string) => p;
  const newEntry = (): Entry => ({ methods: new Map(), mount: null, allow: '' });

  const find = (path: string): Match<Entry> | null => tree.lookup(norm(path));

  function dispatch(scope: HTTPScope, receive: Receive, send: Send, match: Match<Entry>): Promise<void> {
    const entry = match.leaf.value;
    if (entry.mount !== null) return entry.mount(mounted(scope, match), receive, send);
    const method = scope.method;
    let handler = entry.methods.get(method) ?? entry.methods.get('*');
    let out = send;
    if (handler === undefined && method === 'HEAD') {
      handler = entry.methods.get('GET');
      out = headSend(send);
    }
    if (handler === undefined) {
      if (method === 'OPTIONS') return sendPlainText(send, method, 204, '', [['allow', entry.allow]]);
      return sendPlainText(send, method, 405, 'Method Not Allowed', [['allow', entry.allow]]);
    }
    record(scope, match, match.values.length);
    return handler(scope, receive, out);
  }

  /** Writes the params of `match` (the first `count` values) into `scope.state.router`. */
  function record(scope: HTTPScope | WebSocketScope, match: Match<Entry>, count: number): void {
    const outer = scope.state.router as RouteState | undefined;
    const params = matchParams(match, count, outer?.params);
    const { leaf } = match;
    scope.state.router = {
      params,
      pattern: leaf.pattern,
      name: names.get(leaf.pattern),
    } satisfies RouteState;
  }

  /**
   * The scope a mounted app gets: the matched prefix (params included) moved from `path` to
   * `rootPath` (spec/middleware.md section 7, MW-PATH-1); the prefix's params recorded in state.
   */
  function mounted<S extends HTTPScope | WebSocketScope>(scope: S, match: Match<Entry>): S {
    const { leaf, values } = match;
    const path = scope.path;
    let atLen: number;
    if (leaf.pattern.endsWith('*__mount')) {
      atLen = path.length - (values[values.length - 1] as string).length - 1;
      record(scope, match, values.length - 1);
    } else {
      atLen = policy === 'ignore' && path.length > 1 && path.endsWith('/') ? path.length - 1 : path.length;
      record(scope, match, values.length);
    }
    return mountedScope(scope, path.slice(0, atLen));
  }

  /** The fast path (a matched HTTP request) without an extra async frame; the rest in `routerSlowPath`. */
  const app = asyncApp<AsyncApp>(function routerApp(
    scope: Scope,
    receive: Receive,
    send: Send,
  ): Promise<void> {
    if (scope.type === 'http') {
      const match = find(scope.path);
      if (match !== null) {
        try {
          return dispatch(scope, receive, send, match);
        } catch (err) {
          return Promise.reject(err);
        }
      }
    }
    return routerSlowPath(scope, receive, send);
  }) as Router;

  async function routerSlowPath(scope: Scope, receive: Receive, send: Send): Promise<void> {
    if (scope.type === 'lifespan') {
      for (;;) {
        const event = await receive();
        if (event.type === 'lifespan.startup') await send({ type: 'lifespan.startup.complete' });
        else if (event.type === 'lifespan.shutdown') return send({ type: 'lifespan.shutdown.complete' });
      }
    }
    if (scope.type === 'websocket') {
      const m = find(scope.path);
      const h = m?.leaf.value.mount ?? m?.leaf.value.methods.get('WEBSOCKET');
      if (m !== null && h !== undefined && h !== null) {
        if (m.leaf.value.mount !== null) return h(mounted(scope, m), receive, send);
        record(scope, m, m.values.length);
        return h(scope, receive, send);
      }
      await receive();
      return send({ type: 'websocket.close', code: 1000 });
    }
    if (scope.type !== 'http')
      throw new PorticoError(
        'ERR_SPEC_VIOLATION',
        `router: unsupported scope type ${String((scope as { type: unknown }).type)}`,
      );
    const path = scope.path === '' && policy === 'ignore' ? '/' : scope.path;
    const match = find(path);
    if (match !== null) return dispatch(scope, receive, send, match);
    if (policy === 'redirect') {
      const alt = path === '' ? '/' : path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
      if (alt !== '' && find(alt) !== null) {
        const raw = scope.rawPath;
        const location =
          (path.endsWith('/') ? raw.slice(0, -1) : `${raw}/`) +
          (scope.queryString === '' ? '' : `?${scope.queryString}`);
        return sendPlainText(send, scope.method, 308, '', [['location', location]]);
      }
    }
    return sendPlainText(send, scope.method, 404, 'Not Found');
  }

  function add(method: string, pattern: string, handler: App, opts: RouteOptions = {}): Router {
    if (method !== '*' && !TOKEN.test(method))
      throw new PorticoError('ERR_INVALID_OPTION', `router: bad method ${JSON.stringify(method)}`);
    const h = toAsyncApp(handler, `the handler of ${method} ${pattern}`);
    const p = norm(pattern);
    const leaf = tree.upsert(p, newEntry);
    const entry = leaf.value;
    if (entry.methods.has(method) || entry.mount !== null) {
      throw new PorticoError('ERR_INVALID_OPTION', `router: ${method} ${pattern} is already routed`);
    }
    entry.methods.set(method, h);
    const allow = new Set(entry.methods.keys());
    allow.delete('*');
    allow.delete('WEBSOCKET');
    if (allow.has('GET')) allow.add('HEAD');
    allow.add('OPTIONS');
    entry.allow = [...allow].join(', ');
    if (opts.name !== undefined) {
      const known = [...names.entries()].find(([, n]) => n === opts.name);
      if (known !== undefined && known[0] !== leaf.pattern)
        throw new PorticoError('ERR_INVALID_OPTION', `router: route name ${opts.name} is taken`);
      names.set(leaf.pattern, opts.name);
    }
    return app;
  }

  app.route = add;
  app.get = (p, h, o) => add('GET', p, h, o);
  app.post = (p, h, o) => add('POST', p, h, o);
  app.put = (p, h, o) => add('PUT', p, h, o);
  app.delete = (p, h, o) => add('DELETE', p, h, o);
  app.patch = (p, h, o) => add('PATCH', p, h, o);
  app.mount = (prefix, sub) => {
    const at = normalizePrefix(prefix);
    const target = toAsyncApp(sub, `the app mounted at ${JSON.stringify(prefix)}`);
    for (const p of at === '' ? ['/*__mount'] : [at, `${at}/*__mount`]) {
      const leaf = tree.upsert(p, newEntry);
      if (leaf.value.methods.size > 0 || leaf.value.mount !== null)
        throw new PorticoError('ERR_INVALID_OPTION', `router: ${prefix} is already routed`);
      leaf.value.mount = target;
    }
    return app;
  };
  app.urlFor = (name, params = {}, scope) => {
    const pattern = [...names.entries()].find(([, n]) => n === name)?.[0];
    if (pattern === undefined)
      throw new PorticoError('ERR_INVALID_OPTION', `router: no route named ${JSON.stringify(name)}`);
    const parts = parsePattern(pattern).map((seg) => {
      if (seg.kind === 'static') return encodeURIComponent(seg.text);
      const v = params[seg.name];
      if (v === undefined)
        throw new PorticoError('ERR_INVALID_OPTION', `router: urlFor(${name}) needs param ${seg.name}`);
      const s = String(v);
      return seg.kind === 'param' ? encodeURIComponent(s) : s.split('/').map(encodeURIComponent).join('/');
    });
    const root = (scope?.rootPath ?? '').split('/').map(encodeURIComponent).join('/');
    return `${root}/${parts.join('/')}`;
  };
  return app;
}
