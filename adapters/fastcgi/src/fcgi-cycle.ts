/**
 * One FastCGI request as a {@link RequestCycle}: the response goes out as FCGI_STDOUT records (the
 * CGI head, then the body), ended by an empty FCGI_STDOUT and FCGI_END_REQUEST (FastCGI 1.0
 * sections 5.3, 5.5); the request body comes from FCGI_STDIN through the connection's `BodyFlow`.
 *
 * @module
 */
import { cgiResponseHead, RequestCycle } from '@portico/server';
import type { HeaderList } from '@portico/spec';
import type { Connection } from './connection.js';
import type { RequestSlot } from './request-slot.js';

/** A request of a FastCGI connection. */
export class FastCGICycle extends RequestCycle {
  declare readonly slot: RequestSlot;
  declare private readonly conn: Connection;

  constructor(conn: Connection, slot: RequestSlot, isHead: boolean, hasBody: boolean) {
    // FastCGI carries no trailers and no 1xx responses: neither extension is offered.
    super(conn.core, isHead, hasBody, false);
    this.conn = conn;
    this.slot = slot;
  }

  protected writeHead(status: number, headers: HeaderList, body: Uint8Array, end: boolean): boolean {
    return this.conn.writeResponse(this.slot, cgiResponseHead(status, headers), body, end);
  }

  protected writeBody(chunk: Uint8Array, end: boolean): boolean {
    return this.conn.writeResponse(this.slot, null, chunk, end);
  }

  protected writeTrailers(_headers: HeaderList): void {
    // Never called: trailers are not offered (the constructor's `false`).
    this.conn.writeResponse(this.slot, null, new Uint8Array(0), true);
  }

  protected writeEarlyHints(_headers: HeaderList): void {
    // Never called: early hints are not offered over FastCGI.
  }

  protected awaitDrain(): void {
    this.conn.awaitDrain(this);
  }

  protected startReading(): void {
    this.conn.body.start(this.slot);
  }

  protected pauseReading(): void {
    this.conn.body.pause(this.slot);
  }

  protected resumeReading(): void {
    this.conn.body.resume(this.slot);
  }

  protected override discardBody(): void {
    this.conn.body.discard(this.slot);
  }

  protected abortConnection(): void {
    this.conn.requests.abort(this.slot);
  }

  protected override finished(): void {
    this.conn.requests.settled(this.slot);
  }
}
