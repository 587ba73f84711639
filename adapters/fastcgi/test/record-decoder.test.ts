/**
 * Properties of the FastCGI record decoder (FastCGI 1.0 section 3.3 "Records"): the same records
 * whatever the chunking, any padding 0..255, a version other than 1 refused for good, nothing
 * thrown but ERR_FCGI_BAD_RECORD on arbitrary input, and atBoundary exactly between records.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FCGI_STDIN } from '../src/protocol.js';
import { encodeRecord, RecordDecoder } from '../src/record-codec.js';
import {
  asRec,
  BAD_RECORD,
  caught,
  concat,
  contentArb,
  cutsArb,
  decode,
  hex,
  oneByteChunks,
  prngBytes,
  type RawRec,
  type Rec,
  rawRecArb,
  rawRecord,
  recordBoundaries,
  requestIdArb,
  splitAt,
  typeArb,
} from './record-fixtures.js';

describe('RecordDecoder: chunking and padding', () => {
  it('any re-chunking of a valid byte stream yields the same records (property)', () => {
    fc.assert(
      fc.property(fc.array(rawRecArb(), { maxLength: 12 }), cutsArb, (recs, cuts) => {
        const bytes = concat(recs.map((r) => rawRecord(r)));
        expect(decode(splitAt(bytes, cuts)).records).toEqual(recs.map(asRec));
      }),
      { numRuns: 300 },
    );
  });

  it('one-byte chunks yield the same records as one chunk (property)', () => {
    fc.assert(
      fc.property(fc.array(rawRecArb(), { maxLength: 6 }), (recs) => {
        const bytes = concat(recs.map((r) => rawRecord(r)));
        expect(decode(oneByteChunks(bytes)).records).toEqual(decode([bytes]).records);
        expect(decode([bytes]).records).toEqual(recs.map(asRec));
      }),
    );
  });

  it('re-chunked streams of encoder output with big records yield the same records (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(typeArb, requestIdArb, contentArb), { maxLength: 4 }),
        cutsArb,
        (list, cuts) => {
          const bytes = concat(list.map(([t, id, c]) => encodeRecord(t, id, c)));
          expect(decode(splitAt(bytes, cuts)).records).toEqual(
            list.map(([type, requestId, c]) => ({ type, requestId, content: hex(c) })),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('any padding 0..255 is accepted on read, whatever the content length (property)', () => {
    fc.assert(
      fc.property(rawRecArb(), rawRecArb(), cutsArb, (a, b, cuts) => {
        const bytes = concat([rawRecord(a), rawRecord(b)]);
        expect(decode(splitAt(bytes, cuts)).records).toEqual([asRec(a), asRec(b)]);
      }),
      { numRuns: 300 },
    );
  });

  it('content length 65535 with padding 255 is read, in one chunk, in odd chunks and byte by byte', () => {
    const big: RawRec = { type: FCGI_STDIN, requestId: 1, content: prngBytes(65535, 3), padding: 255 };
    const next: RawRec = { type: FCGI_STDIN, requestId: 1, content: new Uint8Array(0), padding: 255 };
    const bytes = concat([rawRecord(big), rawRecord(next)]);
    const expected = [asRec(big), asRec(next)];
    expect(decode([bytes]).records).toEqual(expected);
    expect(decode(splitAt(bytes, [7, 8, 9, 65535 + 8, 65535 + 9, 65535 + 8 + 254])).records).toEqual(
      expected,
    );
    const { records, decoder } = decode(oneByteChunks(bytes));
    expect(records).toEqual(expected);
    expect(decoder.atBoundary).toBe(true);
  });

  it('padding is skipped after the content, also when the content starts in the next chunk', () => {
    // FCGI_STDIN id 1, contentLength 1, paddingLength 1; content 0x41, padding 0x00.
    const bytes = Uint8Array.of(1, FCGI_STDIN, 0, 1, 0, 1, 1, 0, 0x41, 0x00);
    const { records, decoder } = decode([bytes.subarray(0, 8), bytes.subarray(8)]);
    expect(records).toEqual([{ type: FCGI_STDIN, requestId: 1, content: '41' }]);
    expect(decoder.atBoundary).toBe(true);
  });

  it('an empty chunk changes nothing', () => {
    const bytes = rawRecord({ type: 6, requestId: 2, content: Uint8Array.of(1, 2, 3), padding: 2 });
    const { records } = decode([
      new Uint8Array(0),
      bytes.subarray(0, 4),
      new Uint8Array(0),
      bytes.subarray(4),
    ]);
    expect(records).toEqual([{ type: 6, requestId: 2, content: '010203' }]);
  });

  it('an error thrown by the handler propagates unchanged', () => {
    const boom = new TypeError('handler failed');
    const decoder = new RecordDecoder(() => {
      throw boom;
    });
    expect(caught(() => decoder.push(encodeRecord(FCGI_STDIN, 1, Uint8Array.of(1))))).toBe(boom);
  });
});

describe('RecordDecoder: version byte (section 3.3, FCGI_VERSION_1)', () => {
  const badVersionArb = fc.integer({ min: 0, max: 255 }).filter((v) => v !== 1);

  it('a version other than 1 is ERR_FCGI_BAD_RECORD, and the decoder refuses further input (property)', () => {
    fc.assert(
      fc.property(
        fc.array(rawRecArb(), { maxLength: 4 }),
        rawRecArb(),
        badVersionArb,
        cutsArb,
        (before, bad, version, cuts) => {
          const good = concat(before.map((r) => rawRecord(r)));
          const bytes = concat([good, rawRecord(bad, version)]);
          const records: Rec[] = [];
          const decoder = new RecordDecoder((type, requestId, content) =>
            records.push({ type, requestId, content: hex(content) }),
          );
          let err: unknown;
          for (const chunk of splitAt(bytes, cuts)) {
            err = caught(() => decoder.push(chunk));
            if (err !== undefined) break;
          }
          expect(err).toMatchObject(BAD_RECORD);
          expect(records).toEqual(before.map(asRec));
          // Refused from then on, even for a valid record or an empty chunk.
          expect(caught(() => decoder.push(encodeRecord(FCGI_STDIN, 1, Uint8Array.of(1))))).toMatchObject(
            BAD_RECORD,
          );
          expect(caught(() => decoder.push(new Uint8Array(0)))).toMatchObject(BAD_RECORD);
          expect(records.length).toBe(before.length);
        },
      ),
    );
  });

  it.each([0, 2, 0xff])('version %i in the first byte is refused at once', (version) => {
    const decoder = new RecordDecoder(() => {
      throw new Error('no record expected');
    });
    expect(caught(() => decoder.push(Uint8Array.of(version)))).toBeUndefined(); // header not complete yet
    expect(caught(() => decoder.push(new Uint8Array(7)))).toMatchObject(BAD_RECORD);
  });
});

describe('RecordDecoder: arbitrary input throws nothing but ERR_FCGI_BAD_RECORD', () => {
  function feed(chunks: readonly Uint8Array[]): void {
    const decoder = new RecordDecoder(() => {});
    for (const chunk of chunks) {
      const err = caught(() => decoder.push(chunk));
      if (err !== undefined) {
        expect(err).toMatchObject(BAD_RECORD);
        return;
      }
    }
  }

  it('random bytes in random chunks (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), cutsArb, (bytes, cuts) => feed(splitAt(bytes, cuts))),
      { numRuns: 300 },
    );
  });

  it('random bytes after a version-1 byte at every 8th offset (headers that parse) (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), cutsArb, (random, cuts) => {
        const bytes = Uint8Array.from(random);
        for (let i = 0; i < bytes.length; i += 8) bytes[i] = 1;
        feed(splitAt(bytes, cuts));
      }),
      { numRuns: 300 },
    );
  });

  it('mutated valid streams (property)', () => {
    const mutation = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(
        fc.array(rawRecArb(), { minLength: 1, maxLength: 8 }),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        cutsArb,
        (recs, mutations, truncate, cuts) => {
          const bytes = concat(recs.map((r) => rawRecord(r)));
          for (const [at, value] of mutations) bytes[at % bytes.length] = value;
          feed(splitAt(bytes.subarray(0, truncate % (bytes.length + 1)), cuts));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('RecordDecoder.atBoundary', () => {
  it('is true exactly between records, byte by byte (property)', () => {
    fc.assert(
      fc.property(fc.array(rawRecArb(fc.uint8Array({ maxLength: 20 })), { maxLength: 6 }), (recs) => {
        const parts = recs.map((r) => rawRecord(r));
        const boundaries = recordBoundaries(parts);
        const bytes = concat(parts);
        const decoder = new RecordDecoder(() => {});
        expect(decoder.atBoundary).toBe(true);
        for (let i = 0; i < bytes.length; i++) {
          decoder.push(bytes.subarray(i, i + 1));
          expect(decoder.atBoundary, `after ${i + 1} of ${bytes.length} bytes`).toBe(boundaries.has(i + 1));
        }
      }),
    );
  });

  it('is true at the end of a chunk exactly when the chunk ends between records (property)', () => {
    fc.assert(
      fc.property(fc.array(rawRecArb(), { maxLength: 6 }), cutsArb, (recs, cuts) => {
        const parts = recs.map((r) => rawRecord(r));
        const boundaries = recordBoundaries(parts);
        const decoder = new RecordDecoder(() => {});
        let pushed = 0;
        for (const chunk of splitAt(concat(parts), cuts)) {
          decoder.push(chunk);
          pushed += chunk.length;
          expect(decoder.atBoundary, `after ${pushed} bytes`).toBe(boundaries.has(pushed));
        }
      }),
    );
  });
});
