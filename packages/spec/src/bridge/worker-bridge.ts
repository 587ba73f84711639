/**
 * The caller's side of `asyncToSync`: the worker, its port and the calls in flight. Every wait blocks
 * the calling thread with `Atomics.wait` and reads replies with `receiveMessageOnPort`.
 *
 * @module
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { PorticoError } from '../errors.js';
import type { InterfaceName } from '../interface.js';
import type { Environ, ResponseBody, StartResponse } from '../sync-types.js';
import { type Call, type CallMessage, revive, type WorkerMessage } from './async-to-sync-protocol.js';
import { workerURL } from './async-to-sync-worker.js';
import { BridgedBody } from './bridged-body.js';
import { scopeFromEnviron } from './scope-from-environ.js';
import { statusLine } from './status.js';

/** The worker, its port and the calls in flight. */
export class WorkerBridge {
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  private signal: Int32Array | null = null;
  private ready = false;
  private closed = false;
  /** The answer to `shutdown`: `null` when it completed, the failure message otherwise. */
  private closedMessage: string | null | undefined;
  /** A failure that will not go away (load error, lifespan startup failed, closed). */
  private failure: PorticoError | null = null;
  /** Why the last worker died (the next call starts a new one). */
  private crash: Error | null = null;
  private nextId = 1;
  private readonly calls = new Map<number, Call>();

  constructor(
    private readonly url: string,
    private readonly exportName: string | undefined,
    private readonly override: InterfaceName | 'auto',
    private readonly timeout: number,
    private readonly chunkSize: number,
  ) {}

  call(environ: Environ, startResponse: StartResponse): ResponseBody {
    this.ensureWorker();
    const input = environ['portico.input'];
    const contentLength = Number(environ.CONTENT_LENGTH ?? '-1');
    const call: Call = {
      id: this.nextId++,
      input,
      contentLength: Number.isSafeInteger(contentLength) && contentLength >= 0 ? contentLength : -1,
      readBytes: 0,
      inbox: [],
      error: undefined,
    };
    const scope = scopeFromEnviron(environ);
    this.calls.set(call.id, call);
    this.post({
      t: 'call',
      id: call.id,
      scope: { ...scope, state: undefined, extensions: undefined },
    });
    const first = this.next(call, 'http.response.start');
    if (first.t === 'start') {
      try {
        startResponse(statusLine(first.status), first.headers);
      } catch (err) {
        this.abandon(call);
        throw err;
      }
      return new BridgedBody(this, call);
    }
    this.calls.delete(call.id);
    if (first.t === 'error') throw revive(first.error);
    throw new PorticoError(
      'ERR_SPEC_VIOLATION',
      first.t === 'end'
        ? 'the async app returned without sending http.response.start'
        : 'the async app sent http.response.body before http.response.start',
      { side: 'app' },
    );
  }

  /** Blocks until the next event of `call`. */
  next(call: Call, what: string): CallMessage {
    this.pump(() => call.inbox.length > 0 || call.error !== undefined, what, call);
    const message = call.inbox.shift();
    if (message !== undefined) return message;
    this.calls.delete(call.id);
    throw call.error ?? this.stopped();
  }

  /** The caller took a body chunk: the app's `send()` may resolve. */
  ack(call: Call): void {
    this.post({ t: 'ack', id: call.id });
  }

  /** The call is over on the caller's side. */
  forget(call: Call): void {
    this.calls.delete(call.id);
  }

  /** The caller stopped before the end: the app sees `http.disconnect`. */
  abandon(call: Call): void {
    if (this.calls.delete(call.id)) this.post({ t: 'disconnect', id: call.id });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const wasReady = this.worker !== null && this.ready;
    try {
      if (wasReady) {
        this.post({ t: 'shutdown' });
        this.pump(() => this.closedMessage !== undefined, 'lifespan shutdown', null);
      }
    } finally {
      this.failure = new PorticoError('ERR_APP_LOAD', 'asyncToSync: the app was closed');
      this.stop();
    }
    if (typeof this.closedMessage === 'string') {
      throw new PorticoError('ERR_LIFESPAN', `asyncToSync: ${this.closedMessage}`);
    }
  }

  private ensureWorker(): void {
    if (this.failure !== null) throw this.failure;
    if (this.worker === null) this.spawn();
    if (!this.ready) this.pump(() => this.ready || this.failure !== null, 'the app to load', null);
    if (this.failure !== null) throw this.failure;
    if (!this.ready) throw this.stopped();
  }

  private spawn(): void {
    const { port1, port2 } = new MessageChannel();
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(workerURL(), {
      workerData: {
        port: port2,
        signal: signal.buffer,
        url: this.url,
        exportName: this.exportName,
        override: this.override,
      },
      transferList: [port2],
    });
    // Errors reach here only when this thread's event loop runs; the worker also posts them.
    worker.on('error', () => {});
    worker.unref();
    this.worker = worker;
    this.port = port1;
    this.signal = signal;
    this.ready = false;
  }

  /** Why the worker is gone. */
  private stopped(): Error {
    return this.crash ?? new PorticoError('ERR_APP_LOAD', 'asyncToSync: the worker stopped');
  }

  /** Drops the worker (it is terminated, never awaited) and fails the calls in flight. */
  private stop(error?: Error): void {
    this.crash = error ?? null;
    const worker = this.worker;
    this.port?.close();
    this.worker = null;
    this.port = null;
    this.signal = null;
    this.ready = false;
    if (worker !== null) void worker.terminate().catch(() => {});
    const failure = this.stopped();
    for (const call of this.calls.values()) call.error ??= failure;
    this.calls.clear();
  }

  private post(message: unknown, transfer?: ArrayBuffer[]): void {
    this.port?.postMessage(message, transfer);
  }

  /**
   * Reads the worker's messages, blocking this thread with `Atomics.wait` between them, until
   * `done()` holds.
   *
   * @throws PorticoError `ERR_TIMEOUT` when nothing arrives for `timeout` ms (the call, if any, is
   *   abandoned: the app sees `http.disconnect`)
   */
  private pump(done: () => boolean, what: string, call: Call | null): void {
    const deadline = Date.now() + this.timeout;
    for (;;) {
      const port = this.port;
      const signal = this.signal;
      if (port === null || signal === null) return;
      const seen = Atomics.load(signal, 0);
      const received = receiveMessageOnPort(port);
      if (received !== undefined) {
        this.dispatch(received.message as WorkerMessage);
        continue;
      }
      if (done()) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        if (call !== null) this.abandon(call);
        throw new PorticoError(
          'ERR_TIMEOUT',
          `asyncToSync: no answer from the async app within ${this.timeout} ms (waiting for ${what})`,
        );
      }
      Atomics.wait(signal, 0, seen, left);
    }
  }

  private dispatch(message: WorkerMessage): void {
    switch (message.t) {
      case 'ready':
        this.ready = true;
        return;
      case 'closed':
        this.closedMessage = message.error;
        return;
      case 'fatal':
        if (message.kind === 'crash') {
          this.stop(revive(message.error)); // The next call starts a new worker.
          return;
        }
        this.failure = new PorticoError(
          message.kind === 'load' ? 'ERR_APP_LOAD' : 'ERR_LIFESPAN',
          `asyncToSync: ${message.error.message}`,
        );
        this.stop(this.failure);
        return;
      case 'pull':
        this.pull(message.id);
        return;
      default: {
        const call = this.calls.get(message.id);
        if (call !== undefined) call.inbox.push(message);
      }
    }
  }

  /** Serves a `pull`: the next piece of the request body, read from `portico.input`. */
  private pull(id: number): void {
    const call = this.calls.get(id);
    if (call === undefined) {
      this.post({ t: 'disconnect', id });
      return;
    }
    let piece: Uint8Array;
    try {
      const left = call.contentLength < 0 ? this.chunkSize : call.contentLength - call.readBytes;
      piece = left > 0 ? call.input.read(Math.min(this.chunkSize, left)) : new Uint8Array(0);
    } catch (err) {
      call.error = err;
      this.abandon(call);
      return;
    }
    call.readBytes += piece.byteLength;
    const more = piece.byteLength > 0 && (call.contentLength < 0 || call.readBytes < call.contentLength);
    const copy = Uint8Array.prototype.slice.call(piece);
    this.post({ t: 'body', id, body: copy, more }, [copy.buffer as ArrayBuffer]);
  }
}
