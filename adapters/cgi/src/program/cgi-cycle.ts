/**
 * The one request of a CGI program: a `RequestCycle` of `@portico/server` whose connection is the
 * process's standard input (the body, stdin.ts) and standard output (the response, output.ts).
 *
 * @module
 */
import type { CycleContext } from '@portico/server';
import { cgiResponseHead, isBodylessStatus, RequestCycle, ResponseState } from '@portico/server';
import type { HeaderList } from '@portico/spec';
import { Output } from './output.js';
import { localRedirectPath, nphResponseHead } from './response-head.js';
import { StdinBody } from './stdin.js';

const EMPTY = new Uint8Array(0);

/** Where a CGI cycle reads and writes, and how. */
export interface CGIStreams {
  readonly stdin: number;
  readonly stdout: number;
  /** Request body bytes on `stdin` (CONTENT_LENGTH). */
  readonly contentLength: number;
  /** Write an NPH response (RFC 3875 section 5) instead of a CGI one. */
  readonly nph: boolean;
  /** Directory for read-ahead body bytes that do not fit in memory. */
  readonly tmpdir: string;
}

/** The request cycle of a CGI program. */
export class CGICycle extends RequestCycle {
  /** The response's way out. */
  readonly output: Output;
  private readonly body: StdinBody;
  private readonly nph: boolean;
  /** The server's own response, when one was sent (400, 413, 500, ...), else 0. */
  private fixedStatus = 0;
  private aborted = false;

  constructor(ctx: CycleContext, isHead: boolean, streams: CGIStreams) {
    // No trailers (a CGI response has none) and no early hints.
    super(ctx, isHead, streams.contentLength !== 0, false);
    this.nph = streams.nph;
    this.output = new Output(streams.stdout);
    this.body = new StdinBody(
      streams.stdin,
      streams.contentLength,
      this,
      this.output,
      ctx.logger,
      streams.tmpdir,
    );
    this.output.onDrain = () => this.drained();
    this.output.onBusy = () => this.body.outputChanged();
    this.output.onError = () => this.outputFailed();
  }

  /**
   * Whether the program's work ended well: a complete response was written (the app's, or the
   * server's own 400 or 413), the app did not fail, and standard output took every byte.
   */
  get succeeded(): boolean {
    return (
      this.response === ResponseState.Done &&
      this.fixedStatus !== 500 &&
      !this.aborted &&
      this.output.error === null
    );
  }

  /** Answers with one of the server's own responses, without calling the app (400 for a bad request). */
  respondWithoutApp(status: 400 | 500): void {
    this.respondFixed(status);
  }

  protected override respondFixed(status: 400 | 408 | 413 | 431 | 500): void {
    this.fixedStatus = status;
    super.respondFixed(status);
  }

  protected writeHead(status: number, headers: HeaderList, body: Uint8Array, end: boolean): boolean {
    if (this.isHead || isBodylessStatus(status)) body = EMPTY; // `SRV-RESP-1`
    let head: string;
    if (this.nph) head = nphResponseHead(status, headers);
    else {
      const path = end ? localRedirectPath(status, headers, body.length) : null;
      // `SRV-CGI-3`: `Status:` always, except the local redirect, which is `Location:` alone.
      head = path === null ? cgiResponseHead(status, headers) : `Location: ${path}\r\n\r\n`;
    }
    const out = Buffer.allocUnsafe(head.length + body.length);
    out.write(head, 0, 'latin1');
    if (body.length > 0) out.set(body, head.length);
    return this.write(out, end);
  }

  protected writeBody(chunk: Uint8Array, end: boolean): boolean {
    if (this.isHead || isBodylessStatus(this.status)) chunk = EMPTY; // `SRV-RESP-1`
    return this.write(chunk, end);
  }

  private write(chunk: Uint8Array, end: boolean): boolean {
    const ok = this.output.write(chunk);
    if (end) {
      this.output.end();
      this.body.discard();
    }
    return ok;
  }

  protected writeTrailers(_headers: HeaderList): void {
    // Never called: trailers are not offered.
    this.output.end();
  }

  protected writeEarlyHints(_headers: HeaderList): void {
    // Never called: early hints are not offered.
  }

  protected awaitDrain(): void {
    // Output calls drained() once its queue is under the high-water mark, onError if it fails.
  }

  protected startReading(): void {
    this.body.resume();
  }

  protected pauseReading(): void {
    this.body.pause();
  }

  protected resumeReading(): void {
    this.body.resume();
  }

  protected override discardBody(): void {
    this.body.discard();
  }

  protected abortConnection(): void {
    // `SRV-CGI-4`: the output is cut short; the exit status says the response is not whole.
    this.aborted = true;
    this.output.abandon();
    this.body.discard();
  }

  /** Standard output failed (EPIPE: the web server stopped reading): the client is gone. */
  private outputFailed(): void {
    this.ctx.logger.info('standard output failed: the web server stopped reading', {
      error: this.output.error?.code ?? this.output.error?.message,
      ...this.where(),
    });
    this.body.stop();
    this.clientDisconnected();
  }
}
