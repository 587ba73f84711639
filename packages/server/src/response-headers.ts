/**
 * Checks on what an app sends as response headers, and the fixed responses a server sends on its
 * own (500, 413, 400, 431). Shared so that every adapter refuses the same headers the same way.
 *
 * @module
 */
import type { Header, HeaderList } from '@portico/spec';
import { isHeaderName, isHeaderValue, PorticoError, preview } from '@portico/spec';

/** What {@link inspectHeaders} learned about a valid header list. */
export interface HeaderFacts {
  /** The declared `content-length`, or -1 when absent. */
  contentLength: number;
  /** Whether the app set `transfer-encoding` itself. */
  transferEncoding: boolean;
}

/**
 * Checks a header list an app sent (`http.response.start`, trailers, early hints): an array of
 * `[name, value]` string pairs, each name an RFC 9110 token, each value Latin-1 without CR, LF or
 * NUL (`SRV-SEC-1`: nothing that could split or inject a header ever reaches the wire). A
 * `content-length` must be one decimal number (`SRV-RESP-2`).
 *
 * @param facts - filled in with what was found (reset first); pass `null` to skip
 * @returns `null` when the list is fine, else the error to refuse the event with (`ERR_BAD_HEADER`)
 */
export function inspectHeaders(headers: unknown, facts: HeaderFacts | null): PorticoError | null {
  if (facts !== null) {
    facts.contentLength = -1;
    facts.transferEncoding = false;
  }
  if (!Array.isArray(headers))
    return badHeader('headers must be an array of [name, value] pairs', headers, 'SRV-ERR-5');
  if (sameAsLast(headers)) {
    if (facts !== null) {
      facts.contentLength = last.contentLength;
      facts.transferEncoding = last.transferEncoding;
    }
    return null;
  }
  for (let i = 0; i < headers.length; i++) {
    const pair = headers[i] as Header | undefined;
    if (!Array.isArray(pair) || pair.length !== 2)
      return badHeader('a header must be a [name, value] pair', pair, 'SRV-ERR-5');
    const name = pair[0];
    const value = pair[1];
    if (typeof name !== 'string' || !isHeaderName(name)) {
      // `SRV-SEC-1`: refuse, never write, a name that is not a token (CR, LF, NUL, ':' or space in it).
      return badHeader('response header name is not an RFC 9110 token', name, 'SRV-SEC-1');
    }
    if (typeof value !== 'string' || !isHeaderValue(value)) {
      // `SRV-SEC-1`: CR, LF, NUL or a code point over 0xFF would let the app inject header lines.
      return badHeader(
        `response header ${name} has CR, LF, NUL or non-Latin-1 in its value`,
        value,
        'SRV-SEC-1',
      );
    }
    if (facts === null) continue;
    const len = name.length;
    if (len === 14 && name.toLowerCase() === 'content-length') {
      // `SRV-RESP-2`: one decimal Content-Length, which the body must then match.
      if (facts.contentLength !== -1 || !/^\d{1,15}$/.test(value)) {
        return badHeader('response content-length must be a single decimal number', value, 'SRV-RESP-2');
      }
      facts.contentLength = Number(value);
    } else if (len === 17 && name.toLowerCase() === 'transfer-encoding') {
      facts.transferEncoding = true;
    }
  }
  if (facts !== null) remember(headers as Header[], facts);
  return null;
}

/**
 * The fields of the last list {@link inspectHeaders} passed (with facts), `[name, value, ...]`, and
 * what it found in them. A list holding the same strings in the same order is valid as that one
 * was, whether it is the same array or one made afresh (as the sync bridge and most apps make one
 * per response from constant strings), so it is not checked again; a list changed in place since
 * no longer matches and is checked again.
 */
const last = {
  fields: [] as string[],
  contentLength: -1,
  transferEncoding: false,
};

function sameAsLast(headers: unknown[]): boolean {
  const fields = last.fields;
  if (fields.length === 0 || headers.length * 2 !== fields.length) return false;
  for (let i = 0, j = 0; i < headers.length; i++, j += 2) {
    const pair = headers[i] as unknown;
    // Still a pair (an array of two items) holding the same two strings.
    if (!Array.isArray(pair) || pair.length !== 2 || pair[0] !== fields[j] || pair[1] !== fields[j + 1])
      return false;
  }
  return true;
}

function remember(headers: Header[], facts: HeaderFacts): void {
  const fields = last.fields;
  const n = headers.length;
  if (fields.length !== n * 2) fields.length = n * 2;
  for (let i = 0, j = 0; i < n; i++, j += 2) {
    const pair = headers[i]!;
    fields[j] = pair[0];
    fields[j + 1] = pair[1];
  }
  last.contentLength = facts.contentLength;
  last.transferEncoding = facts.transferEncoding;
}

function badHeader(what: string, value: unknown, rule: string): PorticoError {
  return new PorticoError('ERR_BAD_HEADER', `${what} (${rule}); value: ${preview(value)}`, {
    side: 'app',
    value,
    rule,
  });
}

/** Returns `headers` with `[name, value]` appended (a new array; the app's list is not touched). */
export function withHeader(headers: HeaderList, name: string, value: string): HeaderList {
  const out = headers.slice() as Header[];
  out.push([name, value]);
  return out;
}

/** Returns `headers` without the fields named `name` (lowercase; compared case-insensitively). */
export function withoutHeader(headers: HeaderList, name: string): HeaderList {
  return headers.filter((h) => h[0].length !== name.length || h[0].toLowerCase() !== name);
}

/** Whether a response with this status has no body by definition (RFC 9110 sections 15.2, 15.3.5, 15.4.5). */
export function isBodylessStatus(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

/** A complete response the server sends on its own. */
export interface FixedResponse {
  readonly status: number;
  readonly headers: HeaderList;
  readonly body: Uint8Array;
}

function fixed(status: number, text: string): FixedResponse {
  const body = Buffer.from(`${text}\n`, 'latin1');
  return Object.freeze({
    status,
    headers: Object.freeze([
      ['content-type', 'text/plain; charset=utf-8'],
      ['content-length', String(body.length)],
      ['connection', 'close'],
    ] as const),
    body,
  });
}

/** The fixed responses; each closes the connection (`connection: close`). */
export const FIXED_RESPONSES: Readonly<Record<400 | 408 | 413 | 431 | 500, FixedResponse>> = Object.freeze({
  400: fixed(400, 'Bad Request'),
  408: fixed(408, 'Request Timeout'),
  413: fixed(413, 'Content Too Large'),
  431: fixed(431, 'Request Header Fields Too Large'),
  500: fixed(500, 'Internal Server Error'),
});
