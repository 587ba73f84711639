/**
 * Shared fixtures of the FastCGI codec tests: records laid out by hand (not with the codec's own
 * header writer, so that one layout mistake in encoder and decoder cannot cancel out), re-chunking,
 * a decoding harness and the fast-check arbitraries.
 */
import fc from 'fast-check';
import { FCGI_HEADER_LEN, FCGI_MAX_CONTENT_LENGTH } from '../src/protocol.js';
import { RecordDecoder } from '../src/record-codec.js';

/** A record as the tests compare it: content as hex, so big contents compare fast and print short diffs. */
export interface Rec {
  type: number;
  requestId: number;
  content: string;
}

/** A record to build by hand, with an explicit padding length. */
export interface RawRec {
  type: number;
  requestId: number;
  content: Uint8Array;
  padding: number;
}

export const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');

/** Deterministic pseudo-random bytes (mulberry32), for contents too big to generate byte by byte. */
export function prngBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

/** One record laid out by hand as section 3.3 draws `FCGI_Record`; padding bytes are non-zero on purpose. */
export function rawRecord({ type, requestId, content, padding }: RawRec, version = 1): Uint8Array {
  const out = new Uint8Array(FCGI_HEADER_LEN + content.length + padding);
  out[0] = version;
  out[1] = type;
  out[2] = requestId >> 8;
  out[3] = requestId & 0xff;
  out[4] = content.length >> 8;
  out[5] = content.length & 0xff;
  out[6] = padding;
  out[7] = 0xee; // reserved: ignored on read
  out.set(content, FCGI_HEADER_LEN);
  out.fill(0xa5, FCGI_HEADER_LEN + content.length);
  return out;
}

/** Splits `bytes` at the given cut points (taken modulo length + 1; repeats give empty chunks). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** The offsets between records (and 0) in the concatenation of `parts`. */
export function recordBoundaries(parts: readonly Uint8Array[]): Set<number> {
  const boundaries = new Set<number>([0]);
  let at = 0;
  for (const p of parts) {
    at += p.length;
    boundaries.add(at);
  }
  return boundaries;
}

export function oneByteChunks(bytes: Uint8Array): Uint8Array[] {
  return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
}

/** Pushes `chunks` through a fresh decoder; content is copied since the decoder may hand on views. */
export function decode(chunks: Iterable<Uint8Array>): { records: Rec[]; decoder: RecordDecoder } {
  const records: Rec[] = [];
  const decoder = new RecordDecoder((type, requestId, content) => {
    records.push({ type, requestId, content: hex(content) });
  });
  for (const chunk of chunks) decoder.push(chunk);
  return { records, decoder };
}

export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

export const BAD_RECORD = { name: 'PorticoError', code: 'ERR_FCGI_BAD_RECORD' };

export const concat = (parts: readonly Uint8Array[]): Buffer => Buffer.concat(parts);
export const asRec = (r: RawRec): Rec => ({ type: r.type, requestId: r.requestId, content: hex(r.content) });

export const typeArb = fc.integer({ min: 1, max: 255 });
export const requestIdArb = fc.integer({ min: 0, max: 0xffff });
/** Mostly small contents, now and then one at the 65535 edge. */
export const contentArb = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 40 }), weight: 10 },
  { arbitrary: fc.uint8Array({ minLength: 100, maxLength: 2000 }), weight: 3 },
  {
    arbitrary: fc
      .tuple(fc.integer({ min: FCGI_MAX_CONTENT_LENGTH - 16, max: FCGI_MAX_CONTENT_LENGTH }), fc.nat())
      .map(([n, seed]) => prngBytes(n, seed)),
    weight: 1,
  },
);
export const smallContentArb = fc.uint8Array({ maxLength: 64 });
export const rawRecArb = (content: fc.Arbitrary<Uint8Array> = smallContentArb): fc.Arbitrary<RawRec> =>
  fc.record({ type: typeArb, requestId: requestIdArb, content, padding: fc.integer({ min: 0, max: 255 }) });
export const cutsArb = fc.array(fc.nat(), { maxLength: 30 });
