/**
 * Reading the request body of an HTTP scope into a `portico.input`: in memory up to a threshold,
 * spilled to a temporary file beyond it, so every read the sync app makes is synchronous.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { HTTPReceiveEvent, Receive } from '../async-types.js';
import { PorticoError } from '../errors.js';
import { FileInput } from './file-input.js';
import { type BaseInput, concatBytes, EMPTY_INPUT, MemoryInput } from './input.js';

// O_NOFOLLOW is POSIX-only; O_EXCL alone already refuses an existing name (symlinks included).
const CREATE_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * The input for a request body that came whole in the first `http.request` event and fits in
 * `threshold` bytes (the common case, kept free of extra awaits); `undefined` when
 * {@link readRequestBody} must go on.
 */
export function wholeBody(first: HTTPReceiveEvent, threshold: number): BaseInput | undefined {
  if (first.type !== 'http.request' || first.moreBody === true) return undefined;
  const body = first.body;
  if (body.byteLength === 0) return EMPTY_INPUT;
  return body.byteLength <= threshold ? new MemoryInput(body) : undefined;
}

/**
 * Reads the whole request body through `receive()`, starting with the `first` event already
 * received. Bodies of up to `threshold` bytes stay in memory ({@link MemoryInput}); a longer one is
 * written, as it arrives, to a new file in `tmpdir` (created with `O_EXCL`, mode 0600, its name
 * removed at once where the OS allows, so nothing is left behind even if the process dies) and read
 * back with `fs.readSync` ({@link FileInput}).
 *
 * @returns the input, or `null` when `http.disconnect` arrived first (the client left; any temp file
 *   is already removed)
 * @throws PorticoError `ERR_SPEC_VIOLATION` (side `server`) when `receive()` returns an event that is
 *   not `http.request` or `http.disconnect`; `ERR_INVALID_OPTION` when the temp file cannot be created
 */
export async function readRequestBody(
  receive: Receive,
  first: HTTPReceiveEvent,
  threshold: number,
  tmpdir: string,
): Promise<BaseInput | null> {
  let event = first;
  const chunks: Uint8Array[] = [];
  let total = 0;
  let spool: Spool | null = null;
  try {
    for (;;) {
      if (event.type === 'http.disconnect') {
        spool?.discard();
        return null;
      }
      if (event.type !== 'http.request') {
        throw new PorticoError(
          'ERR_SPEC_VIOLATION',
          `receive() returned ${JSON.stringify((event as { type?: unknown }).type)} in an http scope`,
          { side: 'server', value: event },
        );
      }
      const body = event.body;
      if (body.byteLength > 0) {
        total += body.byteLength;
        if (spool !== null) spool.write(body);
        else if (total > threshold) {
          spool = new Spool(tmpdir);
          for (const chunk of chunks) spool.write(chunk);
          chunks.length = 0;
          spool.write(body);
        } else chunks.push(body);
      }
      if (event.moreBody !== true) break;
      event = (await receive()) as HTTPReceiveEvent;
    }
  } catch (err) {
    spool?.discard();
    throw err;
  }
  if (spool !== null) return spool.input(total);
  return total === 0 ? EMPTY_INPUT : new MemoryInput(concatBytes(chunks, total));
}

/** A temp file being filled with a request body. */
class Spool {
  private readonly fd: number;
  /** The file's name while it still exists (where it could not be removed while open). */
  private readonly path: string | null;

  constructor(dir: string) {
    let fd = -1;
    let path = '';
    for (let attempt = 0; fd < 0; attempt++) {
      path = join(dir, `portico-body-${process.pid}-${randomBytes(8).toString('hex')}`);
      try {
        fd = openSync(path, CREATE_FLAGS, 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 8) continue;
        throw new PorticoError(
          'ERR_INVALID_OPTION',
          `syncToAsync: cannot create a temp file for the request body in ${dir}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    this.fd = fd;
    let kept: string | null = null;
    try {
      unlinkSync(path);
    } catch {
      kept = path;
    }
    this.path = kept;
  }

  write(chunk: Uint8Array): void {
    let done = 0;
    while (done < chunk.byteLength) done += writeSync(this.fd, chunk, done, chunk.byteLength - done);
  }

  /** The input that reads the body back; it owns the file from now on. */
  input(length: number): FileInput {
    return new FileInput(this.fd, length, this.path);
  }

  /** Closes and removes the file. */
  discard(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed.
    }
    if (this.path !== null) {
      try {
        unlinkSync(this.path);
      } catch {
        // Already gone.
      }
    }
  }
}
