/**
 * The request target: what a real HTTP client puts on the request line, and how it splits into
 * `rawPath` and `queryString` (spec/servers.md "Paths").
 *
 * @module
 */

import type { ByteString } from '@portico/spec';
import { PorticoError } from '@portico/spec';
import { utf8Encoder } from './util.js';

/** A value of the `query` option: one value or several (repeated keys, in order). */
export type QueryValue = string | number | boolean | readonly (string | number | boolean)[];

/** The `query` option: an object (keys in insertion order) or a `URLSearchParams`. */
export type QueryInit = URLSearchParams | Readonly<Record<string, QueryValue | undefined>>;

/** A parsed request target. */
export interface RequestTarget {
  /** The path as it goes on the wire: a byte string, undecoded, without the query. */
  readonly rawPath: ByteString;
  /** The raw query after `?` (byte string), `""` when absent. */
  readonly queryString: ByteString;
  /** The scheme of an absolute-form target (`http://host/path`), else `null`. */
  readonly scheme: string | null;
  /** The authority (`host[:port]`) of an absolute-form target, else `null`. */
  readonly authority: string | null;
}

const HEX = '0123456789ABCDEF';
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;

/**
 * Percent-encodes what a client may not put on the request line: every code point outside
 * `!`..`~` (controls, space, DEL and non-ASCII) becomes `%XX` of its UTF-8 bytes. Existing `%XX`
 * sequences stay as they are, so a test can write `/a%2Fb` and get that exact `rawPath`
 * (RFC 3986 section 2.1; WHATWG URL "path percent-encode set" for the non-ASCII part).
 */
export function encodeTargetPart(s: string): ByteString {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c > 0x20 && c < 0x7f) {
      out += ch;
      continue;
    }
    for (const b of utf8Encoder.encode(ch)) out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/**
 * Serializes the `query` option as `application/x-www-form-urlencoded` (WHATWG URL, the
 * `URLSearchParams` serializer: space as `+`). Keys with value `undefined` are skipped; array values
 * repeat the key.
 */
export function serializeQuery(query: QueryInit): string {
  if (query instanceof URLSearchParams) return query.toString();
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as readonly unknown[]) params.append(key, String(v));
    else params.append(key, String(value));
  }
  return params.toString();
}

/**
 * Parses the `path` argument of a request: origin-form (`/a/b?x=1`), absolute-form
 * (`http://example.com:8080/a?x=1`, which also sets the scheme and Host) or `*` (for OPTIONS).
 * A fragment (`#...`) is dropped, as clients never send it. `query` is appended to any query
 * already in the path, joined with `&`.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` when `path` is not a string, or is neither `*`, a path
 *   starting with `/`, nor an absolute `http(s)://` / `ws(s)://` URL
 */
export function parseTarget(path: string, query?: QueryInit): RequestTarget {
  if (typeof path !== 'string') {
    throw new PorticoError('ERR_INVALID_OPTION', `path must be a string, got ${typeof path}`);
  }
  let scheme: string | null = null;
  let authority: string | null = null;
  let rest = path;
  const abs = ABSOLUTE.exec(path);
  if (abs !== null) {
    scheme = (abs[1] as string).toLowerCase();
    if (scheme !== 'http' && scheme !== 'https' && scheme !== 'ws' && scheme !== 'wss') {
      throw new PorticoError('ERR_INVALID_OPTION', `unsupported URL scheme in path: ${JSON.stringify(path)}`);
    }
    const auth = abs[2] as string;
    authority = auth.slice(auth.lastIndexOf('@') + 1);
    if (authority === '') throw new PorticoError('ERR_INVALID_OPTION', `URL without a host: ${path}`);
    rest = abs[3] as string;
    if (rest === '' || rest[0] === '?' || rest[0] === '#') rest = `/${rest}`;
  } else if (path !== '*' && !path.startsWith('/') && !path.startsWith('*?')) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `path must start with "/" (or be "*" or an absolute http(s) URL): ${JSON.stringify(path)}`,
    );
  }
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const rawPath = encodeTargetPart(q >= 0 ? rest.slice(0, q) : rest);
  let queryString = q >= 0 ? encodeTargetPart(rest.slice(q + 1)) : '';
  if (query !== undefined) {
    const extra = serializeQuery(query);
    if (extra !== '') queryString = queryString === '' ? extra : `${queryString}&${extra}`;
  }
  return { rawPath, queryString, scheme, authority };
}
