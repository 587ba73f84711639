/**
 * Properties of FastCGI name-value pairs (FastCGI 1.0 section 3.4): lengths of 1 byte under 128,
 * else 4 bytes with the high bit set; names and values are byte strings (U+0000..U+00FF); a PARAMS
 * stream may be split across records anywhere, even inside a length.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeNameValuePairs, encodeNameValuePairs, type NameValuePair } from '../src/name-value.js';
import { FCGI_PARAMS, FCGI_STDIN } from '../src/protocol.js';
import { encodeRecord, encodeStream, RecordDecoder } from '../src/record-codec.js';
import { BAD_RECORD, caught, prngBytes, splitAt } from './record-fixtures.js';

/** A pseudo-random byte string, for strings too long to generate char by char. */
const prngByteString = (length: number, seed: number): string =>
  Buffer.from(prngBytes(length, seed)).toString('latin1');

const byteChar = fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c));
/** A byte string from one of the length classes of section 3.4: empty, 1-byte length, 4-byte length. */
const byteString = fc.oneof(
  { arbitrary: fc.constant(''), weight: 2 },
  { arbitrary: fc.string({ unit: byteChar, minLength: 1, maxLength: 127 }), weight: 6 },
  {
    arbitrary: fc
      .tuple(fc.integer({ min: 128, max: 4096 }), fc.nat())
      .map(([n, seed]) => prngByteString(n, seed)),
    weight: 2,
  },
);
const pairArb: fc.Arbitrary<NameValuePair> = fc.tuple(byteString, byteString);
const pairsArb = fc.array(pairArb, { maxLength: 8 });

/** The expected encoded size: each length 1 byte under 128, else 4. */
const encodedSize = (pairs: readonly NameValuePair[]): number =>
  pairs.reduce(
    (n, [k, v]) => n + (k.length < 128 ? 1 : 4) + (v.length < 128 ? 1 : 4) + k.length + v.length,
    0,
  );

/**
 * A connection's bytes carrying `pieces` as FCGI_PARAMS records of request 1 (each piece through
 * encodeStream, empty pieces left out since an empty record ends the stream), an FCGI_STDIN record
 * of another request between them, and the empty record that ends the stream.
 */
function paramsStream(pieces: readonly Uint8Array[]): Buffer {
  const parts: Uint8Array[] = [];
  for (const piece of pieces) {
    if (piece.length === 0) continue;
    parts.push(encodeStream(FCGI_PARAMS, 1, piece));
    parts.push(encodeRecord(FCGI_STDIN, 2, Uint8Array.of(0x80, 0x80)));
  }
  parts.push(encodeRecord(FCGI_PARAMS, 1));
  return Buffer.concat(parts);
}

/** Pushes `chunks` through a record decoder, collects request 1's FCGI_PARAMS content up to the empty record, decodes it. */
function paramsFromChunks(chunks: readonly Uint8Array[]): NameValuePair[] {
  const contents: Buffer[] = [];
  let ended = false;
  const decoder = new RecordDecoder((type, requestId, content) => {
    if (type !== FCGI_PARAMS || requestId !== 1) return;
    expect(ended, 'no FCGI_PARAMS after the empty one').toBe(false);
    if (content.length === 0) ended = true;
    else contents.push(Buffer.from(content));
  });
  for (const chunk of chunks) decoder.push(chunk);
  expect(ended).toBe(true);
  expect(decoder.atBoundary).toBe(true);
  return decodeNameValuePairs(Buffer.concat(contents));
}

describe('name-value pairs round trip (section 3.4)', () => {
  it('pairs of every length class round-trip, the encoding as long as section 3.4 says (property)', () => {
    fc.assert(
      fc.property(pairsArb, (pairs) => {
        const bytes = encodeNameValuePairs(pairs);
        expect(bytes.length).toBe(encodedSize(pairs));
        expect(decodeNameValuePairs(bytes)).toEqual(pairs);
      }),
      { numRuns: 300 },
    );
  });

  it('every byte U+0000..U+00FF round-trips unchanged in names and values', () => {
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    const pairs: NameValuePair[] = [
      [all, all],
      ['\0', '\xff'],
      ['\r\n', '\x80'],
    ];
    expect(decodeNameValuePairs(encodeNameValuePairs(pairs))).toEqual(pairs);
  });

  it('lengths 0, 127 take one byte; 128 and 70000 take four, high bit set, big-endian', () => {
    const a127 = 'a'.repeat(127);
    expect([...encodeNameValuePairs([['', '']])]).toEqual([0, 0]);
    expect([...encodeNameValuePairs([[a127, '']]).subarray(0, 2)]).toEqual([127, 0]);
    expect([...encodeNameValuePairs([['a'.repeat(128), 'b']]).subarray(0, 5)]).toEqual([0x80, 0, 0, 0x80, 1]);
    // 70000 = 0x011170
    expect([...encodeNameValuePairs([['n', 'v'.repeat(70_000)]]).subarray(0, 6)]).toEqual([
      1, 0x80, 0x01, 0x11, 0x70, 0x6e,
    ]);
  });

  it('a name and a value of about 70000 bytes round-trip', () => {
    const big = prngByteString(70_000, 5);
    const pairs: NameValuePair[] = [
      [big, 'x'],
      ['HTTP_X_BIG', big],
      ['', big.slice(0, 69_999)],
    ];
    const bytes = encodeNameValuePairs(pairs);
    expect(bytes.length).toBe(encodedSize(pairs));
    expect(decodeNameValuePairs(bytes)).toEqual(pairs);
  });

  it('duplicates are kept, in stream order', () => {
    const pairs: NameValuePair[] = [
      ['A', '1'],
      ['B', '2'],
      ['A', '3'],
    ];
    expect(decodeNameValuePairs(encodeNameValuePairs(pairs))).toEqual(pairs);
  });

  it('a plain Uint8Array view at a non-zero offset decodes like a Buffer', () => {
    const inner = encodeNameValuePairs([
      ['SCRIPT_NAME', '/x'],
      ['k', '\xe9'],
    ]);
    const backing = new Uint8Array(inner.length + 10).fill(0xff);
    backing.set(inner, 7);
    expect(decodeNameValuePairs(new Uint8Array(backing.buffer, 7, inner.length))).toEqual([
      ['SCRIPT_NAME', '/x'],
      ['k', '\xe9'],
    ]);
  });

  it('encode refuses a character over U+00FF in a name or a value (property)', () => {
    const wide = fc.oneof(
      fc.integer({ min: 0x100, max: 0xffff }).map((c) => String.fromCharCode(c)),
      fc.constant('😀'),
    );
    fc.assert(
      fc.property(
        fc.string({ unit: byteChar, maxLength: 20 }),
        wide,
        fc.string({ unit: byteChar, maxLength: 20 }),
        fc.boolean(),
        (before, w, after, inName) => {
          const s = before + w + after;
          const pair: NameValuePair = inName ? [s, 'v'] : ['n', s];
          expect(caught(() => encodeNameValuePairs([['ok', 'ok'], pair]))).toMatchObject(BAD_RECORD);
        },
      ),
    );
  });
});

describe('a PARAMS stream split across records (section 3.3, 3.4)', () => {
  const pairs: NameValuePair[] = [
    ['SCRIPT_NAME', '/app'],
    ['EMPTY', ''],
    ['', 'empty name'],
    [`HTTP_X_${'L'.repeat(200)}`, 'v'.repeat(300)],
    ['QUERY_STRING', 'a=1&b=\xe9\xff\0'],
  ];
  const encoded = encodeNameValuePairs(pairs);

  it('decodes the same pairs whatever byte offset the stream is split at into two records', () => {
    for (let at = 1; at < encoded.length; at++) {
      const stream = paramsStream([encoded.subarray(0, at), encoded.subarray(at)]);
      expect(paramsFromChunks([stream]), `split at ${at}`).toEqual(pairs);
    }
  });

  it('decodes the same pairs when every record carries one byte and the stream arrives byte by byte', () => {
    const stream = paramsStream(Array.from({ length: encoded.length }, (_, i) => encoded.subarray(i, i + 1)));
    const chunks = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
    expect(paramsFromChunks(chunks)).toEqual(pairs);
  });

  it('any pairs, split into records anywhere, the records chunked anywhere, decode the same (property)', () => {
    fc.assert(
      fc.property(
        pairsArb,
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (list, recordCuts, byteCuts) => {
          const stream = paramsStream(splitAt(encodeNameValuePairs(list), recordCuts));
          expect(paramsFromChunks(splitAt(stream, byteCuts))).toEqual(list);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('pairs over 65535 bytes span several records of encodeStream and decode the same', () => {
    const big: NameValuePair[] = [
      ['HTTP_COOKIE', prngByteString(70_000, 9)],
      ['X', 'y'],
    ];
    const bytes = encodeNameValuePairs(big);
    const stream = paramsStream([bytes]);
    expect(paramsFromChunks(splitAt(stream, [3, 9, 65_535, 65_544, 70_000]))).toEqual(big);
  });
});

describe('malformed name-value content is ERR_FCGI_BAD_RECORD (section 3.4)', () => {
  it.each([
    ['a truncated 4-byte name length (1 of 4 bytes)', [0x80]],
    ['a truncated 4-byte name length (3 of 4 bytes)', [0x80, 0, 0]],
    ['a truncated 4-byte value length', [0x01, 0x80, 0x00, 0x01]],
    ['a name length without a value length', [0x01]],
    ['a 4-byte name length without a value length', [0x80, 0, 0, 1]],
    ['a value running past the end', [0x01, 0x05, 0x61, 0x62, 0x63]],
    ['a name running past the end', [0x05, 0x00, 0x61]],
    ['the largest declared lengths', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['a good pair then a cut one', [0x01, 0x01, 0x61, 0x62, 0x02]],
  ])('%s', (_, bytes) => {
    expect(caught(() => decodeNameValuePairs(Uint8Array.from(bytes)))).toMatchObject(BAD_RECORD);
  });

  it('cutting a valid stream inside its last pair is ERR_FCGI_BAD_RECORD; cutting between pairs decodes the prefix (property)', () => {
    fc.assert(
      fc.property(pairsArb, pairArb, fc.nat(), (prefix, last, cut) => {
        const head = encodeNameValuePairs(prefix);
        const full = encodeNameValuePairs([...prefix, last]);
        const at = head.length + (cut % (full.length - head.length)); // head.length .. full.length - 1
        const err = caught(() => decodeNameValuePairs(full.subarray(0, at)));
        if (at === head.length) {
          expect(err).toBeUndefined();
          expect(decodeNameValuePairs(full.subarray(0, at))).toEqual(prefix);
        } else expect(err).toMatchObject(BAD_RECORD);
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes decode or throw ERR_FCGI_BAD_RECORD, nothing else; what decodes re-encodes to the same pairs (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        let pairs: NameValuePair[] | undefined;
        const err = caught(() => {
          pairs = decodeNameValuePairs(bytes);
        });
        if (err !== undefined) expect(err).toMatchObject(BAD_RECORD);
        else expect(decodeNameValuePairs(encodeNameValuePairs(pairs!))).toEqual(pairs);
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes with the high bit set in length bytes never throw anything but ERR_FCGI_BAD_RECORD (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.boolean(), (random, valueToo) => {
        const bytes = Uint8Array.from(random);
        bytes[0]! |= 0x80;
        if (valueToo && bytes.length > 4) bytes[4]! |= 0x80;
        const err = caught(() => decodeNameValuePairs(bytes));
        if (err !== undefined) expect(err).toMatchObject(BAD_RECORD);
      }),
    );
  });
});
