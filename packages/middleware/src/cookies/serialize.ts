/**
 * Strict serialization of `Set-Cookie` header values (RFC 6265bis), on top of the `cookie`
 * package's `serialize`, with Portico's checks in front. Every `Set-Cookie` of the project goes
 * through {@link serializeCookie}.
 *
 * @module
 */

import { PorticoError } from '@portico/spec';
import { serialize } from 'cookie';

/** The longest Max-Age a user agent keeps: 400 days, in seconds (RFC 6265bis section 5.6.2). */
export const MAX_AGE_LIMIT = 400 * 24 * 60 * 60;

/** `SameSite` values (RFC 6265bis section 4.1.2.7). */
export type SameSite = 'strict' | 'lax' | 'none';

/** `Priority` values (draft-west-cookie-priority section 4.1). */
export type CookiePriority = 'low' | 'medium' | 'high';

/** Attributes every cookie may have. */
interface BaseCookieAttributes {
  /** `Expires`: an absolute expiry; at most 400 days from now (RFC 6265bis section 4.1.2.1). */
  expires?: Date;
  /** `Max-Age` in seconds, an integer <= 34 560 000 (400 days); 0 or less deletes (section 4.1.2.2). */
  maxAge?: number;
  /** `Domain`: a host name (section 4.1.2.3); no `;`, `=`, CR or LF. Omitted: host-only cookie. */
  domain?: string;
  /** `Path`: starts with `/` (section 4.1.2.4); no `;`, `=`, CR or LF. */
  path?: string;
  /** `HttpOnly` (section 4.1.2.6). Default `false`. */
  httpOnly?: boolean;
  /** `Priority` (draft-west-cookie-priority). Omitted: `Medium` in user agents that know it. */
  priority?: CookiePriority;
}

/** Attributes of a cookie sent with `Secure` (which `SameSite=None` and `Partitioned` need). */
export interface SecureCookieAttributes extends BaseCookieAttributes {
  /** `Secure` (section 4.1.2.5). */
  secure: true;
  /** `SameSite` (section 4.1.2.7). Omitted: the user agent's default (Lax in current browsers). */
  sameSite?: SameSite;
  /** `Partitioned` (CHIPS); needs `Secure`. */
  partitioned?: boolean;
}

/** Attributes of a cookie without `Secure`: no `SameSite=None`, no `Partitioned`. */
export interface InsecureCookieAttributes extends BaseCookieAttributes {
  /** No `Secure` attribute. */
  secure?: false;
  /** `SameSite=None` needs `Secure` (RFC 6265bis section 5.6.7.2 step 13), so only these. */
  sameSite?: 'strict' | 'lax';
  /** `Partitioned` needs `Secure`. */
  partitioned?: false;
}

/** Attributes of an ordinary cookie (no `__Host-`/`__Secure-` prefix). */
export type CookieAttributes = SecureCookieAttributes | InsecureCookieAttributes;

/** Attributes of a `__Host-` cookie: `Secure`, `Path=/`, no `Domain` (RFC 6265bis section 4.1.3.2). */
export interface HostCookieAttributes extends Omit<SecureCookieAttributes, 'domain' | 'path'> {
  /** Must be `/`. */
  path: '/';
  /** Must be absent. */
  domain?: undefined;
}

/**
 * The attributes a cookie called `N` may have: {@link HostCookieAttributes} for `__Host-` names,
 * {@link SecureCookieAttributes} for `__Secure-` names, otherwise {@link CookieAttributes}
 * (optional). As a rest-parameter tuple, so that the attributes are required exactly when a prefix
 * requires some.
 */
export type AttributesArgument<N extends string> = string extends N
  ? [attributes?: CookieAttributes | HostCookieAttributes]
  : N extends `__Host-${string}`
    ? [attributes: HostCookieAttributes]
    : N extends `__Secure-${string}`
      ? [attributes: SecureCookieAttributes]
      : [attributes?: CookieAttributes];

// RFC 9110 section 5.6.2: token = 1*tchar; cookie-name = token (RFC 6265bis section 4.1.1).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E, optionally in DQUOTEs
// (RFC 6265bis section 4.1.1), minus "=" (Portico refuses "=" in a value: see the bad inputs).
const COOKIE_VALUE =
  /^(?:[\x21\x23-\x2b\x2d-\x3a\x3c\x3e-\x5b\x5d-\x7e]*|"[\x21\x23-\x2b\x2d-\x3a\x3c\x3e-\x5b\x5d-\x7e]*")$/;
// path-value = *av-octet; av-octet = %x20-3A / %x3C-7E (no CTL, no ";"), minus "=".
const PATH_VALUE = /^\/[\x20-\x3a\x3c\x3e-\x7e]*$/;

function invalid(field: string, message: string, value: unknown): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', `cookie ${field} is invalid: ${message}`, { value });
}

/** Names the first forbidden character of the list (`;`, `=`, CR, LF), if any. */
function forbidden(text: string): string | undefined {
  const match = /[;=\r\n]/.exec(text);
  if (match === null) return undefined;
  return ({ ';': '";"', '=': '"="', '\r': 'CR', '\n': 'LF' } as Record<string, string>)[match[0]];
}

function checkText(field: string, text: unknown, pattern: RegExp, what: string): void {
  if (typeof text !== 'string') throw invalid(field, `expected a string, got ${typeof text}`, text);
  const bad = forbidden(text);
  if (bad !== undefined) throw invalid(field, `contains ${bad}`, text);
  if (!pattern.test(text)) throw invalid(field, `not ${what}`, text);
}

const hasPrefix = (name: string, prefix: string): boolean =>
  name.slice(0, prefix.length).toLowerCase() === prefix.toLowerCase();

/**
 * Checks a cookie name, value and attributes as {@link serializeCookie} does, without building the
 * header. Exported for the cookie middleware, which checks when the app asks, not at response start.
 *
 * @throws PorticoError `ERR_INVALID_OPTION`, the message naming the field (`cookie path is invalid:
 *   contains ";"`)
 */
export function checkCookie(
  name: string,
  value: string,
  attributes: CookieAttributes | HostCookieAttributes = {},
): void {
  checkText('name', name, TOKEN, 'a token (RFC 9110 section 5.6.2)');
  checkText('value', value, COOKIE_VALUE, 'cookie-octets (RFC 6265bis section 4.1.1)');
  const a = attributes as Partial<SecureCookieAttributes> & { secure?: boolean; sameSite?: string };
  if (a.path !== undefined) checkText('path', a.path, PATH_VALUE, 'a path starting with "/"');
  if (a.domain !== undefined) {
    // domain-value = <subdomain> (RFC 1034 section 3.5); the `cookie` package checks the LDH syntax.
    checkText('domain', a.domain, /^\.?[A-Za-z0-9.-]+$/, 'a host name');
  }
  if (a.maxAge !== undefined) {
    if (typeof a.maxAge !== 'number' || !Number.isSafeInteger(a.maxAge))
      throw invalid('maxAge', 'not an integer', a.maxAge);
    if (a.maxAge > MAX_AGE_LIMIT) throw invalid('maxAge', `over 400 days (${MAX_AGE_LIMIT} s)`, a.maxAge);
  }
  if (a.expires !== undefined) {
    if (!(a.expires instanceof Date) || !Number.isFinite(a.expires.getTime()))
      throw invalid('expires', 'not a valid Date', a.expires);
    if (a.expires.getTime() > Date.now() + MAX_AGE_LIMIT * 1000)
      throw invalid('expires', 'more than 400 days ahead', a.expires);
  }
  if (a.secure !== undefined && typeof a.secure !== 'boolean')
    throw invalid('secure', 'not a boolean', a.secure);
  if (a.httpOnly !== undefined && typeof a.httpOnly !== 'boolean')
    throw invalid('httpOnly', 'not a boolean', a.httpOnly);
  if (a.partitioned !== undefined && typeof a.partitioned !== 'boolean')
    throw invalid('partitioned', 'not a boolean', a.partitioned);
  if (a.sameSite !== undefined && a.sameSite !== 'strict' && a.sameSite !== 'lax' && a.sameSite !== 'none') {
    throw invalid('sameSite', 'not "strict", "lax" or "none"', a.sameSite);
  }
  if (a.priority !== undefined && a.priority !== 'low' && a.priority !== 'medium' && a.priority !== 'high') {
    throw invalid('priority', 'not "low", "medium" or "high"', a.priority);
  }
  if (a.sameSite === 'none' && a.secure !== true)
    throw invalid('sameSite', '"none" needs secure: true', a.sameSite);
  if (a.partitioned === true && a.secure !== true)
    throw invalid('partitioned', 'needs secure: true', a.partitioned);
  // RFC 6265bis section 4.1.3 (cookie name prefixes, matched case-insensitively by user agents).
  if (hasPrefix(name, '__Secure-') && a.secure !== true)
    throw invalid('secure', 'a "__Secure-" cookie needs secure: true', a.secure);
  if (hasPrefix(name, '__Host-')) {
    if (a.secure !== true) throw invalid('secure', 'a "__Host-" cookie needs secure: true', a.secure);
    if (a.domain !== undefined) throw invalid('domain', 'a "__Host-" cookie has no domain', a.domain);
    if (a.path !== '/') throw invalid('path', 'a "__Host-" cookie needs path "/"', a.path);
  }
}

/**
 * Builds one `Set-Cookie` header value: `name=value` and the attributes, in RFC 6265bis syntax
 * (`cookie`'s `serialize` writes it; Portico's checks run first). Values are not encoded: pass
 * cookie-octets (encode them yourself, e.g. base64url, if they may hold anything else).
 *
 * The prefix rules are in the types: a `__Host-` name needs `{ secure: true, path: '/' }` and no
 * domain, a `__Secure-` name needs `{ secure: true }`; `sameSite: 'none'` and `partitioned` need
 * `secure: true`. The same rules are checked at run time (for names only known then).
 *
 * @param name - the cookie name, an RFC 9110 token
 * @param value - the cookie value, cookie-octets without `=` (may be `""`)
 * @param rest - the attributes: see {@link CookieAttributes}, {@link SecureCookieAttributes},
 *   {@link HostCookieAttributes}
 * @returns e.g. `"sid=abc; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax"`
 * @throws PorticoError `ERR_INVALID_OPTION` whose message names the field: `;`, `=`, CR or LF in the
 *   name, value, path or domain; a name that is not a token; Max-Age not an integer or over 400
 *   days; Expires invalid or more than 400 days ahead; a prefix rule broken; SameSite=None or
 *   Partitioned without Secure (RFC 6265bis sections 4.1.1-4.1.3, 5.6)
 */
export function serializeCookie<N extends string>(
  name: N,
  value: string,
  ...rest: AttributesArgument<N>
): string {
  const attributes: CookieAttributes | HostCookieAttributes = rest[0] ?? {};
  checkCookie(name, value, attributes);
  try {
    return serialize(name, value, {
      encode: (v) => v,
      expires: attributes.expires,
      maxAge: attributes.maxAge,
      domain: attributes.domain,
      path: attributes.path,
      httpOnly: attributes.httpOnly,
      secure: attributes.secure,
      sameSite: attributes.sameSite,
      partitioned: attributes.partitioned,
      priority: attributes.priority,
    });
  } catch (error) {
    // `cookie` refuses what our checks let through only for domains outside its LDH syntax.
    throw new PorticoError('ERR_INVALID_OPTION', `cookie ${(error as Error).message}`, { cause: error });
  }
}
