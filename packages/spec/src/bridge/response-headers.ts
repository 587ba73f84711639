/**
 * Checking the status and headers a sync app gives `startResponse`, as a server must (spec/sync.md
 * section 7.2): the same rules as the validator's `checkStatus` / `checkHeaders`, in one pass that
 * also lowercases the names, because the bridge runs it on every request.
 *
 * @module
 */
import type { Header } from '../async-types.js';
import { isPorticoError, PorticoError } from '../errors.js';
import { isHeaderName } from '../headers.js';
import type { StartResponse } from '../sync-types.js';
import { HOP_BY_HOP } from '../validator/sync-head.js';
import { violation } from '../validator/violation.js';

/**
 * Names that passed the name checks (a token, not `Status`, not hop-by-hop) -> lowercase, so a name
 * an app sends on every response is checked once. Bounded, so odd names cannot grow it.
 */
const NAMES = new Map<string, string>();
const MAX_CACHED_NAMES = 1024;

/**
 * The error a server's `startResponse` throws for a bad status or header: code `ERR_BAD_HEADER`,
 * with the rule id, side `app` and the value, worded like the validator's report.
 */
function badHeader(rule: string, what: string, value: unknown): PorticoError {
  const err = violation(rule, 'app', what, value);
  return new PorticoError('ERR_BAD_HEADER', err.message, { rule, side: 'app', value });
}

/**
 * The status code of `status`, checked against SYNC-START-3: three digits, the first 2 to 5, a
 * space, and a reason phrase of HTAB, SP, VCHAR and obs-text (RFC 9112 section 4).
 *
 * @throws PorticoError `ERR_BAD_HEADER` (rule SYNC-START-3) otherwise
 */
export function checkedStatus(status: unknown): number {
  if (typeof status === 'string' && status.length >= 4 && status.charCodeAt(3) === 0x20) {
    const a = status.charCodeAt(0) - 0x30;
    const b = status.charCodeAt(1) - 0x30;
    const c = status.charCodeAt(2) - 0x30;
    let ok = a >= 2 && a <= 5 && b >= 0 && b <= 9 && c >= 0 && c <= 9;
    for (let i = 4; ok && i < status.length; i++) {
      const ch = status.charCodeAt(i);
      ok = ch === 0x09 || (ch >= 0x20 && ch !== 0x7f && ch <= 0xff);
    }
    if (ok) return a * 100 + b * 10 + c;
  }
  throw badHeader(
    'SYNC-START-3',
    'status is not "NNN Reason" with NNN in 200..599 and a printable reason',
    status,
  );
}

/**
 * The header list checked against SYNC-HDR-1..6 and copied with names lowercased (the async
 * interface's form, ASYNC-HDR-2): `[name, value]` pairs of strings; names RFC 9110 tokens, not
 * `Status`, not hop-by-hop; values Latin-1 without control characters other than HTAB; at most one
 * `Content-Length`, decimal digits.
 *
 * @throws PorticoError `ERR_BAD_HEADER` naming the rule broken, for the first bad header
 */
export function checkedHeaders(headers: Parameters<StartResponse>[1]): Header[] {
  try {
    return checkHeaderList(headers);
  } catch (err) {
    if (isPorticoError(err)) throw err;
    // Reading the list threw (a revoked proxy, a getter that throws): it is no list of pairs.
    throw badHeader('SYNC-HDR-1', 'headers could not be read as [name, value] pairs', headers);
  }
}

function checkHeaderList(headers: Parameters<StartResponse>[1]): Header[] {
  if (!Array.isArray(headers))
    throw badHeader('SYNC-HDR-1', 'headers is not an array of [name, value] pairs', headers);
  const out: Header[] = new Array(headers.length);
  let lengths = 0;
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i] as unknown;
    if (!Array.isArray(header) || header.length !== 2) {
      throw badHeader('SYNC-HDR-1', 'a header is not a [name, value] pair of strings', header);
    }
    const name = header[0] as unknown;
    const value = header[1] as unknown;
    if (typeof name !== 'string' || typeof value !== 'string') {
      throw badHeader('SYNC-HDR-1', 'a header is not a [name, value] pair of strings', header);
    }
    let lower = NAMES.get(name);
    let hopByHop = false;
    if (lower === undefined) {
      if (!isHeaderName(name))
        throw badHeader('SYNC-HDR-2', 'a header name is not a token (RFC 9110 section 5.6.2)', name);
      lower = name.toLowerCase();
      if (lower === 'status') {
        throw badHeader('SYNC-HDR-2', 'a "Status" header; the status goes in the status argument', header);
      }
      hopByHop = HOP_BY_HOP.has(lower);
      if (!hopByHop && NAMES.size < MAX_CACHED_NAMES) NAMES.set(name, lower);
    }
    let control = false;
    for (let j = 0; j < value.length; j++) {
      const c = value.charCodeAt(j);
      if (c > 0xff)
        throw badHeader('SYNC-HDR-3', `header ${name} has a character over U+00FF; encode it first`, value);
      if ((c < 0x20 && c !== 0x09) || c === 0x7f) control = true;
    }
    if (control)
      throw badHeader('SYNC-HDR-4', `header ${name} has a control character (CR, LF, NUL...)`, value);
    if (hopByHop) {
      throw badHeader(
        'SYNC-HDR-5',
        `hop-by-hop header ${name}; connection management is the server's`,
        header,
      );
    }
    if (lower === 'content-length') {
      if (!/^[0-9]+$/.test(value))
        throw badHeader('SYNC-HDR-6', 'Content-Length is not a decimal number', value);
      if (++lengths > 1) throw badHeader('SYNC-HDR-6', 'more than one Content-Length header', value);
    }
    out[i] = [lower, value];
  }
  return out;
}
