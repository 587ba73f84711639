/**
 * The request body of a CGI program: exactly CONTENT_LENGTH bytes of standard input (`SRV-CGI-2`),
 * read with `fs.read` on the descriptor in chunks, never past that length, whatever standard input
 * is (a pipe, a file longer than the body, `/dev/null`, a socket shared with standard output as
 * under Apache's mod_cgid). Standard input that ends first is a client that left.
 *
 * Flow control (SRV-FLOW-2): bytes are read when the app asks for them. One exception breaks the
 * deadlock of a web server that writes the whole body before it reads any output (Apache's mod_cgi):
 * while a write to standard output is in flight, the body is read ahead into a {@link Spool}
 * (memory, then a temp file), so the web server can finish writing and go on to read the response;
 * once the response is complete, the rest is read and dropped while output is still in flight.
 *
 * A read runs on libuv's thread pool, and cannot be cancelled: when the app answered without reading
 * the whole body, a read already in flight holds the process's exit (libuv joins its threads) until
 * the web server sends more or closes standard input. No read is started after the response is
 * complete unless output is still in flight, so this is at most one read.
 *
 * @module
 */
import { read } from 'node:fs';
import type { Logger } from '@portico/server';
import type { Output } from './output.js';
import { Spool } from './spool.js';

const EMPTY = new Uint8Array(0);

/** Largest read, and largest piece handed to the app: 64 KiB. */
const CHUNK = 64 * 1024;
/** Read-ahead bytes kept in memory before the spool moves to a temp file: 1 MiB. */
const SPOOL_MEMORY = 1024 * 1024;
/** Longest wait between retries of a read that found nothing on a non-blocking descriptor, ms. */
const MAX_RETRY_DELAY = 16;

/** Where the body goes: the request cycle. */
export interface BodySink {
  readonly clientGone: boolean;
  pushBody(chunk: Uint8Array, more: boolean): void;
  clientDisconnected(): void;
}

/** The request body on standard input; see the module comment. */
export class StdinBody {
  private readonly fd: number;
  private readonly sink: BodySink;
  private readonly output: Output;
  private readonly logger: Logger;
  private readonly tmpdir: string;
  /** Bytes of the body not yet read from the descriptor. */
  private remaining: number;
  /** A body of no declared length ended while its last piece was not asked for yet. */
  private endPending = false;
  /** The app is waiting for body bytes (reading started and not paused). */
  private wanted = false;
  /** A read is in flight. */
  private reading = false;
  /** The app will not read any more: what is read is dropped. */
  private discarding = false;
  /** Reading stopped for good (standard input ended, or the response's way out failed). */
  private stopped = false;
  private spool: Spool | null = null;
  private retryDelay = 0;

  constructor(fd: number, length: number, sink: BodySink, output: Output, logger: Logger, tmpdir: string) {
    this.fd = fd;
    // -1: no length, standard input to its end (Apache's chunked uploads).
    this.remaining = length < 0 ? Number.POSITIVE_INFINITY : length;
    this.sink = sink;
    this.output = output;
    this.logger = logger;
    this.tmpdir = tmpdir;
  }

  /** The app asked for body bytes. */
  resume(): void {
    this.wanted = true;
    this.pump();
  }

  /** The app has a piece it did not take yet: read no more for it. */
  pause(): void {
    this.wanted = false;
  }

  /** The app will not read any more (the response is complete or aborted). */
  discard(): void {
    this.wanted = false;
    this.discarding = true;
    this.spool?.close();
    this.spool = null;
    this.pump();
  }

  /** Stops reading for good. */
  stop(): void {
    this.stopped = true;
    this.wanted = false;
    this.spool?.close();
    this.spool = null;
  }

  /** Output started or finished a write: read ahead while it is in flight. */
  outputChanged(): void {
    if (this.output.busy) this.pump();
  }

  private pump(): void {
    if (this.stopped || this.sink.clientGone) return;
    const spool = this.spool;
    while (this.wanted && spool !== null && spool.size > 0) {
      const piece = spool.shift(CHUNK);
      this.sink.pushBody(piece, this.remaining > 0 || spool.size > 0 || this.endPending);
    }
    if (this.endPending && this.wanted && (spool === null || spool.size === 0) && !this.discarding) {
      this.endPending = false;
      this.sink.pushBody(EMPTY, false);
    }
    if (this.reading || this.remaining === 0) return;
    if (this.wanted || this.output.busy) this.read();
  }

  private read(): void {
    this.reading = true;
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, this.remaining));
    read(this.fd, buffer, 0, buffer.length, null, (err, n) => this.onRead(err, n, buffer));
  }

  private onRead(err: NodeJS.ErrnoException | null, n: number, buffer: Buffer): void {
    this.reading = false;
    if (this.stopped) return;
    if (err !== null && (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK')) {
      // A non-blocking descriptor with nothing to read yet (mod_cgid's socket may be one).
      this.retryDelay = this.retryDelay === 0 ? 1 : Math.min(this.retryDelay * 2, MAX_RETRY_DELAY);
      this.reading = true;
      setTimeout(() => {
        this.reading = false;
        this.pump();
      }, this.retryDelay);
      return;
    }
    this.retryDelay = 0;
    if (err === null && n === 0 && this.remaining === Number.POSITIVE_INFINITY) {
      // The end of a body of no declared length.
      this.remaining = 0;
      this.endPending = true;
      this.pump();
      return;
    }
    if (err !== null || n === 0) {
      this.endedShort(err);
      return;
    }
    this.remaining -= n;
    const chunk = n === buffer.length ? buffer : buffer.subarray(0, n);
    if (!this.discarding && !this.sink.clientGone) {
      if (this.wanted && (this.spool === null || this.spool.size === 0)) {
        this.sink.pushBody(chunk, this.remaining > 0);
      } else {
        this.spool ??= new Spool(SPOOL_MEMORY, this.tmpdir);
        this.spool.push(chunk);
      }
    }
    this.pump();
  }

  /** `SRV-CGI-2`: standard input ended (or failed) before CONTENT_LENGTH bytes: the client left. */
  private endedShort(err: NodeJS.ErrnoException | null): void {
    const missing = this.remaining;
    this.remaining = 0;
    this.stop();
    if (this.discarding) {
      this.logger.debug('standard input ended short of CONTENT_LENGTH after the response', { missing });
      return;
    }
    this.logger.info('standard input ended short of CONTENT_LENGTH: the client is gone', {
      rule: 'SRV-CGI-2',
      missing,
      ...(err === null ? {} : { error: err.code ?? err.message }),
    });
    this.sink.clientDisconnected();
  }
}
