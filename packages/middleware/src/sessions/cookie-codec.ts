/**
 * The cookie session codec: a session payload sealed with AES-256-GCM (NIST SP 800-38D) from
 * node:crypto, keys derived with HKDF-SHA-256 (RFC 5869), for a list of keys (rotation).
 *
 * Sealed value: base64url (no padding) of `version (1 byte, 1) || IV (12 random bytes) ||
 * ciphertext || tag (16 bytes)`. The cookie name is the additional authenticated data, so a value
 * sealed for one cookie does not open under another.
 *
 * @module
 */

import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { keyBytes } from '../cookies/keys.js';
import type { CookieKey } from '../cookies/signed.js';

/** Seals and opens cookie session payloads. Make one with {@link createSessionCodec}. */
export interface SessionCodec {
  /** Encrypts `plaintext` (UTF-8) with the first key and a fresh random IV. */
  seal(plaintext: string): string;
  /** Decrypts a sealed value with any of the keys; `undefined` when none authenticates it. */
  open(sealed: string | undefined): string | undefined;
}

/** The decoded payload of a cookie session. */
export interface CookiePayload {
  /** Issued at, ms since the epoch. */
  issuedAt: number;
  /** Last written (seen), ms since the epoch. */
  seenAt: number;
  /** The data, a null-prototype object of JSON values. */
  data: Record<string, unknown>;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const HKDF_SALT = 'portico.cookie-session.v1';
const HKDF_INFO = 'aes-256-gcm';

/**
 * Makes a {@link SessionCodec}: each key (>= 32 bytes) is turned into an AES-256 key with HKDF, so a
 * key shared with `createCookieSigner` is not used raw for two purposes. The first key seals; every
 * key is tried to open (put the new key first, keep old ones until their cookies expire).
 *
 * @param keys - one or more keys of at least 32 bytes, newest first
 * @param name - the cookie name, bound in as additional authenticated data
 * @throws PorticoError `ERR_INVALID_OPTION` for an empty list, a key that is not a string or bytes,
 *   or a key shorter than 32 bytes
 */
export function createSessionCodec(keys: readonly CookieKey[], name: string): SessionCodec {
  const secrets: KeyObject[] = keyBytes(keys).map((bytes) =>
    createSecretKey(Buffer.from(hkdfSync('sha256', bytes, HKDF_SALT, HKDF_INFO, 32))),
  );
  const aad = Buffer.from(name, 'latin1');
  const first = secrets[0] as KeyObject;
  return {
    seal(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', first, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.of(VERSION), iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    open(sealed) {
      if (typeof sealed !== 'string' || !BASE64URL.test(sealed)) return undefined;
      const bytes = Buffer.from(sealed, 'base64url');
      // Buffer's decoder is lenient: re-encode to refuse non-canonical input.
      if (bytes.length < 1 + IV_BYTES + TAG_BYTES || bytes[0] !== VERSION) return undefined;
      if (bytes.toString('base64url') !== sealed) return undefined;
      const iv = bytes.subarray(1, 1 + IV_BYTES);
      const body = bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES);
      const tag = bytes.subarray(bytes.length - TAG_BYTES);
      for (const key of secrets) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
          decipher.setAAD(aad);
          decipher.setAuthTag(tag);
          const plain = Buffer.concat([decipher.update(body), decipher.final()]);
          return new TextDecoder('utf-8', { fatal: true }).decode(plain);
        } catch {
          // Not this key (or tampered): try the next.
        }
      }
      return undefined;
    },
  };
}

/** The payload's JSON text: `{"i":issuedAt,"s":seenAt,"d":data}`. */
export function encodePayload(payload: CookiePayload): string {
  return JSON.stringify({ i: payload.issuedAt, s: payload.seenAt, d: payload.data });
}

/** Parses a payload's JSON text; `undefined` for anything that is not one. Never throws. */
export function decodePayload(text: string | undefined): CookiePayload | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const { i, s, d } = parsed as { i?: unknown; s?: unknown; d?: unknown };
  if (typeof i !== 'number' || !Number.isFinite(i) || typeof s !== 'number' || !Number.isFinite(s))
    return undefined;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return undefined;
  return { issuedAt: i, seenAt: s, data: d as Record<string, unknown> };
}
