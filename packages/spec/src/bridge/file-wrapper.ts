/**
 * `portico.file_wrapper`: a file as a response body, read in blocks with `fs.readSync`, or sent by
 * the server itself through the `http.response.pathsend` extension (spec/sync.md "Optional
 * platform-specific file handling"; PEP 3333 of the same name; spec/extensions.md "Path send").
 *
 * @module
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { PorticoError } from '../errors.js';
import type { FileLike, FileWrapper } from '../sync-types.js';

/** Default block size of {@link fileWrapper}, bytes. */
export const DEFAULT_BLOCK_SIZE = 8192;

/**
 * The body {@link fileWrapper} returns. Iterating reads the file from its current offset in blocks
 * of `blockSize` bytes. The wrapper owns the file: `close()` closes the descriptor, the one it was
 * given as well as the one it opened (PEP 3333: "close() ... the file-like object's close()").
 */
export class FileWrapperBody implements Iterable<Uint8Array> {
  /**
   * The absolute path of the file when it is known: given as `{ path }`, or as `{ fd, path }` meaning
   * "this descriptor is that file, to be sent whole". `null` for a bare descriptor. A bridge whose
   * server offers `http.response.pathsend` sends this path instead of iterating.
   */
  readonly path: string | null;
  /** Block size in bytes. */
  readonly blockSize: number;
  /** The descriptor, `-1` while not opened yet (path given) or after `close()`. */
  private fd: number;
  private closed = false;

  constructor(file: FileLike, blockSize: number = DEFAULT_BLOCK_SIZE) {
    if (!Number.isInteger(blockSize) || blockSize <= 0) {
      throw new PorticoError(
        'ERR_INVALID_OPTION',
        `portico.file_wrapper: blockSize must be a positive integer, got ${String(blockSize)}`,
      );
    }
    const f = file as { fd?: unknown; path?: unknown } | null;
    const fd = f !== null && typeof f === 'object' ? f.fd : undefined;
    const path = f !== null && typeof f === 'object' ? f.path : undefined;
    if (fd !== undefined && !(Number.isInteger(fd) && (fd as number) >= 0)) {
      throw new PorticoError(
        'ERR_INVALID_OPTION',
        `portico.file_wrapper: fd must be a file descriptor, got ${String(fd)}`,
      );
    }
    if (path !== undefined && (typeof path !== 'string' || path === '')) {
      throw new PorticoError('ERR_INVALID_OPTION', 'portico.file_wrapper: path must be a non-empty string');
    }
    if (fd === undefined && path === undefined) {
      throw new PorticoError('ERR_INVALID_OPTION', 'portico.file_wrapper: expected { fd } or { path }');
    }
    this.fd = fd === undefined ? -1 : (fd as number);
    this.path = path === undefined ? null : resolve(path as string);
    this.blockSize = blockSize;
  }

  *[Symbol.iterator](): Iterator<Uint8Array> {
    if (this.closed) return;
    if (this.fd < 0) this.fd = openSync(this.path!, 'r');
    for (;;) {
      const block = Buffer.allocUnsafe(this.blockSize);
      const got = readSync(this.fd, block, 0, this.blockSize, null);
      if (got === 0) return;
      yield got === this.blockSize ? block : block.subarray(0, got);
      if (this.closed) return;
    }
  }

  /** Closes the file. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      closeSync(fd);
    }
  }
}

/**
 * `portico.file_wrapper(file, blockSize = 8192)`: wraps `{ fd }`, `{ path }` or `{ fd, path }` in a
 * {@link FileWrapperBody}. A path is opened at the first iteration, so a wrapper never iterated (sent
 * by path, or dropped because the app failed) opens nothing; its `close()` is still called.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` when `file` or `blockSize` is not valid
 */
export const fileWrapper: FileWrapper = function fileWrapper(file, blockSize) {
  return new FileWrapperBody(file, blockSize);
};
