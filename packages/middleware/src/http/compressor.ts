/**
 * A node:zlib stream driven one chunk at a time: each chunk in, flushed, its compressed bytes out.
 *
 * @module
 */

import {
  type BrotliCompress,
  constants,
  createBrotliCompress,
  createDeflate,
  createGzip,
  type Deflate,
  type Gzip,
} from 'node:zlib';

/** The content codings `compression()` produces (RFC 9110 section 8.4.1). */
export type Coding = 'br' | 'gzip' | 'deflate';

/** Settings of a {@link Compressor}. */
export interface CompressorSettings {
  /** zlib level for gzip and deflate, -1 (zlib's default, 6) or 0..9. */
  readonly gzipLevel: number;
  /** Brotli quality, 0..11. */
  readonly brotliQuality: number;
  /** The body size in bytes when known (Content-Length), a hint for brotli. */
  readonly sizeHint?: number | undefined;
}

const EMPTY = new Uint8Array(0);

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 0) return EMPTY;
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  return Buffer.concat(chunks);
}

/**
 * One compressed body. `write` sends a chunk through the zlib stream and flushes it
 * (`Z_SYNC_FLUSH`, `BROTLI_OPERATION_FLUSH`), so what the client gets decodes to everything written
 * so far; `end` finishes the stream. Each resolves to the compressed bytes it produced (possibly
 * empty). One call at a time. `destroy` frees the zlib stream; a pending call then rejects.
 */
export class Compressor {
  readonly #stream: Gzip | Deflate | BrotliCompress;
  readonly #flushKind: number;
  #out: Uint8Array[] = [];
  #failed: ((error: Error) => void) | undefined;
  #error: Error | undefined;

  constructor(coding: Coding, settings: CompressorSettings) {
    if (coding === 'br') {
      const params: Record<number, number> = {
        [constants.BROTLI_PARAM_QUALITY]: settings.brotliQuality,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      };
      if (settings.sizeHint !== undefined) params[constants.BROTLI_PARAM_SIZE_HINT] = settings.sizeHint;
      this.#stream = createBrotliCompress({ params });
      this.#flushKind = constants.BROTLI_OPERATION_FLUSH;
    } else {
      const options = { level: settings.gzipLevel };
      this.#stream = coding === 'gzip' ? createGzip(options) : createDeflate(options);
      this.#flushKind = constants.Z_SYNC_FLUSH;
    }
    // Flowing mode: output is taken as zlib produces it, so the stream never waits for a reader.
    this.#stream.on('data', (chunk: Uint8Array) => this.#out.push(chunk));
    const fail = (error: Error): void => {
      this.#error ??= error;
      this.#failed?.(this.#error);
    };
    this.#stream.on('error', fail);
    this.#stream.on('close', () => fail(new Error('compressor closed')));
  }

  /** Compresses `chunk` and flushes; resolves to the bytes produced. */
  write(chunk: Uint8Array): Promise<Uint8Array> {
    return this.#run((done) => {
      this.#stream.write(chunk);
      this.#stream.flush(this.#flushKind, done);
    });
  }

  /** Compresses `chunk` (may be empty) and ends the stream; resolves to the last bytes. */
  end(chunk: Uint8Array): Promise<Uint8Array> {
    return this.#run((done) => {
      this.#stream.once('end', done);
      this.#stream.end(chunk);
    });
  }

  /** Frees the zlib stream (idempotent). */
  destroy(): void {
    this.#stream.destroy();
  }

  #run(start: (done: () => void) => void): Promise<Uint8Array> {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#failed = reject;
      start(() => {
        this.#failed = undefined;
        const out = concat(this.#out);
        this.#out = [];
        resolve(out);
      });
    });
  }
}
