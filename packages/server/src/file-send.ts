/**
 * The `http.response.pathsend` extension, once for every adapter: the server opens the file, sets
 * `content-length` from its size, and streams it with backpressure (spec/extensions.md "Path send").
 * Node has no portable sendfile(2) for sockets, so the file is read in 64 KiB chunks; memory stays
 * bounded by the connection's high-water mark plus one chunk.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import type { HeaderList } from '@portico/spec';
import { PorticoError } from '@portico/spec';
import { withHeader } from './response-headers.js';

const CHUNK = 64 * 1024;

/** What the file sender needs from a request cycle. */
export interface FileSink {
  readonly isHead: boolean;
  readonly clientGone: boolean;
  /** The `content-length` the app declared, or -1. */
  readonly declaredLength: number;
  /** The headers of `http.response.start`. */
  readonly responseHeaders: HeaderList;
  /** Whether trailers follow: then no content-length is added (the body goes chunked). */
  readonly trailersPending: boolean;
  fileHead(headers: HeaderList, end: boolean): boolean;
  fileBody(chunk: Uint8Array, end: boolean): boolean;
  fileDrain(): Promise<void>;
  fileFail(err: PorticoError): Promise<void>;
}

function fileError(what: string, path: string, cause?: unknown): PorticoError {
  return new PorticoError(
    'ERR_SPEC_VIOLATION',
    `http.response.pathsend ${JSON.stringify(path)}: ${what} (SRV-ERR-5)`,
    {
      rule: 'SRV-ERR-5',
      side: 'app',
      value: path,
      cause,
    },
  );
}

/**
 * Sends the regular file at `path` as the whole response body.
 *
 * @throws PorticoError `ERR_SPEC_VIOLATION` (rule `SRV-ERR-5`) when the file cannot be opened or is
 *   not a regular file (then the response is a 500), `ERR_CLIENT_DISCONNECTED` when the client left
 */
export async function sendFile(sink: FileSink, path: string): Promise<void> {
  let handle: FileHandle;
  try {
    // Loaded when a file is sent, not at startup: a CGI program starts once per request.
    handle = await (await import('node:fs/promises')).open(path, 'r');
  } catch (err) {
    return sink.fileFail(
      fileError(`cannot open: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, path, err),
    );
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return await sink.fileFail(fileError('not a regular file', path));
    const size = stat.size;
    const declared = sink.declaredLength;
    if (declared >= 0 && declared !== size && !sink.isHead) {
      return await sink.fileFail(
        fileError(`content-length ${declared} but the file has ${size} bytes (SRV-RESP-2)`, path),
      );
    }
    const headers =
      declared < 0 && !sink.trailersPending
        ? withHeader(sink.responseHeaders, 'content-length', String(size))
        : sink.responseHeaders;
    if (sink.isHead || size === 0) {
      sink.fileHead(headers, true);
      return;
    }
    let ok = sink.fileHead(headers, false);
    let position = 0;
    while (position < size) {
      if (!ok) await sink.fileDrain();
      if (sink.clientGone)
        throw new PorticoError('ERR_CLIENT_DISCONNECTED', 'the client disconnected', { side: 'server' });
      const want = Math.min(CHUNK, size - position);
      const buffer = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buffer, 0, want, position);
      if (bytesRead === 0)
        return await sink.fileFail(fileError(`the file shrank to ${position} bytes while sent`, path));
      position += bytesRead;
      ok = sink.fileBody(bytesRead === want ? buffer : buffer.subarray(0, bytesRead), position >= size);
    }
  } finally {
    await handle.close();
  }
}
