/**
 * One SCGI connection: one request (SCGI section 2). The head is parsed by {@link SCGIHeadParser};
 * the body, exactly CONTENT_LENGTH bytes, is streamed to the app with backpressure; the response is
 * written CGI-style ({@link SCGICycle}) and the connection closed.
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { CycleContext } from '@portico/server';
import { CGIExtension, cgiResponseHead, FIXED_RESPONSES, ResponseState } from '@portico/server';
import type { AsyncApp, HTTPScope, State } from '@portico/spec';
import { isPorticoError, scopeFromVariableList, thrownMessage } from '@portico/spec';
import { type SCGIHead, SCGIHeadParser } from './netstring.js';
import type { ResolvedOptions } from './options.js';
import { SCGICycle } from './scgi-cycle.js';

/** What every connection of a server shares. */
export interface Core extends CycleContext {
  readonly opts: ResolvedOptions;
  readonly app: AsyncApp;
  readonly lifespanState: State | null;
  readonly connections: Set<Connection>;
  /** Requests whose app has not settled. */
  running: number;
  closing: boolean;
  /** A coarse clock (ms), advanced by the server's sweep. */
  now: number;
  onProgress: (() => void) | null;
}

/** One SCGI connection and its one request. */
export class Connection {
  readonly socket: Socket;
  readonly core: Core;
  /** When the connection was accepted, on the coarse clock. */
  readonly began: number;
  /** Last I/O on the coarse clock. */
  lastIO: number;
  private readonly unixPath: string | null;
  private parser: SCGIHeadParser | null;
  private cycle: SCGICycle | null = null;
  /** Body bytes still to come (CONTENT_LENGTH minus what arrived). */
  private remaining = 0;

  constructor(core: Core, socket: Socket, unixPath: string | null) {
    this.socket = socket;
    this.core = core;
    this.unixPath = unixPath;
    this.parser = new SCGIHeadParser(core.opts.maxHeaderSize);
    this.began = core.now;
    this.lastIO = core.now;
    // noDelay is set by the server on accept.
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => this.cycle?.drained());
    socket.on('error', (err) =>
      core.logger.debug('connection error', { error: err.message, ...this.peer() }),
    );
    socket.on('close', () => this.onClose());
  }

  /** Whether the head is still being read. */
  get readingHead(): boolean {
    return this.parser !== null;
  }

  /** Whether the body is still being received. */
  get readingBody(): boolean {
    return this.cycle !== null && this.remaining > 0 && !this.cycle.clientGone;
  }

  private onData(chunk: Buffer): void {
    this.lastIO = this.core.now;
    const parser = this.parser;
    if (parser === null) {
      this.body(chunk);
      return;
    }
    let parsed: ReturnType<SCGIHeadParser['push']>;
    try {
      parsed = parser.push(chunk);
    } catch (err) {
      this.refuseHead(err);
      return;
    }
    if (parsed === null) return;
    this.parser = null;
    this.begin(parsed.head, parsed.rest);
  }

  private begin(head: SCGIHead, rest: Uint8Array): void {
    const core = this.core;
    this.remaining = head.contentLength;
    if (!head.scgiHeader) {
      core.logger.debug(
        'SCGI request without an SCGI header (nginx without scgi_params): accepted',
        this.peer(),
      );
    }
    const state = core.lifespanState === null ? ({} as State) : { ...core.lifespanState };
    const extensions = { 'http.response.pathsend': {}, cgi: new CGIExtension(head.list) };
    const rootPath = core.opts.rootPath;
    // `SRV-SCGI-5`: scopeFromVariableList keeps the last value of a name sent twice, and makes
    // repeated HTTP_* names repeated headers.
    let scope: HTTPScope;
    try {
      scope = scopeFromVariableList(
        head.list,
        rootPath === null ? { state, extensions } : { state, extensions, rootPath },
      );
    } catch (err) {
      // `SRV-SCGI-2`: variables a scope cannot be built from (no REQUEST_METHOD): 400.
      core.logger.warn(`bad SCGI request: ${(err as Error).message}: 400`, this.peer());
      this.respondWithoutApp(400);
      return;
    }
    const cycle = new SCGICycle(this, scope.method === 'HEAD', head.contentLength > 0);
    this.cycle = cycle;
    core.running++;
    void cycle.run(core.app, scope, head.contentLength);
    if (rest.length > 0) this.body(rest);
  }

  private body(chunk: Uint8Array): void {
    // `SRV-SCGI-3`: exactly CONTENT_LENGTH bytes reach the app; what comes after is ignored.
    if (this.remaining <= 0 || this.cycle === null) return;
    const piece = chunk.length > this.remaining ? chunk.subarray(0, this.remaining) : chunk;
    this.remaining -= piece.length;
    this.cycle.pushBody(piece, this.remaining > 0);
  }

  /** The response is complete: the rest of the body is not wanted (the connection closes after it). */
  bodyDiscarded(): void {
    this.remaining = 0;
    this.socket.resume();
  }

  private onEnd(): void {
    // The web server closed its side. Before the whole head, or short of CONTENT_LENGTH, the request
    // is incomplete: the client is gone. After it the response is still wanted (a half-close).
    if (this.parser !== null) {
      this.core.logger.debug('connection closed before a complete SCGI head', this.peer());
      this.socket.destroy();
      return;
    }
    if (this.remaining > 0 && this.cycle !== null && this.cycle.response < ResponseState.Done) {
      this.core.logger.info('SCGI body ended short of CONTENT_LENGTH: the client is gone', {
        missing: this.remaining,
        ...this.peer(),
      });
      this.remaining = 0;
      this.cycle.clientDisconnected();
      this.socket.destroy();
    }
  }

  private onClose(): void {
    this.core.connections.delete(this);
    const cycle = this.cycle;
    if (cycle !== null && cycle.response < ResponseState.Done) cycle.clientDisconnected();
    if (this.core.onProgress !== null) this.core.onProgress();
  }

  /** `SRV-SCGI-1`, `SRV-SCGI-2`: a head that is not SCGI is answered 400 (or 431) and closed, the reason logged. */
  private refuseHead(err: unknown): void {
    this.parser = null;
    const status = isPorticoError(err) && err.status === 431 ? 431 : 400;
    const message = thrownMessage(err);
    if (isPorticoError(err, 'ERR_SCGI_BAD_NETSTRING')) {
      this.core.logger.warn(`bad SCGI request: ${message}: ${status}`, this.peer());
    } else this.core.logger.error(`SCGI request failed: ${message}`, { error: err, ...this.peer() });
    this.respondWithoutApp(status);
  }

  private respondWithoutApp(status: 400 | 408 | 431): void {
    const fixed = FIXED_RESPONSES[status];
    this.socket.end(
      Buffer.concat([Buffer.from(cgiResponseHead(status, fixed.headers), 'latin1'), fixed.body]),
    );
  }

  /** The server's sweep found a timeout expired (SRV-LIMIT-2): 408, or the connection closed. */
  timedOut(what: string): void {
    this.core.logger.info(`${what}: 408`, { rule: 'SRV-LIMIT-2', ...this.peer() });
    const cycle = this.cycle;
    if (cycle === null) {
      this.parser = null;
      this.respondWithoutApp(408);
      return;
    }
    this.remaining = 0;
    cycle.timedOut();
  }

  /** Closes at once (the shutdown timeout expired). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Shutdown: a connection still reading its head is closed; one with a request finishes it. */
  closeWhenIdle(): void {
    if (this.parser !== null) this.socket.destroy();
  }

  /** Checks headersTimeout, requestTimeout and idleTimeout (SRV-LIMIT-2); called by the sweep. */
  sweep(now: number): void {
    const opts = this.core.opts;
    const age = now - this.began;
    if (this.parser !== null) {
      if (opts.headersTimeout > 0 && age > opts.headersTimeout)
        this.timedOut('SCGI head not complete within headersTimeout');
      return;
    }
    if (this.readingBody && opts.requestTimeout > 0 && age > opts.requestTimeout) {
      this.timedOut('SCGI body not complete within requestTimeout');
      return;
    }
    if (opts.idleTimeout > 0 && now - this.lastIO > opts.idleTimeout && !this.socket.destroyed) {
      this.core.logger.info('connection idle: closed', { rule: 'SRV-LIMIT-2', ...this.peer() });
      this.socket.destroy();
    }
  }

  /** For the access log and errors: where the request came from. */
  peer(): Record<string, unknown> {
    const socket = this.socket;
    return this.unixPath !== null
      ? { peer: `unix:${this.unixPath}` }
      : { peer: `${socket.remoteAddress}:${socket.remotePort}` };
  }
}
