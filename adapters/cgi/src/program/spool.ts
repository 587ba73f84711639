/**
 * A first-in first-out byte buffer for request body bytes read ahead of the app: in memory up to a
 * threshold, beyond it in an unlinked temporary file, so that memory stays bounded whatever the body
 * size (spec/servers.md "Flow control": a body the app does not read is not held in memory).
 *
 * @module
 */
import { closeSync, constants, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** A byte queue; see the module comment. Synchronous: the temp file is a local regular file. */
export class Spool {
  private readonly threshold: number;
  private readonly tmpdir: string;
  private memory: Uint8Array[] = [];
  private memoryBytes = 0;
  private fd = -1;
  /** Next file offset to read from / to write at. */
  private readAt = 0;
  private writeAt = 0;

  /**
   * @param threshold - bytes kept in memory before the rest goes to a temp file
   * @param tmpdir - the directory of the temp file
   */
  constructor(threshold: number, tmpdir: string) {
    this.threshold = threshold;
    this.tmpdir = tmpdir;
  }

  /** Bytes held. */
  get size(): number {
    return this.memoryBytes + (this.writeAt - this.readAt);
  }

  /** Appends a chunk (copied to the file, or kept as it is in memory). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.fd < 0 && this.memoryBytes + chunk.length <= this.threshold) {
      this.memory.push(chunk);
      this.memoryBytes += chunk.length;
      return;
    }
    if (this.fd < 0) this.fd = openTempFile(this.tmpdir);
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off, this.writeAt + off);
    this.writeAt += chunk.length;
  }

  /** Takes up to `max` bytes from the front; empty when nothing is held. */
  shift(max: number): Uint8Array {
    const first = this.memory[0];
    if (first !== undefined) {
      if (first.length <= max) {
        this.memory.shift();
        this.memoryBytes -= first.length;
        return first;
      }
      this.memory[0] = first.subarray(max);
      this.memoryBytes -= max;
      return first.subarray(0, max);
    }
    const n = Math.min(max, this.writeAt - this.readAt);
    if (n <= 0) return new Uint8Array(0);
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) got += readSync(this.fd, out, got, n - got, this.readAt + got);
    this.readAt += n;
    if (this.readAt === this.writeAt) {
      // Drained: the file can be reused from its start.
      this.readAt = 0;
      this.writeAt = 0;
    }
    return out;
  }

  /** Drops everything and closes the temp file. */
  close(): void {
    this.memory = [];
    this.memoryBytes = 0;
    this.readAt = 0;
    this.writeAt = 0;
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}

/**
 * A new temp file, created with O_EXCL (never an existing file or a symbolic link planted there) and
 * mode 0600, and unlinked at once: it goes away with its descriptor. A name taken is tried again.
 */
function openTempFile(dir: string): number {
  for (let attempt = 0; ; attempt++) {
    const name = `portico-cgi-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const path = join(dir, name);
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 8) continue;
      throw err;
    }
    unlinkSync(path);
    return fd;
  }
}
