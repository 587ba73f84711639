import { isPorticoError } from '@portico/spec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HeaderFacts, inspectHeaders } from '../src/response-headers.js';

const facts = (): HeaderFacts => ({ contentLength: -1, transferEncoding: false });

/** Passes `list` through inspectHeaders enough times that it is remembered. */
function remembered(list: unknown[]): void {
  for (let i = 0; i < 3; i++) expect(inspectHeaders(list, facts())).toBeNull();
}

describe('inspectHeaders: the fields checked last are remembered, never trusted blindly', () => {
  it('gives the same facts for a remembered list as the first check did', () => {
    const list = [
      ['content-type', 'text/plain'],
      ['Content-Length', '5'],
      ['transfer-encoding', 'chunked'],
    ];
    remembered(list);
    const found = facts();
    expect(inspectHeaders(list, found)).toBeNull();
    expect(found).toEqual({ contentLength: 5, transferEncoding: true });
  });

  it('takes a new list holding the same strings as the remembered one, with its facts', () => {
    // The sync bridge, and most apps, make a new list per response from the same strings.
    const make = () => [
      ['content-type', 'text/plain'],
      ['content-length', '14'],
    ];
    remembered(make());
    const found = facts();
    expect(inspectHeaders(make(), found)).toBeNull();
    expect(found).toEqual({ contentLength: 14, transferEncoding: false });
    // One string differs: checked again, and refused when bad.
    const changed = make();
    changed[1] = ['content-length', '14\r\nx: y'];
    expect(inspectHeaders(changed, facts())?.rule).toBe('SRV-SEC-1');
    const notPair = [...make().slice(0, 1), 'content-length'];
    expect(inspectHeaders(notPair, facts())?.rule).toBe('SRV-ERR-5');
  });

  it('refuses a remembered list whose value was changed in place (SRV-SEC-1)', () => {
    const list: [string, string][] = [['x-a', 'ok']];
    remembered(list);
    list[0]![1] = 'evil\r\nset-cookie: a=b';
    const err = inspectHeaders(list, facts());
    expect(isPorticoError(err, 'ERR_BAD_HEADER')).toBe(true);
    expect(err?.rule).toBe('SRV-SEC-1');
  });

  it('refuses a remembered list after a pair was replaced, grown, or a field added', () => {
    const replaced: unknown[] = [['x-a', 'ok']];
    remembered(replaced);
    replaced[0] = ['bad name', 'ok'];
    expect(inspectHeaders(replaced, facts())?.rule).toBe('SRV-SEC-1');

    const grown: unknown[][] = [['x-a', 'ok']];
    remembered(grown);
    grown[0]!.push('third');
    expect(inspectHeaders(grown, facts())?.rule).toBe('SRV-ERR-5');

    const added: unknown[] = [['x-a', 'ok']];
    remembered(added);
    added.push(['content-length', 'five']);
    expect(inspectHeaders(added, facts())?.rule).toBe('SRV-RESP-2');
  });

  it('agrees with a fresh check for any list, however it is changed after being remembered', () => {
    const header = fc.tuple(
      fc.constantFrom('x-a', 'Content-Length', 'transfer-encoding', 'bad name', ''),
      fc.constantFrom('1', 'ok', 'a\nb', '7', 'x\u0100'),
    );
    fc.assert(
      fc.property(fc.array(header, { maxLength: 4 }), fc.array(header, { maxLength: 4 }), (before, after) => {
        const list: unknown[] = before.map((h) => [...h]);
        inspectHeaders(list, facts());
        inspectHeaders(list, facts());
        list.length = 0;
        for (const h of after) list.push([...h]);
        const cached = facts();
        const fresh = facts();
        const got = inspectHeaders(list, cached);
        // Another list remembered in between, so that this one is checked afresh.
        expect(inspectHeaders([['x-other', 'list']], facts())).toBeNull();
        const want = inspectHeaders(
          after.map((h) => [...h]),
          fresh,
        );
        expect(got?.rule ?? null).toBe(want?.rule ?? null);
        if (want === null) expect(cached).toEqual(fresh);
      }),
      { numRuns: 2000 },
    );
  });
});
