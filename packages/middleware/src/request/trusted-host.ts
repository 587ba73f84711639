/**
 * The `trustedHost()` middleware: requests for a host the site does not serve are refused (Host
 * header spoofing, DNS rebinding).
 *
 * @module
 */

import { isIP } from 'node:net';
import { type App, type AsyncApp, asyncApp, PorticoError } from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';
import { headerValues } from '../shared/headers.js';
import { sendPlainText } from '../shared/plain-response.js';

/** Options of {@link trustedHost}. */
export interface TrustedHostOptions {
  /**
   * The host names served, without port, case-insensitive, a final FQDN dot ignored (on both sides):
   * `'example.com'`, `'*.example.com'`
   * (any subdomain, not `example.com` itself), `'[::1]'` (IPv6 literal in brackets), `'127.0.0.1'`,
   * or `'*'` (any host: the middleware then does nothing but refuse a missing Host). Required,
   * non-empty.
   */
  allowed: readonly string[];
  /**
   * When the host is not allowed but `www.` + host is (exactly), redirect there (308, same path and
   * query) instead of refusing, as Starlette does. Default `true`.
   */
  wwwRedirect?: boolean;
  /** Let a request without a `Host` header through (HTTP/1.0 clients). Default `false`: 400. */
  allowMissing?: boolean;
}

// RFC 3986 section 3.2.2 reg-name restricted to DNS names: letters, digits, "-", "_", ".".
const NAME = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/;

function invalid(entry: unknown): PorticoError {
  return new PorticoError(
    'ERR_INVALID_OPTION',
    `option allowed of trustedHost(): not a host name, '*.' + name, '[IPv6]' or '*': ${JSON.stringify(entry)}`,
  );
}

function checkPattern(entry: unknown): string {
  if (typeof entry !== 'string') throw invalid(entry);
  const p = entry.toLowerCase();
  if (p === '*') return p;
  if (p.startsWith('[') && p.endsWith(']') && isIP(p.slice(1, -1)) === 6) return p;
  const name = p.startsWith('*.') ? p.slice(2) : p;
  if (!NAME.test(name)) throw invalid(entry);
  // `example.com.` (FQDN) is `example.com`: hostName() drops the request's dot the same way.
  return p.length > 1 && p.endsWith('.') ? p.slice(0, -1) : p;
}

/**
 * The host name of a `Host` header value: port stripped, lowercased, an IPv6 literal kept in
 * brackets. `null` when the value is not `host[:port]` (RFC 9110 section 7.2, RFC 3986 section
 * 3.2.2-3.2.3).
 */
export function hostName(value: string): string | null {
  const v = value.trim().toLowerCase();
  let name: string;
  let port = '';
  if (v.startsWith('[')) {
    const close = v.indexOf(']');
    if (close < 0 || isIP(v.slice(1, close)) !== 6) return null;
    name = v.slice(0, close + 1);
    const rest = v.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return null;
      port = rest.slice(1);
    }
  } else {
    const colon = v.indexOf(':');
    name = colon < 0 ? v : v.slice(0, colon);
    port = colon < 0 ? '' : v.slice(colon + 1);
    if (!NAME.test(name)) return null;
  }
  if (port !== '' && !/^[0-9]{1,5}$/.test(port)) return null;
  return name.length > 1 && name.endsWith('.') ? name.slice(0, -1) : name; // FQDN dot: same host
}

function matches(host: string, patterns: readonly string[]): boolean {
  for (const p of patterns) {
    if (p === '*' || p === host) return true;
    if (p.startsWith('*.') && host.endsWith(p.slice(1))) return true;
  }
  return false;
}

/**
 * Refuses `http` and `websocket` requests whose `Host` is not in `allowed` (Starlette's
 * `TrustedHostMiddleware`, Django's `ALLOWED_HOSTS`): the header's host name (port stripped,
 * lowercased, IPv6 literal in brackets) must equal an entry or end with a `*.` entry's suffix.
 *
 * - http: `400 Invalid host header` (`text/plain`). Also for more than one `Host` (RFC 9112
 *   section 3.2) and, unless `allowMissing`, for none. With `wwwRedirect`, a request for
 *   `example.com` when only `www.example.com` is allowed gets `308` to
 *   `<scheme>://www.example.com[:port]<rawPath>?<query>`.
 * - websocket: `websocket.close` with code 1008 (policy violation) before accept; the server then
 *   answers the handshake with 403.
 *
 * Put it after `proxyHeaders()` (which may set the Host from `X-Forwarded-Host` with `trustHost`).
 * Lifespan and other scopes pass through (MW-PASS-1).
 *
 * @param options - see {@link TrustedHostOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` for an empty or bad `allowed` entry (when called)
 */
export function trustedHost(options: TrustedHostOptions): (app: App) => AsyncApp {
  const allowedOption = (options as Partial<TrustedHostOptions> | undefined)?.allowed;
  if (!Array.isArray(allowedOption) || allowedOption.length === 0) {
    throw new PorticoError('ERR_INVALID_OPTION', 'option allowed of trustedHost() must be a non-empty array');
  }
  const allowed = allowedOption.map(checkPattern);
  const wwwRedirect = options.wwwRedirect ?? true;
  const allowMissing = options.allowMissing ?? false;
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to trustedHost()');
    return asyncApp(async function trustedHostApp(scope, receive, send) {
      if (scope.type !== 'http' && scope.type !== 'websocket') return inner(scope, receive, send);
      const values = headerValues(scope.headers, 'host');
      let ok = false;
      let redirect: string | undefined;
      if (values.length === 0) ok = allowMissing;
      else if (values.length === 1) {
        const value = values[0] as string;
        const name = hostName(value);
        if (name !== null) {
          ok = matches(name, allowed);
          if (!ok && wwwRedirect && allowed.includes(`www.${name}`)) {
            redirect = `www.${value.trim().toLowerCase()}`;
          }
        }
      }
      if (ok) return inner(scope, receive, send);
      if (scope.type === 'websocket') {
        await send({ type: 'websocket.close', code: 1008, reason: 'Invalid host header' });
        return;
      }
      if (redirect !== undefined) {
        const query = scope.queryString === '' ? '' : `?${scope.queryString}`;
        const location = `${scope.scheme}://${redirect}${scope.rawPath}${query}`;
        return sendPlainText(send, scope.method, 308, `Redirecting to ${location}`, [['location', location]]);
      }
      return sendPlainText(send, scope.method, 400, 'Invalid host header');
    });
  };
}
