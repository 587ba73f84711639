/**
 * The `csrf()` middleware: the synchronizer-token pattern (OWASP CSRF Prevention Cheat Sheet) with a
 * per-session token, plus an `Origin` / `Sec-Fetch-Site` check.
 *
 * @module
 */

import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type App,
  type AsyncApp,
  asyncApp,
  type HTTPScope,
  isPorticoError,
  PorticoError,
  type Receive,
  type Send,
} from '@portico/spec';
import { bufferBody } from '../compose/body.js';
import { toAsyncApp } from '../compose/mount.js';
import { CSRF_TOKEN_KEY, SESSION_STATE_KEY } from '../sessions/session.js';
import { firstHeader } from '../shared/headers.js';
import { sendPlainText } from '../shared/plain-response.js';

/** The key of `scope.state` (and `environ['portico.state']`) that holds the {@link CsrfState}. */
export const CSRF_STATE_KEY = 'csrf';

/** The session key the token is kept under. `Session.regenerate()` drops it (a new token is made). */
export const CSRF_SESSION_KEY = CSRF_TOKEN_KEY;

/** What `csrf()` puts in `state.csrf`, for forms and scripts. */
export interface CsrfState {
  /**
   * The session's token (32 random bytes, base64url, 43 characters). Made and stored in the session
   * the first time it is read, so read it before `http.response.start` (a session cannot change
   * after it). @throws as `Session.set` when first read after `http.response.start`
   */
  readonly token: string;
  /** The form field name to put it in (`<input type="hidden" name={field} value={token}>`). */
  readonly field: string;
  /** The request header name to send it in (`fetch`, multipart forms). */
  readonly header: string;
}

/** Options of {@link csrf}. */
export interface CsrfOptions {
  /** Form field of the token in `application/x-www-form-urlencoded` bodies. Default `'_csrf'`. */
  field?: string;
  /** Request header of the token. Default `'x-csrf-token'`. */
  header?: string;
  /** The most form body bytes read to find the field; over it: `413`. Default `65536` (64 KiB). */
  limit?: number;
  /** Methods never checked. Default `['GET', 'HEAD', 'OPTIONS', 'TRACE']` (RFC 9110 section 9.2.1). */
  safeMethods?: readonly string[];
  /** Refuse requests whose `Origin` is not the request's own, or `Sec-Fetch-Site: cross-site`. Default `true`. */
  checkOrigin?: boolean;
}

interface SessionLike {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const TOKEN_BYTES = 32;

function invalid(option: string, why: string): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', `option ${option} of csrf() ${why}`);
}

/** Whether two tokens are equal, in time that does not depend on where they differ. */
export function tokensMatch(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}

/**
 * Whether the request is shown to come from another origin: `Sec-Fetch-Site: cross-site`, or an
 * `Origin` (RFC 6454 section 7) other than `scheme://host` of the request (`host` header, default
 * ports normalized). `Origin: null` (privacy-sensitive contexts, sandboxed frames) and no `Origin`
 * prove nothing either way: the token decides.
 */
export function isCrossOrigin(scope: HTTPScope): boolean {
  if (firstHeader(scope.headers, 'sec-fetch-site') === 'cross-site') return true;
  const origin = firstHeader(scope.headers, 'origin');
  if (origin === undefined || origin === 'null') return false;
  const host =
    firstHeader(scope.headers, 'host') ?? (scope.server === null ? undefined : scope.server.join(':'));
  try {
    return new URL(origin).origin !== new URL(`${scope.scheme}://${host}`).origin;
  } catch {
    return true; // an Origin (or Host) that is not a URL origin is not ours
  }
}

function refuse(scope: HTTPScope, send: Send, status: 403 | 413, reason: string): Promise<void> {
  return sendPlainText(send, scope.method, status, reason);
}

/**
 * Protects unsafe requests (any method not in `safeMethods`) against cross-site request forgery with
 * the synchronizer-token pattern: a secret token per session (kept in the session under
 * {@link CSRF_SESSION_KEY}), put in forms by the app from `scope.state.csrf` ({@link CsrfState};
 * sync apps: `environ['portico.state'].csrf`), and required back on every unsafe request in the
 * `header` or, for `application/x-www-form-urlencoded` bodies, the `field`. Tokens are compared
 * with `crypto.timingSafeEqual`.
 *
 * Needs a session middleware (`session()` or `cookieSession()`) outside it: the session is read
 * from `scope.state.session`. For an unsafe request it:
 * 1. with `checkOrigin`, refuses a cross-origin request ({@link isCrossOrigin}) with `403`;
 * 2. takes the token from `header`, else, for a form body, reads the body (at most `limit` bytes,
 *    `413` over it) and takes `field`; the app gets the same body events (`bufferBody`);
 *    `multipart/form-data` is not parsed: send the header;
 * 3. answers `403 Forbidden` (the refusal of code `ERR_FORBIDDEN`) when the session has no token or
 *    the tokens differ; otherwise calls the app.
 * Answers are short `text/plain` bodies (none for HEAD). Other scope types pass through (MW-PASS-1).
 *
 * @param options - see {@link CsrfOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` for bad options (when called); per request,
 *   `ERR_MIDDLEWARE_MISUSE` (status 500) when no session middleware ran before it
 */
export function csrf(options: CsrfOptions = {}): (app: App) => AsyncApp {
  const {
    field = '_csrf',
    header: rawHeader = 'x-csrf-token',
    limit = 65_536,
    safeMethods = ['GET', 'HEAD', 'OPTIONS', 'TRACE'],
    checkOrigin = true,
  } = options;
  if (typeof field !== 'string' || field === '') throw invalid('field', 'must be a non-empty string');
  if (typeof rawHeader !== 'string' || !TOKEN.test(rawHeader.toLowerCase())) {
    throw invalid('header', `must be a header name: ${String(rawHeader)}`);
  }
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw invalid('limit', `must be an integer >= 0: ${String(limit)}`);
  if (
    !Array.isArray(safeMethods) ||
    !safeMethods.every((m) => typeof m === 'string' && TOKEN.test(m.toLowerCase()))
  ) {
    throw invalid('safeMethods', 'must be an array of method names');
  }
  if (typeof checkOrigin !== 'boolean') throw invalid('checkOrigin', 'must be a boolean');
  const header = rawHeader.toLowerCase();
  const safe = new Set(safeMethods.map((m) => m.toUpperCase()));
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to csrf()');
    return asyncApp(async function csrfApp(scope, receive, send) {
      if (scope.type !== 'http') return inner(scope, receive, send);
      const session = scope.state[SESSION_STATE_KEY] as SessionLike | undefined;
      if (typeof session?.get !== 'function' || typeof session.set !== 'function') {
        throw new PorticoError(
          'ERR_MIDDLEWARE_MISUSE',
          'csrf() found no session in scope.state.session: put session() or cookieSession() before it',
          { status: 500 },
        );
      }
      const stored = (): string | undefined => {
        const t = session.get(CSRF_SESSION_KEY);
        return typeof t === 'string' && t.length > 0 ? t : undefined;
      };
      const state: CsrfState = {
        get token(): string {
          let t = stored();
          if (t === undefined) {
            t = randomBytes(TOKEN_BYTES).toString('base64url');
            session.set(CSRF_SESSION_KEY, t);
          }
          return t;
        },
        field,
        header,
      };
      scope.state[CSRF_STATE_KEY] = state;
      if (safe.has(scope.method)) return inner(scope, receive, send);
      if (checkOrigin && isCrossOrigin(scope))
        return refuse(scope, send, 403, 'Forbidden: cross-origin request');
      let given = firstHeader(scope.headers, header);
      let appReceive: Receive = receive;
      if (given === undefined && isForm(firstHeader(scope.headers, 'content-type'))) {
        let read: Awaited<ReturnType<typeof bufferBody>>;
        try {
          read = await bufferBody(receive, { limit, headers: scope.headers });
        } catch (err) {
          if (isPorticoError(err, 'ERR_BODY_TOO_LARGE')) {
            return refuse(scope, send, 413, 'Payload Too Large: form body over the csrf() limit');
          }
          throw err;
        }
        if (read.disconnected) return; // nobody left to answer
        appReceive = read.receive;
        given = formField(read.body, field);
      }
      const expected = stored();
      if (expected === undefined || given === undefined || !tokensMatch(expected, given)) {
        return refuse(scope, send, 403, 'Forbidden: CSRF token missing or invalid');
      }
      return inner(scope, appReceive, send);
    });
  };
}

function isForm(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** The first value of `field` in a urlencoded body (WHATWG URL "application/x-www-form-urlencoded parsing"). */
function formField(body: Uint8Array, field: string): string | undefined {
  const value = new URLSearchParams(new TextDecoder().decode(body)).get(field);
  return value ?? undefined;
}
