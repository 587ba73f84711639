/**
 * What a connection knows of one request id between FCGI_BEGIN_REQUEST and FCGI_END_REQUEST: its
 * role and flags, the FCGI_PARAMS bytes until the stream ends, then the cycle running the app, the
 * request body's progress, and (Filter role) the FCGI_DATA stream.
 *
 * @module
 */
import type { BodySpool } from './body-spool.js';
import type { FastCGICycle } from './fcgi-cycle.js';

const EMPTY = new Uint8Array(0);

/** A piece of the FCGI_DATA stream (Filter role). */
export interface FilterDataEvent {
  /** The bytes; may be empty. */
  readonly body: Uint8Array;
  /** `false` on the last piece. */
  readonly moreBody: boolean;
}

/**
 * The FCGI_DATA stream of a Filter request (FastCGI 1.0 section 6.4), read by the app through the
 * `fastcgi` scope extension's `data.receive()`. Held in memory as it arrives (it comes after the
 * whole of FCGI_STDIN, and is bounded by `maxBodySize`).
 */
export class FilterData {
  private readonly queue: FilterDataEvent[] = [];
  private waiter: ((event: FilterDataEvent) => void) | null = null;
  private done = false;

  /** Adds a piece; `more` false ends the stream. */
  push(body: Uint8Array, more: boolean): void {
    if (this.done) return;
    if (!more) this.done = true;
    const event = { body, moreBody: more };
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter(event);
    } else this.queue.push(event);
  }

  /** The request ended or was aborted: a pending and any later read gets the empty last piece. */
  close(): void {
    this.done = true;
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter !== null) waiter({ body: EMPTY, moreBody: false });
  }

  /** The next piece of the stream; after the last one, empty last pieces. */
  receive(): Promise<FilterDataEvent> {
    const next = this.queue.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.done) return Promise.resolve({ body: EMPTY, moreBody: false });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}

/** A response body written one record at a time, in turn with the connection's other responses. */
export interface OutgoingBody {
  readonly body: Uint8Array;
  /** Offset of the next byte to write. */
  from: number;
  /** The response ends with this body. */
  readonly end: boolean;
  /** The cycle waiting for the body to be written, if it waits. */
  waiter: FastCGICycle | null;
}

/** One request id of a connection. */
export class RequestSlot {
  /** The request id (1..65535). */
  readonly id: number;
  /** `FCGI_RESPONDER`, `FCGI_AUTHORIZER` or `FCGI_FILTER`. */
  readonly role: number;
  /** FCGI_KEEP_CONN was set: the connection stays open after this request. */
  readonly keepConn: boolean;
  /** When FCGI_BEGIN_REQUEST arrived (ms, the server's coarse clock). */
  readonly began: number;
  /** FCGI_PARAMS content until the stream ended, then `null`. */
  params: Uint8Array[] | null = [];
  /** Bytes of FCGI_PARAMS so far. */
  paramsSize = 0;
  /** The cycle running the app, once FCGI_PARAMS ended. */
  cycle: FastCGICycle | null = null;
  /** CONTENT_LENGTH, or -1 when absent or empty (the body is then the whole FCGI_STDIN stream). */
  declared = -1;
  /** Body bytes handed on so far. */
  received = 0;
  /** The empty FCGI_STDIN record arrived (or no body is expected). */
  stdinDone = false;
  /** The app will not read more of the body: further FCGI_STDIN is dropped. */
  discarding = false;
  /** The app is not reading and the connection is shared: body bytes go to {@link spool}. */
  spilling = false;
  /** Body held for a reader that is behind, on a shared connection. */
  spool: BodySpool | null = null;
  /** The FCGI_DATA stream of a Filter request. */
  data: FilterData | null = null;
  /** A response body waiting for its turn on a shared connection, or `null`. */
  outgoing: OutgoingBody | null = null;
  /** FCGI_STDERR records were written: the stream gets its empty end record. */
  stderrUsed = false;
  /** FCGI_END_REQUEST was written: the id is free again. */
  ended = false;

  constructor(id: number, role: number, keepConn: boolean, began: number) {
    this.id = id;
    this.role = role;
    this.keepConn = keepConn;
    this.began = began;
  }
}
