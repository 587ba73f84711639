/**
 * The request cycle on an SCGI connection: the response is the CGI head (with an explicit
 * `Status:`) and the body, written to the socket, which is then closed (SCGI section 2: the server
 * closes the connection after the response).
 *
 * @module
 */
import { cgiResponseHead, RequestCycle, ResponseState } from '@portico/server';
import type { HeaderList } from '@portico/spec';
import type { Connection } from './connection.js';

/** The one request of an SCGI connection. */
export class SCGICycle extends RequestCycle {
  declare private readonly conn: Connection;
  declare private settled: boolean;

  constructor(conn: Connection, isHead: boolean, hasBody: boolean) {
    // SCGI carries no trailers and no 1xx responses: neither extension is offered.
    super(conn.core, isHead, hasBody, false);
    this.conn = conn;
    this.settled = false;
  }

  protected writeHead(status: number, headers: HeaderList, body: Uint8Array, end: boolean): boolean {
    const socket = this.conn.socket;
    if (socket.destroyed) return true;
    const head = cgiResponseHead(status, headers);
    const out = Buffer.allocUnsafe(head.length + body.length);
    out.write(head, 0, 'latin1');
    if (body.length > 0) out.set(body, head.length);
    this.conn.lastIO = this.conn.core.now;
    if (end) {
      socket.end(out);
      return true;
    }
    return socket.write(out);
  }

  protected writeBody(chunk: Uint8Array, end: boolean): boolean {
    const socket = this.conn.socket;
    if (socket.destroyed) return true;
    this.conn.lastIO = this.conn.core.now;
    if (end) {
      if (chunk.length > 0) socket.end(chunk);
      else socket.end();
      return true;
    }
    return chunk.length === 0 ? true : socket.write(chunk);
  }

  protected writeTrailers(_headers: HeaderList): void {
    // Never called: trailers are not offered.
    this.conn.socket.end();
  }

  protected writeEarlyHints(_headers: HeaderList): void {
    // Never called: early hints are not offered.
  }

  protected awaitDrain(): void {
    // The connection's 'drain' listener calls drained().
  }

  protected startReading(): void {}

  protected pauseReading(): void {
    this.conn.socket.pause();
  }

  protected resumeReading(): void {
    this.conn.socket.resume();
  }

  protected override discardBody(): void {
    // The response is complete; the connection closes after it, the rest of the body is not read.
    this.conn.bodyDiscarded();
  }

  protected abortConnection(): void {
    // `SRV-SCGI-4`: the web server must see the response cut short. A normal close after a body
    // without content-length would look complete; a TCP reset does not (the bytes written so far
    // still arrive first). A unix socket has no reset: it is closed.
    const socket = this.conn.socket;
    if (socket.destroyed) return;
    if (typeof socket.remotePort === 'number') socket.resetAndDestroy();
    else socket.destroy();
  }

  /** requestTimeout expired with the body incomplete: 408 if nothing was written, else abort. */
  timedOut(): void {
    if (this.response <= ResponseState.Started) this.respondFixed(408);
    else this.abort();
    this.clientDisconnected();
  }

  protected override finished(): void {
    if (this.settled) return;
    this.settled = true;
    const core = this.conn.core;
    core.running--;
    if (core.onProgress !== null) core.onProgress();
  }
}
