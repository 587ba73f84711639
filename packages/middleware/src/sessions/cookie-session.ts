/**
 * `cookieSession()`: the whole session in one encrypted, authenticated cookie.
 *
 * @module
 */

import { type App, type AsyncApp, asyncApp, PorticoError } from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';
import type { CookieKey } from '../cookies/signed.js';
import { createSessionCodec, decodePayload, encodePayload } from './cookie-codec.js';
import { runSession } from './lifecycle.js';
import {
  clearSessionCookie,
  refreshDue,
  resolveSessionOptions,
  type SessionCookieOptions,
  sessionCookieOf,
  setSessionCookie,
  timeLeft,
} from './options.js';

/** The most bytes of `name=value` a user agent keeps for one cookie (RFC 6265 section 6.1). */
export const COOKIE_SIZE_LIMIT = 4096;

/** Options of {@link cookieSession}. */
export interface CookieSessionOptions extends SessionCookieOptions {
  /**
   * Encryption keys, newest first, each a string (its UTF-8 bytes) or bytes of at least 32 bytes:
   * the first encrypts, every one decrypts (rotation). Required.
   */
  keys: readonly CookieKey[];
}

/**
 * Keeps the session in the cookie `portico.session` (option `name`), encrypted and authenticated
 * with AES-256-GCM (node:crypto; fresh 12-byte IV per write; HKDF-derived keys; the cookie name as
 * additional data). The payload holds the data, its issue time and its last-seen time, and the
 * server drops a session idle for `idleTimeout` ms or older than `absoluteTimeout` ms whatever the
 * cookie's `Max-Age` says. A tampered, truncated, unknown-key or expired cookie reads as an empty
 * new session.
 *
 * The cookie is written (through `serializeCookie`) only when the session changed, was regenerated,
 * or is due a rolling refresh (`touchAfter`); a destroyed or emptied session's cookie is cleared.
 * The session is in `scope.state.session` ({@link sessionOf}); for a sync app in
 * `environ['portico.state'].session`.
 *
 * A cookie session cannot be revoked on the server: a copy of an old cookie stays valid until it
 * expires. Use {@link session} with a store when logout must end the session everywhere.
 *
 * @param options - see {@link CookieSessionOptions}; `keys` is required
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` for bad options (when called). Per request, the
 *   middleware answers 500 and throws `ERR_SESSION_TOO_LARGE` when the `Set-Cookie` `name=value`
 *   would pass 4096 bytes (see the module `lifecycle` for how it fails closed)
 */
export function cookieSession(options: CookieSessionOptions): (app: App) => AsyncApp {
  const o = resolveSessionOptions(options, 'portico.session');
  const codec = createSessionCodec(options.keys, o.name);
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to cookieSession()');
    return asyncApp(async function cookieSessionApp(scope, receive, send) {
      return runSession(scope, receive, send, inner, false, o.now, {
        async load(s) {
          const now = o.now();
          const raw = sessionCookieOf(o, s.headers);
          const payload = decodePayload(codec.open(raw));
          const live = payload !== undefined && timeLeft(o, payload.issuedAt, payload.seenAt, now) > 0;
          return {
            data: live ? payload.data : undefined,
            id: undefined,
            issuedAt: live ? payload.issuedAt : now,
            extra: { hadCookie: raw !== undefined, seenAt: live ? payload.seenAt : undefined },
          };
        },
        async commit(scheme, control, _id, extra) {
          const now = o.now();
          if (control.destroyed || (control.changed && control.empty())) {
            return extra.hadCookie ? [clearSessionCookie(o, scheme)] : [];
          }
          const due = refreshDue(o, extra.seenAt, now);
          if (!control.changed && !due) return [];
          const value = codec.seal(
            encodePayload({ issuedAt: control.issuedAt, seenAt: now, data: control.data() }),
          );
          const bytes = Buffer.byteLength(o.name, 'latin1') + 1 + value.length;
          if (bytes > COOKIE_SIZE_LIMIT) {
            throw new PorticoError(
              'ERR_SESSION_TOO_LARGE',
              `cookie session ${o.name} is ${bytes} bytes, over the ${COOKIE_SIZE_LIMIT}-byte cookie limit (RFC 6265 section 6.1): keep less in it or use session() with a store`,
              { status: 500, value: bytes },
            );
          }
          return [setSessionCookie(o, scheme, value, timeLeft(o, control.issuedAt, now, now))];
        },
      });
    });
  };
}
