/**
 * A response read as it is sent: the head first, then the body one event at a time.
 *
 * @module
 */

import type { HeaderList } from '@portico/spec';
import type { HTTPExchange } from './exchange.js';
import { ResponseHead, TestResponse } from './response.js';
import { concat, handled } from './util.js';

/**
 * A streaming response, handed over at `http.response.start`. Iterate it (`for await`) to take the
 * body chunks exactly as the app sent them: one `Uint8Array` per `http.response.body` event (empty
 * ones included). The app's `send()` of a chunk resolves only when the test has taken that chunk, so
 * app and test run in lockstep (backpressure with no buffer); a test that stops reading holds the
 * app at its next `send()` until it {@link StreamingResponse.disconnect}s.
 *
 * The iteration ends when the app has settled after the body; it throws what the request failed
 * with (the validator's violation, or the app's error when `raiseAppErrors`). Leaving a
 * `for await` loop early (`break`) disconnects. One reader at a time.
 */
export class StreamingResponse extends ResponseHead implements AsyncIterable<Uint8Array> {
  readonly #exchange: HTTPExchange;
  readonly #finished: Promise<void>;

  /** @internal Made by the client at `http.response.start`. */
  constructor(exchange: HTTPExchange) {
    super(exchange.status, exchange.headers, exchange.earlyHints);
    this.#exchange = exchange;
    this.#finished = handled(
      exchange.settled.promise.then(() => {
        const f = exchange.failure();
        if (f !== undefined) throw f;
      }),
    );
  }

  /** The trailers the app sent, or `null`; known once the body has been read to its end. */
  get trailers(): HeaderList | null {
    return this.#exchange.trailers;
  }

  /**
   * Settles when the app's call settles: rejects with the request's failure (a violation, or the
   * app's error when `raiseAppErrors`). Read or disconnect first: the app may be waiting for the test
   * to take a chunk.
   */
  get finished(): Promise<void> {
    return this.#finished;
  }

  /**
   * The client leaves mid-response (a browser tab closed): the app's next `receive()` returns
   * `http.disconnect`, and its next `send()` (or the one waiting for the test) rejects with
   * `ERR_CLIENT_DISCONNECTED`. Unread chunks are dropped and the iteration ends. An
   * `ERR_CLIENT_DISCONNECTED` the app then throws does not fail {@link StreamingResponse.finished}.
   */
  disconnect(): void {
    this.#exchange.disconnect();
  }

  /** Iterates over the body chunks; see the class comment. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const exchange = this.#exchange;
    let done = false;
    return {
      async next(): Promise<IteratorResult<Uint8Array>> {
        if (done) return { done: true, value: undefined };
        const chunk = await exchange.nextChunk().catch((err: unknown) => {
          done = true;
          throw err;
        });
        if (chunk === null) {
          done = true;
          return { done: true, value: undefined };
        }
        return { done: false, value: chunk };
      },
      async return(): Promise<IteratorResult<Uint8Array>> {
        if (!done) {
          done = true;
          if (!exchange.isSettled) exchange.disconnect();
        }
        return { done: true, value: undefined };
      },
    };
  }

  /**
   * Reads the rest of the body and returns the whole response (the chunks already taken are not in
   * it).
   *
   * @throws what the request failed with, as the iteration does
   */
  async readAll(): Promise<TestResponse> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this) chunks.push(chunk);
    return new TestResponse(this.status, this.headers, concat(chunks), this.trailers, this.earlyHints);
  }
}
