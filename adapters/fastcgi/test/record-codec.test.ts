/**
 * Properties of the FastCGI record encoders (FastCGI 1.0 section 3.3 "Records", 4.2, 5.1, 5.5):
 * every record type, id and content size round-trips through the decoder; streams split at 65535.
 * The decoder's own rules (chunking, padding, version, atBoundary) are in record-decoder.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FCGI_BEGIN_REQUEST,
  FCGI_END_REQUEST,
  FCGI_MAX_CONTENT_LENGTH,
  FCGI_STDIN,
  FCGI_STDOUT,
  FCGI_UNKNOWN_TYPE,
} from '../src/protocol.js';
import {
  decodeBeginRequest,
  decodeEndRequest,
  decodeUnknownType,
  encodeBeginRequest,
  encodeEndRequest,
  encodeRecord,
  encodeStream,
  encodeUnknownType,
  paddingFor,
  streamSize,
  writeStream,
} from '../src/record-codec.js';
import {
  BAD_RECORD,
  caught,
  contentArb,
  decode,
  hex,
  oneByteChunks,
  prngBytes,
  type Rec,
  requestIdArb,
  typeArb,
} from './record-fixtures.js';

describe('encodeRecord / RecordDecoder round trip (section 3.3)', () => {
  it('every record type 1..255 (known 1..11 and unknown 12..255) round-trips with ids 0, 1 and 65535', () => {
    const content = Uint8Array.from([0, 1, 2, 0xff, 0x80]);
    for (let type = 1; type <= 255; type++) {
      for (const requestId of [0, 1, 0xffff]) {
        const { records } = decode([encodeRecord(type, requestId, content)]);
        expect(records).toEqual([{ type, requestId, content: '000102ff80' }]);
      }
    }
  });

  it('a record of any type, id 0..65535 and content 0..65535 bytes round-trips (property)', () => {
    fc.assert(
      fc.property(typeArb, requestIdArb, contentArb, (type, requestId, content) => {
        const bytes = encodeRecord(type, requestId, content);
        const { records, decoder } = decode([bytes]);
        expect(records).toEqual([{ type, requestId, content: hex(content) }]);
        expect(decoder.atBoundary).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('the encoded header is version 1, type, id and length big-endian, padding to 8, reserved 0', () => {
    fc.assert(
      fc.property(typeArb, requestIdArb, fc.uint8Array({ maxLength: 100 }), (type, requestId, content) => {
        const bytes = encodeRecord(type, requestId, content);
        const padding = paddingFor(content.length);
        expect(padding).toBe((8 - (content.length % 8)) % 8);
        expect([...bytes.subarray(0, 8)]).toEqual([
          1,
          type,
          requestId >> 8,
          requestId & 0xff,
          content.length >> 8,
          content.length & 0xff,
          padding,
          0,
        ]);
        expect(bytes.length).toBe(8 + content.length + padding);
        expect(bytes.length % 8).toBe(0);
        expect(hex(bytes.subarray(8, 8 + content.length))).toBe(hex(content));
      }),
    );
  });

  it('content of exactly 65535 bytes is one record with padding 1', () => {
    const content = prngBytes(FCGI_MAX_CONTENT_LENGTH, 7);
    const bytes = encodeRecord(FCGI_STDOUT, 0xffff, content);
    expect(bytes.length).toBe(8 + 65535 + 1);
    expect([...bytes.subarray(0, 8)]).toEqual([1, FCGI_STDOUT, 0xff, 0xff, 0xff, 0xff, 1, 0]);
    expect(decode(oneByteChunks(bytes)).records).toEqual([
      { type: FCGI_STDOUT, requestId: 0xffff, content: hex(content) },
    ]);
  });

  it('encodeRecord refuses content over 65535 bytes, a type outside 1..255 and an id outside 0..65535', () => {
    expect(caught(() => encodeRecord(FCGI_STDOUT, 1, new Uint8Array(65536)))).toMatchObject(BAD_RECORD);
    for (const type of [0, 256, -1, 1.5, Number.NaN]) {
      expect(
        caught(() => encodeRecord(type, 1)),
        `type ${type}`,
      ).toMatchObject(BAD_RECORD);
    }
    for (const id of [-1, 65536, 2.5, Number.NaN]) {
      expect(
        caught(() => encodeRecord(FCGI_STDOUT, id)),
        `id ${id}`,
      ).toMatchObject(BAD_RECORD);
    }
  });
});

describe('encodeStream splits a stream into records of at most 65535 bytes (section 3.3)', () => {
  function checkStream(length: number, seed: number): void {
    const content = prngBytes(length, seed);
    const bytes = encodeStream(FCGI_STDIN, 3, content);
    expect(bytes.length).toBe(streamSize(length));
    const { records, decoder } = decode([bytes]);
    expect(decoder.atBoundary).toBe(true);
    expect(records.length).toBe(Math.max(1, Math.ceil(length / FCGI_MAX_CONTENT_LENGTH)));
    records.forEach((r, i) => {
      expect(r.type).toBe(FCGI_STDIN);
      expect(r.requestId).toBe(3);
      if (i < records.length - 1) expect(r.content.length / 2).toBe(FCGI_MAX_CONTENT_LENGTH);
    });
    expect(records.map((r) => r.content).join('')).toBe(hex(content));
  }

  it.each([0, 1, 65534, 65535, 65536, 131070, 131071, 200_000])('%i bytes re-assemble', (length) => {
    checkStream(length, length);
  });

  it('any length 0..200000 re-assembles from records each padded to 8 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), fc.nat(), (length, seed) =>
        checkStream(length, seed),
      ),
      { numRuns: 25 },
    );
  });

  it('empty content is the one empty record that ends a stream', () => {
    expect([...encodeStream(FCGI_STDIN, 258, new Uint8Array(0))]).toEqual([1, FCGI_STDIN, 1, 2, 0, 0, 0, 0]);
  });

  it('writeStream writes at an offset and returns the offset after the last record', () => {
    const content = prngBytes(70_000, 1);
    const into = new Uint8Array(5 + streamSize(content.length) + 3).fill(0x77);
    const end = writeStream(into, 5, FCGI_STDOUT, 9, content);
    expect(end).toBe(5 + streamSize(content.length));
    expect(into[4]).toBe(0x77);
    expect(into[end]).toBe(0x77);
    expect(hex(into.subarray(5, end))).toBe(hex(encodeStream(FCGI_STDOUT, 9, content)));
  });
});

describe('management and request bodies (sections 4.2, 5.1, 5.5)', () => {
  function only(bytes: Uint8Array): Rec {
    const { records } = decode([bytes]);
    expect(records.length).toBe(1);
    return records[0]!;
  }
  const content = (r: Rec): Uint8Array => Buffer.from(r.content, 'hex');

  it('FCGI_BEGIN_REQUEST: role 0..65535 and flags 0..255 round-trip; 8-byte body, reserved zero (property)', () => {
    fc.assert(
      fc.property(
        requestIdArb,
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 255 }),
        (requestId, role, flags) => {
          const r = only(encodeBeginRequest(requestId, role, flags));
          expect(r.type).toBe(FCGI_BEGIN_REQUEST);
          expect(r.requestId).toBe(requestId);
          expect([...content(r)]).toEqual([role >> 8, role & 0xff, flags, 0, 0, 0, 0, 0]);
          expect(decodeBeginRequest(content(r))).toEqual({ role, flags });
        },
      ),
    );
  });

  it('FCGI_END_REQUEST: appStatus 0..2^32-1 and protocolStatus round-trip in a 16-byte record (property)', () => {
    fc.assert(
      fc.property(
        requestIdArb,
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 255 }),
        (requestId, appStatus, protocolStatus) => {
          const bytes = encodeEndRequest(requestId, appStatus, protocolStatus);
          expect(bytes.length).toBe(16);
          const r = only(bytes);
          expect(r.type).toBe(FCGI_END_REQUEST);
          expect(r.requestId).toBe(requestId);
          expect(decodeEndRequest(content(r))).toEqual({ appStatus, protocolStatus });
        },
      ),
    );
  });

  it('FCGI_END_REQUEST: appStatus with the top bit set stays unsigned', () => {
    expect(decodeEndRequest(content(only(encodeEndRequest(1, 0xffffffff, 0))))).toEqual({
      appStatus: 0xffffffff,
      protocolStatus: 0,
    });
  });

  it('FCGI_UNKNOWN_TYPE: the unknown type 0..255 round-trips, request id 0', () => {
    for (let type = 0; type <= 255; type++) {
      const r = only(encodeUnknownType(type));
      expect(r.type).toBe(FCGI_UNKNOWN_TYPE);
      expect(r.requestId).toBe(0);
      expect(content(r).length).toBe(8);
      expect(decodeUnknownType(content(r))).toBe(type);
    }
  });

  it('bodies shorter than 8 bytes are ERR_FCGI_BAD_RECORD for all three decoders (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 7 }), (body) => {
        expect(caught(() => decodeBeginRequest(body))).toMatchObject(BAD_RECORD);
        expect(caught(() => decodeEndRequest(body))).toMatchObject(BAD_RECORD);
        expect(caught(() => decodeUnknownType(body))).toMatchObject(BAD_RECORD);
      }),
    );
  });
});
