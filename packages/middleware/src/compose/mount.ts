/**
 * Mounting: routing the requests under a path prefix to an app, moving the prefix from `path` into
 * `rootPath` (spec/middleware.md section 7, MW-PATH-1, MW-PATH-2).
 *
 * @module
 */

import {
  type App,
  type AsyncApp,
  asyncApp,
  detectInterface,
  PorticoError,
  type Scope,
  type SyncApp,
  type SyncToAsyncOptions,
  syncToAsync,
} from '@portico/spec';
import { sendPlainText } from '../shared/plain-response.js';
import { assertApp } from './compose.js';

/**
 * Checks and normalizes a mount prefix: a decoded path that starts with `/`; trailing `/` removed;
 * `"/"` becomes `""` (mounted at the root: every request matches, nothing moves).
 *
 * @throws PorticoError `ERR_INVALID_OPTION` when `prefix` is not a string starting with `/`, or holds
 *   `?`, `#`, a control character, or an empty, `.` or `..` segment
 */
export function normalizePrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !prefix.startsWith('/')) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `mount prefix must be a string starting with "/": ${String(prefix)}`,
    );
  }
  const at = prefix.replace(/\/+$/, '');
  if (
    /[?#\x00-\x1f\x7f]/.test(at) ||
    at
      .split('/')
      .slice(1)
      .some((s) => s === '' || s === '.' || s === '..')
  ) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `mount prefix is not a clean decoded path: ${JSON.stringify(prefix)}`,
    );
  }
  return at;
}

/**
 * Whether the decoded `path` is under `at` at a segment boundary: `/api` matches `/api` and
 * `/api/x`, never `/apiary`. `at === ""` matches every path.
 */
export function matchesPrefix(path: string, at: string): boolean {
  return path === at || (path.startsWith(at) && path.charCodeAt(at.length) === 0x2f) || at === '';
}

/**
 * The app as an async app: a sync app goes through the sync-to-async bridge (`syncToAsync`), which
 * builds `SCRIPT_NAME` from `rootPath` and `PATH_INFO` from `path` (sync.md section 4.1), so a
 * mount moves the prefix from `PATH_INFO` to `SCRIPT_NAME` for it.
 *
 * @throws PorticoError `ERR_MIDDLEWARE_MISUSE` when `app` is not an app
 */
export function toAsyncApp(app: App, what: string, bridge: SyncToAsyncOptions = {}): AsyncApp {
  assertApp(app, what);
  return detectInterface(app) === 'async' ? (app as AsyncApp) : syncToAsync(app as SyncApp, bridge);
}

/** Answers a request no mount matched: `404 Not Found` (http) or a close before accept (websocket). */
export const notFound: AsyncApp = asyncApp(async function notFoundApp(scope, _receive, send) {
  if (scope.type === 'http') return sendPlainText(send, scope.method, 404, 'Not Found');
  if (scope.type === 'websocket') {
    await send({ type: 'websocket.close', code: 1000, reason: '' });
    return;
  }
  throw new Error(`unsupported scope type ${String((scope as { type?: unknown }).type)}`);
});

/** The copy of `scope` the app mounted at `at` gets: the prefix moved from `path` to `rootPath`. */
export function mountedScope<S extends Scope & { path: string; rootPath: string }>(scope: S, at: string): S {
  if (at === '') return scope;
  return { ...scope, rootPath: scope.rootPath + at, path: scope.path.slice(at.length) };
}

/** Options of {@link mount}. */
export interface MountOptions {
  /** Options of `syncToAsync` for a sync `app` or `fallback`. Default `{}`. */
  bridge?: SyncToAsyncOptions;
}

/**
 * Mounts `app` at `prefix`: an http or websocket request whose decoded `path` is `prefix` or starts
 * with `prefix + "/"` reaches `app` with a copy of the scope in which the prefix moved from `path` to
 * the end of `rootPath` (`rawPath` unchanged, so MW-PATH-1 and MW-PATH-2 hold); every other request
 * goes to `fallback` with the scope as given. A sync app (or fallback) is reached through
 * `syncToAsync`, where the prefix moves from `PATH_INFO` to `SCRIPT_NAME`. `lifespan` and scope types
 * interface 1.0 does not define go to `fallback` unchanged (MW-PASS-1), when there is one, else
 * are refused (`unsupported scope type`), as Starlette does.
 *
 * @param prefix - decoded path prefix, starting with `/` (`"/api"`; a trailing `/` is dropped)
 * @param app - the app to mount, of either interface
 * @param fallback - the app for everything else; default: `404 Not Found`
 * @returns an async app
 * @throws PorticoError `ERR_INVALID_OPTION` for a bad prefix; `ERR_MIDDLEWARE_MISUSE` when `app` or
 *   `fallback` is not an app
 */
export function mount(prefix: string, app: App, fallback?: App, options: MountOptions = {}): AsyncApp {
  const at = normalizePrefix(prefix);
  const inner = toAsyncApp(app, `the app mounted at ${JSON.stringify(prefix)}`, options.bridge);
  const other =
    fallback === undefined ? undefined : toAsyncApp(fallback, 'the fallback of mount()', options.bridge);
  return asyncApp(async function mountApp(scope, receive, send) {
    if ((scope.type === 'http' || scope.type === 'websocket') && matchesPrefix(scope.path, at)) {
      return inner(mountedScope(scope, at), receive, send);
    }
    if (other !== undefined) return other(scope, receive, send);
    return notFound(scope, receive, send);
  });
}
