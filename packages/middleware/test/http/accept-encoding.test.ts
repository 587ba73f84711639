import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { negotiateEncoding, parseAcceptEncoding } from '../../src/http/index.js';

const OFFER = ['br', 'gzip', 'deflate'] as const;

describe('parseAcceptEncoding (RFC 9110 section 12.5.3)', () => {
  it('reads codings, weights, case and whitespace; skips malformed members', () => {
    expect(
      parseAcceptEncoding(
        ' GZip ; Q=0.5 ,br,, identity;q=0, *;q=0.001, x-gzip, bad q;q=1, z;q=2, y;q=0.1234, w;q',
      ),
    ).toEqual([
      { coding: 'gzip', q: 0.5 },
      { coding: 'br', q: 1 },
      { coding: 'identity', q: 0 },
      { coding: '*', q: 0.001 },
      { coding: 'gzip', q: 1 },
    ]);
    expect(parseAcceptEncoding(undefined)).toEqual([]);
    expect(parseAcceptEncoding('')).toEqual([]);
  });
});

describe('negotiateEncoding', () => {
  const cases: [string | undefined, string][] = [
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    ['gzip, deflate, br', 'br'], // tie: server order
    ['deflate, gzip', 'gzip'],
    ['gzip;q=0.5, deflate;q=0.8', 'deflate'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['gzip;q=0', 'identity'],
    ['*', 'br'],
    ['*;q=0', 'identity'],
    ['*;q=0, gzip', 'gzip'],
    ['br;q=0, *', 'gzip'],
    ['identity;q=0', 'identity'], // nothing acceptable: sent unencoded anyway
    ['identity;q=0, deflate;q=0.1', 'deflate'],
    ['gzip;q=0.5, identity', 'identity'], // the client prefers no coding
    ['gzip;q=1, identity;q=1', 'gzip'],
    ['compress, zstd', 'identity'],
    ['X-GZIP', 'gzip'],
    ['BR ; q = 1 ', 'br'], // lenient: spaces around "=" tolerated
    ['BR;q=1.000', 'br'],
  ];
  for (const [header, want] of cases) {
    it(`${JSON.stringify(header)} -> ${want}`, () => {
      expect(negotiateEncoding(header, OFFER)).toBe(want);
    });
  }

  it('honours the server order given', () => {
    expect(negotiateEncoding('gzip, br', ['gzip', 'br'])).toBe('gzip');
    expect(negotiateEncoding('br', ['gzip'])).toBe('identity');
  });

  it('never throws, and picks only identity or an offered coding the client accepts (fast-check)', () => {
    const member = fc.oneof(
      fc.string(),
      fc
        .tuple(
          fc.constantFrom('gzip', 'GZIP', 'br', 'deflate', 'identity', '*', 'x-gzip', 'zstd', ''),
          fc.option(fc.oneof(fc.constantFrom('0', '1', '0.5', '0.000', '1.0', '2', '-1', ''), fc.string()), {
            nil: undefined,
          }),
          fc.constantFrom('', ' ', '\t'),
        )
        .map(([c, q, ws]) => (q === undefined ? `${ws}${c}${ws}` : `${c}${ws};${ws}q=${q}`)),
    );
    const header = fc.oneof(
      fc.string(),
      fc.array(member).map((m) => m.join(',')),
    );
    fc.assert(
      fc.property(header, fc.shuffledSubarray([...OFFER], { minLength: 1 }), (value, offered) => {
        const got = negotiateEncoding(value, offered);
        if (got === 'identity') return;
        expect(offered).toContain(got);
        const parsed = parseAcceptEncoding(value);
        const own = parsed.filter((p) => p.coding === got).map((p) => p.q);
        const star = parsed.filter((p) => p.coding === '*').map((p) => p.q);
        const q = own.length > 0 ? Math.max(...own) : Math.max(...star);
        expect(q).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});
