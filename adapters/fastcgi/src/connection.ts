/**
 * One FastCGI connection: the per-connection state machine of FastCGI 1.0 (sections 3 to 6).
 * Records come from {@link RecordDecoder} and are dispatched by type: management records (request
 * id 0) to {@link managementReply}, the request records to {@link Requests} (kept by request id, so
 * several may run at once: multiplexing), FCGI_STDIN to {@link BodyFlow}. Each request is isolated:
 * a bad request, an abort or an app failure ends that request only. Only a byte stream that is not
 * FastCGI, or a BEGIN_REQUEST for an id in flight, closes the connection, with the reason logged.
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { SocketServerCore } from '@portico/server';
import { isPorticoError } from '@portico/spec';
import { BodyFlow } from './body-flow.js';
import type { FastCGICycle } from './fcgi-cycle.js';
import { managementReply } from './management.js';
import type { ResolvedOptions } from './options.js';
import {
  FCGI_ABORT_REQUEST,
  FCGI_BEGIN_REQUEST,
  FCGI_DATA,
  FCGI_NULL_REQUEST_ID,
  FCGI_PARAMS,
  FCGI_STDIN,
} from './protocol.js';
import { describeRecord, RecordDecoder } from './record-codec.js';
import type { RequestSlot } from './request-slot.js';
import { Requests } from './requests.js';
import { StdoutWriter } from './stdout-writer.js';

/** What every connection of a server shares. */
export interface Core extends SocketServerCore<Connection, ResolvedOptions> {
  /** Requests begun and not yet ended, over all connections (`FCGI_MAX_REQS`). */
  inFlight: number;
  /** Apps called and not yet settled. */
  running: number;
}

type RecordHandler = (conn: Connection, id: number, content: Uint8Array) => void;

/** What a record of each type a web server sends for a request does (sections 5.1 to 5.4, 6.4). */
const REQUEST_RECORDS: Readonly<Record<number, RecordHandler>> = {
  [FCGI_BEGIN_REQUEST]: (conn, id, content) => conn.requests.begin(id, content),
  [FCGI_PARAMS]: (conn, id, content) => conn.requests.params(id, content),
  [FCGI_STDIN]: (conn, id, content) => conn.body.stdin(id, content),
  [FCGI_DATA]: (conn, id, content) => conn.requests.data(id, content),
  [FCGI_ABORT_REQUEST]: (conn, id) => conn.requests.abortFromServer(id),
};

/** One connection from a web server. */
export class Connection {
  readonly core: Core;
  readonly socket: Socket;
  /** The bind path when accepted on a unix socket, else `null`. */
  readonly unixPath: string | null;
  /** Requests in flight by id. */
  readonly requests: Requests;
  /** The request bodies (FCGI_STDIN) and their flow control. */
  readonly body: BodyFlow;
  /** The responses (FCGI_STDOUT, FCGI_STDERR, FCGI_END_REQUEST). */
  readonly writer: StdoutWriter;
  /** Last I/O on the coarse clock. */
  lastIO: number;
  private readonly decoder: RecordDecoder;
  /** Close once no request is left (FCGI_KEEP_CONN clear, request limit, shutdown). */
  private closeAfter = false;
  private closed = false;

  constructor(core: Core, socket: Socket, unixPath: string | null) {
    this.core = core;
    this.socket = socket;
    this.unixPath = unixPath;
    this.lastIO = core.now;
    this.requests = new Requests(this);
    this.body = new BodyFlow(this);
    this.decoder = new RecordDecoder((type, id, content) => this.onRecord(type, id, content));
    this.writer = new StdoutWriter(
      socket,
      () => this.closed,
      (slot) => this.requests.end(slot),
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => this.writer.onDrain());
    socket.on('error', (err) =>
      this.core.logger.debug('connection error', { error: err.message, ...this.peer() }),
    );
    socket.on('close', () => this.onClose());
  }

  /** Whether the connection is closed or closing for good: nothing more is written. */
  get isClosed(): boolean {
    return this.closed;
  }

  // ---- reading ------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.lastIO = this.core.now;
    try {
      this.decoder.push(chunk);
    } catch (err) {
      this.protocolError(isPorticoError(err, 'ERR_FCGI_BAD_RECORD') ? err.message : 'internal error', err);
    }
  }

  private onEnd(): void {
    // The web server closed its side. A partial record means it died mid-record: the connection is
    // closed (its requests' apps see the client gone).
    if (!this.decoder.atBoundary) {
      this.core.logger.warn(
        'FastCGI connection closed: the peer closed in the middle of a record',
        this.peer(),
      );
      this.socket.destroy();
      return;
    }
    // A half-close: no more requests come, but the ones in flight still get their responses.
    this.closeWhenIdle();
  }

  private onRecord(type: number, id: number, content: Uint8Array): void {
    if (id === FCGI_NULL_REQUEST_ID) {
      this.management(type, content);
      return;
    }
    const handler = REQUEST_RECORDS[type];
    if (handler !== undefined) {
      handler(this, id, content);
      return;
    }
    // `SRV-FCGI-4`: types a web server never sends to an app (FCGI_STDOUT, FCGI_END_REQUEST, ...)
    // and types this version does not know: ignored, never fatal (section 3.3 lets later versions
    // add types). Records for ids not in flight are ignored by each handler.
    this.core.logger.debug('record ignored', {
      record: describeRecord(type, id, content.length),
      ...this.peer(),
    });
  }

  /** Management records (request id 0, section 4): answered at once. */
  private management(type: number, content: Uint8Array): void {
    let reply: Uint8Array;
    try {
      reply = managementReply(type, content, this.core.opts);
    } catch (err) {
      this.protocolError(`malformed FCGI_GET_VALUES: ${(err as Error).message}`, err);
      return;
    }
    this.writeRaw(reply);
  }

  // ---- writing ------------------------------------------------------------------------------

  /** See {@link StdoutWriter.write}. */
  writeResponse(slot: RequestSlot, head: string | null, body: Uint8Array, end: boolean): boolean {
    if (slot.ended || this.closed) return true;
    this.lastIO = this.core.now;
    return this.writer.write(slot, head, body, end, this.requests.size > 1);
  }

  /** Writes a few records not tied to a response (END_REQUEST of a refusal, management replies). */
  writeRaw(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** A cycle waits until it may write again (see {@link StdoutWriter.awaitDrain}). */
  awaitDrain(cycle: FastCGICycle): void {
    this.writer.awaitDrain(cycle);
  }

  // ---- closing ------------------------------------------------------------------------------

  /** Ends the connection once no request is left, if it is to close then. */
  maybeClose(): void {
    if (this.closeAfter && this.requests.size === 0 && !this.closed) {
      // `SRV-FCGI-3`, section 5.1: FCGI_KEEP_CONN clear, the application closes the connection after
      // the request.
      this.socket.end();
    }
  }

  /** Closes now if no request is in flight, else after the last one (also the graceful shutdown). */
  closeWhenIdle(): void {
    this.closeAfter = true;
    this.maybeClose();
  }

  /** Closes once what is already written is out; nothing more is written (a response cut short). */
  closeSoon(): void {
    this.socket.destroySoon();
    this.closed = true;
  }

  /** Closes the connection at once for a reason that is logged (a stream that is not FastCGI). */
  protocolError(reason: string, err?: unknown): void {
    if (this.closed) return;
    const internal = err !== undefined && !isPorticoError(err, 'ERR_FCGI_BAD_RECORD');
    const fields = { ...this.peer(), ...(internal ? { error: err } : {}) };
    if (internal) this.core.logger.error(`FastCGI connection closed: ${reason}`, fields);
    else this.core.logger.warn(`FastCGI connection closed: ${reason}`, fields);
    this.closed = true;
    this.socket.destroy();
  }

  /** Closes at once (the shutdown timeout expired). */
  destroy(): void {
    this.socket.destroy();
  }

  private onClose(): void {
    this.closed = true;
    const core = this.core;
    core.connections.delete(this);
    this.requests.connectionClosed();
    for (const cycle of this.writer.takeWaiters()) cycle.clientDisconnected();
    if (core.onProgress !== null) core.onProgress();
  }

  /** Checks the timeouts (spec/servers.md SRV-LIMIT-2); called by the server's sweep. */
  sweep(now: number): void {
    const opts = this.core.opts;
    if (this.requests.size === 0) {
      if (opts.keepAliveTimeout > 0 && now - this.lastIO > opts.keepAliveTimeout && !this.closed)
        this.socket.end();
      return;
    }
    if (opts.idleTimeout > 0 && now - this.lastIO > opts.idleTimeout) {
      this.core.logger.info('connection idle with requests in flight: closed', {
        rule: 'SRV-LIMIT-2',
        ...this.peer(),
      });
      this.closed = true;
      this.socket.destroy();
      return;
    }
    this.requests.sweep(now);
  }

  /** The peer for log lines: `unix:PATH` or `ADDRESS:PORT`. */
  peer(): Record<string, unknown> {
    const socket = this.socket;
    return this.unixPath !== null
      ? { peer: `unix:${this.unixPath}` }
      : { peer: `${socket.remoteAddress}:${socket.remotePort}` };
  }
}
