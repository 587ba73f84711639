/**
 * Path decoding shared by servers, bridges and the validator (spec/servers.md "Paths").
 *
 * @module
 */

import type { ByteString } from './async-types.js';

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/**
 * Decodes a raw request path (a byte string) the way every Portico server must: `%XX` sequences
 * become bytes (`%2F` included; a `%` not followed by two hex digits stays as it is), then the bytes
 * are decoded as UTF-8 with invalid sequences replaced by U+FFFD (WHATWG UTF-8 decode).
 *
 * Source: RFC 3986 section 2.1 (percent-encoding), spec/servers.md "Paths".
 *
 * @param raw - the path as sent, without the query string, one char per byte
 * @returns the decoded path
 */
export function decodePath(raw: ByteString): string {
  let plain = true;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 || c > 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) return raw;
  return utf8.decode(percentDecodeBytes(raw));
}

/**
 * The bytes of a raw path with every `%XX` (two hex digits, either case) turned into its byte and
 * every other char kept as the byte it stands for; a `%` not followed by two hex digits stays as it
 * is. No UTF-8 decoding: that is {@link decodePath}'s second step.
 *
 * Source: RFC 3986 section 2.1.
 *
 * @param raw - a byte string (one char per byte), e.g. `rawPath`
 * @returns a new array of at most `raw.length` bytes
 */
export function percentDecodeBytes(raw: ByteString): Uint8Array {
  const bytes = new Uint8Array(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i) & 0xff;
    if (c === 0x25 && i + 2 < raw.length) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    bytes[n++] = c;
  }
  return bytes.subarray(0, n);
}

/**
 * Splits a decoded request path into `[rootPath, path]` for a server configured with `rootPath`
 * (spec/servers.md "rootPath"): when the path starts with `rootPath` at a segment boundary, the
 * prefix moves out; otherwise the front end already removed it and the path stays whole.
 *
 * @param decoded - the decoded request path
 * @param rootPath - the configured root path, `""` or starting with `/` and not ending with `/`
 */
export function splitRootPath(decoded: string, rootPath: string): readonly [rootPath: string, path: string] {
  if (rootPath === '') return ['', decoded];
  if (decoded.startsWith(rootPath)) {
    const rest = decoded.slice(rootPath.length);
    if (rest === '' || rest.charCodeAt(0) === 0x2f) return [rootPath, rest];
  }
  return [rootPath, decoded];
}

/**
 * Normalizes a configured root path: `""` stays, a trailing `/` is removed, a missing leading `/` is
 * an error.
 *
 * @throws TypeError when `rootPath` is not `""` and does not start with `/`
 */
export function normalizeRootPath(rootPath: string): string {
  if (rootPath === '' || rootPath === '/') return '';
  if (!rootPath.startsWith('/'))
    throw new TypeError(`rootPath must start with "/": ${JSON.stringify(rootPath)}`);
  return rootPath.endsWith('/') ? rootPath.replace(/\/+$/, '') : rootPath;
}
