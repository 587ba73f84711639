/** Hostile input for the cookie parser and the signer: arbitrary headers, non-canonical MACs. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCookieSigner, parseCookies, serializeCookie } from '../../src/cookies/index.js';

/** Byte strings rich in the characters the cookie grammar cares about. */
const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom('=', ';', ' ', '\t', '"', ',', '\\', '%', '_', 'a', 'b', '\u0000', '\u00ff'),
    fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)),
  ),
  maxLength: 64,
});

describe('parseCookies on hostile headers', () => {
  it('never throws, gives a null-prototype map of string values and no empty name', () => {
    fc.assert(
      fc.property(hostile, (header) => {
        const map = parseCookies(header);
        expect(Object.getPrototypeOf(map)).toBe(null);
        for (const [name, value] of Object.entries(map)) {
          expect(name).not.toBe('');
          expect(typeof value).toBe('string');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps quotes, inner spaces and "=" of values as sent; takes the name up to the first "="', () => {
    expect({ ...parseCookies('a="x y"; b=c=d==; c=""; =e; "q"=1') }).toEqual({
      a: '"x y"',
      b: 'c=d==',
      c: '""',
      '"q"': '1',
    });
  });

  it('round-trips a quoted value through serializeCookie', () => {
    const header = serializeCookie('n', '"quoted"');
    expect(parseCookies(header.split(';')[0])).toEqual(Object.assign(Object.create(null), { n: '"quoted"' }));
  });
});

describe('createCookieSigner on hostile signatures', () => {
  const signer = createCookieSigner(['a-signing-key-a-signing-key-a-signing-key']);
  const good = signer.sign('sid', 'v.with.dots');
  const sig = good.slice(good.lastIndexOf('.') + 1);

  it('takes the signature after the last dot, so values may hold dots', () => {
    expect(signer.verify('sid', good)).toBe('v.with.dots');
    expect(signer.verify('sid', `v.with.${sig}`)).toBeUndefined();
  });

  it('refuses a non-canonical base64url signature that decodes to the same MAC', () => {
    // 43 base64url characters carry 258 bits for a 256-bit MAC: the last character's low 2 bits are
    // padding. A variant with them set decodes to the same bytes and must still be refused.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(sig.at(-1) as string);
    const variant = `${sig.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(variant, 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
    expect(signer.verify('sid', `v.with.dots.${variant}`)).toBeUndefined();
  });

  it('never throws on any signed-looking input (length mismatches included)', () => {
    fc.assert(
      fc.property(hostile, fc.string({ maxLength: 50 }), (value, signature) => {
        expect(signer.verify('sid', `${value}.${signature}`)).toBeUndefined();
      }),
    );
  });

  it('with rotation, signs with the first key and still verifies the old one, whatever the order of checks', () => {
    const oldKey = 'an-old-key-an-old-key-an-old-key-an-old-key';
    const newKey = 'a-new-key-a-new-key-a-new-key-a-new-key-!!';
    const rotated = createCookieSigner([newKey, oldKey]);
    const byOld = createCookieSigner([oldKey]).sign('sid', 'x');
    const byNew = createCookieSigner([newKey]).sign('sid', 'x');
    expect(rotated.sign('sid', 'x')).toBe(byNew);
    expect(rotated.verify('sid', byOld)).toBe('x');
    expect(createCookieSigner([oldKey, newKey]).verify('sid', byNew)).toBe('x');
  });
});
