/**
 * The request side of a cycle: `receive()`, the request-body queue and flow control
 * (spec/servers.md "Flow control"), and the client going away. Subclassed by the response side
 * ({@link ResponseCycle}) and by {@link RequestCycle}; adapters subclass the last.
 *
 * @module
 */
import type {
  HTTPDisconnectEvent,
  HTTPRequestEvent,
  HTTPScope,
  Receive,
  ReceiveEvent,
  Send,
  SendEvent,
} from '@portico/spec';
import type { AccessLogEntry } from './access-log.js';
import type { Logger } from './logger.js';

/** What a cycle needs from its server; built once per server, shared by every request. */
export interface CycleContext {
  readonly logger: Logger;
  /** Largest request body in bytes (`SRV-REQ-4`). */
  readonly maxBodySize: number;
  /** Called once per finished request, or `null` for no access log. */
  readonly accessLog: ((entry: AccessLogEntry) => void) | null;
}

/**
 * Response progress, in order: `Idle` (nothing from the app yet), `Started` (`http.response.start`
 * held, nothing written), `Streaming` (head written), `Trailers` (last body written, trailers
 * promised), `Done` (complete), `Aborted` (connection closed before completion).
 */
export const ResponseState = Object.freeze({
  Idle: 0,
  Started: 1,
  Streaming: 2,
  Trailers: 3,
  Done: 4,
  Aborted: 5,
} as const);
/** One of the {@link ResponseState} values. */
export type ResponseState = (typeof ResponseState)[keyof typeof ResponseState];

const EMPTY = new Uint8Array(0);
const DISCONNECT: HTTPDisconnectEvent = Object.freeze({ type: 'http.disconnect' });
const EMPTY_LAST: HTTPRequestEvent = Object.freeze({ type: 'http.request', body: EMPTY, moreBody: false });

const BODY_UNREAD = 0;
const BODY_READING = 1;
const BODY_DONE = 2;
/** No request body: the first receive() gets the empty last event at once. */
const BODY_NONE = 3;

/** The request side of a request-response cycle; see {@link RequestCycle}. */
export abstract class RequestBodyCycle {
  // Fields are declared here and set in the constructor: plain stores, which V8 runs about twice as
  // fast as class-field definitions, and a cycle is built for every request.
  /** The `receive` the app is called with. */
  declare readonly receive: Receive;
  /** The `send` the app is called with. */
  declare readonly send: Send;
  /** Response progress. */
  declare response: ResponseState;
  /** Status of the response, 0 before `http.response.start`. */
  declare status: number;
  /** Response body bytes handed to the wire. */
  declare bytesSent: number;
  /** Whether the client went away. */
  declare clientGone: boolean;
  /** The scope, once `run()` was called. */
  declare scope: HTTPScope | null;

  /** Whether the request method is HEAD: body bytes are never written (`SRV-RESP-1`). */
  declare readonly isHead: boolean;
  declare protected readonly ctx: CycleContext;
  declare protected readonly trailersOffered: boolean;
  declare protected readonly startTime: number;
  declare protected bodyState: number;
  declare protected bodyBytes: number;
  declare protected queue: HTTPRequestEvent[] | null;
  declare protected waiters: ((event: ReceiveEvent) => void)[] | null;
  declare protected paused: boolean;

  /**
   * @param ctx - the server's shared context
   * @param isHead - the request method is HEAD: body bytes are never written (`SRV-RESP-1`)
   * @param hasBody - whether the request has a body at all (Content-Length > 0 or chunked)
   * @param trailersOffered - whether the `http.response.trailers` extension is offered
   */
  constructor(ctx: CycleContext, isHead: boolean, hasBody: boolean, trailersOffered: boolean) {
    this.receive = () => this.onReceive();
    this.send = (event) => this.onSend(event);
    this.response = ResponseState.Idle;
    this.status = 0;
    this.bytesSent = 0;
    this.clientGone = false;
    this.scope = null;
    this.isHead = isHead;
    this.ctx = ctx;
    this.trailersOffered = trailersOffered;
    this.startTime = ctx.accessLog === null ? 0 : Date.now();
    this.bodyState = hasBody ? BODY_UNREAD : BODY_NONE;
    this.bodyBytes = 0;
    this.queue = null;
    this.waiters = null;
    this.paused = false;
  }

  /** Starts delivering the request body through {@link pushBody} (send 100 Continue if expected). */
  protected abstract startReading(): void;
  /** Stops reading the request body from the connection (flow control, `SRV-FLOW-2`). */
  protected abstract pauseReading(): void;
  /** Resumes reading the request body. */
  protected abstract resumeReading(): void;
  /**
   * Called when the response is complete while the request body was not read to its end: the app
   * will not get it any more (spec/async.md ASYNC-HTTP-11), so the adapter discards the rest (or
   * closes the connection) and reading must not stay paused.
   */
  protected discardBody(): void {}

  /** No more request body will be delivered (it was refused). */
  protected endBody(): void {
    this.bodyState = BODY_DONE;
  }

  /** Handles an event the app sends (the response side). */
  protected abstract onSend(event: SendEvent): Promise<void>;
  /** Answers a request body over `maxBodySize` (`SRV-REQ-4`). */
  protected abstract refuseBody(size: number): void;
  /** Called once when the client is gone, after pending receive()s got `http.disconnect`. */
  protected abstract onClientGone(): void;

  /** Hands a piece of the request body to the app; `more` false marks the last one. */
  pushBody(chunk: Uint8Array, more: boolean): void {
    if (this.bodyState >= BODY_DONE || this.clientGone) return;
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.ctx.maxBodySize) {
      this.refuseBody(this.bodyBytes);
      return;
    }
    if (!more) this.bodyState = BODY_DONE;
    const event: HTTPRequestEvent = { type: 'http.request', body: chunk, moreBody: more };
    const waiter = this.waiters?.shift();
    if (waiter !== undefined) {
      waiter(event);
      return;
    }
    if (this.queue === null) this.queue = [event];
    else this.queue.push(event);
    // `SRV-FLOW-2`: nobody is reading, so stop taking bytes from the client until the app asks.
    if (more && !this.paused) {
      this.paused = true;
      this.pauseReading();
    }
  }

  /** The client went away: pending and later `receive()` give `http.disconnect`, `send()` rejects. */
  clientDisconnected(): void {
    if (this.clientGone) return;
    this.clientGone = true;
    if (this.response < ResponseState.Done) this.response = ResponseState.Aborted;
    this.wakeAll();
    this.onClientGone();
  }

  protected onReceive(): Promise<ReceiveEvent> {
    if (this.clientGone || this.response >= ResponseState.Done) return Promise.resolve(DISCONNECT);
    if (this.bodyState === BODY_NONE) {
      this.bodyState = BODY_DONE;
      return Promise.resolve(EMPTY_LAST);
    }
    const queue = this.queue;
    if (queue !== null && queue.length > 0) {
      const event = queue.shift()!;
      if (this.paused && queue.length === 0) {
        this.paused = false;
        this.resumeReading();
      }
      return Promise.resolve(event);
    }
    if (this.bodyState === BODY_UNREAD) {
      this.bodyState = BODY_READING;
      this.startReading();
    }
    // Body pending, or (body done) wait for the end of the response or of the connection.
    return new Promise((resolve) => {
      if (this.waiters === null) this.waiters = [resolve];
      else this.waiters.push(resolve);
    });
  }

  protected wakeAll(): void {
    const waiters = this.waiters;
    if (waiters === null) return;
    this.waiters = null;
    for (const w of waiters) w(DISCONNECT);
  }

  /** Marks the response complete: the body is discarded and pending receive()s get http.disconnect. */
  protected responseDone(): void {
    this.response = ResponseState.Done;
    if (this.bodyState === BODY_READING && !this.clientGone) {
      this.bodyState = BODY_DONE;
      this.queue = null;
      this.paused = false;
      this.discardBody();
    }
    this.wakeAll();
  }

  protected where(): Record<string, unknown> {
    const scope = this.scope;
    return scope === null ? {} : { method: scope.method, path: scope.rawPath };
  }
}
