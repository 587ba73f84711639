/**
 * The `cookies()` middleware: parsed request cookies and a response helper in `scope.state.cookies`
 * (for sync apps, `environ['portico.state'].cookies`).
 *
 * @module
 */

import {
  type App,
  type AsyncApp,
  asyncApp,
  detectInterface,
  type Header,
  PorticoError,
  type Send,
  type SyncApp,
  syncToAsync,
} from '@portico/spec';
import { type CookieMap, cookieHeader, parseCookies } from './parse.js';
import {
  type AttributesArgument,
  type CookieAttributes,
  checkCookie,
  type HostCookieAttributes,
  serializeCookie,
} from './serialize.js';
import { type CookieKey, type CookieSigner, createCookieSigner } from './signed.js';

/** The key of `scope.state` (and `environ['portico.state']`) that holds the {@link RequestCookies}. */
export const COOKIES_STATE_KEY = 'cookies';

/** What the `cookies()` middleware puts in `state.cookies` for each HTTP request. */
export interface RequestCookies {
  /** Every request cookie, name to value as sent: a null-prototype map, first duplicate wins. */
  readonly all: CookieMap;
  /** The value of a request cookie, or `undefined`. */
  get(name: string): string | undefined;
  /**
   * The value of a signed request cookie if its signature verifies with one of the keys, else
   * `undefined` (tampered, truncated, unsigned, unknown key).
   * @throws PorticoError `ERR_INVALID_OPTION` when the middleware was built without `keys`
   */
  getSigned(name: string): string | undefined;
  /**
   * Adds a `Set-Cookie` to the response (checked now, by {@link serializeCookie}'s rules).
   * @throws PorticoError `ERR_INVALID_OPTION` as {@link serializeCookie};
   *   `ERR_MIDDLEWARE_MISUSE` once the response has started
   */
  set<N extends string>(name: N, value: string, ...attributes: AttributesArgument<N>): void;
  /** {@link RequestCookies.set} with the value signed by the first key. */
  setSigned<N extends string>(name: N, value: string, ...attributes: AttributesArgument<N>): void;
  /**
   * Asks the client to drop a cookie: `name=` with `Max-Age=0` and `Expires` in 1970; pass the same
   * `path`/`domain` (and prefix attributes) the cookie was set with.
   */
  delete<N extends string>(name: N, ...attributes: AttributesArgument<N>): void;
  /** The `Set-Cookie` values added so far, in order. */
  readonly pending: readonly string[];
}

/** Options of {@link cookies}. */
export interface CookiesOptions {
  /** Keys for signed cookies, newest first, each >= 32 bytes. Default: none (`getSigned`/`setSigned` throw). */
  keys?: readonly CookieKey[];
}

type AnyAttributes = CookieAttributes | HostCookieAttributes;

function createRequestCookies(
  header: string | undefined,
  signer: CookieSigner | undefined,
): {
  jar: RequestCookies;
  take: () => string[];
} {
  const all = parseCookies(header);
  const pending: string[] = [];
  let started = false;
  const needSigner = (): CookieSigner => {
    if (signer === undefined)
      throw new PorticoError('ERR_INVALID_OPTION', 'signed cookies need option keys of cookies()');
    return signer;
  };
  const add = (name: string, value: string, attributes: AnyAttributes | undefined): void => {
    if (started) {
      throw new PorticoError('ERR_MIDDLEWARE_MISUSE', `cookie ${name} set after http.response.start`);
    }
    checkCookie(name, value, attributes);
    pending.push(
      (serializeCookie as (n: string, v: string, a?: AnyAttributes) => string)(name, value, attributes),
    );
  };
  const jar: RequestCookies = {
    all,
    pending,
    get: (name) => all[name],
    getSigned: (name) => needSigner().verify(name, all[name]),
    set: (name, value, ...rest) => add(name, value, rest[0]),
    setSigned: (name, value, ...rest) => add(name, needSigner().sign(name, value), rest[0]),
    delete: (name, ...rest) =>
      add(name, '', { ...rest[0], maxAge: 0, expires: new Date(0) } as AnyAttributes),
  };
  return {
    jar,
    take: () => {
      started = true;
      return pending;
    },
  };
}

/**
 * Exposes the request's cookies to the app and lets it add `Set-Cookie` headers.
 *
 * For each `http` scope it parses the `cookie` headers ({@link parseCookies}) and writes a
 * {@link RequestCookies} into `scope.state.cookies`, the one per-request home of spec/middleware.md
 * section 4 (the scope itself is not changed, MW-SCOPE-1). A sync app reached through the bridge
 * reads the same object as `environ['portico.state'].cookies` (sync.md section 4.2). When the app
 * sends `http.response.start`, the middleware sends a copy of it with one `set-cookie` header per
 * cookie the app set; other events and other scope types pass through untouched (MW-PASS-1..3).
 * The body is never held (MW-BODY-3).
 *
 * The app given may speak either interface: a sync app is wrapped with `syncToAsync` first, so the
 * result is always an async app.
 *
 * @param options - see {@link CookiesOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` for bad `keys` (when called, not per request)
 */
export function cookies(options: CookiesOptions = {}): (app: App) => AsyncApp {
  const signer = options.keys === undefined ? undefined : createCookieSigner(options.keys);
  return (app) => {
    const inner: AsyncApp = detectInterface(app) === 'sync' ? syncToAsync(app as SyncApp) : (app as AsyncApp);
    return asyncApp(async function cookiesApp(scope, receive, send) {
      if (scope.type !== 'http') return inner(scope, receive, send);
      const { jar, take } = createRequestCookies(cookieHeader(scope.headers), signer);
      scope.state[COOKIES_STATE_KEY] = jar;
      const cookiesSend: Send = (event) => {
        if (event.type !== 'http.response.start') return send(event);
        const added = take();
        if (added.length === 0) return send(event);
        const headers: Header[] = [...(event.headers ?? []), ...added.map((v): Header => ['set-cookie', v])];
        return send({ ...event, headers });
      };
      return inner(scope, receive, cookiesSend);
    });
  };
}
