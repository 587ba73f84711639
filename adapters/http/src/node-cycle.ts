/**
 * The request cycle on node:http: the wire operations {@link RequestCycle} needs, on an
 * `IncomingMessage` / `ServerResponse` pair.
 *
 * @module
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { RequestCycle, withHeader } from '@portico/server';
import type { HeaderList } from '@portico/spec';
import { type Connection, type Core, removeActive } from './core.js';

const EMPTY = new Uint8Array(0);

/** One request on node:http. */
export class NodeCycle extends RequestCycle {
  // Declared here, set in the constructor (plain stores: see RequestBodyCycle in @portico/server).
  declare private onDrain: (() => void) | null;
  declare private received: number;
  declare private readonly core: Core;
  declare private readonly conn: Connection;
  declare private readonly req: IncomingMessage;
  declare private readonly res: ServerResponse;
  declare private readonly expectContinue: boolean;
  declare private readonly requestLength: number;

  constructor(
    core: Core,
    conn: Connection,
    req: IncomingMessage,
    res: ServerResponse,
    isHead: boolean,
    hasBody: boolean,
    trailersOffered: boolean,
    expectContinue: boolean,
    requestLength: number,
  ) {
    super(core, isHead, hasBody, trailersOffered);
    this.onDrain = null;
    this.received = 0;
    this.core = core;
    this.conn = conn;
    this.req = req;
    this.res = res;
    this.expectContinue = expectContinue;
    this.requestLength = requestLength;
  }

  protected writeHead(status: number, headers: HeaderList, body: Uint8Array, end: boolean): boolean {
    const res = this.res;
    // `SRV-STOP-3`: once the server is closing, every response ends its connection.
    if (this.core.closing) headers = withHeader(headers, 'connection', 'close');
    // node:http takes a list of [name, value] pairs as is (duplicates kept); the cycle has checked them.
    res.writeHead(status, headers as unknown as OutgoingHttpHeaders);
    if (end) {
      if (body.length > 0) res.end(body);
      else res.end();
      return true;
    }
    if (body.length === 0) {
      res.flushHeaders();
      return true;
    }
    return res.write(body);
  }

  protected writeBody(chunk: Uint8Array, end: boolean): boolean {
    if (end) {
      if (chunk.length > 0) this.res.end(chunk);
      else this.res.end();
      return true;
    }
    return chunk.length === 0 ? true : this.res.write(chunk);
  }

  protected writeTrailers(headers: HeaderList): void {
    // Trailers need chunked coding; node drops them otherwise (HTTP/1.0, or a content-length set).
    this.res.addTrailers(headers as unknown as [string, string][]);
    this.res.end();
  }

  protected writeEarlyHints(headers: HeaderList): void {
    // No 1xx to an HTTP/1.0 client (RFC 9110 section 15.2): the extension is not offered there.
    if (this.req.httpVersionMajor === 1 && this.req.httpVersionMinor === 0) return;
    // node writes a 103 only when there is a Link header; one without it tells the client nothing.
    const hints: Record<string, string | string[]> = {};
    for (const [name, value] of headers) {
      const key = name.toLowerCase();
      const prev = hints[key];
      if (prev === undefined) hints[key] = key === 'link' ? [value] : value;
      else if (Array.isArray(prev)) prev.push(value);
      else hints[key] = `${prev}, ${value}`;
    }
    this.res.writeEarlyHints(hints);
  }

  protected awaitDrain(): void {
    if (this.onDrain === null) this.onDrain = () => this.drained();
    this.res.once('drain', this.onDrain);
  }

  protected startReading(): void {
    // 100-continue (`SRV-REQ-6`): the client waits for it before sending the body; send it only now
    // that the app asks for the body, so an app that answers at once never receives it.
    if (this.expectContinue && !this.res.headersSent) this.res.writeContinue();
    const req = this.req;
    req.on('data', (chunk: Buffer) => this.onData(chunk));
    req.on('end', () => this.pushBody(EMPTY, false));
  }

  private onData(chunk: Buffer): void {
    this.received += chunk.length;
    // With a Content-Length the last chunk is known: mark it, so the app needs no extra receive().
    this.pushBody(chunk, this.requestLength < 0 || this.received < this.requestLength);
  }

  protected override discardBody(): void {
    // Let node read the rest of the body off the connection and drop it, so that the next request
    // on a keep-alive connection can be parsed (maxBodySize still applies: a declared length was
    // checked, and requestTimeout bounds a chunked one).
    const req = this.req;
    req.removeAllListeners('data');
    req.removeAllListeners('end');
    req.resume();
  }

  protected pauseReading(): void {
    this.req.pause();
  }

  protected resumeReading(): void {
    this.req.resume();
  }

  protected abortConnection(): void {
    // What was written goes out first (node corks the socket until the next tick), then the
    // connection is closed without the rest: no last chunk, or short of content-length.
    const socket = this.req.socket;
    while (socket.writableCorked > 0) socket.uncork();
    socket.destroy();
  }

  protected override finished(): void {
    const core = this.core;
    core.inFlight--;
    const busy = removeActive(this.conn, this);
    if (core.closing) {
      // `SRV-STOP-3`: a keep-alive response that started before close() still ends its connection;
      // end() sends FIN after what is queued, so the response is not cut.
      if (!busy && !this.conn.socket.destroyed) this.conn.socket.end();
      if (core.onProgress !== null) core.onProgress();
    }
  }
}
