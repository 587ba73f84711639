/**
 * The sync validator's checks of what an app passes to `startResponse`: the status line and the
 * header list (spec/sync.md "Status" and "Response headers"). Every rule here is app side.
 *
 * @module
 */
import { isPorticoError } from '../errors.js';
import { isHeaderName } from '../headers.js';
import type { Report } from './violation.js';

/**
 * `status = 3DIGIT SP reason-phrase`, the code a final one (200..599), the reason phrase
 * `*( HTAB / SP / VCHAR / obs-text )` (RFC 9112 section 4).
 */
const STATUS = /^[2-5][0-9][0-9] [\t\x20-\x7e\x80-\xff]*$/;

/** Hop-by-hop headers an app must not send (PEP 3333 "Other HTTP Features", RFC 9110 section 7.6.1). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailers',
  'transfer-encoding',
  'upgrade',
]);

/** What the checks learned from one `startResponse` call. */
export interface ResponseHead {
  /** The status code, or 0 when the status is invalid. */
  readonly code: number;
  /** The declared Content-Length in bytes, when there is exactly one valid one. */
  readonly contentLength: number | undefined;
  /** Whether status and headers broke no rule. */
  readonly valid: boolean;
}

/**
 * Checks the status string (SYNC-START-3): `"NNN Reason"` with NNN in 200..599.
 *
 * @returns the status code, or 0 when `status` is invalid
 */
export function checkStatus(status: unknown, report: Report): number {
  if (typeof status !== 'string' || !STATUS.test(status)) {
    report(
      'SYNC-START-3',
      'app',
      'status is not "NNN Reason" with NNN in 200..599 and a printable reason',
      status,
    );
    return 0;
  }
  return Number(status.slice(0, 3));
}

/** Index of the first code unit of `value` a field value may not hold (CTL other than HTAB), or -1. */
function controlAt(value: string): number {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return i;
  }
  return -1;
}

/** Index of the first code unit of `value` over 0xFF, or -1. */
function nonLatin1At(value: string): number {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) return i;
  return -1;
}

/**
 * Checks the header list (SYNC-HDR-1..6) and reads the Content-Length it declares.
 *
 * @returns whether every header is valid, and the Content-Length when it declares one valid value
 */
export function checkHeaders(headers: unknown, report: Report): { valid: boolean; contentLength?: number } {
  try {
    return checkHeaderList(headers, report);
  } catch (err) {
    if (isPorticoError(err)) throw err;
    // Reading the list threw (a revoked proxy, a getter that throws): it is no list of pairs.
    report('SYNC-HDR-1', 'app', 'headers could not be read as [name, value] pairs', headers);
    return { valid: false };
  }
}

function checkHeaderList(headers: unknown, report: Report): { valid: boolean; contentLength?: number } {
  if (!Array.isArray(headers)) {
    report('SYNC-HDR-1', 'app', 'headers is not an array of [name, value] pairs', headers);
    return { valid: false };
  }
  let valid = true;
  let contentLength: number | undefined;
  let lengths = 0;
  for (const header of headers as unknown[]) {
    if (
      !Array.isArray(header) ||
      header.length !== 2 ||
      typeof header[0] !== 'string' ||
      typeof header[1] !== 'string'
    ) {
      report('SYNC-HDR-1', 'app', 'a header is not a [name, value] pair of strings', header);
      valid = false;
      continue;
    }
    const [name, value] = header as [string, string];
    const lower = name.toLowerCase();
    if (!isHeaderName(name)) {
      report('SYNC-HDR-2', 'app', 'a header name is not a token (RFC 9110 section 5.6.2)', name);
      valid = false;
    } else if (lower === 'status') {
      report('SYNC-HDR-2', 'app', 'a "Status" header; the status goes in the status argument', header);
      valid = false;
    }
    if (nonLatin1At(value) >= 0) {
      report('SYNC-HDR-3', 'app', `header ${name} has a character over U+00FF; encode it first`, value);
      valid = false;
    } else if (controlAt(value) >= 0) {
      report('SYNC-HDR-4', 'app', `header ${name} has a control character (CR, LF, NUL...)`, value);
      valid = false;
    }
    if (HOP_BY_HOP.has(lower)) {
      report('SYNC-HDR-5', 'app', `hop-by-hop header ${name}; connection management is the server's`, header);
      valid = false;
    }
    if (lower === 'content-length') {
      lengths++;
      if (!/^[0-9]+$/.test(value)) {
        report('SYNC-HDR-6', 'app', 'Content-Length is not a decimal number', value);
        valid = false;
      } else if (lengths > 1) {
        report('SYNC-HDR-6', 'app', 'more than one Content-Length header', value);
        valid = false;
      } else contentLength = Number(value);
    }
  }
  return lengths === 1 && contentLength !== undefined ? { valid, contentLength } : { valid };
}

/** Checks status and headers of one `startResponse` call. */
export function checkHead(status: unknown, headers: unknown, report: Report): ResponseHead {
  const code = checkStatus(status, report);
  const { valid, contentLength } = checkHeaders(headers, report);
  return { code, contentLength, valid: valid && code !== 0 };
}
