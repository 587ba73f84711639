import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PorticoError, printable, thrownMessage } from '../src/index.js';

/** Values that make `String()` throw, and their expected descriptions. */
function hostile(): [unknown, string][] {
  const bare = Object.create(null) as Record<string, unknown>;
  bare.self = bare;
  const throwingToString = {
    toString() {
      throw new Error('no');
    },
  };
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  const throwingMessage = Object.defineProperty(new Error('x'), 'message', {
    get() {
      throw new Error('no message');
    },
  });
  return [
    [bare, '[object Object]'],
    [throwingToString, '[object Object]'],
    [proxy, '[unprintable value]'],
    [throwingMessage, '[object Error]'],
  ];
}

describe('printable and thrownMessage', () => {
  it('describe what String() describes', () => {
    expect(printable(42)).toBe('42');
    expect(printable(undefined)).toBe('undefined');
    expect(printable(Symbol('s'))).toBe('Symbol(s)');
    expect(thrownMessage(new PorticoError('ERR_TIMEOUT', 'too slow'))).toBe('too slow');
    expect(thrownMessage('plain string')).toBe('plain string');
  });

  it('never throw on values that make String() throw', () => {
    for (const [value, expected] of hostile()) {
      expect(() => String(value)).toThrow();
      expect(printable(value)).toBe(expected);
      expect(typeof thrownMessage(value)).toBe('string');
    }
  });

  it('never throw on anything fast-check makes (objects with and without prototypes)', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (value) => {
        expect(typeof printable(value)).toBe('string');
        expect(typeof thrownMessage(value)).toBe('string');
      }),
    );
  });
});
