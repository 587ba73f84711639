/**
 * Authentication: HTTP Basic (RFC 7617), Bearer tokens (RFC 6750), JWT (RFC 7519, on `jose`), the
 * principal in `scope.state.principal`, and the `requireAuth()` guard.
 *
 * @module
 */

export {
  type BasicAuthOptions,
  type BasicParseResult,
  type BasicUser,
  type BasicVerify,
  type BasicVerifyResult,
  basicAuth,
  basicUsers,
  encodeBasicCredentials,
  parseBasicAuthorization,
} from './basic.js';
export {
  type BearerAuthOptions,
  type BearerParseResult,
  type BearerVerify,
  type BearerVerifyResult,
  bearerAuth,
  type InvalidToken,
  parseBearerAuthorization,
} from './bearer.js';
export { type JWTAuthOptions, type JWTKey, jwtAuth } from './jwt.js';
export {
  AUTH_CHALLENGES_STATE_KEY,
  type AuthChallenge,
  PRINCIPAL_STATE_KEY,
  type Principal,
  principalOf,
  type StateHolder,
  setPrincipal,
} from './principal.js';
export { type RequireAuthOptions, requireAuth } from './require-auth.js';
