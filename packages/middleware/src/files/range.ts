/**
 * The `Range` request header (RFC 9110 section 14): parsing of byte ranges against a known length.
 * Pure and total: any string gives a result, never an exception.
 *
 * @module
 */

/** One satisfiable byte range: offsets of the first and last byte, both inclusive (bytes). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * What a `Range` header asks for, against a representation of `size` bytes:
 * - `{ type: 'none' }`: no header, another unit, or a malformed value (RFC 9110 section 14.2: a
 *   server MAY ignore the header; we answer 200 with the whole representation);
 * - `{ type: 'unsatisfiable' }`: well formed, but no range overlaps the representation (416);
 * - `{ type: 'ranges', ranges }`: the satisfiable ranges, clipped to the size, in request order.
 */
export type RangeRequest =
  | { readonly type: 'none' }
  | { readonly type: 'unsatisfiable' }
  | { readonly type: 'ranges'; readonly ranges: readonly ByteRange[] };

const NONE: RangeRequest = { type: 'none' };

/** Most ranges accepted in one header; more is treated as malformed (ignored) against abuse. */
export const MAX_RANGES = 100;

// ranges-specifier = range-unit "=" range-set ; range-set = 1#range-spec
// int-range = first-pos "-" [ last-pos ] ; suffix-range = "-" suffix-length (RFC 9110 section 14.1.1)
const SPEC = /^(\d*)-(\d*)$/;

/**
 * Parses a `Range` header value against a representation of `size` bytes (RFC 9110 section
 * 14.1.2): `bytes=0-99` (first 100 bytes), `bytes=100-` (from offset 100 to the end),
 * `bytes=-100` (the last 100 bytes). A last-pos past the end is clipped to `size - 1`. An
 * int-range whose first-pos is at or past `size`, and a `-0` suffix, are unsatisfiable (so is
 * `bytes=0-` on an empty representation); a non-zero suffix on an empty representation is
 * satisfiable but has no bytes to send, so it gives `none` (the whole, empty, body: 200); a last-pos
 * below first-pos, an empty spec, a unit other than `bytes` (case-insensitive), or more than
 * {@link MAX_RANGES} specs make the whole header malformed (`none`). Never throws.
 *
 * @param value - the header value, or `undefined` when absent
 * @param size - the representation's length in bytes (a non-negative integer)
 */
export function parseRange(value: string | undefined, size: number): RangeRequest {
  if (value === undefined) return NONE;
  const eq = value.indexOf('=');
  if (eq < 0 || value.slice(0, eq).trim().toLowerCase() !== 'bytes') return NONE;
  const specs = value.slice(eq + 1).split(',');
  if (specs.length > MAX_RANGES) return NONE;
  const ranges: ByteRange[] = [];
  let seen = 0;
  // A suffix-range with a non-zero length is satisfiable even on an empty representation (RFC 9110
  // section 14.1.1), but no Content-Range can describe zero bytes: answer the whole (empty) one.
  let emptySuffix = false;
  for (const raw of specs) {
    const spec = raw.trim();
    if (spec === '') continue; // #rule: empty list elements are allowed and ignored
    const m = SPEC.exec(spec);
    if (m === null) return NONE;
    const [, first = '', last = ''] = m;
    seen++;
    if (first === '') {
      if (last === '') return NONE;
      const length = Number(last);
      if (length > 0 && size > 0) ranges.push({ start: Math.max(0, size - length), end: size - 1 });
      else if (length > 0) emptySuffix = true;
      continue;
    }
    const start = Number(first);
    const end = last === '' ? Number.POSITIVE_INFINITY : Number(last);
    if (end < start) return NONE;
    if (start < size) ranges.push({ start, end: Math.min(end, size - 1) });
  }
  if (seen === 0) return NONE;
  if (ranges.length === 0) return emptySuffix ? NONE : { type: 'unsatisfiable' };
  return { type: 'ranges', ranges };
}

/** The `Content-Range` of a 206 part: `bytes 0-99/1234` (RFC 9110 section 14.4). */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

/** The `Content-Range` of a 416: `bytes *\/1234` (RFC 9110 section 14.4). */
export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`;
}
