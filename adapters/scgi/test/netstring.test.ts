/**
 * Properties of the SCGI request head (SCGI 2008-06-23 section 3; spec/servers.md SRV-SCGI-1/2): a
 * netstring `<length>:<content>,` of NUL-terminated name-value pairs, CONTENT_LENGTH first, SCGI `1`
 * when present. The parser takes a connection's bytes in any chunking and refuses anything else
 * with `ERR_SCGI_BAD_NETSTRING` (400, or 431 over `maxHeaderSize`) and nothing else.
 */
import { isPorticoError } from '@portico/spec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rule } from '../../../packages/server/test/rule.js';
import { encodeSCGIHead, type SCGIHead, SCGIHeadParser } from '../src/netstring.js';
import { netstring, pairs } from './helpers.js';

const MAX = 16384;

/** A byte string without NUL (a name or value of the head), possibly empty. */
const byteChar = fc.integer({ min: 1, max: 0xff }).map((c) => String.fromCharCode(c));
const value = fc.string({ unit: byteChar, maxLength: 40 });
const name = fc
  .string({ unit: byteChar, minLength: 1, maxLength: 20 })
  .filter((n) => n !== 'CONTENT_LENGTH' && n !== 'SCGI');
const headerList = fc.array(fc.tuple(name, value), { maxLength: 10 });
const contentLength = fc.oneof(fc.nat(100), fc.integer({ min: 0, max: 999_999_999_999_999 }));

/** Splits `bytes` at the given cut points (taken modulo length + 1; repeats give empty chunks). */
function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out;
}

/** Pushes `chunks` until the head completes; returns it and every byte after it. */
function parseChunks(chunks: readonly Uint8Array[], max = MAX): { head: SCGIHead; rest: Buffer } | null {
  const parser = new SCGIHeadParser(max);
  for (let i = 0; i < chunks.length; i++) {
    const result = parser.push(chunks[i]!);
    if (result !== null) {
      return { head: result.head, rest: Buffer.concat([result.rest, ...chunks.slice(i + 1)]) };
    }
  }
  return null;
}

/** Runs `fn`; returns what it threw, or `undefined`. */
function caught(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err;
  }
}

/** The error for a whole head given at once (`null` when it parses). */
function refusal(bytes: Uint8Array, max = MAX): { status: number | undefined; message: string } | null {
  const err = caught(() => new SCGIHeadParser(max).push(bytes));
  if (err === undefined) return null;
  expect(isPorticoError(err, 'ERR_SCGI_BAD_NETSTRING'), String(err)).toBe(true);
  return { status: (err as { status?: number }).status, message: (err as Error).message };
}

/** Only ERR_SCGI_BAD_NETSTRING with status 400 or 431 may come out of the parser. */
function expectBadNetstringOnly(err: unknown): void {
  if (err === undefined) return;
  expect(isPorticoError(err, 'ERR_SCGI_BAD_NETSTRING'), `unexpected error: ${String(err)}`).toBe(true);
  expect([400, 431]).toContain((err as { status?: number }).status);
}

describe('round trip (SCGI section 3)', () => {
  it('encodeSCGIHead then the parser gives the pairs back, CONTENT_LENGTH and SCGI first (property)', () => {
    fc.assert(
      fc.property(headerList, contentLength, (headers, length) => {
        const bytes = encodeSCGIHead(headers, length);
        // The netstring: its length, ':', the content, ','.
        const colon = bytes.indexOf(0x3a);
        expect(Number(bytes.toString('latin1', 0, colon))).toBe(bytes.length - colon - 2);
        expect(bytes[bytes.length - 1]).toBe(0x2c);
        const result = new SCGIHeadParser(1 << 20).push(bytes);
        expect(result).not.toBeNull();
        expect(result!.rest.length).toBe(0);
        expect(result!.head).toEqual({
          list: ['CONTENT_LENGTH', String(length), 'SCGI', '1', ...headers.flat()],
          contentLength: length,
          scgiHeader: true,
        });
      }),
      { numRuns: 300 },
    );
  });

  it("the specification's example head, byte for byte (section 3); an empty value is a lone NUL", () => {
    const example = [
      ['REQUEST_METHOD', 'POST'],
      ['REQUEST_URI', '/deepthought'],
    ] as const;
    expect(encodeSCGIHead(example, 27).toString('latin1')).toBe(
      '70:CONTENT_LENGTH\x0027\0SCGI\x001\0REQUEST_METHOD\0POST\0REQUEST_URI\0/deepthought\0,',
    );
    expect(encodeSCGIHead([['EMPTY', '']], 0).toString('latin1')).toBe(
      '31:CONTENT_LENGTH\x000\0SCGI\x001\0EMPTY\0\0,',
    );
  });

  it('CONTENT_LENGTH and SCGI entries of the headers are replaced, not repeated', () => {
    const bytes = encodeSCGIHead(
      [
        ['SCGI', '2'],
        ['CONTENT_LENGTH', '99'],
        ['A', 'b'],
      ],
      3,
    );
    const result = new SCGIHeadParser(MAX).push(bytes);
    expect(result!.head.list).toEqual(['CONTENT_LENGTH', '3', 'SCGI', '1', 'A', 'b']);
  });

  it('encodeSCGIHead refuses an empty name, a NUL, a character over U+00FF', () => {
    for (const bad of [
      ['', 'v'],
      ['A\0B', 'v'],
      ['A', 'v\0'],
      ['A', 'caf\u00e9\u0100'],
    ] as const) {
      const err = caught(() => encodeSCGIHead([bad], 0));
      expect(isPorticoError(err, 'ERR_SCGI_BAD_NETSTRING'), JSON.stringify(bad)).toBe(true);
    }
  });

  it('a head of exactly maxHeaderSize bytes is read; one byte more is 431', () => {
    const filler = (n: number) => pairs(['CONTENT_LENGTH', '0'], ['X', 'x'.repeat(n)]);
    const base = filler(0).length;
    expect(refusal(netstring(filler(MAX - base)))).toBeNull();
    expect(refusal(netstring(filler(MAX - base + 1)))).toMatchObject({ status: 431 });
  });
});

describe('chunking', () => {
  it('any re-chunking of a head and its body gives the same head and the same rest (property)', () => {
    fc.assert(
      fc.property(
        headerList,
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (headers, body, cuts) => {
          const stream = Buffer.concat([encodeSCGIHead(headers, body.length), body]);
          const whole = parseChunks([stream]);
          const chunked = parseChunks(splitAt(stream, cuts));
          expect(whole).not.toBeNull();
          expect(chunked).toEqual(whole);
          expect(chunked!.rest).toEqual(Buffer.from(body));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('one byte at a time: null until the last comma, then the head', () => {
    const stream = Buffer.concat([encodeSCGIHead([['REQUEST_METHOD', 'GET']], 0), Buffer.from('xy')]);
    const parser = new SCGIHeadParser(MAX);
    const headEnd = stream.length - 2;
    for (let i = 0; i < headEnd - 1; i++) expect(parser.push(stream.subarray(i, i + 1))).toBeNull();
    const result = parser.push(stream.subarray(headEnd - 1));
    expect(result!.head.list).toEqual(['CONTENT_LENGTH', '0', 'SCGI', '1', 'REQUEST_METHOD', 'GET']);
    expect(Buffer.from(result!.rest).toString()).toBe('xy');
  });

  it('push() after the head completed throws', () => {
    const parser = new SCGIHeadParser(MAX);
    expect(parser.push(encodeSCGIHead([], 0))).not.toBeNull();
    expect(
      isPorticoError(
        caught(() => parser.push(Buffer.from('x'))),
        'ERR_SCGI_BAD_NETSTRING',
      ),
    ).toBe(true);
  });
});

describe('bad input never throws anything but ERR_SCGI_BAD_NETSTRING', () => {
  it('random bytes in random chunks (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          // A plausible length first, so that random content is reached too.
          fc
            .tuple(fc.integer({ min: 1, max: 200 }), fc.uint8Array({ maxLength: 300 }))
            .map(([n, rest]) => Buffer.concat([Buffer.from(`${n}:`), rest])),
        ),
        fc.array(fc.nat(), { maxLength: 6 }),
        (bytes, cuts) => {
          const err = caught(() => parseChunks(splitAt(bytes, cuts)));
          expectBadNetstringOnly(err);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('mutated valid heads: refused with 400/431, or parsed into a head that keeps the rules (property)', () => {
    fc.assert(
      fc.property(
        headerList,
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (headers, mutations, cuts) => {
          const bytes = Buffer.from(encodeSCGIHead(headers, 5));
          for (const { at, value } of mutations) bytes[at % bytes.length] = value;
          let result: ReturnType<typeof parseChunks> = null;
          const err = caught(() => {
            result = parseChunks(splitAt(bytes, cuts), 1 << 20);
          });
          expectBadNetstringOnly(err);
          const parsed = result as ReturnType<typeof parseChunks>;
          if (parsed !== null) {
            expect(parsed.head.list[0]).toBe('CONTENT_LENGTH');
            expect(String(parsed.head.contentLength)).toBe(parsed.head.list[1]!.replace(/^0+(?=.)/, ''));
            expect(parsed.head.list.length % 2).toBe(0);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('bad heads of issue 4, each refused with the status SRV-SCGI-1/2 give', () => {
  const ok = pairs(['CONTENT_LENGTH', '0'], ['SCGI', '1']);

  rule('SRV-SCGI-1', 'a netstring length with a leading zero: 400', () => {
    expect(refusal(Buffer.from(`0${netstring(ok).toString('latin1')}`, 'latin1'))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/leading zero/),
    });
    expect(refusal(Buffer.from('00:'))).toMatchObject({ status: 400 });
  });

  rule('SRV-SCGI-1', 'more digits than maxHeaderSize has: 431 at the digit, before any ":"', () => {
    // 16384 has 5 digits: the sixth is refused without waiting for more.
    const err = caught(() => new SCGIHeadParser(MAX).push(Buffer.from('100000')));
    expect(isPorticoError(err, 'ERR_SCGI_BAD_NETSTRING')).toBe(true);
    expect((err as { status?: number }).status).toBe(431);
    expect(refusal(Buffer.from('99999999999999999999:'))).toMatchObject({ status: 431 });
  });

  rule('SRV-SCGI-1', 'a length over maxHeaderSize: 431 at the ":", the block not awaited', () => {
    const parser = new SCGIHeadParser(MAX);
    const err = caught(() => parser.push(Buffer.from(`${MAX + 1}:`)));
    expect((err as { status?: number }).status).toBe(431);
    expect((err as Error).message).toMatch(/over maxHeaderSize 16384/);
  });

  rule('SRV-SCGI-1', 'no length, a non-digit, or a length not followed by ":": 400', () => {
    for (const bad of [':,', 'x', ' 12:', '12;', '12 :', '-1:', '1a:']) {
      expect(refusal(Buffer.from(bad)), bad).toMatchObject({ status: 400 });
    }
    expect(refusal(Buffer.from('12;'))!.message).toMatch(/not followed by ":"/);
  });

  rule('SRV-SCGI-1', 'a netstring not ended by ",": 400', () => {
    const head = netstring(ok);
    head[head.length - 1] = 0x3b; // ';'
    expect(refusal(head)).toMatchObject({ status: 400, message: expect.stringMatching(/not ended by ","/) });
  });

  rule('SRV-SCGI-1', 'a name or value not terminated by NUL, an empty name: 400', () => {
    expect(refusal(netstring(`${ok}TRAILING`))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/name not terminated/),
    });
    expect(refusal(netstring(`${ok}NAME\0value`))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/value of "NAME" not terminated/),
    });
    expect(refusal(netstring(`${ok}\0value\0`))).toMatchObject({ status: 400 });
  });

  rule('SRV-SCGI-2', 'CONTENT_LENGTH not first: 400', () => {
    expect(refusal(netstring(pairs(['SCGI', '1'], ['CONTENT_LENGTH', '0'])))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/first header is "SCGI", not CONTENT_LENGTH/),
    });
    expect(refusal(netstring(''))).toMatchObject({ status: 400 });
  });

  rule('SRV-SCGI-2', 'CONTENT_LENGTH empty or not a decimal number: 400', () => {
    for (const bad of ['', 'abc', '-1', '1e3', ' 5', '5 ', '0x10', '1.5']) {
      expect(refusal(netstring(pairs(['CONTENT_LENGTH', bad], ['SCGI', '1']))), bad).toMatchObject({
        status: 400,
        message: expect.stringMatching(/is not a number/),
      });
    }
  });

  rule('SRV-SCGI-2', 'an SCGI header other than 1: 400', () => {
    for (const bad of ['2', '', '01', '1 ']) {
      expect(refusal(netstring(pairs(['CONTENT_LENGTH', '0'], ['SCGI', bad]))), bad).toMatchObject({
        status: 400,
        message: expect.stringMatching(/SCGI header is/),
      });
    }
  });

  rule('SRV-SCGI-2', 'a head without SCGI is accepted (nginx without scgi_params), scgiHeader false', () => {
    const result = new SCGIHeadParser(MAX).push(
      netstring(pairs(['CONTENT_LENGTH', '3'], ['REQUEST_METHOD', 'POST'])),
    );
    expect(result!.head).toEqual({
      list: ['CONTENT_LENGTH', '3', 'REQUEST_METHOD', 'POST'],
      contentLength: 3,
      scgiHeader: false,
    });
  });
});
