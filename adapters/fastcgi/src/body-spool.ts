/**
 * The request body of one request of a multiplexed connection, held while its app does not read:
 * in memory up to a limit, the rest in an unlinked temporary file. Reading a shared connection is
 * never paused for one request (that would stall the others), so the bytes must go somewhere.
 *
 * @module
 */
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const EMPTY = new Uint8Array(0);
/** Bytes read back from the file per chunk handed to the app. */
const READ_SIZE = 65536;
let fileCounter = 0;

/** A piece of request body and whether more follows. */
export interface SpooledChunk {
  readonly chunk: Uint8Array;
  readonly more: boolean;
}

/** A first-in first-out store of request body bytes, memory first, then a temporary file. */
export class BodySpool {
  private readonly memoryLimit: number;
  private readonly memory: Uint8Array[] = [];
  private memoryBytes = 0;
  private fd = -1;
  private written = 0;
  private read = 0;
  /** The last piece (more: false) was added and not yet taken. */
  private endPending = false;

  /** @param memoryLimit - bytes kept in memory before spilling to the file */
  constructor(memoryLimit: number) {
    this.memoryLimit = memoryLimit;
  }

  /** Bytes written to the temporary file so far (0 while everything fits in memory). */
  get spilledBytes(): number {
    return this.written;
  }

  /** Whether nothing is held (no bytes, no pending end). */
  get empty(): boolean {
    return this.memory.length === 0 && this.read === this.written && !this.endPending;
  }

  /**
   * Adds a piece; `more` false marks the body's end.
   *
   * @throws the file system error when the temporary file cannot be created or written (ENOSPC)
   */
  add(chunk: Uint8Array, more: boolean): void {
    if (!more) this.endPending = true;
    if (chunk.length === 0) return;
    const fileInUse = this.read < this.written;
    if (!fileInUse && this.memoryBytes + chunk.length <= this.memoryLimit) {
      this.memory.push(chunk);
      this.memoryBytes += chunk.length;
      return;
    }
    if (this.fd < 0) {
      const path = join(tmpdir(), `portico-fcgi-${process.pid}-${++fileCounter}`);
      this.fd = openSync(path, 'wx+', 0o600);
      unlinkSync(path);
    }
    let at = 0;
    while (at < chunk.length) at += writeSync(this.fd, chunk, at, chunk.length - at, this.written + at);
    this.written += chunk.length;
  }

  /** Takes the oldest piece, or `null` when nothing is held. */
  take(): SpooledChunk | null {
    let chunk: Uint8Array;
    const first = this.memory.shift();
    if (first !== undefined) {
      this.memoryBytes -= first.length;
      chunk = first;
    } else if (this.read < this.written) {
      const size = Math.min(READ_SIZE, this.written - this.read);
      const buffer = Buffer.allocUnsafe(size);
      let got = 0;
      while (got < size) {
        const n = readSync(this.fd, buffer, got, size - got, this.read + got);
        if (n === 0) break;
        got += n;
      }
      this.read += got;
      chunk = got === size ? buffer : buffer.subarray(0, got);
      if (this.read === this.written) {
        // Everything spilled was read back: start the file over.
        this.read = 0;
        this.written = 0;
      }
    } else if (this.endPending) {
      chunk = EMPTY;
    } else return null;
    const more = !(this.endPending && this.memory.length === 0 && this.read === this.written);
    if (!more) this.endPending = false;
    return { chunk, more };
  }

  /** Drops what is held and closes the temporary file. */
  close(): void {
    this.memory.length = 0;
    this.memoryBytes = 0;
    this.endPending = false;
    this.read = this.written = 0;
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
