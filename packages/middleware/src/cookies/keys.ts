/**
 * Checking a list of cookie keys (for signing with `createCookieSigner`, for sealing with the
 * cookie session codec): one rule for both.
 *
 * @module
 */

import { PorticoError } from '@portico/spec';
import type { CookieKey } from './signed.js';

/** The shortest key accepted, in bytes (256 bits: the HMAC-SHA-256 and AES-256 key size). */
export const MIN_KEY_BYTES = 32;

/**
 * The bytes of each key (a string is taken as its UTF-8 bytes), in order, after checking the list.
 *
 * @param keys - one or more keys of at least {@link MIN_KEY_BYTES} bytes each, newest first
 * @throws PorticoError `ERR_INVALID_OPTION` for an empty list (or not a list), a key that is not a
 *   string or bytes (`option keys[i]`), or a key shorter than 32 bytes
 */
export function keyBytes(keys: readonly CookieKey[]): Uint8Array[] {
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new PorticoError('ERR_INVALID_OPTION', 'option keys is invalid: expected a non-empty list of keys');
  }
  return keys.map((key, i) => {
    if (typeof key !== 'string' && !(key instanceof Uint8Array)) {
      throw new PorticoError(
        'ERR_INVALID_OPTION',
        `option keys[${i}] is invalid: expected a string or bytes`,
      );
    }
    const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
    if (bytes.byteLength < MIN_KEY_BYTES) {
      throw new PorticoError(
        'ERR_INVALID_OPTION',
        `option keys[${i}] is invalid: shorter than ${MIN_KEY_BYTES} bytes`,
      );
    }
    return bytes;
  });
}
