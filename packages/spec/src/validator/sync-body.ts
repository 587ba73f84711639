/**
 * The sync validator's body wrapper (spec/sync.md "The response body"): checks what the app yields
 * (app side) and how the server iterates and closes the body (server side).
 *
 * How `close()` is checked deterministically: the wrapper notes the moment iteration stops (next()
 * returned done, next() threw, or the server called the iterator's return()) and queues a microtask;
 * if `close()` has not been called by the time it runs, the server did not close the body in the run
 * in which iteration stopped (SYNC-BODY-6). A server that drops a body without ever calling next(),
 * return() or close() gives no such moment and is not detected (spec/sync.md, "Validator limits").
 *
 * @module
 */
import type { ResponseBody } from '../sync-types.js';
import { isIterable } from './sync-environ.js';
import type { SyncExchange } from './sync-exchange.js';

/** Checks the app's return value (SYNC-BODY-1); wraps it when it is an iterable. */
export function checkBody(result: unknown, exchange: SyncExchange): ResponseBody {
  if (
    !isIterable(result) ||
    typeof result !== 'object' ||
    ArrayBuffer.isView(result) ||
    ('close' in result && result.close !== undefined && typeof result.close !== 'function')
  ) {
    exchange.report(
      'SYNC-BODY-1',
      'app',
      'the app returned something other than an iterable object of chunks (with close() a function when present)',
      result,
    );
    return result as ResponseBody;
  }
  return new CheckedBody(result as ResponseBody, exchange);
}

/** The checked body the server sees: an iterable of chunks with `close()`. */
class CheckedBody implements Iterable<Uint8Array> {
  readonly #body: ResponseBody;
  readonly #ex: SyncExchange;
  #iterator: Iterator<Uint8Array> | undefined;
  /** next() was called at least once. */
  #started = false;
  /** Iteration stopped: done, next() threw, or return() was called. */
  #stopped = false;
  #closed = false;

  constructor(body: ResponseBody, exchange: SyncExchange) {
    this.#body = body;
    this.#ex = exchange;
  }

  [Symbol.iterator](): IterableIterator<Uint8Array> {
    const report = this.#ex.report;
    if (this.#closed) report('SYNC-BODY-5', 'server', 'the body was iterated after close()');
    if (this.#iterator !== undefined) report('SYNC-BODY-4', 'server', 'the body was iterated a second time');
    const iterator = this.#body[Symbol.iterator]();
    this.#iterator = iterator;
    return {
      next: () => this.#next(iterator),
      return: (value?: unknown) => this.#return(iterator, value),
      [Symbol.iterator]() {
        return this;
      },
    };
  }

  #next(iterator: Iterator<Uint8Array>): IteratorResult<Uint8Array> {
    const ex = this.#ex;
    if (this.#closed)
      ex.report('SYNC-BODY-5', 'server', "next() was called on the body's iterator after close()");
    this.#started = true;
    let result: IteratorResult<Uint8Array>;
    try {
      ex.enterApp();
      result = iterator.next();
      ex.rethrowSwallowed();
      if (ex.rethrown) {
        ex.rethrown = false;
        ex.report(
          'SYNC-START-5',
          'app',
          'the body caught the error startResponse threw for excInfo and carried on',
        );
      }
      if (typeof result !== 'object' || result === null) {
        ex.report('SYNC-BODY-2', 'app', "the body's iterator returned a non-object from next()", result);
        return result;
      }
      if (result.done === true) {
        if (!this.#stopped) {
          this.#stop();
          ex.ended();
        }
        return result;
      }
      const chunk: unknown = result.value;
      if (!(chunk instanceof Uint8Array)) {
        ex.report(
          'SYNC-BODY-2',
          'app',
          typeof chunk === 'string'
            ? 'the body yielded a string; chunks are bytes (encode it, e.g. with TextEncoder)'
            : 'the body yielded a chunk that is not a Uint8Array',
          chunk,
        );
        return result;
      }
      if (ex.startCalls === 0) {
        ex.report('SYNC-START-4', 'app', 'the body yielded a chunk before startResponse was called', chunk);
      }
      ex.produced(chunk);
      return result;
    } catch (error) {
      this.#stop();
      throw error;
    }
  }

  #return(iterator: Iterator<Uint8Array>, value: unknown): IteratorResult<Uint8Array> {
    if (this.#closed)
      this.#ex.report('SYNC-BODY-5', 'server', "return() was called on the body's iterator after close()");
    this.#stop();
    const result = iterator.return?.(value);
    return result ?? { done: true, value: undefined };
  }

  /** Notes that iteration stopped and checks, one microtask later, that close() followed (SYNC-BODY-6). */
  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#closed) return;
    queueMicrotask(() => {
      if (!this.#closed) {
        this.#ex.report(
          'SYNC-BODY-6',
          'server',
          'the server stopped iterating the body and did not call close() before it waited for anything else',
        );
      }
    });
  }

  /** Closes the app's body (when it has close()), then checks the server's part (SYNC-BODY-5, SYNC-BODY-7). */
  close(): void {
    const report = this.#ex.report;
    if (this.#closed) {
      report('SYNC-BODY-5', 'server', 'close() was called a second time');
      return;
    }
    this.#closed = true;
    const abandoned = this.#started && !this.#stopped;
    const body = this.#body;
    try {
      if (typeof body.close === 'function') body.close();
    } finally {
      if (abandoned) {
        report(
          'SYNC-BODY-7',
          'server',
          "the server stopped iterating before the end and closed the body without calling the iterator's return()",
        );
      }
    }
  }
}
