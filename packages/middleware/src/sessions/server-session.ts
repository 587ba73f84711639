/**
 * `session()`: server-side sessions, the record in a {@link SessionStore}, the id in a cookie.
 *
 * @module
 */

import { type App, type AsyncApp, asyncApp, isPorticoError, PorticoError } from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';
import { type CookieKey, createCookieSigner } from '../cookies/signed.js';
import { runSession } from './lifecycle.js';
import { MemoryStore } from './memory-store.js';
import {
  clearSessionCookie,
  refreshDue,
  resolveSessionOptions,
  type SessionCookieOptions,
  sessionCookieOf,
  setSessionCookie,
  timeLeft,
} from './options.js';
import { isSessionId } from './session-id.js';
import { isSessionRecord, type SessionStore } from './store.js';

/** Options of {@link session}. */
export interface SessionOptions extends SessionCookieOptions {
  /** Where records live. Default: a new {@link MemoryStore} (one process only). */
  store?: SessionStore;
  /**
   * Keys to sign the id cookie with (HMAC-SHA-256, `createCookieSigner`), newest first, each >= 32
   * bytes. Default: none (the id is unguessable on its own; signing adds a key check before any
   * store lookup).
   */
  keys?: readonly CookieKey[];
}

async function guarded<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (error) {
    if (isPorticoError(error, 'ERR_SESSION_STORE')) throw error;
    throw new PorticoError(
      'ERR_SESSION_STORE',
      `session store ${what} failed: ${(error as Error)?.message}`,
      {
        cause: error,
        status: 500,
      },
    );
  }
}

/**
 * Server-side sessions: the cookie `portico.sid` (option `name`) holds only the session id (32
 * random bytes, base64url; optionally signed), the data lives in `store` under that id with its
 * issue and last-seen times. An id that is not in the store (expired, destroyed, made up or planted)
 * is never adopted: the request gets a new session with a freshly minted id. Idle (`idleTimeout`)
 * and absolute (`absoluteTimeout`) timeouts are enforced from the stored times, and the store is
 * given a TTL of the time left.
 *
 * At `http.response.start`, before forwarding it, the middleware destroys the records of destroyed
 * or regenerated sessions, writes the record when the session changed, was regenerated or is due a
 * rolling refresh (`touchAfter`), and adds the `Set-Cookie` (through `serializeCookie`). Before
 * writing back a loaded session it checks the record is still in the store: a session that a
 * concurrent request destroyed or regenerated meanwhile is not brought back (its changes are
 * dropped and its cookie cleared). Concurrent changes to one live session are last-write-wins. A session
 * left empty is not stored and its cookie is cleared. The session is in `scope.state.session`
 * ({@link sessionOf}); for a sync app in `environ['portico.state'].session`.
 *
 * Fails closed: a store error makes the request a 500 and the middleware throws `ERR_SESSION_STORE`.
 *
 * @param options - see {@link SessionOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` for bad options (when called); per request
 *   `ERR_SESSION_STORE` (status 500) when the store fails
 */
export function session(options: SessionOptions = {}): (app: App) => AsyncApp {
  const o = resolveSessionOptions(options, 'portico.sid');
  const store = options.store ?? new MemoryStore({ now: o.now });
  if (
    typeof store !== 'object' ||
    store === null ||
    typeof store.get !== 'function' ||
    typeof store.set !== 'function' ||
    typeof store.destroy !== 'function'
  ) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      'option store is invalid: expected a SessionStore (get/set/destroy)',
    );
  }
  const signer = options.keys === undefined ? undefined : createCookieSigner(options.keys);
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to session()');
    return asyncApp(async function sessionApp(scope, receive, send) {
      return runSession(scope, receive, send, inner, true, o.now, {
        async load(s) {
          const now = o.now();
          const raw = sessionCookieOf(o, s.headers);
          const id = signer === undefined ? raw : signer.verify(o.name, raw);
          const record = isSessionId(id) ? await guarded('get', () => store.get(id)) : undefined;
          const live =
            isSessionRecord(record) && timeLeft(o, record.issuedAt, record.seenAt, now) > 0
              ? record
              : undefined;
          return {
            data: live?.data,
            id: live === undefined ? undefined : id,
            issuedAt: live?.issuedAt ?? now,
            extra: {
              hadCookie: raw !== undefined,
              seenAt: live?.seenAt,
              loadedId: live === undefined ? undefined : id,
            },
          };
        },
        async commit(scheme, control, idOf, extra) {
          const now = o.now();
          for (const old of control.obsoleteIds) await guarded('destroy', () => store.destroy(old));
          const cookies: string[] = [];
          if (control.destroyed || control.empty()) {
            if (extra.loadedId !== undefined && control.changed) {
              const id = idOf();
              if (extra.loadedId === id) await guarded('destroy', () => store.destroy(id));
            }
            if (extra.hadCookie && (control.destroyed || control.changed))
              cookies.push(clearSessionCookie(o, scheme));
            return cookies;
          }
          const due = refreshDue(o, extra.seenAt, now);
          if (!control.changed && !due) return cookies;
          const id = idOf();
          if (id === undefined) return cookies;
          // A concurrent request may have destroyed or regenerated this session since it was
          // loaded: writing it back would bring the ended id back to life. Check it is still there
          // (this narrows the race to the time between the check and the write; stores have no
          // compare-and-set here).
          if (id === extra.loadedId && (await guarded('get', () => store.get(id))) === undefined) {
            return extra.hadCookie ? [clearSessionCookie(o, scheme)] : [];
          }
          const left = timeLeft(o, control.issuedAt, now, now);
          const record = { data: control.data(), issuedAt: control.issuedAt, seenAt: now };
          await guarded('set', () => store.set(id, record, Math.max(1, Math.ceil(left))));
          cookies.push(
            setSessionCookie(o, scheme, signer === undefined ? id : signer.sign(o.name, id), left),
          );
          return cookies;
        },
      });
    });
  };
}
