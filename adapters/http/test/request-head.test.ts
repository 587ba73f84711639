import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rule } from '../../../packages/server/test/rule.js';
import { type HeadFacts, scanHeaders, splitTarget } from '../src/request-head.js';

const facts = (): HeadFacts => ({
  contentLength: -1,
  transferEncoding: false,
  refusal: null,
  refusalStatus: 400,
  rule: '',
});
const target = () => ({ rawPath: '', queryString: '' });

describe('splitTarget', () => {
  it.each([
    ['/a/b', '/a/b', ''],
    ['/a?b=c', '/a', 'b=c'],
    ['/a?', '/a', ''],
    ['/a?b?c', '/a', 'b?c'],
    ['/%3F?x', '/%3F', 'x'],
    ['*', '*', ''],
    ['http://h/p?q', '/p', 'q'],
    ['http://h:8080/p/q', '/p/q', ''],
    ['https://h', '/', ''],
    ['http://h?q=1', '/', 'q=1'],
    ['http://h?q=/x', '/', 'q=/x'],
  ])('%s', (url, rawPath, queryString) => {
    expect(splitTarget(url, target())).toEqual({ rawPath, queryString });
  });

  rule('SRV-SCOPE-1', 'rawPath + "?" + queryString gives back an origin-form target (property)', () => {
    const pathChar = fc.constantFrom(...'/abc%2F0é\xff-._~'.split(''));
    const anyChar = fc.constantFrom(...'/ab?=&%\xe9'.split(''));
    fc.assert(
      fc.property(fc.array(pathChar), fc.option(fc.array(anyChar)), (p, q) => {
        const path = `/${p.join('')}`;
        const url = q === null ? path : `${path}?${q.join('')}`;
        const out = splitTarget(url, target());
        expect(out.rawPath).toBe(path);
        expect(out.rawPath).not.toContain('?');
        expect(out.queryString).toBe(q === null ? '' : q.join(''));
      }),
    );
  });
});

describe('scanHeaders', () => {
  rule('SRV-SCOPE-2', 'lowercases names, keeps values, order and duplicates', () => {
    const f = facts();
    const raw = ['Host', 'h', 'X-A', '1', 'x-a', '2', 'Content-Length', '12'];
    expect(scanHeaders(raw, 100, f)).toEqual([
      ['host', 'h'],
      ['x-a', '1'],
      ['x-a', '2'],
      ['content-length', '12'],
    ]);
    expect(f).toMatchObject({ contentLength: 12, transferEncoding: false, refusal: null });
  });

  rule('SRV-REQ-1', 'refuses a second Host', () => {
    const f = facts();
    scanHeaders(['Host', 'a', 'HOST', 'a'], 100, f);
    expect(f.rule).toBe('SRV-REQ-1');
    expect(f.refusalStatus).toBe(400);
  });

  rule('SRV-REQ-2', 'refuses a second or a non-decimal Content-Length', () => {
    for (const raw of [
      ['Content-Length', '1', 'content-length', '1'],
      ['Content-Length', '1, 1'],
      ['Content-Length', '-1'],
      ['Content-Length', ''],
    ]) {
      const f = facts();
      scanHeaders(raw, 100, f);
      expect(f.rule, raw.join()).toBe('SRV-REQ-2');
    }
  });

  rule('SRV-REQ-3', 'refuses Content-Length with Transfer-Encoding', () => {
    const f = facts();
    scanHeaders(['Transfer-Encoding', 'chunked', 'Content-Length', '3'], 100, f);
    expect(f.rule).toBe('SRV-REQ-3');
  });

  rule('SRV-REQ-5', 'refuses more fields than the limit with 431', () => {
    const f = facts();
    scanHeaders(['a', '1', 'b', '2', 'c', '3'], 2, f);
    expect(f).toMatchObject({ refusalStatus: 431 });
    expect(f.rule).toBe('SRV-REQ-5');
    const g = facts();
    scanHeaders(['a', '1', 'b', '2'], 2, g);
    expect(g.refusal).toBeNull();
  });

  it('keeps every field, lowercased, whatever the names (property)', () => {
    const name = fc
      .stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/)
      .filter((n) => !['host', 'content-length', 'transfer-encoding'].includes(n.toLowerCase()));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, fc.string({ unit: 'binary-ascii' })), { maxLength: 30 }),
        (pairs) => {
          const f = facts();
          const out = scanHeaders(pairs.flat(), 100, f);
          expect(f.refusal).toBeNull();
          expect(out).toEqual(pairs.map(([n, v]) => [n.toLowerCase(), v]));
        },
      ),
    );
  });
});
