/**
 * Reading a request head that llhttp parsed: the request target split into `rawPath` and
 * `queryString`, and the header list, with the checks node:http does not make (spec/servers.md
 * "Requests the server refuses"). Pure functions over strings, tested without sockets.
 *
 * @module
 */
import type { Header } from '@portico/spec';

/** What {@link scanHeaders} found; reused between calls (the scan is synchronous). */
export interface HeadFacts {
  /** The request's Content-Length, or -1 when absent. */
  contentLength: number;
  /** Whether a Transfer-Encoding header is present (llhttp accepts only a final `chunked`). */
  transferEncoding: boolean;
  /** Why the request must be refused (with its rule id), or `null`. */
  refusal: string | null;
  /** The status to refuse it with. */
  refusalStatus: 400 | 431;
  /** The spec/servers.md rule the request breaks. */
  rule: string;
}

/**
 * Builds the scope's header list from node's `rawHeaders` (`[name, value, name, value, ...]` as
 * received, byte strings): names lowercased, order and duplicates kept (`SRV-SCOPE-2`). Also checks:
 * - `SRV-REQ-5`: more than `maxCount` header fields: 431;
 * - `SRV-REQ-1`: more than one Host: 400 (node:http lets it through);
 * - `SRV-REQ-2`: more than one Content-Length, or one that is not a decimal number: 400;
 * - `SRV-REQ-3`: Content-Length together with Transfer-Encoding: 400.
 * llhttp already refuses the last two on Node 20; checking again keeps the rule whatever parser
 * options are set.
 */
export function scanHeaders(raw: readonly string[], maxCount: number, facts: HeadFacts): Header[] {
  facts.contentLength = -1;
  facts.transferEncoding = false;
  facts.refusal = null;
  const n = raw.length;
  const headers: Header[] = [];
  if (n > maxCount * 2) {
    facts.refusal = `more than ${maxCount} header fields`;
    facts.refusalStatus = 431;
    facts.rule = 'SRV-REQ-5';
    return headers;
  }
  let hosts = 0;
  let lengths = 0;
  for (let i = 0; i < n; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    headers.push([name, value]);
    const len = name.length;
    if (len === 4) {
      if (name === 'host') hosts++;
    } else if (len === 14) {
      if (name === 'content-length') {
        lengths++;
        facts.contentLength = /^\d{1,15}$/.test(value) ? Number(value) : -2;
      }
    } else if (len === 17 && name === 'transfer-encoding') {
      facts.transferEncoding = true;
    }
  }
  facts.refusalStatus = 400;
  if (hosts > 1) {
    facts.refusal = 'more than one Host header';
    facts.rule = 'SRV-REQ-1';
  } else if (lengths > 1 || facts.contentLength === -2) {
    facts.refusal = 'duplicate or invalid Content-Length';
    facts.rule = 'SRV-REQ-2';
  } else if (lengths === 1 && facts.transferEncoding) {
    facts.refusal = 'Content-Length with Transfer-Encoding';
    facts.rule = 'SRV-REQ-3';
  }
  return headers;
}

/** The request target split into `rawPath` and `queryString` (byte strings). */
export interface Target {
  rawPath: string;
  queryString: string;
}

/**
 * Splits a request target (`req.url`, a byte string) into `rawPath` and `queryString`, undecoded
 * (`SRV-SCOPE-1`): the query is everything after the first `?`, without it; `""` when absent. For
 * absolute-form (`GET http://host/p?q`, RFC 9112 section 3.2.2) `rawPath` is the path component
 * (`/` when empty) (`SRV-SCOPE-3`); for asterisk-form (`OPTIONS *`) it is `*`.
 *
 * @param out - filled in and returned (reused to avoid an allocation per request)
 */
export function splitTarget(url: string, out: Target): Target {
  let start = 0;
  if (url.charCodeAt(0) !== 0x2f && url !== '*') {
    // absolute-form: scheme "://" authority path-abempty [ "?" query ]
    const scheme = url.indexOf('://');
    if (scheme > 0) {
      const q = url.indexOf('?', scheme + 3);
      const slash = url.indexOf('/', scheme + 3);
      if (slash < 0 || (q >= 0 && q < slash)) {
        out.rawPath = '/';
        out.queryString = q < 0 ? '' : url.slice(q + 1);
        return out;
      }
      start = slash;
    }
  }
  const q = url.indexOf('?', start);
  if (q < 0) {
    out.rawPath = start === 0 ? url : url.slice(start);
    out.queryString = '';
  } else {
    out.rawPath = url.slice(start, q);
    out.queryString = url.slice(q + 1);
  }
  return out;
}
