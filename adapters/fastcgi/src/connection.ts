/**
 * One FastCGI connection: the per-connection state machine of FastCGI 1.0 (sections 3 to 6).
 * Records come from {@link RecordDecoder}; requests are kept by request id, so several may run at
 * once (multiplexing), each isolated: a bad request, an abort or an app failure ends that request
 * only. Only a byte stream that is not FastCGI, or a BEGIN_REQUEST for an id in flight, closes the
 * connection, with the reason logged.
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { CycleContext } from '@portico/server';
import { CGIExtension, cgiResponseHead, FIXED_RESPONSES, ResponseState, variableOf } from '@portico/server';
import type { AsyncApp, Extensions, FastCGIInfo, HTTPScope, State } from '@portico/spec';
import { isPorticoError, scopeFromVariableList } from '@portico/spec';
import { BodySpool } from './body-spool.js';
import { FastCGICycle } from './fcgi-cycle.js';
import {
  decodeNameValueList,
  decodeNameValuePairs,
  encodeNameValuePairs,
  type NameValuePair,
} from './name-value.js';
import type { ResolvedOptions } from './options.js';
import { declaredLength } from './params.js';
import {
  FCGI_ABORT_REQUEST,
  FCGI_AUTHORIZER,
  FCGI_BEGIN_REQUEST,
  FCGI_CANT_MPX_CONN,
  FCGI_DATA,
  FCGI_FILTER,
  FCGI_GET_VALUES,
  FCGI_GET_VALUES_RESULT,
  FCGI_KEEP_CONN,
  FCGI_MAX_CONNS,
  FCGI_MAX_REQS,
  FCGI_MPXS_CONNS,
  FCGI_NULL_REQUEST_ID,
  FCGI_OVERLOADED,
  FCGI_PARAMS,
  FCGI_REQUEST_COMPLETE,
  FCGI_RESPONDER,
  FCGI_STDIN,
  FCGI_UNKNOWN_ROLE,
} from './protocol.js';
import {
  decodeBeginRequest,
  describeRecord,
  encodeEndRequest,
  encodeStream,
  encodeUnknownType,
  RecordDecoder,
} from './record-codec.js';
import { FilterData, RequestSlot } from './request-slot.js';
import { StdoutWriter } from './stdout-writer.js';

const EMPTY = new Uint8Array(0);
const ROLE_NAMES: Readonly<Record<number, 'responder' | 'authorizer' | 'filter'>> = {
  [FCGI_RESPONDER]: 'responder',
  [FCGI_AUTHORIZER]: 'authorizer',
  [FCGI_FILTER]: 'filter',
};

/** A non-negative integer variable (FCGI_DATA_LENGTH), or `null` when absent or not a number. */
function numberParam(value: string | undefined): number | null {
  if (value === undefined || !/^[0-9]{1,15}$/.test(value)) return null;
  return Number(value);
}

/** What every connection of a server shares. */
export interface Core extends CycleContext {
  readonly opts: ResolvedOptions;
  readonly app: AsyncApp;
  /** The lifespan state, copied into each scope, or `null` when no lifespan runs. */
  readonly lifespanState: State | null;
  /** Requests begun and not yet ended, over all connections (`FCGI_MAX_REQS`). */
  inFlight: number;
  /** Apps called and not yet settled. */
  running: number;
  readonly connections: Set<Connection>;
  /** Graceful shutdown started: new requests get `FCGI_OVERLOADED`. */
  closing: boolean;
  /** A coarse clock (ms), advanced by the server's sweep. */
  now: number;
  /** Called when a request ends or a connection closes (graceful shutdown waits on it). */
  onProgress: (() => void) | null;
}

/** One connection from a web server. */
export class Connection {
  readonly core: Core;
  readonly socket: Socket;
  /** The bind path when accepted on a unix socket, else `null`. */
  readonly unixPath: string | null;
  /** Requests in flight by id. */
  readonly requests = new Map<number, RequestSlot>();
  /** Last I/O on the coarse clock. */
  lastIO: number;
  private readonly decoder: RecordDecoder;
  private served = 0;
  /** Close once no request is left (FCGI_KEEP_CONN clear, request limit, shutdown). */
  private closeAfter = false;
  private pausedBy: RequestSlot | null = null;
  private readonly writer: StdoutWriter;
  private closed = false;

  constructor(core: Core, socket: Socket, unixPath: string | null) {
    this.core = core;
    this.socket = socket;
    this.unixPath = unixPath;
    this.lastIO = core.now;
    this.decoder = new RecordDecoder((type, id, content) => this.onRecord(type, id, content));
    this.writer = new StdoutWriter(
      socket,
      () => this.closed,
      (slot) => this.endSlot(slot),
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
    this.closeAfter = true;
    this.maybeClose();
  }

  private onRecord(type: number, id: number, content: Uint8Array): void {
    if (id === FCGI_NULL_REQUEST_ID) {
      this.management(type, content);
      return;
    }
    switch (type) {
      case FCGI_BEGIN_REQUEST:
        this.begin(id, content);
        return;
      case FCGI_PARAMS:
        this.params(id, content);
        return;
      case FCGI_STDIN:
        this.stdin(id, content);
        return;
      case FCGI_DATA:
        this.data(id, content);
        return;
      case FCGI_ABORT_REQUEST:
        this.abortFromServer(id);
        return;
      default:
        // `SRV-FCGI-4`: types a web server never sends to an app (FCGI_STDOUT, FCGI_END_REQUEST, ...)
        // and types this version does not know: ignored, never fatal (section 3.3 lets later versions
        // add types). Records for ids not in flight are ignored by each handler.
        this.core.logger.debug('record ignored', {
          record: describeRecord(type, id, content.length),
          ...this.peer(),
        });
    }
  }

  /** Management records (request id 0, section 4). */
  private management(type: number, content: Uint8Array): void {
    if (type !== FCGI_GET_VALUES) {
      // `SRV-FCGI-5`, section 4.2: a management record of a type the app does not understand gets
      // FCGI_UNKNOWN_TYPE.
      this.writeRaw(encodeUnknownType(type));
      return;
    }
    let asked: NameValuePair[];
    try {
      asked = decodeNameValuePairs(content);
    } catch (err) {
      this.protocolError(`malformed FCGI_GET_VALUES: ${(err as Error).message}`, err);
      return;
    }
    const opts = this.core.opts;
    const known: Record<string, string> = {
      [FCGI_MAX_CONNS]: String(opts.maxConnections),
      [FCGI_MAX_REQS]: String(opts.maxRequests),
      [FCGI_MPXS_CONNS]: opts.multiplex ? '1' : '0',
    };
    // `SRV-FCGI-5`, section 4.1: the reply carries the variables the app knows, in the order asked;
    // others are left out.
    const answer: NameValuePair[] = [];
    for (const [name] of asked) {
      const value = known[name];
      if (value !== undefined) answer.push([name, value]);
    }
    this.writeRaw(encodeStream(FCGI_GET_VALUES_RESULT, FCGI_NULL_REQUEST_ID, encodeNameValuePairs(answer)));
  }

  private begin(id: number, content: Uint8Array): void {
    if (this.requests.has(id)) {
      // `SRV-FCGI-4`: the web server lost track of its own requests; nothing on this connection can be trusted.
      this.protocolError(`FCGI_BEGIN_REQUEST for request id ${id}, which is in flight`);
      return;
    }
    let role: number;
    let flags: number;
    try {
      ({ role, flags } = decodeBeginRequest(content));
    } catch (err) {
      this.protocolError((err as Error).message, err);
      return;
    }
    const keepConn = (flags & FCGI_KEEP_CONN) !== 0;
    const core = this.core;
    let refusal = -1;
    if (!core.opts.multiplex && this.requests.size > 0) refusal = FCGI_CANT_MPX_CONN;
    else if (core.closing || core.inFlight >= core.opts.maxRequests) refusal = FCGI_OVERLOADED;
    else if (ROLE_NAMES[role] === undefined) refusal = FCGI_UNKNOWN_ROLE;
    // `SRV-FCGI-2`: refused before the app is called, with the protocol status saying why.
    if (refusal >= 0) {
      core.logger.info('request refused', {
        requestId: id,
        protocolStatus: refusal,
        reason:
          refusal === FCGI_CANT_MPX_CONN
            ? 'FCGI_CANT_MPX_CONN: multiplexing is off'
            : refusal === FCGI_OVERLOADED
              ? core.closing
                ? 'FCGI_OVERLOADED: shutting down'
                : `FCGI_OVERLOADED: ${core.inFlight} requests in flight (maxRequests)`
              : `FCGI_UNKNOWN_ROLE: role ${role}`,
        ...this.peer(),
      });
      this.writeRaw(encodeEndRequest(id, 0, refusal));
      if (!keepConn) this.closeAfter = true;
      this.maybeClose();
      return;
    }
    this.requests.set(id, new RequestSlot(id, role, keepConn, core.now));
    core.inFlight++;
  }

  private params(id: number, content: Uint8Array): void {
    const slot = this.requests.get(id);
    if (slot === undefined || slot.params === null) return;
    if (content.length === 0) {
      this.paramsDone(slot);
      return;
    }
    slot.paramsSize += content.length;
    // `SRV-FCGI-9`: the app is not called; the connection goes on.
    if (slot.paramsSize > this.core.opts.maxParamsSize) {
      this.core.logger.warn('FCGI_PARAMS over maxParamsSize: 431', {
        requestId: id,
        maxParamsSize: this.core.opts.maxParamsSize,
        ...this.peer(),
      });
      this.respondWithoutApp(slot, 431);
      return;
    }
    slot.params.push(content);
  }

  private paramsDone(slot: RequestSlot): void {
    const pieces = slot.params!;
    slot.params = null;
    const core = this.core;
    let list: string[];
    let declared: number;
    try {
      const bytes = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
      // `SRV-FCGI-8`: the list keeps every pair in order; scopeFromVariableList and the cgi extension
      // keep the last value of a name sent twice, and make repeated HTTP_* names repeated headers.
      list = decodeNameValueList(bytes);
      declared = declaredLength(variableOf(list, 'CONTENT_LENGTH'));
    } catch (err) {
      core.logger.warn(`bad FCGI_PARAMS: ${(err as Error).message}: 400`, {
        requestId: slot.id,
        ...this.peer(),
      });
      this.respondWithoutApp(slot, 400);
      return;
    }
    slot.declared = declared;
    const role = slot.role;
    const hasBody = role !== FCGI_AUTHORIZER && declared !== 0;
    // An Authorizer gets no body: Apache's mod_authnz_fcgi sends no FCGI_STDIN at all (section 6.3).
    if (!hasBody) slot.stdinDone = true;
    const extensions: Extensions = {
      'http.response.pathsend': {},
      cgi: new CGIExtension(list, (text: string) => this.writer.stderr(slot, text)),
      fastcgi: this.fastcgiExtension(slot, list),
    };
    const state = core.lifespanState === null ? ({} as State) : { ...core.lifespanState };
    const rootPath = core.opts.rootPath;
    let scope: HTTPScope;
    try {
      scope = scopeFromVariableList(
        list,
        rootPath === null ? { state, extensions } : { state, extensions, rootPath },
      );
    } catch (err) {
      // `SRV-FCGI-9`: variables a scope cannot be built from (no REQUEST_METHOD): 400.
      core.logger.warn(`bad FCGI_PARAMS: ${(err as Error).message}: 400`, {
        requestId: slot.id,
        ...this.peer(),
      });
      this.respondWithoutApp(slot, 400);
      return;
    }
    const cycle = new FastCGICycle(this, slot, scope.method === 'HEAD', hasBody);
    slot.cycle = cycle;
    core.running++;
    void cycle.run(core.app, scope, declared);
  }

  private fastcgiExtension(slot: RequestSlot, list: readonly string[]): FastCGIInfo {
    const role = ROLE_NAMES[slot.role]!;
    if (slot.role !== FCGI_FILTER) return { role, requestId: slot.id };
    const data = new FilterData();
    slot.data = data;
    return {
      role,
      requestId: slot.id,
      data: {
        length: numberParam(variableOf(list, 'FCGI_DATA_LENGTH')),
        lastModified: numberParam(variableOf(list, 'FCGI_DATA_LAST_MOD')),
        receive: () => data.receive(),
      },
    };
  }

  private stdin(id: number, content: Uint8Array): void {
    const slot = this.requests.get(id);
    if (slot === undefined) return;
    const cycle = slot.cycle;
    if (cycle === null) {
      this.core.logger.warn('FCGI_STDIN before the end of FCGI_PARAMS: 400', {
        requestId: id,
        ...this.peer(),
      });
      this.respondWithoutApp(slot, 400);
      return;
    }
    if (slot.stdinDone) return;
    if (content.length === 0) {
      slot.stdinDone = true;
      if (slot.discarding) return;
      if (slot.declared < 0) this.deliver(slot, EMPTY, false);
      else if (slot.received < slot.declared) {
        this.core.logger.info('FCGI_STDIN ended short of CONTENT_LENGTH: the client is gone', {
          requestId: id,
          declared: slot.declared,
          received: slot.received,
          ...this.peer(),
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

  private deliver(slot: RequestSlot, chunk: Uint8Array, more: boolean): void {
    if (slot.spilling || (slot.spool !== null && !slot.spool.empty)) {
      if (slot.spool === null) slot.spool = new BodySpool(this.core.opts.maxBufferedBody);
      try {
        slot.spool.add(chunk, more);
      } catch (err) {
        this.core.logger.error('request body could not be spooled to disk: request aborted', {
          requestId: slot.id,
          error: err,
        });
        this.abortRequest(slot);
      }
      return;
    }
    slot.cycle!.pushBody(chunk, more);
  }

  private data(id: number, content: Uint8Array): void {
    const slot = this.requests.get(id);
    if (slot === undefined || slot.data === null) return;
    slot.data.push(content, content.length > 0);
  }

  /** FCGI_ABORT_REQUEST (section 5.4, `SRV-FCGI-6`): the app sees `http.disconnect`; END_REQUEST follows at once. */
  private abortFromServer(id: number): void {
    const slot = this.requests.get(id);
    if (slot === undefined) return;
    this.core.logger.debug('FCGI_ABORT_REQUEST', { requestId: id, ...this.peer() });
    const cycle = slot.cycle;
    this.writeRaw(encodeEndRequest(id, cycle === null ? 0 : 1, FCGI_REQUEST_COMPLETE));
    this.endSlot(slot);
    if (cycle !== null) cycle.clientDisconnected();
  }

  // ---- writing ------------------------------------------------------------------------------

  /** See {@link StdoutWriter.write}. */
  writeResponse(slot: RequestSlot, head: string | null, body: Uint8Array, end: boolean): boolean {
    if (slot.ended || this.closed) return true;
    this.lastIO = this.core.now;
    return this.writer.write(slot, head, body, end, this.requests.size > 1);
  }

  /** Writes a few records not tied to a response (END_REQUEST of a refusal, management replies). */
  private writeRaw(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Answers a request with one of the server's own responses, without (or instead of) the app. */
  private respondWithoutApp(slot: RequestSlot, status: 400 | 408 | 431 | 500): void {
    const fixed = FIXED_RESPONSES[status];
    const cycle = slot.cycle;
    this.writeResponse(slot, cgiResponseHead(status, fixed.headers), fixed.body, true);
    if (cycle !== null) cycle.clientDisconnected();
  }

  awaitDrain(cycle: FastCGICycle): void {
    this.writer.awaitDrain(cycle);
  }

  // ---- request body flow control -------------------------------------------------------------

  /** The app asks for the body: nothing to do, records are delivered as they arrive. */
  startBody(_slot: RequestSlot): void {}

  /**
   * The app is not reading. When this is the only request on the connection, reading the socket
   * stops (backpressure reaches the web server); on a connection shared with other requests the
   * bytes go to the request's spool instead, so the others are not stalled.
   */
  pauseBody(slot: RequestSlot): void {
    // `SRV-FCGI-12`
    if (this.requests.size === 1 && this.pausedBy === null) {
      this.pausedBy = slot;
      this.socket.pause();
    } else slot.spilling = true;
  }

  /** The app read what was queued: resume the socket, or hand on the next spooled piece. */
  resumeBody(slot: RequestSlot): void {
    if (this.pausedBy === slot) {
      this.pausedBy = null;
      if (!this.closed) this.socket.resume();
    }
    slot.spilling = false;
    const next = slot.spool?.take() ?? null;
    if (next !== null) slot.cycle!.pushBody(next.chunk, next.more);
  }

  /** The response is complete before the body was read: drop the rest of FCGI_STDIN. */
  discardBody(slot: RequestSlot): void {
    slot.discarding = true;
    slot.spool?.close();
    if (this.pausedBy === slot) {
      this.pausedBy = null;
      if (!this.closed) this.socket.resume();
    }
  }

  // ---- ending requests and the connection ------------------------------------------------------

  /**
   * Ends a response that cannot complete (the app failed mid-response). Alone on its connection the
   * request closes the connection, so the web server sees the response cut short (nginx: "upstream
   * prematurely closed") and does not pass a truncated body on as whole. On a connection shared with
   * other requests it gets FCGI_END_REQUEST with appStatus 1 instead, and the others go on.
   */
  abortRequest(slot: RequestSlot): void {
    if (slot.ended || this.closed) return;
    // `SRV-FCGI-11`
    if (this.requests.size <= 1) {
      this.core.logger.debug('response aborted: closing the connection', {
        requestId: slot.id,
        ...this.peer(),
      });
      this.socket.destroySoon();
      this.closed = true;
      this.endSlot(slot);
      return;
    }
    this.writeRaw(encodeEndRequest(slot.id, 1, FCGI_REQUEST_COMPLETE));
    this.endSlot(slot);
  }

  /** The request's END_REQUEST is out (or the connection is gone): its id is free. */
  private endSlot(slot: RequestSlot): void {
    if (slot.ended) return;
    slot.ended = true;
    if (this.requests.get(slot.id) === slot) this.requests.delete(slot.id);
    this.writer.forget(slot);
    const core = this.core;
    core.inFlight--;
    this.served++;
    slot.spool?.close();
    slot.data?.close();
    if (this.pausedBy === slot) {
      this.pausedBy = null;
      if (!this.closed) this.socket.resume();
    }
    const limit = core.opts.maxRequestsPerConnection;
    if (!slot.keepConn || core.closing || (limit > 0 && this.served >= limit)) this.closeAfter = true;
    this.maybeClose();
    if (core.onProgress !== null) core.onProgress();
  }

  /** The app of a request settled. */
  requestSettled(_slot: RequestSlot): void {
    const core = this.core;
    core.running--;
    if (core.onProgress !== null) core.onProgress();
  }

  private maybeClose(): void {
    if (this.closeAfter && this.requests.size === 0 && !this.closed) {
      // `SRV-FCGI-3`, section 5.1: FCGI_KEEP_CONN clear, the application closes the connection after
      // the request.
      this.socket.end();
    }
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

  /** Used by the server's graceful shutdown: close now if idle, else after the requests in flight. */
  closeWhenIdle(): void {
    this.closeAfter = true;
    this.maybeClose();
  }

  private onClose(): void {
    this.closed = true;
    const core = this.core;
    core.connections.delete(this);
    for (const slot of [...this.requests.values()]) {
      const cycle = slot.cycle;
      this.endSlot(slot);
      if (cycle !== null && cycle.response < ResponseState.Done) cycle.clientDisconnected();
    }
    for (const cycle of this.writer.takeWaiters()) cycle.clientDisconnected();
    if (core.onProgress !== null) core.onProgress();
  }

  /** Checks the request timeouts (spec/servers.md SRV-LIMIT-2); called by the server's sweep. */
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
    for (const slot of [...this.requests.values()]) {
      const age = now - slot.began;
      const cycle = slot.cycle;
      if (cycle === null) {
        if (opts.headersTimeout > 0 && age > opts.headersTimeout) {
          this.core.logger.info('FCGI_PARAMS not complete within headersTimeout: 408', {
            rule: 'SRV-LIMIT-2',
            requestId: slot.id,
            ...this.peer(),
          });
          this.respondWithoutApp(slot, 408);
        }
      } else if (!slot.stdinDone && opts.requestTimeout > 0 && age > opts.requestTimeout) {
        this.core.logger.info('request body not complete within requestTimeout', {
          rule: 'SRV-LIMIT-2',
          requestId: slot.id,
          ...this.peer(),
        });
        if (cycle.response <= ResponseState.Started) this.respondWithoutApp(slot, 408);
        else {
          this.abortRequest(slot);
          cycle.clientDisconnected();
        }
      }
    }
  }

  private peer(): Record<string, unknown> {
    const socket = this.socket;
    return this.unixPath !== null
      ? { peer: `unix:${this.unixPath}` }
      : { peer: `${socket.remoteAddress}:${socket.remotePort}` };
  }
}
