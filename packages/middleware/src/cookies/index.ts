/**
 * Cookies: lenient parsing of `Cookie`, strict serialization of `Set-Cookie` (RFC 6265bis), signed
 * values (HMAC-SHA-256) and the `cookies()` middleware.
 *
 * @module
 */

export * from './middleware.js';
export * from './parse.js';
export * from './serialize.js';
export * from './signed.js';
