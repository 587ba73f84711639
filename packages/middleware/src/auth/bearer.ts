/**
 * Bearer token authentication (RFC 6750): parsing `Authorization: Bearer`, the `bearerAuth()`
 * middleware and the RFC 6750 section 3 challenges. `jwtAuth()` is built on the same flow.
 *
 * @module
 */

import { type App, type AsyncApp, type HTTPScope, PorticoError, type WebSocketScope } from '@portico/spec';
import { authMiddleware, type Outcome } from './authenticate.js';
import { checkOptional, quotedRealm, quotedString, splitCredentials } from './challenge.js';
import { type AuthChallenge, type Principal, toPrincipal } from './principal.js';

/** What {@link parseBearerAuthorization} made of an `Authorization` value. */
export type BearerParseResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'token'; readonly token: string };

/** `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750 section 2.1). */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Parses an `Authorization` field value as a bearer token (RFC 6750 section 2.1): `none` for no
 * value or another scheme, `malformed` for scheme `Bearer` (any case) not followed by one run of
 * spaces and a b64token, else the token. Never throws.
 */
export function parseBearerAuthorization(value: string | null | undefined): BearerParseResult {
  if (value === null || value === undefined) return { kind: 'none' };
  const split = splitCredentials(value);
  if (split === undefined) {
    return /^bearer(?![!#$%&'*+.^_`|~0-9a-z-])/i.test(value)
      ? { kind: 'malformed', reason: 'not "Bearer" 1*SP b64token' }
      : { kind: 'none' };
  }
  if (split.scheme !== 'bearer') return { kind: 'none' };
  if (split.rest === '') return { kind: 'malformed', reason: 'no token after "Bearer"' };
  if (!TOKEN68.test(split.rest)) return { kind: 'malformed', reason: 'the token is not a b64token' };
  return { kind: 'token', token: split.rest };
}

/** A refusal with a reason for `error_description` (RFC 6750 section 3): a 401 `invalid_token`. */
export interface InvalidToken {
  readonly error: 'invalid_token';
  /** Human-readable, for developers; characters outside `%x20-21 / %x23-5B / %x5D-7E` become spaces. */
  readonly description?: string;
}

/** The result of a bearer `verify`: a principal, or a refusal. */
export type BearerVerifyResult = Principal | InvalidToken | false | undefined;

/** Checks a bearer token; may be async. */
export type BearerVerify = (
  token: string,
  scope: HTTPScope | WebSocketScope,
) => BearerVerifyResult | Promise<BearerVerifyResult>;

/** Options of {@link bearerAuth}. */
export interface BearerAuthOptions {
  /**
   * Checks the token: return a {@link Principal} (`scheme: 'bearer'` by convention), `false` /
   * `undefined` or `{ error: 'invalid_token', description }` to refuse (401). There is no `true`: a
   * token is a secret and no user id. What it throws propagates (a 500).
   */
  verify: BearerVerify;
  /** The `realm` of the challenges. Default `"Restricted"`. */
  realm?: string;
  /** When `true`, a request without a bearer token passes with no principal. Default `false`. */
  optional?: boolean;
}

const description = (text: string): string => text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, ' ');
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** The challenges of RFC 6750 section 3 for one realm. */
export function bearerChallenge(
  realm: string | undefined,
  what: string,
): AuthChallenge & {
  error(code: 'invalid_request' | 'invalid_token', text: string | undefined): string;
} {
  const head = `Bearer realm=${quotedRealm(realm ?? 'Restricted', what)}`;
  return Object.freeze({
    unauthorized: head,
    error: (code: string, text: string | undefined) =>
      `${head}, error="${code}"${text === undefined ? '' : `, error_description="${description(text)}"`}`,
    forbidden: (roles: readonly string[]) =>
      `${head}, error="insufficient_scope"${
        roles.length > 0 && roles.every((r) => SCOPE_TOKEN.test(r))
          ? `, scope=${quotedString(roles.join(' '), 'scope')}`
          : ''
      }`,
  });
}

/** The shared flow of `bearerAuth()` and `jwtAuth()`, with `verify` checked and options parsed. */
export function bearerMiddleware(
  name: string,
  options: { readonly realm?: string | undefined; readonly optional?: boolean | undefined },
  verify: BearerVerify,
): (app: App) => AsyncApp {
  const optional = checkOptional(options.optional, `${name}()`);
  const challenge = bearerChallenge(options.realm, `realm of ${name}()`);
  const invalidRequest = (reason: string): Outcome => ({
    kind: 'reject',
    rejection: {
      status: 400,
      message: 'Bad Request',
      challenges: [challenge.error('invalid_request', reason)],
    },
  });
  return authMiddleware({
    name,
    challenge,
    optional,
    async authenticate(authorization, scope): Promise<Outcome> {
      if (authorization === false) return invalidRequest('more than one Authorization field');
      const parsed = parseBearerAuthorization(authorization);
      if (parsed.kind === 'none') return parsed;
      if (parsed.kind === 'malformed') return invalidRequest(parsed.reason);
      const result = await verify(parsed.token, scope);
      if (result === false || result === undefined || (result as InvalidToken).error === 'invalid_token') {
        const text = (result as InvalidToken | undefined)?.description;
        return {
          kind: 'reject',
          rejection: {
            status: 401,
            message: 'Unauthorized',
            challenges: [challenge.error('invalid_token', text)],
          },
        };
      }
      return { kind: 'principal', principal: toPrincipal(result, `what verify of ${name}() returned`) };
    },
  });
}

/**
 * Bearer token authentication (RFC 6750). The token is read from the `Authorization` header only
 * (the form-body and query methods of RFC 6750 sections 2.2-2.3 are not supported: they need the
 * body read and leak tokens into logs). Answers, per RFC 6750 section 3.1:
 * - no token: `401`, `WWW-Authenticate: Bearer realm="..."` (no error code), unless `optional`;
 * - malformed header (not one b64token, several `Authorization` fields): `400`,
 *   `error="invalid_request"`;
 * - refused token: `401`, `error="invalid_token"` (with `error_description` when `verify` gave one);
 * - missing roles (from {@link requireAuth}): `403`, `error="insufficient_scope"`, `scope="..."`.
 * Rejections are short text/plain bodies with `cache-control: no-store`; never an exception.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` when `verify` is not a function, `realm` is not a string
 *   a quoted-string can carry, `optional` is not a boolean (when called)
 */
export function bearerAuth(options: BearerAuthOptions): (app: App) => AsyncApp {
  if (typeof options?.verify !== 'function') {
    throw new PorticoError('ERR_INVALID_OPTION', 'option verify of bearerAuth() must be a function');
  }
  return bearerMiddleware('bearerAuth', options, options.verify);
}
