/**
 * The sync validator's wrappers of `portico.input`, `portico.errors` and `portico.file_wrapper`
 * (spec/sync.md "The input stream", "The error stream", "Optional platform-specific file handling"):
 * the arguments the app passes are checked app side, what the server returns server side.
 *
 * @module
 */
import type { ErrorStream, FileWrapper, InputStream } from '../sync-types.js';
import { isIterable } from './sync-environ.js';
import type { Report } from './violation.js';

const LF = 0x0a;

/** Whether `v` is an optional size argument: `undefined` or an integer (negative means "no limit"). */
function isSize(v: unknown): boolean {
  return v === undefined || Number.isSafeInteger(v);
}

/** Whether `n` asks for data: absent, negative (all) or positive; an empty answer then means end of body. */
function asksForData(n: number | undefined): boolean {
  return n === undefined || n !== 0;
}

/** Tracks what the input stream delivered: EOF (SYNC-INPUT-2) and CONTENT_LENGTH (SYNC-INPUT-4). */
class InputLedger {
  #total = 0;
  #eof = false;
  readonly #declared: number | undefined;
  readonly #report: Report;

  constructor(contentLength: unknown, report: Report) {
    this.#declared =
      typeof contentLength === 'string' && /^[0-9]+$/.test(contentLength) ? Number(contentLength) : undefined;
    this.#report = report;
  }

  /** Records `bytes` delivered by `what`; `end` says whether the call ended the body (empty answer, read-all). */
  delivered(what: string, bytes: number, end: boolean): void {
    const report = this.#report;
    if (this.#eof && bytes > 0) {
      report(
        'SYNC-INPUT-2',
        'server',
        `portico.input ${what} returned data after the end of the body`,
        bytes,
      );
    }
    this.#total += bytes;
    const declared = this.#declared;
    if (declared !== undefined && this.#total > declared) {
      report('SYNC-INPUT-4', 'server', `portico.input delivered more than CONTENT_LENGTH bytes`, {
        declared,
        total: this.#total,
      });
    }
    if (end && !this.#eof) {
      this.#eof = true;
      if (declared !== undefined && this.#total < declared) {
        report(
          'SYNC-INPUT-4',
          'server',
          'portico.input ended before CONTENT_LENGTH bytes; a cut body must throw',
          {
            declared,
            total: this.#total,
          },
        );
      }
    }
  }
}

/** Checks one line: a non-empty Uint8Array with LF, if any, only as its last byte (SYNC-INPUT-3). */
function checkLine(
  what: string,
  line: unknown,
  limit: number | undefined,
  report: Report,
): line is Uint8Array {
  if (!(line instanceof Uint8Array)) {
    report('SYNC-INPUT-3', 'server', `portico.input ${what} did not return a Uint8Array`, line);
    return false;
  }
  const lf = line.indexOf(LF);
  if (lf !== -1 && lf !== line.byteLength - 1) {
    report('SYNC-INPUT-3', 'server', `portico.input ${what} returned more than one line`, line);
  }
  if (limit !== undefined && limit >= 0 && line.byteLength > limit) {
    report(
      'SYNC-INPUT-3',
      'server',
      `portico.input ${what} returned more than its limit of ${limit} bytes`,
      line,
    );
  }
  return true;
}

/**
 * Wraps `portico.input`: checks the app's arguments (SYNC-INPUT-1) and the server's answers
 * (SYNC-INPUT-2..4). `contentLength` is the environ's CONTENT_LENGTH.
 */
export function checkInput(input: InputStream, contentLength: unknown, report: Report): InputStream {
  const ledger = new InputLedger(contentLength, report);
  const argument = (method: string, value: unknown, extra: readonly unknown[]) => {
    if (extra.length > 0 || !isSize(value)) {
      report('SYNC-INPUT-1', 'app', `portico.input.${method}() takes one optional integer`, [
        value,
        ...extra,
      ]);
    }
  };
  return {
    read(size?: number, ...extra: unknown[]): Uint8Array {
      argument('read', size, extra);
      const chunk: unknown = size === undefined ? input.read() : input.read(size);
      if (!(chunk instanceof Uint8Array)) {
        report('SYNC-INPUT-3', 'server', 'portico.input read() did not return a Uint8Array', chunk);
        return chunk as Uint8Array;
      }
      if (size !== undefined && size >= 0 && chunk.byteLength > size) {
        report(
          'SYNC-INPUT-3',
          'server',
          `portico.input read(${size}) returned ${chunk.byteLength} bytes`,
          chunk,
        );
      }
      const all = size === undefined || size < 0;
      ledger.delivered('read()', chunk.byteLength, all || (asksForData(size) && chunk.byteLength === 0));
      return chunk;
    },
    readline(limit?: number, ...extra: unknown[]): Uint8Array {
      argument('readline', limit, extra);
      const line: unknown = limit === undefined ? input.readline() : input.readline(limit);
      if (!checkLine('readline()', line, limit, report)) return line as Uint8Array;
      ledger.delivered('readline()', line.byteLength, asksForData(limit) && line.byteLength === 0);
      return line;
    },
    readlines(hint?: number, ...extra: unknown[]): Uint8Array[] {
      argument('readlines', hint, extra);
      const lines: unknown = hint === undefined ? input.readlines() : input.readlines(hint);
      if (!Array.isArray(lines)) {
        report('SYNC-INPUT-3', 'server', 'portico.input readlines() did not return an array', lines);
        return lines as Uint8Array[];
      }
      let bytes = 0;
      for (const line of lines as unknown[]) {
        if (checkLine('readlines()', line, undefined, report)) bytes += line.byteLength;
      }
      ledger.delivered('readlines()', bytes, hint === undefined || hint <= 0 || lines.length === 0);
      return lines as Uint8Array[];
    },
    [Symbol.iterator](): IterableIterator<Uint8Array> {
      const lines = input[Symbol.iterator]();
      return {
        next(): IteratorResult<Uint8Array> {
          const result = lines.next();
          if (result.done === true) {
            ledger.delivered('iteration', 0, true);
            return result;
          }
          if (checkLine('iteration', result.value, undefined, report)) {
            if (result.value.byteLength === 0) {
              report('SYNC-INPUT-3', 'server', 'portico.input iteration yielded an empty line', result.value);
            }
            ledger.delivered('iteration', result.value.byteLength, false);
          }
          return result;
        },
        return(value?: unknown): IteratorResult<Uint8Array> {
          return lines.return?.(value) ?? { done: true, value: undefined };
        },
        [Symbol.iterator]() {
          return this;
        },
      };
    },
  };
}

/** Wraps `portico.errors`: the app writes strings only (SYNC-ERRORS-1). */
export function checkErrors(errors: ErrorStream, report: Report): ErrorStream {
  return {
    write(text: string, ...extra: unknown[]): void {
      if (typeof text !== 'string' || extra.length > 0) {
        report('SYNC-ERRORS-1', 'app', 'portico.errors.write() takes one string', text);
      }
      errors.write(text);
    },
    writelines(lines: Iterable<string>, ...extra: unknown[]): void {
      if (!isIterable(lines) || typeof lines === 'string' || extra.length > 0) {
        report('SYNC-ERRORS-1', 'app', 'portico.errors.writelines() takes one iterable of strings', lines);
        errors.writelines(lines);
        return;
      }
      const all = [...lines];
      for (const line of all) {
        if (typeof line !== 'string')
          report('SYNC-ERRORS-1', 'app', 'portico.errors.writelines() got a non-string', line);
      }
      errors.writelines(all);
    },
    flush(...extra: unknown[]): void {
      if (extra.length > 0) report('SYNC-ERRORS-1', 'app', 'portico.errors.flush() takes no argument', extra);
      errors.flush();
    },
  };
}

/** Whether `file` is a FileLike: `{ fd }` with a non-negative integer, or `{ path }` with a non-empty string. */
function isFileLike(file: unknown): boolean {
  if (typeof file !== 'object' || file === null) return false;
  const f = file as { fd?: unknown; path?: unknown };
  if ('fd' in f) return Number.isSafeInteger(f.fd) && (f.fd as number) >= 0;
  return typeof f.path === 'string' && f.path !== '';
}

/**
 * Wraps `portico.file_wrapper`: checks the app's arguments (SYNC-FILE-1) and that the server's
 * wrapper returns a body with `close()` (SYNC-FILE-2).
 */
export function checkFileWrapper(fileWrapper: FileWrapper, report: Report): FileWrapper {
  return function fileWrapperChecked(file, ...rest: unknown[]) {
    const blockSize = rest[0];
    if (
      !isFileLike(file) ||
      rest.length > 1 ||
      (blockSize !== undefined && !(Number.isSafeInteger(blockSize) && (blockSize as number) > 0))
    ) {
      report(
        'SYNC-FILE-1',
        'app',
        'portico.file_wrapper takes ({ fd } | { path }, blockSize?: positive integer)',
        [file, ...rest],
      );
    }
    const body: unknown = rest.length > 0 ? fileWrapper(file, blockSize as number) : fileWrapper(file);
    if (!isIterable(body) || typeof (body as { close?: unknown }).close !== 'function') {
      report(
        'SYNC-FILE-2',
        'server',
        'portico.file_wrapper did not return an iterable body with close()',
        body,
      );
    }
    return body as ReturnType<FileWrapper>;
  };
}
