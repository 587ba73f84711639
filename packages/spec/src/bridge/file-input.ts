/**
 * `portico.input` over a request body spilled to a file: every read is a synchronous `pread`
 * (`fs.readSync` at an explicit position), so a sync app never waits on the event loop.
 *
 * @module
 */
import { closeSync, readSync, unlinkSync } from 'node:fs';
import { BaseInput, concatBytes, sizeArgument } from './input.js';

/** Bytes read ahead for `readline`. */
const BLOCK = 64 * 1024;

/**
 * `portico.input` over the first `length` bytes of an open file. Reads use explicit positions, so
 * the file offset does not matter. `close()` closes the descriptor and removes the file at `path`
 * when one is given (where it could not be removed while open).
 */
export class FileInput extends BaseInput {
  private fd: number;
  private length: number;
  private path: string | null;
  /** Next file position to read. */
  private pos = 0;
  /** Read-ahead for `readline`: bytes `[bufStart, bufEnd)` of `buf` come before `pos`. */
  private buf: Buffer | null = null;
  private bufStart = 0;
  private bufEnd = 0;

  /**
   * @param fd - an open file descriptor, readable
   * @param length - the body length in bytes
   * @param path - a file to unlink on `close()`, or `null`
   *
   * After `close()`, reads return an empty array (EOF).
   */
  constructor(fd: number, length: number, path: string | null = null) {
    super();
    this.fd = fd;
    this.length = length;
    this.path = path;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.bufEnd - this.bufStart + (this.length - this.pos);
  }

  read(size?: number): Uint8Array {
    const n = sizeArgument(size, 'read');
    const left = this.remaining;
    const take = n < 0 || n > left ? left : n;
    const out = Buffer.allocUnsafe(take);
    let filled = 0;
    const buffered = this.bufEnd - this.bufStart;
    if (buffered > 0 && this.buf !== null) {
      filled = Math.min(buffered, take);
      this.buf.copy(out, 0, this.bufStart, this.bufStart + filled);
      this.bufStart += filled;
    }
    while (filled < take) {
      const got = readSync(this.fd, out, filled, take - filled, this.pos);
      if (got === 0) {
        // The file is shorter than expected: end the body here.
        this.length = this.pos;
        return out.subarray(0, filled);
      }
      this.pos += got;
      filled += got;
    }
    return out;
  }

  readline(limit?: number): Uint8Array {
    const n = sizeArgument(limit, 'readline');
    const max = n < 0 ? Number.POSITIVE_INFINITY : n;
    const pieces: Uint8Array[] = [];
    let total = 0;
    while (total < max) {
      if (this.bufStart === this.bufEnd && !this.fill()) break;
      const buf = this.buf!;
      const end = Math.min(this.bufEnd, this.bufStart + (max - total));
      const nl = buf.indexOf(0x0a, this.bufStart);
      const found = nl >= 0 && nl < end;
      const stop = found ? nl + 1 : end;
      pieces.push(buf.subarray(this.bufStart, stop));
      total += stop - this.bufStart;
      this.bufStart = stop;
      if (found) break;
    }
    if (pieces.length === 0) return new Uint8Array(0);
    // Copy: the read-ahead buffer is reused by the next fill().
    return pieces.length === 1 ? Uint8Array.prototype.slice.call(pieces[0]!) : concatBytes(pieces, total);
  }

  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    this.length = this.pos;
    this.bufStart = this.bufEnd = 0;
    try {
      closeSync(fd);
    } finally {
      if (this.path !== null) {
        const path = this.path;
        this.path = null;
        try {
          unlinkSync(path);
        } catch {
          // Already gone.
        }
      }
    }
  }

  /** Reads the next block into the read-ahead buffer; `false` at the end of the body. */
  private fill(): boolean {
    if (this.pos >= this.length) return false;
    this.buf ??= Buffer.allocUnsafeSlow(BLOCK);
    const got = readSync(this.fd, this.buf, 0, Math.min(BLOCK, this.length - this.pos), this.pos);
    if (got === 0) {
      this.length = this.pos;
      return false;
    }
    this.pos += got;
    this.bufStart = 0;
    this.bufEnd = got;
    return true;
  }
}
