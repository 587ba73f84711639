import { isPorticoError } from '@portico/spec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_AGE_LIMIT, parseCookies, serializeCookie } from '../../src/cookies/index.js';

/** Expects `fn` to throw PorticoError ERR_INVALID_OPTION whose message names `field`. */
function expectInvalid(fn: () => unknown, field: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(isPorticoError(caught)).toBe(true);
  expect((caught as { code: string }).code).toBe('ERR_INVALID_OPTION');
  expect((caught as Error).message).toContain(`cookie ${field} is invalid`);
}

const tchar = fc.constantFrom(
  ..."!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split(''),
);
const octet = fc.constantFrom(
  ...Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i)).filter(
    (c) => !'",;\\='.includes(c),
  ),
);

describe('parseCookies', () => {
  it('returns a null-prototype map', () => {
    const map = parseCookies('a=1; b=2');
    expect(Object.getPrototypeOf(map)).toBe(null);
    expect({ ...map }).toEqual({ a: '1', b: '2' });
  });

  it('keeps the first of duplicate names', () => {
    expect(parseCookies('sid=first; sid=second').sid).toBe('first');
  });

  it('treats __proto__ and constructor as ordinary names', () => {
    const map = parseCookies('__proto__=evil; constructor=x; toString=y');
    expect(Object.getPrototypeOf(map)).toBe(null);
    expect(Object.keys(map)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getOwnPropertyDescriptor(map, '__proto__')?.value).toBe('evil');
    expect(map.constructor).toBe('x');
    expect(({} as Record<string, unknown>).evil).toBeUndefined();
    expect(parseCookies('a=1').constructor).toBeUndefined();
  });

  it('is lenient: skips pairs without "=", trims, never throws', () => {
    expect({ ...parseCookies(' a = 1 ;junk; ;b=x=y;c=%zz; =v') }).toEqual({ a: '1', b: 'x=y', c: '%zz' });
    expect({ ...parseCookies('') }).toEqual({});
    expect({ ...parseCookies(undefined) }).toEqual({});
  });

  it('round-trips serializeCookie for every valid name and value', () => {
    fc.assert(
      fc.property(fc.string({ unit: tchar, minLength: 1 }), fc.string({ unit: octet }), (name, value) => {
        const header = serializeCookie(name, value, { path: '/', httpOnly: true });
        const pair = header.slice(0, header.indexOf(';'));
        expect(parseCookies(pair)[name]).toBe(value);
        expect(parseCookies(`${pair}; other=1`)[name]).toBe(value);
      }),
    );
  });
});

describe('serializeCookie', () => {
  it('writes every RFC 6265bis attribute', () => {
    const expires = new Date(Date.now() + 86_400_000);
    expires.setUTCMilliseconds(0);
    const header = serializeCookie('sid', 'abc', {
      expires,
      maxAge: 3600,
      domain: 'example.com',
      path: '/app',
      secure: true,
      httpOnly: true,
      sameSite: 'none',
      partitioned: true,
      priority: 'high',
    });
    expect(header).toBe(
      `sid=abc; Max-Age=3600; Domain=example.com; Path=/app; Expires=${expires.toUTCString()}; HttpOnly; Secure; Partitioned; Priority=High; SameSite=None`,
    );
    expect(serializeCookie('a', '')).toBe('a=');
  });

  for (const [label, char] of [
    [';', ';'],
    ['=', '='],
    ['CR', '\r'],
    ['LF', '\n'],
  ] as const) {
    it(`refuses ${label} in the name, value, path and domain, naming the field`, () => {
      expectInvalid(() => serializeCookie(`a${char}b`, 'v'), 'name');
      expectInvalid(() => serializeCookie('a', `x${char}y`), 'value');
      expectInvalid(() => serializeCookie('a', 'v', { path: `/p${char}q` }), 'path');
      expectInvalid(() => serializeCookie('a', 'v', { domain: `example.com${char}x` }), 'domain');
    });
  }

  it('refuses names that are not tokens and values that are not cookie-octets', () => {
    expectInvalid(() => serializeCookie('', 'v'), 'name');
    expectInvalid(() => serializeCookie('a b', 'v'), 'name');
    expectInvalid(() => serializeCookie('a', 'x y'), 'value');
    expectInvalid(() => serializeCookie('a', 'é'), 'value');
    expectInvalid(() => serializeCookie('a', 'v', { path: 'relative' }), 'path');
  });

  it('refuses Max-Age over 400 days and non-integers; accepts 400 days exactly', () => {
    expect(serializeCookie('a', 'v', { maxAge: MAX_AGE_LIMIT })).toBe('a=v; Max-Age=34560000');
    expectInvalid(() => serializeCookie('a', 'v', { maxAge: MAX_AGE_LIMIT + 1 }), 'maxAge');
    expectInvalid(() => serializeCookie('a', 'v', { maxAge: 1.5 }), 'maxAge');
    expectInvalid(
      () => serializeCookie('a', 'v', { expires: new Date(Date.now() + (MAX_AGE_LIMIT + 60) * 1000) }),
      'expires',
    );
    expectInvalid(() => serializeCookie('a', 'v', { expires: new Date(Number.NaN) }), 'expires');
  });

  it('refuses SameSite=None and Partitioned without Secure, and unknown enum values', () => {
    // @ts-expect-error SameSite=None needs secure: true
    expectInvalid(() => serializeCookie('a', 'v', { sameSite: 'none' }), 'sameSite');
    // @ts-expect-error Partitioned needs secure: true
    expectInvalid(() => serializeCookie('a', 'v', { partitioned: true }), 'partitioned');
    // @ts-expect-error not a SameSite value
    expectInvalid(() => serializeCookie('a', 'v', { sameSite: 'sometimes' }), 'sameSite');
    // @ts-expect-error not a Priority value
    expectInvalid(() => serializeCookie('a', 'v', { priority: 'urgent' }), 'priority');
  });

  it('enforces the __Secure- prefix in types and at run time', () => {
    expect(serializeCookie('__Secure-id', 'v', { secure: true })).toBe('__Secure-id=v; Secure');
    // @ts-expect-error a __Secure- cookie needs attributes with secure: true
    expectInvalid(() => serializeCookie('__Secure-id', 'v'), 'secure');
    // @ts-expect-error secure must be true
    expectInvalid(() => serializeCookie('__Secure-id', 'v', { secure: false }), 'secure');
    const dynamic: string = '__secure-id'; // user agents match prefixes case-insensitively
    expectInvalid(() => serializeCookie(dynamic, 'v'), 'secure');
  });

  it('enforces the __Host- prefix in types and at run time', () => {
    expect(serializeCookie('__Host-id', 'v', { secure: true, path: '/' })).toBe(
      '__Host-id=v; Path=/; Secure',
    );
    // @ts-expect-error path must be "/"
    expectInvalid(() => serializeCookie('__Host-id', 'v', { secure: true, path: '/app' }), 'path');
    expectInvalid(
      // @ts-expect-error no domain
      () => serializeCookie('__Host-id', 'v', { secure: true, path: '/', domain: 'example.com' }),
      'domain',
    );
    // @ts-expect-error secure needed
    expectInvalid(() => serializeCookie('__Host-id', 'v', { path: '/' }), 'secure');
    const dynamic: string = '__HOST-id';
    expectInvalid(() => serializeCookie(dynamic, 'v', { secure: true }), 'path');
  });
});
