/**
 * Options both session middlewares share: the cookie's attributes and the timeouts, checked once
 * when the factory is called, and the `Set-Cookie` values built from them (through
 * `serializeCookie`, the project's one serializer).
 *
 * @module
 */

import { type HeaderList, PorticoError } from '@portico/spec';
import { cookieHeader, parseCookies } from '../cookies/parse.js';
import { type CookieAttributes, checkCookie, MAX_AGE_LIMIT, serializeCookie } from '../cookies/serialize.js';

/** Options of the session cookie and of the session's lifetime, shared by both middlewares. */
export interface SessionCookieOptions {
  /**
   * The cookie name, an RFC 9110 token. `__Host-` names work (they force `secure`, need `path: '/'`
   * and no `domain`). Default `"portico.session"` (cookieSession) / `"portico.sid"` (session).
   */
  name?: string;
  /** `Path`. Default `"/"`. */
  path?: string;
  /** `Domain`. Default: none (a host-only cookie). */
  domain?: string;
  /** `SameSite`. Default `"lax"`; `"none"` needs `secure: true`. */
  sameSite?: 'strict' | 'lax' | 'none';
  /**
   * `Secure`: `true`, `false`, or `"auto"`: set when the request's `scope.scheme` is `https` (or
   * `wss`). Default `"auto"`; `__Host-` and `__Secure-` names always get `Secure`.
   */
  secure?: 'auto' | boolean;
  /** `HttpOnly`. Default `true`. */
  httpOnly?: boolean;
  /**
   * Whether the cookie gets a `Max-Age` (the time left until the session would expire, in seconds,
   * at most 400 days). `false`: a browser-session cookie. Default `true`.
   */
  persistent?: boolean;
  /** Idle timeout in ms: a session not seen for this long is dropped (server-enforced). Default 1 800 000 (30 min). */
  idleTimeout?: number;
  /** Absolute timeout in ms: a session older than this is dropped, however active. Default 43 200 000 (12 h). */
  absoluteTimeout?: number;
  /**
   * Rolling refresh, ms: an unchanged session is written again (its last-seen time and cookie
   * renewed) when it was last written this long ago or more. So idle expiry is exact to within
   * this interval. `Infinity` turns rolling refresh off. Default 60 000 (1 min).
   */
  touchAfter?: number;
  /** The clock, in ms since the epoch (inject one in tests). Default `Date.now`. */
  now?: () => number;
}

/** The checked options. @internal */
export interface ResolvedSessionOptions {
  readonly name: string;
  readonly path: string;
  readonly domain: string | undefined;
  readonly sameSite: 'strict' | 'lax' | 'none';
  readonly secure: 'auto' | boolean;
  readonly httpOnly: boolean;
  readonly persistent: boolean;
  readonly idleTimeout: number;
  readonly absoluteTimeout: number;
  readonly touchAfter: number;
  readonly now: () => number;
}

/** The default idle timeout: 30 minutes, in ms. */
export const DEFAULT_IDLE_TIMEOUT = 30 * 60 * 1000;
/** The default absolute timeout: 12 hours, in ms. */
export const DEFAULT_ABSOLUTE_TIMEOUT = 12 * 60 * 60 * 1000;
/** The default rolling-refresh interval: 1 minute, in ms. */
export const DEFAULT_TOUCH_AFTER = 60 * 1000;

function invalid(option: string, message: string, value: unknown): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', `option ${option} is invalid: ${message}`, { value });
}

function positive(option: string, value: unknown, fallback: number, infinite = false): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value <= 0 ||
    (!infinite && !Number.isFinite(value))
  )
    throw invalid(option, `expected a positive number of ms${infinite ? ' or Infinity' : ''}`, value);
  return value;
}

function bool(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(option, 'expected a boolean', value);
  return value;
}

const prefixed = (name: string): boolean => /^__(host|secure)-/i.test(name);

/**
 * Checks the shared options once.
 * @throws PorticoError `ERR_INVALID_OPTION` naming the option
 */
export function resolveSessionOptions(
  options: SessionCookieOptions,
  defaultName: string,
): ResolvedSessionOptions {
  if (typeof options !== 'object' || options === null)
    throw invalid('options', 'expected an object', options);
  const name = options.name ?? defaultName;
  const secure = options.secure ?? 'auto';
  if (secure !== 'auto' && typeof secure !== 'boolean')
    throw invalid('secure', 'expected "auto" or a boolean', secure);
  if (secure === false && prefixed(name)) throw invalid('secure', `a ${name} cookie needs Secure`, secure);
  const sameSite = options.sameSite ?? 'lax';
  if (sameSite === 'none' && secure !== true)
    throw invalid('sameSite', '"none" needs secure: true', sameSite);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw invalid('now', 'expected a function', now);
  const resolved: ResolvedSessionOptions = {
    name,
    path: options.path ?? '/',
    domain: options.domain,
    sameSite,
    secure,
    httpOnly: bool('httpOnly', options.httpOnly, true),
    persistent: bool('persistent', options.persistent, true),
    idleTimeout: positive('idleTimeout', options.idleTimeout, DEFAULT_IDLE_TIMEOUT),
    absoluteTimeout: positive('absoluteTimeout', options.absoluteTimeout, DEFAULT_ABSOLUTE_TIMEOUT),
    touchAfter: positive('touchAfter', options.touchAfter, DEFAULT_TOUCH_AFTER, true),
    now,
  };
  // Name, path, domain, sameSite and the prefix rules, by the serializer's own checks.
  const { secure: _secure, ...attributes } = cookieAttributes(resolved, 'https', 1);
  checkCookie(name, 'x', { ...attributes, secure: true } as CookieAttributes);
  return resolved;
}

/** The attributes of the session cookie for a request of `scheme`; `maxAge` in seconds or undefined. */
function cookieAttributes(
  o: ResolvedSessionOptions,
  scheme: string,
  maxAge: number | undefined,
): CookieAttributes {
  const secure = o.secure === 'auto' ? prefixed(o.name) || scheme === 'https' || scheme === 'wss' : o.secure;
  return {
    path: o.path,
    ...(o.domain === undefined ? {} : { domain: o.domain }),
    httpOnly: o.httpOnly,
    sameSite: o.sameSite,
    ...(maxAge === undefined ? {} : { maxAge }),
    secure,
  } as CookieAttributes;
}

/** Ms a session issued at `issuedAt` and seen at `seenAt` has left at `now` (<= 0: expired). */
export function timeLeft(o: ResolvedSessionOptions, issuedAt: number, seenAt: number, now: number): number {
  return Math.min(seenAt + o.idleTimeout, issuedAt + o.absoluteTimeout) - now;
}

/** The session cookie's value in the request `headers` (the first of that name), or `undefined`. */
export function sessionCookieOf(o: ResolvedSessionOptions, headers: HeaderList): string | undefined {
  return parseCookies(cookieHeader(headers))[o.name];
}

/** Whether a session last refreshed at `seenAt` (ms; `undefined`: new) is due a rolling refresh. */
export function refreshDue(o: ResolvedSessionOptions, seenAt: number | undefined, now: number): boolean {
  return seenAt !== undefined && now - seenAt >= o.touchAfter;
}

/** The `Set-Cookie` value carrying `value`, live for `leftMs` ms. */
export function setSessionCookie(
  o: ResolvedSessionOptions,
  scheme: string,
  value: string,
  leftMs: number,
): string {
  const maxAge = o.persistent ? Math.min(MAX_AGE_LIMIT, Math.max(1, Math.ceil(leftMs / 1000))) : undefined;
  return serializeCookie(o.name, value, cookieAttributes(o, scheme, maxAge));
}

/** The `Set-Cookie` value that clears the session cookie (`Max-Age=0`, `Expires` in 1970). */
export function clearSessionCookie(o: ResolvedSessionOptions, scheme: string): string {
  return serializeCookie(o.name, '', { ...cookieAttributes(o, scheme, 0), expires: new Date(0) });
}
