/**
 * Request headers as the test accepts them, and as they land in the scope: lowercase names, order
 * and duplicates kept (spec/async.md "Headers").
 *
 * @module
 */

import type { Header, HeaderList } from '@portico/spec';
import { isHeaderName, isHeaderValue, PorticoError } from '@portico/spec';
import { refused } from './util.js';

/**
 * Headers as a test gives them: an object (an array value repeats the header, in order) or a list
 * of `[name, value]` pairs (order and duplicates kept). Names may be any case; values are byte
 * strings (code points 0..255; use `toByteString` from `@portico/spec` for UTF-8 text).
 */
export type HeadersInit =
  | Readonly<Record<string, string | number | readonly string[] | undefined>>
  | Iterable<readonly [string, string]>;

function check(name: string, value: string): Header {
  if (typeof name !== 'string' || !isHeaderName(name)) {
    throw new PorticoError('ERR_BAD_HEADER', `request header name is not a token: ${JSON.stringify(name)}`);
  }
  if (typeof value !== 'string' || !isHeaderValue(value)) {
    throw new PorticoError(
      'ERR_BAD_HEADER',
      `request header ${name} has a value with CR, LF, NUL or a code point over 255 ` +
        `(encode text with toByteString): ${JSON.stringify(value)}`,
    );
  }
  return [name.toLowerCase(), value];
}

/**
 * Turns a {@link HeadersInit} into a header list with lowercase names, order and duplicates kept.
 *
 * @throws PorticoError `ERR_BAD_HEADER` for a name that is not an RFC 9110 token or a value with CR,
 *   LF, NUL or a code point over 255 (RFC 9110 section 5.5; a real server refuses these)
 */
export function normalizeHeaders(init: HeadersInit | undefined): Header[] {
  const out: Header[] = [];
  if (init === undefined) return out;
  if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const pair of init as Iterable<readonly [string, string]>) {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new PorticoError('ERR_BAD_HEADER', 'a header must be a [name, value] pair');
      }
      out.push(check(pair[0], pair[1]));
    }
    return out;
  }
  for (const [name, value] of Object.entries(init as Record<string, unknown>)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as unknown[]) out.push(check(name, v as string));
    else out.push(check(name, typeof value === 'number' ? String(value) : (value as string)));
  }
  return out;
}

/** Whether `headers` holds a header named `name` (lowercase). */
export function hasHeader(headers: HeaderList, name: string): boolean {
  for (const h of headers) if (h[0] === name) return true;
  return false;
}

/**
 * Merges the client's default headers with a request's own: every name the request sets replaces
 * all default headers of that name; the defaults come first, then the request's, order kept.
 */
export function mergeHeaders(defaults: HeaderList, own: Header[]): Header[] {
  if (defaults.length === 0) return own;
  if (own.length === 0) return defaults.slice();
  const names = new Set(own.map((h) => h[0]));
  const out: Header[] = [];
  for (const h of defaults) if (!names.has(h[0])) out.push(h);
  for (const h of own) out.push(h);
  return out;
}

/** The first value of header `name` (any case) in `headers`, or `null`. */
export function firstHeader(headers: HeaderList, name: string): string | null {
  const want = name.toLowerCase();
  for (const [n, v] of headers) if (n.toLowerCase() === want) return v;
  return null;
}

/** Every value of header `name` (any case) in `headers`, in order. */
export function allHeaders(headers: HeaderList, name: string): string[] {
  const want = name.toLowerCase();
  const out: string[] = [];
  for (const [n, v] of headers) if (n.toLowerCase() === want) out.push(v);
  return out;
}

/**
 * Checks a header list the app sent (response, trailers, early hints) as a server must before it
 * writes it: `[name, value]` string pairs, names RFC 9110 tokens, values without CR, LF, NUL or code
 * points over 255 (spec/servers.md "Security": nothing is injected). Returns a copy.
 *
 * @param what - which list, for the message (`response`, `trailer`, `early hints`)
 * @throws PorticoError `ERR_SPEC_VIOLATION` (side app) for a malformed list, `ERR_BAD_HEADER` for a
 *   bad name or value
 */
export function checkResponseHeaders(headers: unknown, what: string): Header[] {
  if (headers === undefined) return [];
  if (!Array.isArray(headers)) throw refused(`${what} headers must be an array of [name, value]`, headers);
  const out: Header[] = [];
  for (const h of headers as unknown[]) {
    if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== 'string' || typeof h[1] !== 'string') {
      throw refused(`${what} header must be a [name, value] pair of strings`, h);
    }
    if (!isHeaderName(h[0]))
      throw new PorticoError('ERR_BAD_HEADER', `${what} header name is not a token`, { value: h });
    if (!isHeaderValue(h[1])) {
      throw new PorticoError(
        'ERR_BAD_HEADER',
        `${what} header value has CR, LF, NUL or a code point over 255`,
        {
          value: h,
        },
      );
    }
    out.push([h[0], h[1]]);
  }
  return out;
}
