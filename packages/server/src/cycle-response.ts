/**
 * The response side of a cycle: `send()`, the event order, header checks, Content-Length
 * accounting, backpressure, trailers, early hints and path send, and the server's own responses
 * (spec/servers.md "Responses", "Security", "Flow control").
 *
 * @module
 */
import { isAbsolute } from 'node:path';
import type { HeaderList, SendEvent } from '@portico/spec';
import { PorticoError, thrownMessage } from '@portico/spec';
import { type CycleContext, RequestBodyCycle, ResponseState } from './cycle-body.js';
import { type FileSink, sendFile } from './file-send.js';
import {
  FIXED_RESPONSES,
  type HeaderFacts,
  inspectHeaders,
  isBodylessStatus,
  withHeader,
  withoutHeader,
} from './response-headers.js';

const RESOLVED: Promise<void> = Promise.resolve();
const EMPTY = new Uint8Array(0);
/** The response headers before `http.response.start`: shared, frozen. */
const NO_HEADERS: HeaderList = Object.freeze([]);

// Scratch space for inspectHeaders (synchronous, so one object serves every request).
const FACTS: HeaderFacts = { contentLength: -1, transferEncoding: false };

/** The error `send()` rejects with once the client is gone (`SRV-ERR-4`, ASYNC-HTTP-9). */
export function clientDisconnectedError(): PorticoError {
  return new PorticoError('ERR_CLIENT_DISCONNECTED', 'the client disconnected', {
    side: 'server',
    rule: 'SRV-ERR-4',
  });
}

function misuse(what: string, value: unknown): PorticoError {
  // `SRV-ERR-5`: an event the server cannot take is refused and the response fails.
  return new PorticoError('ERR_SPEC_VIOLATION', `${what} (SRV-ERR-5)`, {
    rule: 'SRV-ERR-5',
    side: 'app',
    value,
  });
}

/** The response side of a request-response cycle; see {@link RequestCycle}. */
export abstract class ResponseCycle extends RequestBodyCycle implements FileSink {
  // Declared here, set in the constructor (plain stores: see RequestBodyCycle).
  declare protected headers: HeaderList;
  declare protected trailersPromised: boolean;
  /** The response's declared content-length, -1 when none. */
  declare protected contentLength: number;
  declare protected refusal: unknown;
  declare protected drainResolve: (() => void) | null;
  declare protected drainReject: ((err: unknown) => void) | null;
  declare protected pendingTrailers: HeaderList | null;
  /** No body byte may be written: a HEAD request, or a 1xx, 204 or 304 response (`SRV-RESP-1`). */
  declare protected omitBody: boolean;

  /** See {@link RequestBodyCycle}. */
  constructor(ctx: CycleContext, isHead: boolean, hasBody: boolean, trailersOffered: boolean) {
    super(ctx, isHead, hasBody, trailersOffered);
    this.headers = NO_HEADERS;
    this.trailersPromised = false;
    this.contentLength = -1;
    this.refusal = null;
    this.drainResolve = null;
    this.drainReject = null;
    this.pendingTrailers = null;
    this.omitBody = isHead;
  }

  /**
   * Writes the status line and headers, then `body` when not empty, then ends the response when
   * `end`. Returns `false` when the caller must wait for {@link drained} before writing more.
   */
  protected abstract writeHead(status: number, headers: HeaderList, body: Uint8Array, end: boolean): boolean;
  /** Writes a body chunk, ending the response when `end`; `false` means wait for {@link drained}. */
  protected abstract writeBody(chunk: Uint8Array, end: boolean): boolean;
  /** Writes trailers and ends the response. */
  protected abstract writeTrailers(headers: HeaderList): void;
  /** Writes a 103 Early Hints response. */
  protected abstract writeEarlyHints(headers: HeaderList): void;
  /** Arranges for {@link drained} to be called once the connection can take more data. */
  protected abstract awaitDrain(): void;
  /** Closes the connection at once, without completing the response. */
  protected abstract abortConnection(): void;

  /** The connection can take more data. */
  drained(): void {
    const resolve = this.drainResolve;
    this.drainResolve = null;
    this.drainReject = null;
    if (resolve !== null) resolve();
  }

  protected override onClientGone(): void {
    const reject = this.drainReject;
    this.drainResolve = null;
    this.drainReject = null;
    if (reject !== null) reject(clientDisconnectedError());
  }

  protected override onSend(event: SendEvent): Promise<void> {
    // `SRV-ERR-5`: `send()` rejects, never throws, even for an event whose fields throw when read
    // (a getter, a revoked proxy): such an event is refused like any other the server cannot take.
    try {
      return this.dispatch(event);
    } catch (err) {
      return this.refuse(
        new PorticoError(
          'ERR_SPEC_VIOLATION',
          `send() got an event it cannot read: ${thrownMessage(err)} (SRV-ERR-5)`,
          {
            rule: 'SRV-ERR-5',
            side: 'app',
            cause: err,
          },
        ),
      );
    }
  }

  private dispatch(event: SendEvent): Promise<void> {
    if (this.clientGone) return Promise.reject(clientDisconnectedError());
    if (typeof event !== 'object' || event === null)
      return this.refuse(misuse('send() takes an event object', event));
    switch (event.type) {
      case 'http.response.start':
        return this.onStart(event.status, event.headers, event.trailers);
      case 'http.response.body':
        return this.onBody(event.body, event.moreBody === true);
      case 'http.response.trailers':
        return this.onTrailers(event.headers, event.moreTrailers === true);
      case 'http.response.early_hints':
        return this.onEarlyHints(event.headers);
      case 'http.response.pathsend':
        return this.onPathsend(event.path);
      default:
        return this.refuse(
          misuse(`unknown event type ${JSON.stringify((event as { type?: unknown }).type)}`, event),
        );
    }
  }

  protected onStart(
    status: unknown,
    headers: HeaderList | undefined,
    trailers: boolean | undefined,
  ): Promise<void> {
    if (this.response !== ResponseState.Idle) {
      return this.refuse(misuse('http.response.start sent twice', status));
    }
    // A 1xx is no final response (RFC 9110 section 15.2): written as one, the client would wait on
    // for the real response and take the next one on the connection for it. 103 has its own event.
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
      return this.refuse(
        misuse('http.response.start status must be an integer 200..599 (a 1xx is no final response)', status),
      );
    }
    const list = headers ?? [];
    const bad = inspectHeaders(list, FACTS);
    if (bad !== null) return this.refuse(bad);
    this.contentLength = FACTS.contentLength;
    this.status = status;
    this.omitBody = this.isHead || isBodylessStatus(status);
    // The server owns the framing (spec/async.md section 7): a transfer-encoding from the app is dropped.
    this.headers = FACTS.transferEncoding ? withoutHeader(list, 'transfer-encoding') : list;
    this.trailersPromised = trailers === true && this.trailersOffered && !this.isHead;
    this.response = ResponseState.Started;
    return RESOLVED;
  }

  protected onBody(body: Uint8Array | undefined, more: boolean): Promise<void> {
    const chunk = body ?? EMPTY;
    if (!(chunk instanceof Uint8Array))
      return this.refuse(misuse('http.response.body body must be a Uint8Array', body));
    if (this.response === ResponseState.Started) return this.firstBody(chunk, more);
    if (this.response !== ResponseState.Streaming) {
      return this.refuse(
        misuse(`http.response.body not allowed now (response state ${this.response})`, undefined),
      );
    }
    const length = this.checkLength(chunk, more);
    if (length !== null) return this.failStreaming(length);
    if (!this.omitBody) this.bytesSent += chunk.length;
    const ok = this.writeBody(this.omitBody ? EMPTY : chunk, !more && !this.trailersPromised);
    if (!more) this.bodyEnded();
    return ok || !more ? RESOLVED : this.waitDrain();
  }

  protected firstBody(chunk: Uint8Array, more: boolean): Promise<void> {
    const length = this.checkLength(chunk, more);
    if (length !== null) return this.refuse(length);
    let headers = this.headers;
    const end = !more && !this.trailersPromised;
    if (
      !more &&
      this.contentLength < 0 &&
      !this.trailersPromised &&
      !isBodylessStatus(this.status) &&
      !(this.isHead && chunk.length === 0)
    ) {
      // The whole body is known: say how long it is, so it goes out in one write, without chunking.
      headers = withHeader(headers, 'content-length', String(chunk.length));
    }
    this.response = ResponseState.Streaming;
    if (!this.omitBody) this.bytesSent += chunk.length;
    // `SRV-RESP-1`: the body events are taken, their bytes not written.
    const ok = this.writeHead(this.status, headers, this.omitBody ? EMPTY : chunk, end);
    if (!more) this.bodyEnded();
    return ok || !more ? RESOLVED : this.waitDrain();
  }

  /** `SRV-RESP-2`: the body may not run past, or end short of, the declared Content-Length. */
  protected checkLength(chunk: Uint8Array, more: boolean): PorticoError | null {
    const declared = this.contentLength;
    if (declared < 0 || this.isHead || isBodylessStatus(this.status)) return null;
    const total = this.bytesSent + chunk.length;
    if (total > declared || (!more && total < declared)) {
      const what = `response body of ${more ? 'at least ' : ''}${total} bytes does not match content-length ${declared}`;
      return new PorticoError('ERR_SPEC_VIOLATION', `${what} (SRV-RESP-2)`, {
        rule: 'SRV-RESP-2',
        side: 'app',
        value: total,
      });
    }
    return null;
  }

  protected bodyEnded(): void {
    if (this.trailersPromised) this.response = ResponseState.Trailers;
    else this.responseDone();
  }

  protected onTrailers(headers: HeaderList | undefined, more: boolean): Promise<void> {
    if (this.response !== ResponseState.Trailers) {
      return this.refuse(
        misuse('http.response.trailers without trailers: true in start, or before the last body', headers),
      );
    }
    const bad = inspectHeaders(headers ?? [], null);
    if (bad !== null) return this.failStreaming(bad);
    // Trailers with moreTrailers are gathered and written together with the last ones.
    if (more) {
      this.pendingTrailers = (this.pendingTrailers ?? []).concat(headers ?? []);
      return RESOLVED;
    }
    this.writeTrailers(
      this.pendingTrailers === null ? (headers ?? []) : this.pendingTrailers.concat(headers ?? []),
    );
    this.responseDone();
    return RESOLVED;
  }

  protected onEarlyHints(headers: HeaderList): Promise<void> {
    if (this.response !== ResponseState.Idle) {
      return this.refuse(misuse('http.response.early_hints after http.response.start', headers));
    }
    const bad = inspectHeaders(headers ?? [], null);
    if (bad !== null) return this.refuse(bad);
    this.writeEarlyHints(headers ?? []);
    return RESOLVED;
  }

  protected onPathsend(path: unknown): Promise<void> {
    if (this.response !== ResponseState.Started) {
      return this.refuse(misuse('http.response.pathsend must follow http.response.start', path));
    }
    if (typeof path !== 'string' || !isAbsolute(path)) {
      return this.refuse(misuse('http.response.pathsend path must be an absolute path', path));
    }
    return sendFile(this, path);
  }

  // ---- the FileSink the file sender drives ----------------------------------------------------

  /** @internal */
  get declaredLength(): number {
    return this.contentLength;
  }
  /** @internal */
  get responseHeaders(): HeaderList {
    return this.headers;
  }
  /** @internal Whether trailers follow the body (then the file is sent chunked). */
  get trailersPending(): boolean {
    return this.trailersPromised;
  }
  /** @internal Writes the head for a file body; `last` when there is no body to follow. */
  fileHead(headers: HeaderList, last: boolean): boolean {
    this.response = ResponseState.Streaming;
    const ok = this.writeHead(this.status, headers, EMPTY, last && !this.trailersPromised);
    if (last) this.bodyEnded();
    return ok;
  }
  /** @internal Writes a chunk of a file body; `last` on the final one. */
  fileBody(chunk: Uint8Array, last: boolean): boolean {
    this.bytesSent += chunk.length;
    const ok = this.writeBody(chunk, last && !this.trailersPromised);
    if (last) this.bodyEnded();
    return ok;
  }
  /** @internal Waits until more may be written. */
  fileDrain(): Promise<void> {
    return this.waitDrain();
  }
  /** @internal Fails the file response: 500 before the head, abort after. */
  fileFail(err: PorticoError): Promise<void> {
    return this.response === ResponseState.Started ? this.refuse(err) : this.failStreaming(err);
  }

  /** `SRV-FLOW-1`: a send() that hit the high-water mark settles only once the connection drained. */
  protected waitDrain(): Promise<void> {
    if (this.clientGone) return Promise.reject(clientDisconnectedError());
    return new Promise((resolve, reject) => {
      this.drainResolve = resolve;
      this.drainReject = reject;
      this.awaitDrain();
    });
  }

  /** Refuses an event before anything was written: logs it, answers 500, rejects the send. */
  protected refuse(err: PorticoError): Promise<void> {
    if (this.refusal === null) {
      this.refusal = err;
      this.ctx.logger.error('response refused', { rule: err.rule, error: err.message, ...this.where() });
    }
    if (this.response <= ResponseState.Started) this.respondFixed(500);
    else if (this.response < ResponseState.Done) this.abort();
    return Promise.reject(err);
  }

  /** Refuses an event after the head was written: the connection is aborted. */
  protected failStreaming(err: PorticoError): Promise<void> {
    if (this.refusal === null) {
      this.refusal = err;
      this.ctx.logger.error('response aborted', { rule: err.rule, error: err.message, ...this.where() });
    }
    this.abort();
    return Promise.reject(err);
  }

  protected abort(): void {
    if (this.response >= ResponseState.Done) return;
    this.response = ResponseState.Aborted;
    this.abortConnection();
    this.clientDisconnected();
  }

  /** Sends one of the server's own responses; the connection closes after it. */
  protected respondFixed(status: 400 | 408 | 413 | 431 | 500): void {
    const fixed = FIXED_RESPONSES[status];
    this.status = status;
    this.response = ResponseState.Streaming;
    if (!this.isHead) this.bytesSent = fixed.body.length;
    this.writeHead(status, fixed.headers, this.isHead ? EMPTY : fixed.body, true);
    this.responseDone();
  }
}
