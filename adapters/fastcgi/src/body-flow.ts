/**
 * The request bodies of one FastCGI connection: FCGI_STDIN records handed to each request's cycle
 * (exactly CONTENT_LENGTH bytes, FastCGI 1.0 section 5.3), and flow control when an app does not
 * read. A request alone on its connection pauses reading the socket, so backpressure reaches the web
 * server; a request on a connection shared with others spools its bytes (memory, then an unlinked
 * temporary file: {@link BodySpool}), so the others are not stalled.
 *
 * @module
 */
import { BodySpool } from './body-spool.js';
import type { Connection } from './connection.js';
import type { RequestSlot } from './request-slot.js';

const EMPTY = new Uint8Array(0);

/** Request body flow of one connection. */
export class BodyFlow {
  private readonly conn: Connection;
  /** The request whose app stopped reading while alone on the connection: the socket is paused. */
  private pausedBy: RequestSlot | null = null;

  constructor(conn: Connection) {
    this.conn = conn;
  }

  /** An FCGI_STDIN record for request `id`; an empty one ends the stream. */
  stdin(id: number, content: Uint8Array): void {
    const conn = this.conn;
    const slot = conn.requests.get(id);
    if (slot === undefined) return;
    const cycle = slot.cycle;
    if (cycle === null) {
      conn.core.logger.warn('FCGI_STDIN before the end of FCGI_PARAMS: 400', {
        requestId: id,
        ...conn.peer(),
      });
      conn.requests.respondWithoutApp(slot, 400);
      return;
    }
    if (slot.stdinDone) return;
    if (content.length === 0) {
      slot.stdinDone = true;
      if (slot.discarding) return;
      if (slot.declared < 0) this.deliver(slot, EMPTY, false);
      else if (slot.received < slot.declared) {
        conn.core.logger.info('FCGI_STDIN ended short of CONTENT_LENGTH: the client is gone', {
          requestId: id,
          declared: slot.declared,
          received: slot.received,
          ...conn.peer(),
        });
        cycle.clientDisconnected();
      }
      return;
    }
    if (slot.discarding) return;
    let piece = content;
    if (slot.declared >= 0) {
      // `SRV-FCGI-7`: the app sees exactly CONTENT_LENGTH bytes: anything past it is dropped.
      const room = slot.declared - slot.received;
      if (room <= 0) return;
      if (piece.length > room) piece = piece.subarray(0, room);
    }
    slot.received += piece.length;
    this.deliver(slot, piece, slot.declared < 0 || slot.received < slot.declared);
  }

  /** Hands a piece to the cycle, or to the spool while the app is behind on a shared connection. */
  private deliver(slot: RequestSlot, chunk: Uint8Array, more: boolean): void {
    if (slot.spilling || (slot.spool !== null && !slot.spool.empty)) {
      if (slot.spool === null) slot.spool = new BodySpool(this.conn.core.opts.maxBufferedBody);
      try {
        slot.spool.add(chunk, more);
      } catch (err) {
        this.conn.core.logger.error('request body could not be spooled to disk: request aborted', {
          requestId: slot.id,
          error: err,
        });
        this.conn.requests.abort(slot);
      }
      return;
    }
    slot.cycle!.pushBody(chunk, more);
  }

  /** The app asks for the body: nothing to do, records are delivered as they arrive. */
  start(_slot: RequestSlot): void {}

  /**
   * The app is not reading. When this is the only request on the connection, reading the socket
   * stops (backpressure reaches the web server); on a connection shared with other requests the
   * bytes go to the request's spool instead, so the others are not stalled.
   */
  pause(slot: RequestSlot): void {
    // `SRV-FCGI-12`
    if (this.conn.requests.size === 1 && this.pausedBy === null) {
      this.pausedBy = slot;
      this.conn.socket.pause();
    } else slot.spilling = true;
  }

  /** The app read what was queued: resume the socket, or hand on the next spooled piece. */
  resume(slot: RequestSlot): void {
    this.unpause(slot);
    slot.spilling = false;
    const next = slot.spool?.take() ?? null;
    if (next !== null) slot.cycle!.pushBody(next.chunk, next.more);
  }

  /** The response is complete before the body was read: drop the rest of FCGI_STDIN. */
  discard(slot: RequestSlot): void {
    slot.discarding = true;
    slot.spool?.close();
    this.unpause(slot);
  }

  /** The request ended: drop its spool, and resume the socket if it was paused for it. */
  release(slot: RequestSlot): void {
    slot.spool?.close();
    this.unpause(slot);
  }

  private unpause(slot: RequestSlot): void {
    if (this.pausedBy !== slot) return;
    this.pausedBy = null;
    if (!this.conn.isClosed) this.conn.socket.resume();
  }
}
