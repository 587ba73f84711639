/**
 * Sessions: `cookieSession()` (the session in an AES-256-GCM cookie) and `session()` (server-side
 * records in a `SessionStore`: `MemoryStore`, `RedisStore`), both putting a `Session` in
 * `scope.state.session`.
 *
 * @module
 */

export {
  type CookiePayload,
  createSessionCodec,
  decodePayload,
  encodePayload,
  type SessionCodec,
} from './cookie-codec.js';
export * from './cookie-session.js';
export * from './memory-store.js';
export {
  DEFAULT_ABSOLUTE_TIMEOUT,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_TOUCH_AFTER,
  type SessionCookieOptions,
} from './options.js';
export * from './redis-store.js';
export * from './server-session.js';
export { assertJsonValue, SESSION_STATE_KEY, type Session, sessionOf } from './session.js';
export { isSessionId, mintSessionId, SESSION_ID_BYTES } from './session-id.js';
export * from './store.js';
