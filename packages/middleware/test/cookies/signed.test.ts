import { isPorticoError } from '@portico/spec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCookieSigner, parseCookies, serializeCookie } from '../../src/cookies/index.js';

const OLD = 'old-key-old-key-old-key-old-key-old-key!';
const NEW = new Uint8Array(32).fill(7);
const OTHER = 'another-key-another-key-another-key-another';

describe('createCookieSigner', () => {
  it('signs with the first key and verifies with any (rotation)', () => {
    const before = createCookieSigner([OLD]);
    const after = createCookieSigner([NEW, OLD]);
    const signedOld = before.sign('sid', 'user-42');
    const signedNew = after.sign('sid', 'user-42');
    expect(signedOld).toMatch(/^user-42\.[A-Za-z0-9_-]{43}$/);
    expect(signedNew).not.toBe(signedOld);
    expect(after.verify('sid', signedOld)).toBe('user-42');
    expect(after.verify('sid', signedNew)).toBe('user-42');
    expect(createCookieSigner([NEW]).verify('sid', signedOld)).toBeUndefined(); // old key retired
  });

  it('reads forged, truncated, unknown-key, other-name and unsigned values as absent', () => {
    const signer = createCookieSigner([NEW, OLD]);
    const good = signer.sign('sid', 'user-42');
    expect(signer.verify('sid', good.replace('user-42', 'user-43'))).toBeUndefined(); // forged value
    const sig = good.slice(good.lastIndexOf('.') + 1);
    const flipped = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    expect(signer.verify('sid', `user-42.${flipped}`)).toBeUndefined(); // forged signature
    expect(signer.verify('sid', good.slice(0, -1))).toBeUndefined(); // truncated
    expect(signer.verify('sid', good.slice(0, good.lastIndexOf('.')))).toBeUndefined(); // unsigned
    expect(signer.verify('sid', `${good}A`)).toBeUndefined(); // extended
    expect(signer.verify('sid', createCookieSigner([OTHER]).sign('sid', 'user-42'))).toBeUndefined(); // unknown key
    expect(signer.verify('other', good)).toBeUndefined(); // value moved to another cookie
    expect(signer.verify('sid', undefined)).toBeUndefined();
    expect(signer.verify('sid', '')).toBeUndefined();
  });

  it('round-trips through serializeCookie and parseCookies', () => {
    const signer = createCookieSigner([NEW]);
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_.~-]*$/), (value) => {
        const header = serializeCookie('s', signer.sign('s', value));
        expect(signer.verify('s', parseCookies(header).s)).toBe(value);
      }),
    );
  });

  it('refuses an empty key list and short keys', () => {
    for (const keys of [[], ['short'], [new Uint8Array(31)]]) {
      let caught: unknown;
      try {
        createCookieSigner(keys);
      } catch (error) {
        caught = error;
      }
      expect(isPorticoError(caught) && caught.code).toBe('ERR_INVALID_OPTION');
    }
  });
});
