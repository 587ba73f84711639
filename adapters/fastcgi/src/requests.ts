/**
 * The requests of one FastCGI connection, by request id (FastCGI 1.0 sections 5 and 6): a request
 * begins with FCGI_BEGIN_REQUEST (or is refused there), runs its app once FCGI_PARAMS ended, and ends
 * with FCGI_END_REQUEST: when its response is complete, on FCGI_ABORT_REQUEST, when the server
 * answers in the app's place (400, 408, 431), or when its app fails mid-response. Each request is
 * isolated: ending one leaves the others on the connection running.
 *
 * @module
 */
import { CGIExtension, cgiResponseHead, FIXED_RESPONSES, ResponseState } from '@portico/server';
import type { Extensions, HTTPScope, State } from '@portico/spec';
import { scopeFromVariableList } from '@portico/spec';
import type { Connection } from './connection.js';
import { FastCGICycle } from './fcgi-cycle.js';
import { decodeParams, fastcgiExtension, roleName } from './params.js';
import {
  FCGI_AUTHORIZER,
  FCGI_CANT_MPX_CONN,
  FCGI_KEEP_CONN,
  FCGI_OVERLOADED,
  FCGI_REQUEST_COMPLETE,
  FCGI_UNKNOWN_ROLE,
} from './protocol.js';
import { decodeBeginRequest, encodeEndRequest } from './record-codec.js';
import { RequestSlot } from './request-slot.js';

/** The requests in flight on one connection. */
export class Requests {
  private readonly conn: Connection;
  private readonly byId = new Map<number, RequestSlot>();
  /** Requests ended on this connection (`maxRequestsPerConnection`). */
  private served = 0;

  constructor(conn: Connection) {
    this.conn = conn;
  }

  /** How many requests are in flight; more than one: the connection is shared. */
  get size(): number {
    return this.byId.size;
  }

  /** The request in flight with this id, if any. */
  get(id: number): RequestSlot | undefined {
    return this.byId.get(id);
  }

  // ---- records --------------------------------------------------------------------------------

  /** FCGI_BEGIN_REQUEST (section 5.1): a new request, or a refusal with the reason as protocol status. */
  begin(id: number, content: Uint8Array): void {
    const conn = this.conn;
    if (this.byId.has(id)) {
      // `SRV-FCGI-4`: the web server lost track of its own requests; nothing on this connection can be trusted.
      conn.protocolError(`FCGI_BEGIN_REQUEST for request id ${id}, which is in flight`);
      return;
    }
    let role: number;
    let flags: number;
    try {
      ({ role, flags } = decodeBeginRequest(content));
    } catch (err) {
      conn.protocolError((err as Error).message, err);
      return;
    }
    const keepConn = (flags & FCGI_KEEP_CONN) !== 0;
    const core = conn.core;
    let refusal = -1;
    if (!core.opts.multiplex && this.byId.size > 0) refusal = FCGI_CANT_MPX_CONN;
    else if (core.closing || core.inFlight >= core.opts.maxRequests) refusal = FCGI_OVERLOADED;
    else if (roleName(role) === undefined) refusal = FCGI_UNKNOWN_ROLE;
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
        ...conn.peer(),
      });
      conn.writeRaw(encodeEndRequest(id, 0, refusal));
      if (keepConn) conn.maybeClose();
      else conn.closeWhenIdle();
      return;
    }
    this.byId.set(id, new RequestSlot(id, role, keepConn, core.now));
    core.inFlight++;
  }

  /** FCGI_PARAMS (section 5.2): collected until the empty record, which starts the app. */
  params(id: number, content: Uint8Array): void {
    const slot = this.byId.get(id);
    if (slot === undefined || slot.params === null) return;
    if (content.length === 0) {
      this.paramsDone(slot);
      return;
    }
    slot.paramsSize += content.length;
    const core = this.conn.core;
    // `SRV-FCGI-9`: the app is not called; the connection goes on.
    if (slot.paramsSize > core.opts.maxParamsSize) {
      core.logger.warn('FCGI_PARAMS over maxParamsSize: 431', {
        requestId: id,
        maxParamsSize: core.opts.maxParamsSize,
        ...this.conn.peer(),
      });
      this.respondWithoutApp(slot, 431);
      return;
    }
    slot.params.push(content);
  }

  /** The FCGI_PARAMS stream ended: builds the scope and runs the app. */
  private paramsDone(slot: RequestSlot): void {
    const pieces = slot.params!;
    slot.params = null;
    const conn = this.conn;
    const core = conn.core;
    let list: string[];
    let declared: number;
    try {
      ({ list, declared } = decodeParams(pieces));
    } catch (err) {
      this.badParams(slot, err);
      return;
    }
    slot.declared = declared;
    const hasBody = slot.role !== FCGI_AUTHORIZER && declared !== 0;
    // An Authorizer gets no body: Apache's mod_authnz_fcgi sends no FCGI_STDIN at all (section 6.3).
    if (!hasBody) slot.stdinDone = true;
    const extensions: Extensions = {
      'http.response.pathsend': {},
      cgi: new CGIExtension(list, (text: string) => conn.writer.stderr(slot, text)),
      fastcgi: fastcgiExtension(slot, list),
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
      this.badParams(slot, err);
      return;
    }
    const cycle = new FastCGICycle(conn, slot, scope.method === 'HEAD', hasBody);
    slot.cycle = cycle;
    core.running++;
    void cycle.run(core.app, scope, declared);
  }

  /** FCGI_PARAMS that make no request (malformed pairs, CONTENT_LENGTH, no REQUEST_METHOD): 400. */
  private badParams(slot: RequestSlot, err: unknown): void {
    this.conn.core.logger.warn(`bad FCGI_PARAMS: ${(err as Error).message}: 400`, {
      requestId: slot.id,
      ...this.conn.peer(),
    });
    this.respondWithoutApp(slot, 400);
  }

  /** FCGI_DATA (section 6.4): the Filter role's second stream. */
  data(id: number, content: Uint8Array): void {
    const slot = this.byId.get(id);
    if (slot === undefined || slot.data === null) return;
    slot.data.push(content, content.length > 0);
  }

  /** FCGI_ABORT_REQUEST (section 5.4, `SRV-FCGI-6`): the app sees `http.disconnect`; END_REQUEST follows at once. */
  abortFromServer(id: number): void {
    const slot = this.byId.get(id);
    if (slot === undefined) return;
    const conn = this.conn;
    conn.core.logger.debug('FCGI_ABORT_REQUEST', { requestId: id, ...conn.peer() });
    const cycle = slot.cycle;
    conn.writeRaw(encodeEndRequest(id, cycle === null ? 0 : 1, FCGI_REQUEST_COMPLETE));
    this.end(slot);
    if (cycle !== null) cycle.clientDisconnected();
  }

  // ---- ending requests ------------------------------------------------------------------------

  /** Answers a request with one of the server's own responses, without (or instead of) the app. */
  respondWithoutApp(slot: RequestSlot, status: 400 | 408 | 431 | 500): void {
    const fixed = FIXED_RESPONSES[status];
    const cycle = slot.cycle;
    this.conn.writeResponse(slot, cgiResponseHead(status, fixed.headers), fixed.body, true);
    if (cycle !== null) cycle.clientDisconnected();
  }

  /**
   * Ends a response that cannot complete (the app failed mid-response). Alone on its connection the
   * request closes the connection, so the web server sees the response cut short (nginx: "upstream
   * prematurely closed") and does not pass a truncated body on as whole. On a connection shared with
   * other requests it gets FCGI_END_REQUEST with appStatus 1 instead, and the others go on.
   */
  abort(slot: RequestSlot): void {
    const conn = this.conn;
    if (slot.ended || conn.isClosed) return;
    // `SRV-FCGI-11`
    if (this.byId.size <= 1) {
      conn.core.logger.debug('response aborted: closing the connection', {
        requestId: slot.id,
        ...conn.peer(),
      });
      conn.closeSoon();
      this.end(slot);
      return;
    }
    conn.writeRaw(encodeEndRequest(slot.id, 1, FCGI_REQUEST_COMPLETE));
    this.end(slot);
  }

  /** The request's END_REQUEST is out (or the connection is gone): its id is free. */
  end(slot: RequestSlot): void {
    if (slot.ended) return;
    slot.ended = true;
    if (this.byId.get(slot.id) === slot) this.byId.delete(slot.id);
    const conn = this.conn;
    conn.writer.forget(slot);
    const core = conn.core;
    core.inFlight--;
    this.served++;
    slot.data?.close();
    conn.body.release(slot);
    const limit = core.opts.maxRequestsPerConnection;
    if (!slot.keepConn || core.closing || (limit > 0 && this.served >= limit)) conn.closeWhenIdle();
    else conn.maybeClose();
    if (core.onProgress !== null) core.onProgress();
  }

  /** The app of a request settled. */
  settled(_slot: RequestSlot): void {
    const core = this.conn.core;
    core.running--;
    if (core.onProgress !== null) core.onProgress();
  }

  /** The connection closed: every request ends, and apps still responding see the client gone. */
  connectionClosed(): void {
    for (const slot of [...this.byId.values()]) {
      const cycle = slot.cycle;
      this.end(slot);
      if (cycle !== null && cycle.response < ResponseState.Done) cycle.clientDisconnected();
    }
  }

  /** Checks the request timeouts (spec/servers.md SRV-LIMIT-2): 408, or the response cut short. */
  sweep(now: number): void {
    const conn = this.conn;
    const opts = conn.core.opts;
    for (const slot of [...this.byId.values()]) {
      const age = now - slot.began;
      const cycle = slot.cycle;
      if (cycle === null) {
        if (opts.headersTimeout > 0 && age > opts.headersTimeout) {
          conn.core.logger.info('FCGI_PARAMS not complete within headersTimeout: 408', {
            rule: 'SRV-LIMIT-2',
            requestId: slot.id,
            ...conn.peer(),
          });
          this.respondWithoutApp(slot, 408);
        }
      } else if (!slot.stdinDone && opts.requestTimeout > 0 && age > opts.requestTimeout) {
        conn.core.logger.info('request body not complete within requestTimeout', {
          rule: 'SRV-LIMIT-2',
          requestId: slot.id,
          ...conn.peer(),
        });
        if (cycle.response <= ResponseState.Started) this.respondWithoutApp(slot, 408);
        else {
          this.abort(slot);
          cycle.clientDisconnected();
        }
      }
    }
  }
}
