/**
 * The `securityHeaders()` middleware: helmet-like response headers that turn on browser defences.
 *
 * @module
 */

import { type App, type AsyncApp, asyncApp, type Header, PorticoError, type Send } from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';

/** `Strict-Transport-Security` settings (RFC 6797 section 6.1). */
export interface HstsOptions {
  /** `max-age` in seconds, an integer >= 0. Default `31536000` (365 days). `0` tells browsers to forget. */
  maxAge?: number;
  /** Add `includeSubDomains`. Default `true`. */
  includeSubDomains?: boolean;
  /**
   * Add `preload` (hstspreload.org). Default `false`: preloading is a commitment for every
   * subdomain that is slow to undo, so it is opted into, never defaulted.
   */
  preload?: boolean;
}

/**
 * Options of {@link securityHeaders}. For each header: `false` leaves it out, a string replaces the
 * default value; `undefined` (or absent) keeps the default.
 */
export interface SecurityHeadersOptions {
  /** `Content-Security-Policy`. Default {@link DEFAULT_CSP}. */
  contentSecurityPolicy?: string | false;
  /** `Cross-Origin-Opener-Policy`. Default `'same-origin'`. */
  crossOriginOpenerPolicy?: string | false;
  /** `Referrer-Policy`. Default `'strict-origin-when-cross-origin'` (see the docs for why). */
  referrerPolicy?: string | false;
  /**
   * `Strict-Transport-Security`, sent only on `https` requests (RFC 6797 section 7.2). Default
   * `{ maxAge: 31536000, includeSubDomains: true, preload: false }`; a string is sent as is.
   */
  strictTransportSecurity?: HstsOptions | string | false;
  /** `X-Content-Type-Options`. Default `'nosniff'`. */
  xContentTypeOptions?: string | false;
  /**
   * `X-Frame-Options`. Default `'DENY'` (old browsers; new ones read the CSP's `frame-ancestors`).
   */
  xFrameOptions?: string | false;
}

/**
 * The default `Content-Security-Policy`: everything from the page's own origin only, no plugins, no
 * `<base>` hijack, forms post only to the origin, no framing (`frame-ancestors 'none'`, the modern
 * `X-Frame-Options: DENY`). Inline scripts and styles are blocked: move them to files, or set your
 * own policy with nonces.
 */
export const DEFAULT_CSP =
  "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; " +
  "img-src 'self' data:; object-src 'none'; script-src 'self'; style-src 'self'";

const DEFAULTS = {
  contentSecurityPolicy: DEFAULT_CSP,
  crossOriginOpenerPolicy: 'same-origin',
  referrerPolicy: 'strict-origin-when-cross-origin',
  xContentTypeOptions: 'nosniff',
  xFrameOptions: 'DENY',
} as const;

const NAMES: Readonly<Record<keyof typeof DEFAULTS, string>> = {
  contentSecurityPolicy: 'content-security-policy',
  crossOriginOpenerPolicy: 'cross-origin-opener-policy',
  referrerPolicy: 'referrer-policy',
  xContentTypeOptions: 'x-content-type-options',
  xFrameOptions: 'x-frame-options',
};

const KNOWN = new Set([...Object.keys(DEFAULTS), 'strictTransportSecurity']);

function invalid(option: string, why: string): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', `option ${option} of securityHeaders() ${why}`);
}

// A header value: visible ASCII, space and tab, not empty at the edges (RFC 9110 section 5.5); CR,
// LF, NUL and other controls are refused so no option can split a header.
function checkValue(option: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?$/.test(value)) {
    throw invalid(
      option,
      `must be false or a header value without CR, LF or controls: ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function hstsValue(option: HstsOptions | string): string {
  if (typeof option === 'string') return checkValue('strictTransportSecurity', option);
  if (typeof option !== 'object' || option === null) {
    throw invalid(
      'strictTransportSecurity',
      'must be false, a string or { maxAge, includeSubDomains, preload }',
    );
  }
  const { maxAge = 31_536_000, includeSubDomains = true, preload = false } = option;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw invalid(
      'strictTransportSecurity.maxAge',
      `must be an integer number of seconds >= 0: ${String(maxAge)}`,
    );
  }
  if (typeof includeSubDomains !== 'boolean')
    throw invalid('strictTransportSecurity.includeSubDomains', 'must be a boolean');
  if (typeof preload !== 'boolean') throw invalid('strictTransportSecurity.preload', 'must be a boolean');
  if (preload && (!includeSubDomains || maxAge < 31_536_000)) {
    // hstspreload.org refuses a preload without includeSubDomains and a max-age of at least a year.
    throw invalid('strictTransportSecurity.preload', 'needs includeSubDomains and maxAge >= 31536000');
  }
  return `max-age=${maxAge}${includeSubDomains ? '; includeSubDomains' : ''}${preload ? '; preload' : ''}`;
}

/**
 * The headers {@link securityHeaders} adds, for an `http` and an `https` request, in order: the
 * options checked and resolved once.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` as {@link securityHeaders}
 */
export function resolveSecurityHeaders(options: SecurityHeadersOptions = {}): {
  readonly http: readonly Header[];
  readonly https: readonly Header[];
} {
  if (typeof options !== 'object' || options === null) throw invalid('(all)', 'must be an object');
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) throw invalid(key, 'is not known');
  const http: Header[] = [];
  for (const key of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
    const value = options[key];
    if (value === false) continue;
    http.push([NAMES[key], value === undefined ? DEFAULTS[key] : checkValue(key, value)]);
  }
  const sts = options.strictTransportSecurity;
  const https =
    sts === false
      ? http
      : [...http, ['strict-transport-security', hstsValue(sts === undefined ? {} : sts)] as Header];
  return { http, https };
}

/**
 * Adds security headers to every `http` response (when the app sends `http.response.start`, a copy
 * with the headers added is sent): `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
 * `Referrer-Policy: strict-origin-when-cross-origin`, `Cross-Origin-Opener-Policy: same-origin`,
 * `Content-Security-Policy:` {@link DEFAULT_CSP}, and, on `https` scopes only,
 * `Strict-Transport-Security: max-age=31536000; includeSubDomains` (RFC 6797 section 7.2: a server
 * MUST NOT send it over plain http; put a proxy-headers middleware first when TLS ends at a proxy).
 *
 * A header the app already set (any case) is kept as the app set it: the app wins, so a route can
 * relax its own CSP or allow framing. Other scope types and events pass through (MW-PASS-1..3); the
 * body is never held (MW-BODY-3).
 *
 * @param options - see {@link SecurityHeadersOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` for an unknown option, a value with CR, LF or another
 *   control character, or bad HSTS settings (when called)
 */
export function securityHeaders(options: SecurityHeadersOptions = {}): (app: App) => AsyncApp {
  const resolved = resolveSecurityHeaders(options);
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to securityHeaders()');
    return asyncApp(async function securityHeadersApp(scope, receive, send) {
      if (scope.type !== 'http') return inner(scope, receive, send);
      const added = scope.scheme === 'https' ? resolved.https : resolved.http;
      const securityHeadersSend: Send = (event) => {
        if (event.type !== 'http.response.start' || added.length === 0) return send(event);
        const own = event.headers ?? [];
        const present = new Set(own.map(([name]) => name.toLowerCase()));
        const missing = added.filter(([name]) => !present.has(name));
        return send(missing.length === 0 ? event : { ...event, headers: [...own, ...missing] });
      };
      return inner(scope, receive, securityHeadersSend);
    });
  };
}
