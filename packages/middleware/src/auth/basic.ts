/**
 * HTTP Basic authentication (RFC 7617): parsing `Authorization: Basic`, the `basicAuth()`
 * middleware, and {@link basicUsers} for a fixed user table compared in constant time.
 *
 * @module
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { type App, type AsyncApp, type HTTPScope, PorticoError, type WebSocketScope } from '@portico/spec';
import { authMiddleware, missingCredentials, type Outcome } from './authenticate.js';
import { checkOptional, quotedRealm, splitCredentials } from './challenge.js';
import { type AuthChallenge, type Principal, toPrincipal } from './principal.js';

/** What {@link parseBasicAuthorization} made of an `Authorization` value. */
export type BasicParseResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'credentials'; readonly user: string; readonly password: string };

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();
/** CTL (RFC 5234 appendix B.1): what user-id and password MUST NOT contain (RFC 7617 section 2). */
const CTL = /[\x00-\x1f\x7f]/;

/**
 * Parses an `Authorization` field value as Basic credentials (RFC 7617 section 2).
 *
 * - `none`: no value, or another auth-scheme.
 * - `malformed`: scheme `Basic` (any case) but not `1*SP token68` where the token68 is strict base64
 *   (RFC 4648 section 4 alphabet, `=` padding to a multiple of 4, no stray bits), decoding as UTF-8
 *   (fatal: invalid UTF-8 is malformed, RFC 7617 section 2.1 `charset="UTF-8"`) to `user-id ":"
 *   password` with neither holding a control character (RFC 7617 section 2).
 * - `credentials`: user-id is everything before the first `:`, password everything after.
 *
 * Never throws.
 *
 * @param value - the field value as a byte string, or `null`/`undefined` when absent
 */
export function parseBasicAuthorization(value: string | null | undefined): BasicParseResult {
  if (value === null || value === undefined) return { kind: 'none' };
  const split = splitCredentials(value);
  if (split === undefined) {
    return /^basic(?![!#$%&'*+.^_`|~0-9a-z-])/i.test(value)
      ? { kind: 'malformed', reason: 'not "Basic" 1*SP token68' }
      : { kind: 'none' };
  }
  if (split.scheme !== 'basic') return { kind: 'none' };
  const b64 = split.rest;
  if (b64 === '') return { kind: 'malformed', reason: 'no credentials after "Basic"' };
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    return { kind: 'malformed', reason: 'credentials are not base64' };
  }
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.toString('base64') !== b64)
    return { kind: 'malformed', reason: 'credentials are not canonical base64' };
  let decoded: string;
  try {
    decoded = fatalUtf8.decode(bytes);
  } catch {
    return { kind: 'malformed', reason: 'credentials are not UTF-8' };
  }
  const colon = decoded.indexOf(':');
  if (colon === -1) return { kind: 'malformed', reason: 'credentials have no ":"' };
  if (CTL.test(decoded)) return { kind: 'malformed', reason: 'credentials hold a control character' };
  return { kind: 'credentials', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function checkUser(user: string, password: string): void {
  if (user.includes(':')) throw new PorticoError('ERR_INVALID_OPTION', 'a Basic user-id cannot contain ":"');
  if (CTL.test(user) || CTL.test(password) || /\p{Cs}/u.test(user + password)) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      'a Basic user-id or password cannot contain a control character or a lone surrogate',
    );
  }
}

/**
 * The `Authorization` value for Basic credentials: `Basic base64(utf8(user ":" password))`
 * (RFC 7617 section 2, with `charset="UTF-8"`). For clients and tests.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` when `user` holds `:`, or either holds a control
 *   character or a lone surrogate
 */
export function encodeBasicCredentials(user: string, password: string): string {
  checkUser(user, password);
  return `Basic ${Buffer.from(encoder.encode(`${user}:${password}`)).toString('base64')}`;
}

/** The result of a Basic `verify`: a principal, `true` (principal `{ id: user }`), or a refusal. */
export type BasicVerifyResult = Principal | boolean | undefined;

/** Checks a user-id and password; may be async. */
export type BasicVerify = (
  user: string,
  password: string,
  scope: HTTPScope | WebSocketScope,
) => BasicVerifyResult | Promise<BasicVerifyResult>;

/** Options of {@link basicAuth}. */
export interface BasicAuthOptions {
  /**
   * Checks the credentials: return a {@link Principal}, `true` (the principal is
   * `{ id: user, scheme: 'basic', roles: [] }`), or `false`/`undefined` to refuse (401). What it
   * throws propagates (a 500). Use {@link basicUsers} for a fixed table.
   */
  verify: BasicVerify;
  /** The protection space sent in the challenge (RFC 7235 section 2.2). Default `"Restricted"`. */
  realm?: string;
  /** When `true`, a request without Basic credentials passes with no principal. Default `false`. */
  optional?: boolean;
}

/**
 * HTTP Basic authentication (RFC 7617). A request with valid credentials reaches the app with its
 * {@link Principal} in `state.principal`. A request without Basic credentials gets
 * `401` with `WWW-Authenticate: Basic realm="...", charset="UTF-8"` (and the challenges of outer
 * optional auth layers), unless `optional`. Refused and malformed credentials get the same 401
 * (RFC 9110 section 15.5.2: a 401 says the credentials were refused; Basic defines no 400), never an
 * exception. Every rejection is a short text/plain body with `cache-control: no-store`; a websocket
 * handshake is refused with close code 1008.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` when `verify` is not a function, `realm` is not a
 *   quoted-string-safe string, `optional` is not a boolean (when called, not per request)
 */
export function basicAuth(options: BasicAuthOptions): (app: App) => AsyncApp {
  const { verify } = options ?? {};
  if (typeof verify !== 'function') {
    throw new PorticoError('ERR_INVALID_OPTION', 'option verify of basicAuth() must be a function');
  }
  const optional = checkOptional(options.optional, 'basicAuth()');
  const challenge: AuthChallenge = Object.freeze({
    unauthorized: `Basic realm=${quotedRealm(options.realm ?? 'Restricted', 'realm of basicAuth()')}, charset="UTF-8"`,
    forbidden: () => undefined,
  });
  return authMiddleware({
    name: 'basicAuth',
    challenge,
    optional,
    async authenticate(authorization, scope): Promise<Outcome> {
      if (authorization === false) {
        return {
          kind: 'reject',
          rejection: { ...missingCredentials(scope), message: 'Malformed credentials' },
        };
      }
      const parsed = parseBasicAuthorization(authorization);
      if (parsed.kind === 'none') return parsed;
      if (parsed.kind === 'malformed') {
        return {
          kind: 'reject',
          rejection: { ...missingCredentials(scope), message: 'Malformed credentials' },
        };
      }
      const result = await verify(parsed.user, parsed.password, scope);
      if (result === true) {
        return {
          kind: 'principal',
          principal: Object.freeze({ id: parsed.user, scheme: 'basic', roles: [] }),
        };
      }
      if (result === false || result === undefined)
        return { kind: 'reject', rejection: missingCredentials(scope) };
      return { kind: 'principal', principal: toPrincipal(result, 'what verify of basicAuth() returned') };
    },
  });
}

/** One user of {@link basicUsers}: the password, or the password and roles. */
export type BasicUser = string | { readonly password: string; readonly roles?: readonly string[] };

interface HashedUser {
  readonly id: string;
  readonly user: Buffer;
  readonly password: Buffer;
  readonly roles: readonly string[];
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * A `verify` for {@link basicAuth} over a fixed table of users. Each check hashes the given user and
 * password with SHA-256 and compares them with every entry's hashes using `crypto.timingSafeEqual`,
 * both comparisons always evaluated and combined with `&` (no short-circuit), so the time taken does
 * not depend on which user exists, how much of a password matched, or its length.
 *
 * @param users - user-id to password (or `{ password, roles }`); a `Map` or a plain object
 * @returns a verify giving `{ id: user, scheme: 'basic', roles }`, or `false`
 * @throws PorticoError `ERR_INVALID_OPTION` for a user-id with `:`, a control character in either,
 *   or an entry that is not a string or `{ password: string, roles?: string[] }`
 */
export function basicUsers(
  users: ReadonlyMap<string, BasicUser> | Readonly<Record<string, BasicUser>>,
): (user: string, password: string) => Principal | false {
  const list = users instanceof Map ? [...users] : Object.entries(users as Record<string, BasicUser>);
  const table: HashedUser[] = list.map(([id, entry]) => {
    const password = typeof entry === 'string' ? entry : entry?.password;
    const roles = typeof entry === 'string' ? [] : (entry?.roles ?? []);
    if (typeof password !== 'string' || !Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
      throw new PorticoError('ERR_INVALID_OPTION', `user ${JSON.stringify(id)} of basicUsers() is invalid`);
    }
    checkUser(id, password);
    return { id, user: sha256(id), password: sha256(password), roles: Object.freeze([...roles]) };
  });
  return function verifyBasicUser(user, password) {
    const u = sha256(user);
    const p = sha256(password);
    let found: HashedUser | undefined;
    for (const entry of table) {
      // Both comparisons run for every entry; `&` does not short-circuit.
      const hit = Number(timingSafeEqual(u, entry.user)) & Number(timingSafeEqual(p, entry.password));
      found = hit === 1 ? entry : found;
    }
    if (found === undefined) return false;
    return Object.freeze({ id: found.id, scheme: 'basic', roles: found.roles });
  };
}
