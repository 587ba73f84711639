/**
 * Lenient parsing of the `Cookie` request header (RFC 6265 section 5.4 / RFC 6265bis section 5.7),
 * on top of the `cookie` package's `parse`.
 *
 * @module
 */

import { parse } from 'cookie';
import { headerValues } from '../shared/headers.js';

/** Parsed cookies: a null-prototype map from cookie name to value (as sent, not decoded). */
export type CookieMap = Readonly<Record<string, string>>;

/** Options of {@link parseCookies}. */
export interface ParseCookiesOptions {
  /**
   * Turns a raw cookie value into the value stored in the map. Default: the identity (values are
   * returned as sent, so that `parseCookies(serializeCookie(n, v))` gives back `v` exactly).
   * Pass `decodeURIComponent`-like functions only if they never throw.
   */
  decode?: (raw: string) => string;
}

const identity = (raw: string): string => raw;

/**
 * Parses a `Cookie` header value (or several, joined with `"; "`) into a null-prototype map.
 *
 * Lenient, as a server should be (RFC 6265 section 5.4 says what user agents send; real clients
 * send more): pairs are split at `;`, the name at the first `=`, whitespace around names and values
 * is trimmed, pairs without `=` are skipped, and nothing throws. The first of several pairs with the
 * same name wins (user agents list the more specific cookie first, RFC 6265 section 5.4 step 2).
 * Names such as `__proto__` and `constructor` are ordinary keys of the map: it has no prototype.
 *
 * @param header - the `Cookie` header value, a byte string; `""` or `undefined` give an empty map
 * @param options - see {@link ParseCookiesOptions}
 * @returns a map with `Object.getPrototypeOf(map) === null`
 */
export function parseCookies(header: string | undefined, options: ParseCookiesOptions = {}): CookieMap {
  const map: Record<string, string> = Object.create(null);
  if (header === undefined || header === '') return map;
  const parsed = parse(header, { decode: options.decode ?? identity });
  // `cookie` returns an object whose prototype is a null-prototype object and keeps the first of
  // duplicate names; copy into a true null-prototype map with own keys only.
  for (const name of Object.keys(parsed)) {
    const value = parsed[name];
    if (value !== undefined && name !== '') map[name] = value;
  }
  return map;
}

/**
 * Joins every `cookie` header of a header list (HTTP/2 and HTTP/3 may split it into several,
 * RFC 9113 section 8.2.3) into one header value, or `undefined` when there is none.
 *
 * @param headers - a scope's header list (names lowercase)
 */
export function cookieHeader(headers: readonly (readonly [string, string])[]): string | undefined {
  const values = headerValues(headers, 'cookie');
  return values.length === 0 ? undefined : values.join('; ');
}
