import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  evaluatePreconditions,
  formatHTTPDate,
  ifRangeMatches,
  parseEntityTag,
  parseETagList,
  parseHTTPDate,
  parseRange,
} from '../../src/files/index.js';

describe('parseRange (RFC 9110 section 14.1.2)', () => {
  it('parses the three forms against a size', () => {
    expect(parseRange('bytes=0-499', 1000)).toEqual({ type: 'ranges', ranges: [{ start: 0, end: 499 }] });
    expect(parseRange('bytes=500-', 1000)).toEqual({ type: 'ranges', ranges: [{ start: 500, end: 999 }] });
    expect(parseRange('bytes=-200', 1000)).toEqual({ type: 'ranges', ranges: [{ start: 800, end: 999 }] });
    expect(parseRange('bytes=0-0,-1', 1000)).toEqual({
      type: 'ranges',
      ranges: [
        { start: 0, end: 0 },
        { start: 999, end: 999 },
      ],
    });
    expect(parseRange('bytes=0-1, 2000-', 1000)).toEqual({ type: 'ranges', ranges: [{ start: 0, end: 1 }] });
  });

  it('tells unsatisfiable from malformed', () => {
    expect(parseRange('bytes=1000-', 1000)).toEqual({ type: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 1000)).toEqual({ type: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ type: 'unsatisfiable' });
    // A non-zero suffix is satisfiable even on an empty representation (RFC 9110 section 14.1.1),
    // but has no bytes a Content-Range could name: the whole (empty) representation, not a 416.
    expect(parseRange('bytes=-10', 0)).toEqual({ type: 'none' });
    for (const bad of [
      undefined,
      '',
      'bytes',
      'bytes=',
      'bytes=,',
      'bytes=-',
      'bytes=a-b',
      'bytes=9-1',
      'pages=1-2',
    ]) {
      expect([bad, parseRange(bad, 1000)]).toEqual([bad, { type: 'none' }]);
    }
    expect(parseRange(`bytes=${'0-0,'.repeat(101)}`, 10)).toEqual({ type: 'none' });
  });

  it('never throws and only returns ranges inside the representation', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(10_000), (value, size) => {
        const r = parseRange(value, size);
        if (r.type === 'ranges') {
          for (const { start, end } of r.ranges) {
            expect(start >= 0 && start <= end && end < size).toBe(true);
          }
        }
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom('bytes', '=', '-', ',', ' ', '0', '9'), fc.nat().map(String))),
        fc.nat(100),
        (parts, size) => {
          const r = parseRange(parts.join(''), size);
          expect(['none', 'unsatisfiable', 'ranges']).toContain(r.type);
        },
      ),
    );
  });
});

describe('entity-tags and dates (RFC 9110 sections 8.8.3, 5.6.7)', () => {
  it('parses entity-tag lists', () => {
    expect(parseETagList('*')).toBe('*');
    expect(parseETagList(undefined)).toEqual([]);
    expect(parseETagList('"a", W/"b" ,"c,d", junk, "e"')).toEqual([
      { weak: false, opaque: 'a' },
      { weak: true, opaque: 'b' },
      { weak: false, opaque: 'c,d' },
      { weak: false, opaque: 'e' },
    ]);
    expect(parseEntityTag('W/"x"')).toEqual({ weak: true, opaque: 'x' });
    expect(parseEntityTag('x')).toBe(undefined);
  });

  it('never throws on arbitrary If-None-Match values, and finds every tag of a clean list', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const r = parseETagList(value);
        expect(r === '*' || Array.isArray(r)).toBe(true);
      }),
    );
    const opaque = fc.string({ unit: fc.constantFrom('a', 'b', '0', '-', '_', '!', ',') });
    fc.assert(
      fc.property(fc.array(fc.record({ weak: fc.boolean(), opaque })), (tags) => {
        const header = tags.map((t) => `${t.weak ? 'W/' : ''}"${t.opaque}"`).join(', ');
        expect(parseETagList(header)).toEqual(header.trim() === '' ? [] : tags);
      }),
    );
  });

  it('parses the three HTTP-date forms and round-trips IMF-fixdate', () => {
    const t = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHTTPDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(t);
    expect(parseHTTPDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(t);
    expect(parseHTTPDate('Sun Nov  6 08:49:37 1994')).toBe(t);
    expect(parseHTTPDate('Sun, 31 Feb 1994 08:49:37 GMT')).toBe(undefined);
    expect(parseHTTPDate('yesterday')).toBe(undefined);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799 }), (s) => {
        expect(parseHTTPDate(formatHTTPDate(s * 1000))).toBe(s * 1000);
      }),
    );
    fc.assert(fc.property(fc.string(), (v) => void parseHTTPDate(v)));
  });
});

describe('evaluatePreconditions (RFC 9110 section 13.2.2)', () => {
  const current = { etag: { weak: false, opaque: 'v1' }, lastModified: Date.UTC(2024, 0, 2) };
  it('evaluates in the RFC order', () => {
    expect(evaluatePreconditions('GET', {}, current)).toBe('proceed');
    expect(evaluatePreconditions('GET', { ifMatch: '"v1"' }, current)).toBe('proceed');
    expect(evaluatePreconditions('PUT', { ifMatch: '"v0"' }, current)).toBe('failed');
    expect(evaluatePreconditions('GET', { ifNoneMatch: 'W/"v1"' }, current)).toBe('not-modified');
    expect(evaluatePreconditions('DELETE', { ifNoneMatch: '*' }, current)).toBe('failed');
    expect(
      evaluatePreconditions('POST', { ifModifiedSince: formatHTTPDate(current.lastModified) }, current),
    ).toBe('proceed');
    expect(ifRangeMatches('"v1"', current)).toBe(true);
    expect(ifRangeMatches('W/"v1"', current)).toBe(false);
    expect(ifRangeMatches(formatHTTPDate(current.lastModified), current)).toBe(true);
  });

  it('never throws on arbitrary headers', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'HEAD', 'PUT'),
        fc.record(
          {
            ifMatch: fc.string(),
            ifNoneMatch: fc.string(),
            ifModifiedSince: fc.string(),
            ifUnmodifiedSince: fc.string(),
          },
          { requiredKeys: [] },
        ),
        (method, headers) => {
          expect(['proceed', 'not-modified', 'failed']).toContain(
            evaluatePreconditions(method, headers, current),
          );
        },
      ),
    );
  });
});
