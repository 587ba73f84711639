/**
 * `portico.input` held in memory, and what every input shares: argument rules, `readlines` and
 * iteration (spec/sync.md "Input stream"; PEP 3333 "Input and Error Streams").
 *
 * @module
 */
import { PorticoError } from '../errors.js';
import type { InputStream } from '../sync-types.js';

/**
 * Normalizes the `size` / `limit` / `hint` argument of an input method: `undefined`, `null`, a
 * negative number or `Infinity` mean "no limit" (`-1`); other numbers are floored.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` when the argument is not a number (or is NaN)
 */
export function sizeArgument(size: unknown, method: string): number {
  if (size === undefined || size === null) return -1;
  if (typeof size !== 'number' || Number.isNaN(size)) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `portico.input.${method}: the size must be a number, got ${typeof size === 'number' ? 'NaN' : typeof size}`,
    );
  }
  if (size < 0 || size === Number.POSITIVE_INFINITY) return -1;
  return Math.floor(size);
}

/** Joins byte arrays into one (no copy when there is only one). */
export function concatBytes(pieces: readonly Uint8Array[], total: number): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.byteLength;
  }
  return out;
}

/**
 * The part every `portico.input` shares: `readlines` and iteration, both built on `readline`.
 * Subclasses provide `read`, `readline` and `close`.
 */
export abstract class BaseInput implements InputStream {
  abstract read(size?: number): Uint8Array;
  abstract readline(limit?: number): Uint8Array;
  /** Releases what the input holds (a temp file); reads after it throw or return EOF. */
  abstract close(): void;

  readlines(hint?: number): Uint8Array[] {
    const max = sizeArgument(hint, 'readlines');
    const lines: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const line = this.readline();
      if (line.byteLength === 0) return lines;
      lines.push(line);
      total += line.byteLength;
      if (max > 0 && total >= max) return lines;
    }
  }

  *[Symbol.iterator](): Iterator<Uint8Array> {
    for (;;) {
      const line = this.readline();
      if (line.byteLength === 0) return;
      yield line;
    }
  }
}

/**
 * `portico.input` over a body held in memory. `read` and `readline` return views of the body (no
 * copy). Reads past the end return an empty array (SYNC-INPUT-2: EOF without CONTENT_LENGTH).
 */
export class MemoryInput extends BaseInput {
  private readonly bytes: Uint8Array;
  private pos = 0;

  /** @param bytes - the whole request body */
  constructor(bytes: Uint8Array) {
    super();
    this.bytes = bytes;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.bytes.byteLength - this.pos;
  }

  read(size?: number): Uint8Array {
    const n = sizeArgument(size, 'read');
    const start = this.pos;
    const left = this.bytes.byteLength - start;
    const take = n < 0 || n > left ? left : n;
    this.pos = start + take;
    return this.bytes.subarray(start, start + take);
  }

  readline(limit?: number): Uint8Array {
    const n = sizeArgument(limit, 'readline');
    const bytes = this.bytes;
    const start = this.pos;
    const end = n < 0 ? bytes.byteLength : Math.min(bytes.byteLength, start + n);
    const nl = bytes.indexOf(0x0a, start);
    const stop = nl < 0 || nl >= end ? end : nl + 1;
    this.pos = stop;
    return bytes.subarray(start, stop);
  }

  close(): void {
    // Nothing to release: the body is garbage-collected with the input.
  }
}

/** An input with no body. Shared: it has no state that reading changes. */
export const EMPTY_INPUT: MemoryInput = new MemoryInput(new Uint8Array(0));
