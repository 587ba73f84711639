import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkedHeaders, checkedStatus } from '../src/bridge/response-headers.js';
import { isPorticoError, type PorticoError } from '../src/errors.js';
import { checkHeaders, checkStatus } from '../src/validator/sync-head.js';

/** The first rule the validator reports, or null. */
function validatorRule(check: (report: (rule: string) => void) => void): string | null {
  let first: string | null = null;
  check((rule) => {
    first ??= rule;
  });
  return first;
}

/** The rule of the ERR_BAD_HEADER the bridge throws, or null. */
function bridgeRule(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    expect(isPorticoError(err, 'ERR_BAD_HEADER')).toBe(true);
    return (err as PorticoError).rule ?? 'none';
  }
}

const nameArb = fc.oneof(
  fc.constantFrom(
    'Content-Type',
    'content-length',
    'Status',
    'Connection',
    'TE',
    'x-a',
    'Set-Cookie',
    'a b',
    '',
  ),
  fc.stringMatching(/^[!-~]{1,10}$/),
);
const valueArb = fc.oneof(
  fc.constantFrom('12', '1x', 'text/plain', 'a\r\nb', 'tab\there', '€', 'café', '\u007f', ''),
  fc.string({ maxLength: 10 }),
);
const headerArb = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(nameArb, valueArb) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(['only-name'], 'x', ['a', 1], ['a', 'b', 'c']) },
);

describe('the bridge checks startResponse as the validator does', () => {
  it('refuses exactly the header lists the validator refuses, naming the same rule', () => {
    fc.assert(
      fc.property(fc.array(headerArb, { maxLength: 6 }), (headers) => {
        const expected = validatorRule((report) => checkHeaders(headers, report));
        expect(bridgeRule(() => checkedHeaders(headers as Array<[string, string]>))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a header list that cannot be read (a revoked proxy, a throwing getter) as SYNC-HDR-1', () => {
    const { proxy, revoke } = Proxy.revocable<[string, string][]>([], {});
    revoke();
    const throwing = [['x-a', 'b']];
    Object.defineProperty(throwing, 0, {
      get() {
        throw new Error('no header');
      },
    });
    for (const headers of [proxy, throwing]) {
      expect(validatorRule((report) => checkHeaders(headers, report))).toBe('SYNC-HDR-1');
      expect(bridgeRule(() => checkedHeaders(headers as Array<[string, string]>))).toBe('SYNC-HDR-1');
    }
  });

  it('refuses exactly the statuses the validator refuses', () => {
    const statusArb = fc.oneof(
      fc.constantFrom(
        '200 OK',
        '204 ',
        '599 x',
        '600 x',
        '199 x',
        '200',
        '200OK',
        '404 Not\tFound',
        '500 é',
        '200 \u0100',
      ),
      fc.string({ maxLength: 8 }),
      fc.tuple(fc.integer({ min: 0, max: 999 }), fc.string({ maxLength: 5 })).map(([n, r]) => `${n} ${r}`),
    );
    fc.assert(
      fc.property(statusArb, (status) => {
        const expected = validatorRule((report) => checkStatus(status, report));
        const rule = bridgeRule(() => checkedStatus(status));
        expect(rule).toBe(expected);
        if (rule === null) expect(checkedStatus(status)).toBe(Number(status.slice(0, 3)));
      }),
      { numRuns: 2000 },
    );
  });

  it('lowercases the names and keeps order, duplicates and values', () => {
    expect(
      checkedHeaders([
        ['Set-Cookie', 'a=1'],
        ['X-A', 'v'],
        ['set-cookie', 'b=2'],
      ]),
    ).toEqual([
      ['set-cookie', 'a=1'],
      ['x-a', 'v'],
      ['set-cookie', 'b=2'],
    ]);
  });
});

describe('checkedHeaders: names already checked are remembered', () => {
  it('still checks the value of a header whose name it has seen', () => {
    expect(checkedHeaders([['X-Seen', 'fine']])).toEqual([['x-seen', 'fine']]);
    expect(bridgeRule(() => checkedHeaders([['X-Seen', 'a\r\nb']]))).toBe('SYNC-HDR-4');
    expect(checkedHeaders([['X-Seen', 'fine']])).toEqual([['x-seen', 'fine']]);
  });

  it('refuses hop-by-hop names and Status every time, and never remembers them', () => {
    for (let i = 0; i < 3; i++) {
      expect(bridgeRule(() => checkedHeaders([['Connection', 'close']]))).toBe('SYNC-HDR-5');
      expect(bridgeRule(() => checkedHeaders([['Status', '200']]))).toBe('SYNC-HDR-2');
    }
  });

  it('counts a remembered Content-Length name toward the one-Content-Length rule', () => {
    expect(checkedHeaders([['Content-Length', '3']])).toEqual([['content-length', '3']]);
    expect(
      bridgeRule(() =>
        checkedHeaders([
          ['Content-Length', '3'],
          ['Content-Length', '3'],
        ]),
      ),
    ).toBe('SYNC-HDR-6');
    expect(bridgeRule(() => checkedHeaders([['Content-Length', 'x']]))).toBe('SYNC-HDR-6');
  });
});
