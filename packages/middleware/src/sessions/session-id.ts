/**
 * Session ids: 32 random bytes from the CSPRNG (`crypto.randomBytes`), base64url without padding
 * (43 characters, 256 bits of entropy; OWASP Session Management asks for at least 64).
 *
 * @module
 */

import { randomBytes } from 'node:crypto';

/** Bytes of randomness in a session id. */
export const SESSION_ID_BYTES = 32;

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** A new session id: 32 random bytes, base64url (43 characters). */
export function mintSessionId(): string {
  return randomBytes(SESSION_ID_BYTES).toString('base64url');
}

/** Whether `value` has the shape of a session id (43 base64url characters). */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID.test(value);
}
