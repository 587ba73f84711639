/**
 * `startResponse` and the legacy `write()` of one bridged request: the status and headers the sync
 * app gave, whether they count as sent, and the bytes written through `write()`.
 *
 * @module
 */
import type { HeaderList } from '../async-types.js';
import type { StartResponse, WriteCallable } from '../sync-types.js';
import { violation } from '../validator/violation.js';
import { checkedHeaders, checkedStatus } from './response-headers.js';

/** The headers before `startResponse` succeeds: shared, frozen. */
const NO_HEADERS: HeaderList = Object.freeze([]);

/**
 * The response side of one request bridged by `syncToAsync`. Holds what `startResponse` was given
 * and the chunks `write()` queued (sent, in order, before the body's next chunk).
 *
 * Rules kept here (spec/sync.md section 7; PEP 3333 "The start_response() Callable"):
 * - the status and headers are checked at once; a bad one makes `startResponse` throw
 *   `ERR_BAD_HEADER` and records nothing (section 7.2);
 * - a second call is allowed only with `excInfo`, even when the first one threw (SYNC-START-2);
 * - with `excInfo`, once the headers count as sent, `excInfo` itself is rethrown (SYNC-START-8);
 *   before, the call replaces status and headers (SYNC-START-7);
 * - the headers count as sent once a non-empty chunk was produced (yielded or written).
 */
export class ResponseState {
  // Declared here, set in the constructor: plain stores, faster than class-field definitions, and
  // one of these is built for every request.
  /** The status code, `0` until `startResponse` succeeds. */
  declare status: number;
  /** The headers, names lowercase. */
  declare headers: HeaderList;
  /** `startResponse` was called (even if that call threw). */
  declare called: boolean;
  /** A non-empty chunk was produced: status and headers are final. */
  declare headersSent: boolean;
  /** `http.response.start` went out. */
  declare started: boolean;
  /** The body ended: `write()` is refused from now on. */
  declare finished: boolean;
  /** Chunks `write()` queued and the bridge has not sent yet. */
  declare queue: Uint8Array[] | null;
  /** The `startResponse` given to the app. */
  declare readonly startResponse: StartResponse;
  declare private writer: WriteCallable | null;

  constructor() {
    this.status = 0;
    this.headers = NO_HEADERS;
    this.called = false;
    this.headersSent = false;
    this.started = false;
    this.finished = false;
    this.queue = null;
    this.startResponse = (status, headers, excInfo) => this.start(status, headers, excInfo);
    this.writer = null;
  }

  private start(status: string, headers: StartResponseHeaders, excInfo: unknown): WriteCallable {
    if (this.called) {
      if (excInfo === undefined || excInfo === null) {
        throw violation('SYNC-START-2', 'app', 'startResponse called a second time without excInfo', status);
      }
      if (this.headersSent) throw excInfo;
    }
    this.called = true;
    const code = checkedStatus(status);
    this.headers = checkedHeaders(headers);
    this.status = code;
    this.writer ??= (chunk) => this.write(chunk);
    return this.writer;
  }

  /** The legacy `write(chunk)`: queues the chunk; the bridge sends it before the body's next chunk. */
  write(chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) {
      throw violation('SYNC-WRITE-1', 'app', 'write() takes one Uint8Array', typeof chunk);
    }
    if (this.finished) throw violation('SYNC-WRITE-2', 'app', 'write() called after the response body ended');
    if (chunk.byteLength === 0) return;
    this.headersSent = true;
    if (this.queue === null) this.queue = [chunk];
    else this.queue.push(chunk);
  }
}

type StartResponseHeaders = Parameters<StartResponse>[1];
