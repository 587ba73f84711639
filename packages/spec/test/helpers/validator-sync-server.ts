/**
 * A small in-memory sync server for the sync validator's tests: builds valid environs, and calls a
 * sync app the way a real server does (PEP 3333's CGI example): headers go out with the first
 * non-empty chunk, `startResponse` replaces or rethrows for excInfo, the body is iterated once and
 * closed right after, in the same run.
 */
import { isPorticoError, type PorticoError } from '../../src/errors.js';
import type {
  Environ,
  ErrorStream,
  FileLike,
  InputStream,
  ResponseBody,
  StartResponse,
  SyncApp,
} from '../../src/sync-types.js';
import { checkSyncApp } from '../../src/validator/sync.js';
import { type Report, reporter } from '../../src/validator/violation.js';

const LF = 0x0a;
const empty = new Uint8Array(0);
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** `portico.input` over a byte array: EOF at the end, whatever CONTENT_LENGTH says. */
export class BytesInput implements InputStream {
  #data: Uint8Array;
  #at = 0;
  constructor(data: Uint8Array = empty) {
    this.#data = data;
  }
  read(size?: number): Uint8Array {
    const end =
      size === undefined || size < 0
        ? this.#data.byteLength
        : Math.min(this.#at + size, this.#data.byteLength);
    const out = this.#data.slice(this.#at, end);
    this.#at = end;
    return out;
  }
  readline(limit?: number): Uint8Array {
    const lf = this.#data.indexOf(LF, this.#at);
    let end = lf === -1 ? this.#data.byteLength : lf + 1;
    if (limit !== undefined && limit >= 0) end = Math.min(end, this.#at + limit);
    const out = this.#data.slice(this.#at, end);
    this.#at = end;
    return out;
  }
  readlines(hint?: number): Uint8Array[] {
    const lines: Uint8Array[] = [];
    let total = 0;
    for (let line = this.readline(); line.byteLength > 0; line = this.readline()) {
      lines.push(line);
      total += line.byteLength;
      if (hint !== undefined && hint > 0 && total >= hint) break;
    }
    return lines;
  }
  *[Symbol.iterator](): Iterator<Uint8Array> {
    for (let line = this.readline(); line.byteLength > 0; line = this.readline()) yield line;
  }
}

/** `portico.errors` that keeps what was written. */
export class MemoryErrors implements ErrorStream {
  text = '';
  write(s: string): void {
    this.text += s;
  }
  writelines(lines: Iterable<string>): void {
    for (const line of lines) this.text += line;
  }
  flush(): void {}
}

/** A `portico.file_wrapper` over in-memory "files" keyed by path. */
export function memoryFileWrapper(files: Record<string, Uint8Array>) {
  return (file: FileLike, blockSize = 8192): ResponseBody => {
    const data = 'path' in file ? (files[file.path] ?? empty) : empty;
    let closed = false;
    return {
      *[Symbol.iterator]() {
        for (let at = 0; at < data.byteLength && !closed; at += blockSize)
          yield data.slice(at, at + blockSize);
      },
      close() {
        closed = true;
      },
    };
  };
}

/** A valid environ for a GET of `/hello?x=1` (plus `overrides`; a value of `undefined` deletes the key). */
export function makeEnviron(overrides: Record<string, unknown> = {}, body: Uint8Array = empty): Environ {
  const env: Record<string, unknown> = {
    REQUEST_METHOD: 'GET',
    SCRIPT_NAME: '',
    PATH_INFO: '/hello',
    QUERY_STRING: 'x=1',
    SERVER_NAME: 'localhost',
    SERVER_PORT: '8000',
    SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_ADDR: '127.0.0.1',
    REQUEST_URI: '/hello?x=1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    HTTP_HOST: 'localhost:8000',
    'portico.version': [1, 0],
    'portico.url_scheme': 'http',
    'portico.input': new BytesInput(body),
    'portico.errors': new MemoryErrors(),
    'portico.multithread': false,
    'portico.multiprocess': false,
    'portico.run_once': false,
    'portico.input_terminated': true,
    'portico.state': {},
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env as Environ;
}

/** What the fake server sent. */
export interface SyncResponse {
  status: string | undefined;
  headers: ReadonlyArray<readonly [string, string]>;
  body: Uint8Array;
}

/** Calls `app` like a real sync server and returns what went out. Errors from the app propagate. */
export function serve(app: SyncApp, environ: Environ = makeEnviron()): SyncResponse {
  let set: [string, ReadonlyArray<readonly [string, string]>] | undefined;
  let sent: SyncResponse | undefined;
  const chunks: Uint8Array[] = [];
  const write = (chunk: Uint8Array) => {
    if (set === undefined) throw new Error('write() before startResponse()');
    if (sent === undefined) sent = { status: set[0], headers: set[1], body: empty };
    chunks.push(chunk);
  };
  const startResponse = ((
    status: string,
    headers: ReadonlyArray<readonly [string, string]>,
    excInfo?: unknown,
  ) => {
    if (excInfo !== undefined && excInfo !== null) {
      if (sent !== undefined) throw excInfo;
    } else if (set !== undefined) throw new Error('headers already set');
    set = [status, headers];
    return write;
  }) as StartResponse;
  const body = app(environ, startResponse);
  try {
    for (const chunk of body) if (chunk.byteLength > 0) write(chunk);
  } finally {
    body.close?.();
  }
  if (sent === undefined) write(empty);
  const all = Buffer.concat(chunks);
  return { ...(sent as SyncResponse), body: new Uint8Array(all) };
}

/** A report that collects violations instead of throwing. */
export function collecting(): { report: Report; violations: PorticoError[]; rules: () => string[] } {
  const violations: PorticoError[] = [];
  return {
    report: reporter((err) => violations.push(err)),
    violations,
    rules: () => violations.map((v) => v.rule ?? ''),
  };
}

/** Checks `app` with the default (throwing) report. */
export function checked(app: SyncApp): SyncApp {
  return checkSyncApp(app, reporter());
}

/** Runs `fn` and returns the spec violation it throws; fails the test when it throws none. */
export function violationOf(fn: () => unknown): PorticoError {
  try {
    fn();
  } catch (err) {
    if (isPorticoError(err, 'ERR_SPEC_VIOLATION')) return err;
    throw err;
  }
  throw new Error('expected a spec violation, got none');
}

/** A valid hello app. */
export const hello: SyncApp = (_environ, startResponse) => {
  startResponse('200 OK', [
    ['Content-Type', 'text/plain'],
    ['Content-Length', '5'],
  ]);
  return [bytes('hello')];
};

/** Lets queued microtasks run (the close() check runs in one). */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
