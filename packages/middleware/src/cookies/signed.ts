/**
 * Signed cookie values: HMAC-SHA-256 (RFC 2104, FIPS 180-4) from node:crypto, with a list of keys
 * for rotation.
 *
 * @module
 */

import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { keyBytes } from './keys.js';

/** A signing key: a string (its UTF-8 bytes) or bytes; at least 32 bytes. */
export type CookieKey = string | Uint8Array;

/** Signs and verifies cookie values. Make one with {@link createCookieSigner}. */
export interface CookieSigner {
  /**
   * Returns `value.signature`, the signature being the base64url (no padding, 43 characters)
   * HMAC-SHA-256, with the first key, of `name=value`: a value signed for one cookie name does
   * not verify under another.
   */
  sign(name: string, value: string): string;
  /**
   * Returns the value of a signed cookie if its signature verifies with any of the keys, else
   * `undefined`: a tampered, truncated, unsigned or unknown-key value reads as absent.
   */
  verify(name: string, signed: string | undefined): string | undefined;
}

const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Makes a {@link CookieSigner} over a list of keys: it signs with the first and verifies with any
 * (rotate by putting the new key first and keeping the old ones until their cookies expire). The
 * comparison is `crypto.timingSafeEqual` over the whole signature, for every key, so the time
 * taken does not depend on where a forged signature differs.
 *
 * @param keys - one or more keys of at least 32 bytes each, newest first
 * @throws PorticoError `ERR_INVALID_OPTION` when the list is empty or a key is not a string or bytes
 *   or is shorter than 32 bytes
 */
export function createCookieSigner(keys: readonly CookieKey[]): CookieSigner {
  const secrets: KeyObject[] = keyBytes(keys).map((bytes) => createSecretKey(bytes));
  const mac = (key: KeyObject, name: string, value: string): string =>
    createHmac('sha256', key).update(`${name}=${value}`, 'latin1').digest('base64url');
  const first = secrets[0] as KeyObject;
  return {
    sign(name, value) {
      return `${value}.${mac(first, name, value)}`;
    },
    verify(name, signed) {
      if (typeof signed !== 'string') return undefined;
      const dot = signed.lastIndexOf('.');
      if (dot < 0) return undefined;
      const value = signed.slice(0, dot);
      const signature = signed.slice(dot + 1);
      if (!SIGNATURE.test(signature)) return undefined;
      const given = Buffer.from(signature, 'latin1');
      let ok = false;
      // No early exit: every key is tried, so timing does not tell which key (if any) matched.
      for (const key of secrets) {
        if (timingSafeEqual(given, Buffer.from(mac(key, name, value), 'latin1'))) ok = true;
      }
      return ok ? value : undefined;
    },
  };
}
