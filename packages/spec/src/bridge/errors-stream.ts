/**
 * The default `portico.errors`: synchronous writes to the process's standard error.
 *
 * @module
 */
import { writeSync } from 'node:fs';
import type { ErrorStream } from '../sync-types.js';

/**
 * Writes `text` to fd 2 synchronously, so output is never lost when the process dies right after.
 * When fd 2 is a non-blocking pipe that is full (`EAGAIN`), the rest goes through `process.stderr`
 * (asynchronous, but kept in order by Node).
 */
function writeStderr(text: string): void {
  let bytes: Buffer | undefined;
  try {
    bytes = Buffer.from(text, 'utf8');
    let done = 0;
    while (done < bytes.length) done += writeSync(2, bytes, done, bytes.length - done);
  } catch {
    // EAGAIN on a full non-blocking pipe, EBADF when fd 2 is closed: fall back, never throw.
    try {
      process.stderr.write(text);
    } catch {
      // Nowhere left to write to.
    }
  }
}

/** The {@link ErrorStream} behind the default `portico.errors` (spec/sync.md "Error stream"). */
class StderrErrorStream implements ErrorStream {
  write(text: string): void {
    writeStderr(typeof text === 'string' ? text : String(text));
  }

  writelines(lines: Iterable<string>): void {
    for (const line of lines) this.write(line);
  }

  flush(): void {
    // Every write is synchronous: nothing is buffered.
  }
}

/**
 * The default `portico.errors`: each `write(text)` goes synchronously to file descriptor 2 (the
 * process's standard error) as UTF-8; `flush()` does nothing because nothing is buffered. One shared
 * instance: it holds no per-request state.
 */
export const stderrErrorStream: ErrorStream = new StderrErrorStream();
