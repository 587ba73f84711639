/**
 * What the auth middleware share: reading `Authorization`, writing `WWW-Authenticate` parameters as
 * quoted-strings, and the short text/plain rejection (400/401/403, or a websocket close).
 *
 * @module
 */

import { type Header, type HTTPScope, PorticoError, type Send, type WebSocketScope } from '@portico/spec';
import { headerValues } from '../shared/headers.js';
import { sendPlainText } from '../shared/plain-response.js';

/**
 * `value` as an HTTP quoted-string (RFC 9110 section 5.6.4): `"` and `\` escaped with `\`.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` naming `what` when `value` holds a control character
 *   (other than HTAB) or a character over U+00FF, which a quoted-string cannot carry
 */
export function quotedString(value: string, what: string): string {
  // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text; quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `option ${what} is invalid: control or non-Latin-1 character`,
    );
  }
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The value of the request's one `Authorization` field with surrounding whitespace removed, `null`
 * when there is none, `false` when there are several (it is not a list field: RFC 9110 section 11.6.2).
 */
export function authorizationOf(headers: readonly Header[]): string | null | false {
  const values = headerValues(headers, 'authorization');
  if (values.length > 1) return false;
  const [value] = values;
  return value === undefined ? null : value.replace(/^[\t ]+|[\t ]+$/g, '');
}

/**
 * Splits a credentials value into its auth-scheme (lowercased) and the rest after exactly one run of
 * spaces (RFC 9110 section 11.4: `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`).
 * `rest` is `''` when the scheme stands alone.
 */
export function splitCredentials(value: string): { scheme: string; rest: string } | undefined {
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: +([^ ].*))?$/s.exec(value);
  if (m === null) return undefined;
  return { scheme: (m[1] as string).toLowerCase(), rest: m[2] ?? '' };
}

/** Checks a realm option (a quoted-string, RFC 9110 section 11.5) and returns it quoted. */
export function quotedRealm(realm: unknown, what: string): string {
  if (typeof realm !== 'string')
    throw new PorticoError('ERR_INVALID_OPTION', `option ${what} must be a string`);
  return quotedString(realm, what);
}

/** Checks the `optional` option of an auth middleware. */
export function checkOptional(optional: unknown, what: string): boolean {
  if (optional === undefined) return false;
  if (typeof optional !== 'boolean') {
    throw new PorticoError('ERR_INVALID_OPTION', `option optional of ${what} must be a boolean`);
  }
  return optional;
}

/** A rejection: the status, a short message for the body, and the `WWW-Authenticate` values. */
export interface Rejection {
  readonly status: 400 | 401 | 403;
  readonly message: string;
  readonly challenges: readonly string[];
}

/**
 * Answers a rejected request. http: `status` with `content-type: text/plain; charset=utf-8`,
 * `content-length`, `cache-control: no-store` and one `www-authenticate` per challenge; no body for
 * HEAD. websocket: `websocket.close` with code 1008 (policy violation) before accept, which the
 * server turns into a 403 (spec/async.md section 12).
 */
export async function reject(
  scope: HTTPScope | WebSocketScope,
  send: Send,
  rejection: Rejection,
): Promise<void> {
  if (scope.type === 'websocket') {
    await send({ type: 'websocket.close', code: 1008, reason: rejection.message });
    return;
  }
  await sendPlainText(send, scope.method, rejection.status, rejection.message, [
    ['cache-control', 'no-store'],
    ...rejection.challenges.map((c): Header => ['www-authenticate', c]),
  ]);
}
