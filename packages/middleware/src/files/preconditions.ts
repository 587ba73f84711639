/**
 * Conditional requests (RFC 9110 section 13): the preconditions evaluated in the order of section
 * 13.2.2, and `If-Range` (section 13.1.5). One implementation, used by `staticFiles()` and
 * `conditionalGet()`.
 *
 * @module
 */

import type { HeaderList } from '@portico/spec';
import {
  type EntityTag,
  parseEntityTag,
  parseETagList,
  parseHTTPDate,
  strongMatch,
  weakMatch,
} from './validators.js';

/** The validators of the selected representation (what the response carries). */
export interface RepresentationValidators {
  /** The `ETag` of the representation, or `undefined`. */
  readonly etag?: EntityTag | undefined;
  /** The `Last-Modified` time in ms since the epoch (whole seconds count), or `undefined`. */
  readonly lastModified?: number | undefined;
}

/** The request header fields the evaluation reads (latin-1 strings as sent, `undefined` when absent). */
export interface ConditionalHeaders {
  readonly ifMatch?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: string | undefined;
  readonly ifUnmodifiedSince?: string | undefined;
  readonly ifRange?: string | undefined;
  readonly range?: string | undefined;
}

/**
 * The outcome of {@link evaluatePreconditions}: `'proceed'` (perform the method, i.e. answer 200 or
 * 206), `'not-modified'` (answer 304) or `'failed'` (answer 412 Precondition Failed).
 */
export type PreconditionOutcome = 'proceed' | 'not-modified' | 'failed';

const KEYS: Readonly<Record<string, keyof ConditionalHeaders>> = Object.assign(Object.create(null), {
  'if-match': 'ifMatch',
  'if-none-match': 'ifNoneMatch',
  'if-modified-since': 'ifModifiedSince',
  'if-unmodified-since': 'ifUnmodifiedSince',
  'if-range': 'ifRange',
  range: 'range',
});

/**
 * Reads the conditional request headers from a header list (`scope.headers`, names lowercase byte strings); repeated fields are
 * joined with `, ` (RFC 9110 section 5.3).
 */
export function conditionalHeaders(headers: HeaderList): ConditionalHeaders {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    const key = KEYS[name.toLowerCase()];
    if (key === undefined) continue;
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  }
  return out;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * Evaluates the preconditions of a request for an existing representation, in the order of RFC
 * 9110 section 13.2.2:
 *
 * 1. `If-Match` present: `'failed'` unless it is `*` or lists an entity-tag that matches the
 *    representation's by strong comparison (a weak ETag never matches).
 * 2. else `If-Unmodified-Since` with a valid date and a known `lastModified`: `'failed'` when
 *    modified after that date.
 * 3. `If-None-Match` present: when it is `*` or lists a tag matching by weak comparison,
 *    `'not-modified'` for GET/HEAD and `'failed'` for other methods.
 * 4. else, for GET/HEAD, `If-Modified-Since` with a valid date and a known `lastModified`:
 *    `'not-modified'` when not modified since that date.
 * 5. otherwise `'proceed'` (`If-Range` is evaluated with the range: {@link ifRangeMatches}).
 *
 * Dates compare in whole seconds (HTTP-dates have no fraction). Invalid dates are ignored, as the
 * RFC requires. Never throws.
 *
 * @param method - the request method (`GET`, `HEAD`, ...)
 */
export function evaluatePreconditions(
  method: string,
  request: ConditionalHeaders,
  current: RepresentationValidators,
): PreconditionOutcome {
  const safe = method === 'GET' || method === 'HEAD';
  if (request.ifMatch !== undefined) {
    const list = parseETagList(request.ifMatch);
    const etag = current.etag;
    if (list !== '*' && (etag === undefined || !list.some((t) => strongMatch(t, etag)))) return 'failed';
  } else if (request.ifUnmodifiedSince !== undefined && current.lastModified !== undefined) {
    const date = parseHTTPDate(request.ifUnmodifiedSince);
    if (date !== undefined && seconds(current.lastModified) > seconds(date)) return 'failed';
  }
  if (request.ifNoneMatch !== undefined) {
    const list = parseETagList(request.ifNoneMatch);
    const etag = current.etag;
    if (list === '*' || (etag !== undefined && list.some((t) => weakMatch(t, etag)))) {
      return safe ? 'not-modified' : 'failed';
    }
  } else if (safe && request.ifModifiedSince !== undefined && current.lastModified !== undefined) {
    const date = parseHTTPDate(request.ifModifiedSince);
    if (date !== undefined && seconds(current.lastModified) <= seconds(date)) return 'not-modified';
  }
  return 'proceed';
}

/**
 * Whether a `Range` request may be honoured given its `If-Range` (RFC 9110 section 13.1.5): `true`
 * when there is no `If-Range`; when it is an entity-tag, when that tag matches the current ETag by
 * STRONG comparison (so a weak ETag never does); when it is an HTTP-date, when it equals
 * `lastModified` exactly (to the second). Anything else (malformed) gives `false`: send the whole
 * representation.
 */
export function ifRangeMatches(ifRange: string | undefined, current: RepresentationValidators): boolean {
  if (ifRange === undefined) return true;
  const tag = parseEntityTag(ifRange);
  if (tag !== undefined) return current.etag !== undefined && strongMatch(tag, current.etag);
  const date = parseHTTPDate(ifRange);
  return (
    date !== undefined &&
    current.lastModified !== undefined &&
    seconds(date) === seconds(current.lastModified)
  );
}
