import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ForwardedElement,
  parseForwarded,
  parseNode,
  serializeForwarded,
} from '../../src/request/forwarded.js';

const plain = (elements: ForwardedElement[]) => elements.map((e) => ({ ...e }));

describe('parseForwarded (RFC 7239 section 4)', () => {
  it('reads the examples of RFC 7239 sections 4 and 7.1', () => {
    expect(plain(parseForwarded('for="_gazonk"'))).toEqual([{ for: '_gazonk' }]);
    expect(plain(parseForwarded('For="[2001:db8:cafe::17]:4711"'))).toEqual([
      { for: '[2001:db8:cafe::17]:4711' },
    ]);
    expect(plain(parseForwarded('for=192.0.2.60;proto=http;by=203.0.113.43'))).toEqual([
      { for: '192.0.2.60', proto: 'http', by: '203.0.113.43' },
    ]);
    expect(plain(parseForwarded('for=192.0.2.43, for=198.51.100.17'))).toEqual([
      { for: '192.0.2.43' },
      { for: '198.51.100.17' },
    ]);
    expect(plain(parseForwarded('for=unknown;host="example.com:8080"'))).toEqual([
      { for: 'unknown', host: 'example.com:8080' },
    ]);
  });

  it('unescapes quoted-pairs and keeps commas and semicolons inside quotes', () => {
    expect(plain(parseForwarded('for="a\\"b\\\\c;d,e";proto=https'))).toEqual([
      { for: 'a"b\\c;d,e', proto: 'https' },
    ]);
  });

  it('skips what does not parse, keeps the first of a repeated parameter', () => {
    expect(plain(parseForwarded('garbage; for=1.2.3.4; =x; for=5.6.7.8;proto'))).toEqual([
      { for: '1.2.3.4' },
    ]);
    expect(plain(parseForwarded('for="unterminated'))).toEqual([]);
    expect(plain(parseForwarded(' , ,, '))).toEqual([]);
    expect(parseForwarded(undefined)).toEqual([]);
  });

  it('never throws on arbitrary strings (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const elements = parseForwarded(s);
        expect(Array.isArray(elements)).toBe(true);
        for (const e of elements) for (const v of Object.values(e)) parseNode(v);
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('for', '=', '"', '\\', ';', ',', ' ', '[', ']', ':', 'x', '_', '1')),
        (parts) => {
          parseForwarded(parts.join(''));
        },
      ),
    );
  });

  it('round-trips serialize -> parse for generated elements (fast-check)', () => {
    const name = fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,8}$/);
    const value = fc.string({ maxLength: 20 }).filter((v) => !/[\x00-\x08\x0a-\x1f\x7f]/.test(v));
    const element = fc.dictionary(name, value, { minKeys: 1, maxKeys: 4 });
    fc.assert(
      fc.property(fc.array(element, { minLength: 1, maxLength: 4 }), (elements) => {
        const normal = elements.map((e) => Object.fromEntries(Object.entries(e)));
        expect(plain(parseForwarded(serializeForwarded(normal)))).toEqual(normal);
      }),
    );
  });
});

describe('parseNode (RFC 7239 section 6)', () => {
  it('reads addresses, ports, unknown and obfuscated identifiers', () => {
    expect(parseNode('192.0.2.43')).toEqual({ kind: 'ip', host: '192.0.2.43', port: null });
    expect(parseNode('192.0.2.43:47011')).toEqual({ kind: 'ip', host: '192.0.2.43', port: 47011 });
    expect(parseNode('[2001:db8:cafe::17]:4711')).toEqual({
      kind: 'ip',
      host: '2001:db8:cafe::17',
      port: 4711,
    });
    expect(parseNode('[2001:db8::1]')).toEqual({ kind: 'ip', host: '2001:db8::1', port: null });
    expect(parseNode('2001:db8::1')).toEqual({ kind: 'ip', host: '2001:db8::1', port: null });
    expect(parseNode('10.0.0.1:_abc')).toEqual({ kind: 'ip', host: '10.0.0.1', port: null });
    expect(parseNode('UNKNOWN').kind).toBe('unknown');
    expect(parseNode('_hidden').kind).toBe('obfuscated');
    for (const bad of ['example.com', '[::1', '1.2.3.4:99999', '[::1]x', '300.1.1.1', '']) {
      expect(parseNode(bad).kind).toBe('invalid');
    }
  });
});
