/**
 * The response side of a FastCGI connection on the wire: FCGI_STDOUT records (a small response in
 * one buffer and one write; a large body without copying it), the end of a response (FCGI_STDERR and
 * FCGI_STDOUT end records, FCGI_END_REQUEST), FCGI_STDERR, and the fair interleaving of large bodies
 * on a connection shared by several requests (FastCGI 1.0 sections 5.3, 5.5).
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { FastCGICycle } from './fcgi-cycle.js';
import {
  FCGI_HEADER_LEN,
  FCGI_MAX_CONTENT_LENGTH,
  FCGI_REQUEST_COMPLETE,
  FCGI_STDERR,
  FCGI_STDOUT,
} from './protocol.js';
import { encodeStream, paddingFor, writeEndRequest, writeHeader } from './record-codec.js';
import type { RequestSlot } from './request-slot.js';

const EMPTY = new Uint8Array(0);
/** Responses up to this size go out as one buffer in one write; larger bodies are not copied. */
const COPY_LIMIT = 16384;

/** Writes the responses of one connection. */
export class StdoutWriter {
  private readonly socket: Socket;
  private readonly isClosed: () => boolean;
  private readonly ended: (slot: RequestSlot) => void;
  private drainWaiters: FastCGICycle[] = [];
  /** Requests with a body waiting for its turn (fair interleaving). */
  private outgoing: RequestSlot[] = [];
  private pumpScheduled = false;

  /**
   * @param isClosed - whether the connection is closed (nothing is written then)
   * @param ended - called once a response's FCGI_END_REQUEST was written
   */
  constructor(socket: Socket, isClosed: () => boolean, ended: (slot: RequestSlot) => void) {
    this.socket = socket;
    this.isClosed = isClosed;
    this.ended = ended;
  }

  /**
   * Writes part of a response as FCGI_STDOUT records: `head` (a byte string) then `body`; when
   * `end`, the empty FCGI_STDOUT that ends the stream and FCGI_END_REQUEST follow, and the slot is
   * ended. `shared`: other requests are in flight on the connection (a large body then takes turns).
   * Returns `false` when the caller must wait ({@link awaitDrain}).
   */
  write(slot: RequestSlot, head: string | null, body: Uint8Array, end: boolean, shared: boolean): boolean {
    const socket = this.socket;
    const headLength = head === null ? 0 : head.length;
    const length = headLength + body.length;
    let ok: boolean;
    if (length <= COPY_LIMIT) {
      const pad = paddingFor(length);
      const size = (length > 0 ? FCGI_HEADER_LEN + length + pad : 0) + (end ? 2 * FCGI_HEADER_LEN + 8 : 0);
      const out = Buffer.allocUnsafe(size);
      let at = 0;
      if (length > 0) {
        writeHeader(out, 0, FCGI_STDOUT, slot.id, length, pad);
        if (head !== null) out.write(head, FCGI_HEADER_LEN, 'latin1');
        if (body.length > 0) out.set(body, FCGI_HEADER_LEN + headLength);
        at = FCGI_HEADER_LEN + length;
        out.fill(0, at, at + pad);
        at += pad;
      }
      if (end && slot.stderrUsed) socket.write(encodeStream(FCGI_STDERR, slot.id, EMPTY));
      if (end) {
        writeHeader(out, at, FCGI_STDOUT, slot.id, 0, 0);
        writeEndRequest(out, at + FCGI_HEADER_LEN, slot.id, 0, FCGI_REQUEST_COMPLETE);
      }
      ok = size === 0 ? true : socket.write(out);
    } else if (shared && body.length > FCGI_MAX_CONTENT_LENGTH) {
      // A shared connection: the body goes out one record at a time, taking turns with the other
      // responses, so one large send() does not hold the others back (fair interleaving).
      if (head !== null) socket.write(encodeStream(FCGI_STDOUT, slot.id, Buffer.from(head, 'latin1')));
      slot.outgoing = { body, from: 0, end, waiter: null };
      this.outgoing.push(slot);
      this.pump();
      return slot.outgoing === null;
    } else {
      socket.cork();
      if (head !== null) socket.write(encodeStream(FCGI_STDOUT, slot.id, Buffer.from(head, 'latin1')));
      this.writeStdout(slot.id, body, 0, body.length);
      if (end) this.writeTail(slot);
      socket.uncork();
      ok = !socket.writableNeedDrain;
    }
    if (end) this.ended(slot);
    return ok;
  }

  /** Writes `body[from..to)` as FCGI_STDOUT records of at most 65535 bytes, without copying it. */
  private writeStdout(id: number, body: Uint8Array, from: number, to: number): void {
    const socket = this.socket;
    for (; from < to; from += FCGI_MAX_CONTENT_LENGTH) {
      const n = Math.min(FCGI_MAX_CONTENT_LENGTH, to - from);
      const pad = paddingFor(n);
      const header = Buffer.allocUnsafe(FCGI_HEADER_LEN + pad);
      writeHeader(header, 0, FCGI_STDOUT, id, n, pad);
      header.fill(0, FCGI_HEADER_LEN);
      socket.write(header.subarray(0, FCGI_HEADER_LEN));
      socket.write(body.subarray(from, from + n));
      if (pad > 0) socket.write(header.subarray(FCGI_HEADER_LEN));
    }
  }

  /** The end of a response: the empty FCGI_STDERR (if it was used) and FCGI_STDOUT, FCGI_END_REQUEST. */
  private writeTail(slot: RequestSlot): void {
    if (slot.stderrUsed) this.socket.write(encodeStream(FCGI_STDERR, slot.id, EMPTY));
    const tail = Buffer.allocUnsafe(2 * FCGI_HEADER_LEN + 8);
    writeHeader(tail, 0, FCGI_STDOUT, slot.id, 0, 0);
    writeEndRequest(tail, FCGI_HEADER_LEN, slot.id, 0, FCGI_REQUEST_COMPLETE);
    this.socket.write(tail);
  }

  /**
   * Writes queued response bodies of a shared connection: one record per queued response per turn,
   * then the event loop runs (other apps get to send) before the next turn, or `drain` when the
   * socket is full.
   */
  private pump(): void {
    this.pumpScheduled = false;
    const socket = this.socket;
    let turn = this.outgoing.length;
    while (turn-- > 0 && !this.isClosed() && !socket.writableNeedDrain) {
      const slot = this.outgoing.shift()!;
      const job = slot.outgoing!;
      const to = Math.min(job.from + FCGI_MAX_CONTENT_LENGTH, job.body.length);
      this.writeStdout(slot.id, job.body, job.from, to);
      job.from = to;
      if (to < job.body.length) {
        this.outgoing.push(slot);
        continue;
      }
      slot.outgoing = null;
      if (job.end) {
        this.writeTail(slot);
        this.ended(slot);
      }
      if (job.waiter !== null) job.waiter.drained();
    }
    if (this.outgoing.length > 0 && !this.isClosed() && !socket.writableNeedDrain && !this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => this.pump());
    }
  }

  /** Writes text of the app's error stream as FCGI_STDERR records (section 5.3), UTF-8. */
  stderr(slot: RequestSlot, text: string): void {
    if (slot.ended || this.isClosed() || text.length === 0) return;
    slot.stderrUsed = true;
    this.socket.write(encodeStream(FCGI_STDERR, slot.id, Buffer.from(text, 'utf8')));
  }

  /** Drops a slot's queued body (its request ended some other way). */
  forget(slot: RequestSlot): void {
    if (slot.outgoing === null) return;
    slot.outgoing = null;
    const at = this.outgoing.indexOf(slot);
    if (at >= 0) this.outgoing.splice(at, 1);
  }

  /** The connection closed: the cycles waiting to write, to be told the client is gone. */
  takeWaiters(): FastCGICycle[] {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    return waiters;
  }

  /** A cycle waits until it may write again: its queued body is out, or the socket drained. */
  awaitDrain(cycle: FastCGICycle): void {
    // A body still queued for its turn: the cycle goes on once it is all written.
    const job = cycle.slot.outgoing;
    if (job !== null) job.waiter = cycle;
    else this.drainWaiters.push(cycle);
  }

  /** The socket drained: the queued bodies take their turns, and waiting cycles go on. */
  onDrain(): void {
    if (!this.pumpScheduled) this.pump();
    const waiters = this.drainWaiters;
    if (waiters.length === 0) return;
    this.drainWaiters = [];
    for (const cycle of waiters) cycle.drained();
  }
}
