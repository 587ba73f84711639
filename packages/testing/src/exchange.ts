/**
 * One HTTP request/response exchange between the test client (acting as the server) and the app:
 * the `receive` and `send` the app is given, and the state a server keeps for them
 * (spec/async.md "HTTP", "Disconnects"; uvicorn's `RequestResponseCycle` is the model).
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import type {
  AsyncApp,
  Header,
  HeaderList,
  HTTPDisconnectEvent,
  HTTPReceiveEvent,
  HTTPRequestEvent,
  HTTPScope,
  Receive,
  Send,
  SendEvent,
} from '@portico/spec';
import { isPorticoError, type PorticoError } from '@portico/spec';
import type { BodySource } from './body.js';
import { checkResponseHeaders } from './headers.js';
import {
  callApp,
  clientDisconnected,
  copyBytes,
  type Deferred,
  deferred,
  EMPTY,
  handled,
  refused,
  utf8Encoder,
} from './util.js';

/** How the exchange hands the body to the test. */
export interface ExchangeMode {
  /**
   * `false`: body chunks are collected and `send()` resolves at once. `true`: each chunk waits in a
   * queue and its `send()` resolves only when the test has taken it (backpressure, lockstep).
   */
  readonly streaming: boolean;
  /** When the app throws, fail the request with its error (else answer 500 / cut the body short). */
  readonly raiseAppErrors: boolean;
}

interface Queued {
  readonly chunk: Uint8Array;
  readonly taken: Deferred<void>;
}

const SERVER_ERROR_BODY = utf8Encoder.encode('Internal Server Error');
const SERVER_ERROR_HEADERS: HeaderList = [
  ['content-type', 'text/plain; charset=utf-8'],
  ['content-length', String(SERVER_ERROR_BODY.byteLength)],
];

function disconnectEvent(): HTTPDisconnectEvent {
  return { type: 'http.disconnect' };
}

/** The state of one HTTP exchange. Create it, then {@link HTTPExchange.run} the app. */
export class HTTPExchange {
  readonly scope: HTTPScope;
  /** The status the app sent (or 500 when the client answered for it); 0 before the start. */
  status = 0;
  /** The response headers as the app sent them. */
  headers: HeaderList = [];
  /** Trailers the app sent, or `null`. */
  trailers: Header[] | null = null;
  /** Early hints header lists, in order. */
  readonly earlyHints: HeaderList[] = [];
  /** Resolves at `http.response.start` (or the client's own 500); rejects when the request fails first. */
  readonly started = deferred<void>();
  /** Resolves when the app's call has settled (never rejects; see {@link HTTPExchange.failure}). */
  readonly settled = deferred<void>();
  /** Violations the validator reported during this exchange (filled by the client). */
  readonly violations: PorticoError[] = [];

  private readonly source: BodySource;
  private readonly mode: ExchangeMode;
  private readonly head: boolean;
  private readonly offered: { trailers: boolean; earlyHints: boolean; pathsend: boolean };
  private bodyDone = false;
  private gone = false;
  private testLeft = false;
  private abortReason: unknown = undefined;
  private aborted = false;
  private clientError: unknown = undefined;
  private appError: unknown = undefined;
  private appFailed = false;
  private appSettled = false;
  private phase: 'start' | 'body' | 'trailers' | 'done' = 'start';
  private expectTrailers = false;
  private readonly ended = deferred<void>();
  private receiving: Promise<unknown> = Promise.resolve();
  private readonly chunks: Uint8Array[] = [];
  private readonly queue: Queued[] = [];
  private reader: Deferred<void> | null = null;

  constructor(scope: HTTPScope, source: BodySource, mode: ExchangeMode) {
    this.scope = scope;
    this.source = source;
    this.mode = mode;
    this.head = scope.method === 'HEAD';
    const ext = scope.extensions;
    this.offered = {
      trailers: ext['http.response.trailers'] !== undefined,
      earlyHints: ext['http.response.early_hints'] !== undefined,
      pathsend: ext['http.response.pathsend'] !== undefined,
    };
    handled(this.started.promise);
  }

  /** Calls the app; `started` and `settled` report how it went. */
  run(app: AsyncApp): void {
    callApp(app, this.scope, this.receive, this.send, (failed, error) => {
      this.appFailed = failed;
      this.appError = error;
      this.onSettled();
    });
  }

  /** `receive()` as the app sees it: one call at a time, in order. */
  readonly receive: Receive = () => {
    const next = this.receiving.then(() => this.receiveOne());
    this.receiving = handled(next);
    return next;
  };

  /** `send()` as the app sees it. */
  readonly send: Send = (event) => this.sendOne(event);

  /**
   * The client leaves: the app's `receive()` returns `http.disconnect` from now on (a waiting one
   * too), and `send()` rejects with `ERR_CLIENT_DISCONNECTED`, as do sends still waiting for the test
   * to take their chunk. With `failRequest` (an aborted signal), the request fails with `reason` once
   * the app settles; without it (a streaming test that left) the test simply stops reading.
   */
  disconnect(reason?: unknown, failRequest = false): void {
    if (failRequest && !this.aborted && !this.appSettled) {
      this.aborted = true;
      this.abortReason = reason;
    }
    this.testLeft = true;
    this.leave(true);
  }

  /** Whether the app's call has settled. */
  get isSettled(): boolean {
    return this.appSettled;
  }

  /** Whether the response is complete (final body event, and trailers if announced). */
  get complete(): boolean {
    return this.phase === 'done';
  }

  /**
   * The error the request fails with, once settled, or `undefined`: the first validator violation,
   * else an error of the test's own request body, else the app's error (when `raiseAppErrors`; an
   * `ERR_CLIENT_DISCONNECTED` after the test disconnected does not count), else the abort reason.
   */
  failure(): unknown {
    if (this.violations.length > 0) return this.violations[0];
    if (this.clientError !== undefined) return this.clientError;
    if (this.appFailed && this.mode.raiseAppErrors) {
      if (!(this.testLeft && isPorticoError(this.appError, 'ERR_CLIENT_DISCONNECTED'))) return this.appError;
    }
    if (this.aborted) return this.abortReason;
    return undefined;
  }

  /** The body collected so far (non-streaming mode), one copy. */
  collected(): readonly Uint8Array[] {
    return this.chunks;
  }

  /**
   * The next body chunk for a streaming test, exactly one per body event the app sent; `null` at the
   * end of the body (after the app settled, or once the test disconnected).
   *
   * @throws the request's {@link HTTPExchange.failure} when the body ends with one
   */
  async nextChunk(): Promise<Uint8Array | null> {
    for (;;) {
      const item = this.queue.shift();
      if (item !== undefined) {
        item.taken.resolve();
        return item.chunk;
      }
      if (this.testLeft && !this.aborted && this.clientError === undefined) return null;
      if (this.appSettled) {
        const f = this.failure();
        if (f !== undefined) throw f;
        return null;
      }
      this.reader = deferred<void>();
      await this.reader.promise;
    }
  }

  private wakeReader(): void {
    const r = this.reader;
    this.reader = null;
    r?.resolve();
  }

  /** The connection ends; with `dropQueue` (the test left) unread chunks are dropped, their sends rejected. */
  private leave(dropQueue: boolean): void {
    if (dropQueue) for (const item of this.queue.splice(0)) item.taken.reject(clientDisconnected());
    if (this.gone) return;
    this.gone = true;
    this.source.cancel();
    this.ended.resolve();
    this.wakeReader();
  }

  private onSettled(): void {
    this.appSettled = true;
    this.leave(false);
    if (this.phase === 'start') {
      const f = this.failure();
      if (f !== undefined) this.started.reject(f);
      else {
        // What a server answers for an app that failed, or returned, before starting its response.
        this.status = 500;
        this.headers = SERVER_ERROR_HEADERS;
        this.phase = 'done';
        const taken = this.deliver(SERVER_ERROR_BODY);
        if (taken !== undefined) handled(taken);
        this.started.resolve();
      }
    }
    this.settled.resolve();
    this.wakeReader();
  }

  private clientFailed(err: unknown): HTTPDisconnectEvent {
    if (this.clientError === undefined) this.clientError = err;
    this.testLeft = true;
    this.leave(true);
    return disconnectEvent();
  }

  private async receiveOne(): Promise<HTTPReceiveEvent> {
    if (this.gone || this.phase === 'done') return disconnectEvent();
    if (this.bodyDone) {
      await this.ended.promise;
      return disconnectEvent();
    }
    let event: HTTPRequestEvent | HTTPDisconnectEvent;
    try {
      const next = this.source.next();
      event =
        next instanceof Promise
          ? await Promise.race([
              next.catch((err: unknown) => this.clientFailed(err)),
              this.ended.promise.then(disconnectEvent),
            ])
          : next;
    } catch (err) {
      return this.clientFailed(err);
    }
    if (this.gone) return disconnectEvent();
    if (event.type === 'http.request' && !event.moreBody) this.bodyDone = true;
    return event;
  }

  private finish(): void {
    this.phase = 'done';
    this.ended.resolve();
    this.wakeReader();
  }

  private deliver(chunk: Uint8Array): Promise<void> | undefined {
    if (this.head) return undefined;
    const copy = copyBytes(chunk);
    if (!this.mode.streaming) {
      this.chunks.push(copy);
      return undefined;
    }
    const taken = deferred<void>();
    this.queue.push({ chunk: copy, taken });
    this.wakeReader();
    return taken.promise;
  }

  private async sendOne(event: SendEvent): Promise<void> {
    if (this.gone) throw clientDisconnected();
    if (typeof event !== 'object' || event === null) throw refused('an event must be an object', event);
    switch (event.type) {
      case 'http.response.early_hints': {
        if (!this.offered.earlyHints)
          throw refused('extension http.response.early_hints was not offered', event);
        if (this.phase !== 'start') throw refused('early hints after http.response.start', event);
        this.earlyHints.push(checkResponseHeaders(event.headers, 'early hints'));
        return;
      }
      case 'http.response.start': {
        if (this.phase !== 'start') throw refused('http.response.start sent twice', event);
        const { status } = event;
        if (
          typeof status !== 'number' ||
          !Number.isInteger(status) ||
          status < 100 ||
          status > 599 ||
          status === 101
        ) {
          throw refused('status must be an integer in 100..599 other than 101', status);
        }
        const headers = checkResponseHeaders(event.headers, 'response');
        if (event.trailers === true && !this.offered.trailers) {
          throw refused('trailers announced but extension http.response.trailers was not offered', event);
        }
        this.status = status;
        this.headers = headers;
        this.expectTrailers = event.trailers === true;
        this.phase = 'body';
        this.started.resolve();
        return;
      }
      case 'http.response.body': {
        if (this.phase !== 'body') throw refused(`http.response.body in state ${this.phase}`, event);
        const body = event.body ?? EMPTY;
        if (!(body instanceof Uint8Array)) throw refused('body must be a Uint8Array', body);
        const more = event.moreBody === true;
        const taken = this.deliver(body);
        if (!more) {
          if (this.expectTrailers) {
            this.phase = 'trailers';
            this.trailers = [];
          } else this.finish();
        }
        if (taken !== undefined) await taken;
        return;
      }
      case 'http.response.trailers': {
        if (this.phase !== 'trailers') throw refused(`http.response.trailers in state ${this.phase}`, event);
        const headers = checkResponseHeaders(event.headers, 'trailer');
        (this.trailers as Header[]).push(...headers);
        if (event.moreTrailers !== true) this.finish();
        return;
      }
      case 'http.response.pathsend': {
        if (!this.offered.pathsend) throw refused('extension http.response.pathsend was not offered', event);
        if (this.phase !== 'body') throw refused(`http.response.pathsend in state ${this.phase}`, event);
        const bytes = new Uint8Array(await readFile(event.path));
        if (this.gone) throw clientDisconnected();
        const taken = this.deliver(bytes);
        if (this.expectTrailers) {
          this.phase = 'trailers';
          this.trailers = [];
        } else this.finish();
        if (taken !== undefined) await taken;
        return;
      }
      default:
        throw refused(`unknown event type ${JSON.stringify((event as { type?: unknown }).type)}`, event);
    }
  }
}
