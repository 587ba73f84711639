/**
 * Sending a sync app's response through the async interface's `send()`: the status and headers
 * before the first non-empty chunk, each chunk awaited (backpressure), `close()` in the run in which
 * iteration stopped (spec/sync.md section 9).
 *
 * @module
 */
import type { HTTPResponseStartEvent, Send } from '../async-types.js';
import { printable } from '../errors.js';
import type { ErrorStream, ResponseBody } from '../sync-types.js';
import { violation } from '../validator/violation.js';
import { FileWrapperBody } from './file-wrapper.js';
import type { ResponseState } from './start-response.js';

const EMPTY = new Uint8Array(0);
const ARRAY_ITERATOR = Array.prototype[Symbol.iterator];

/** The `http.response.start` event; marks it sent. */
function startEvent(res: ResponseState): HTTPResponseStartEvent {
  if (res.status === 0) {
    throw violation(
      'SYNC-START-4',
      'app',
      'the body produced a chunk, or ended, before startResponse was called',
    );
  }
  res.started = true;
  return { type: 'http.response.start', status: res.status, headers: res.headers };
}

function checkChunk(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw violation('SYNC-BODY-2', 'app', 'the body yielded something other than a Uint8Array', chunk);
}

/**
 * The common case of {@link streamResponse}, decided without any wait: `body` is a plain array
 * (the array iterator, no `close`) of exactly one non-empty Uint8Array, `startResponse` was called
 * and nothing was queued by `write()`. Returns that chunk, with the response marked final (the
 * caller then sends the start event and the chunk with `moreBody: false`, exactly what
 * {@link streamResponse} would send), or `null` when `body` must go through {@link streamResponse}.
 */
export function singleChunk(body: ResponseBody, res: ResponseState): Uint8Array | null {
  if (
    !Array.isArray(body) ||
    body.length !== 1 ||
    res.status === 0 ||
    res.queue !== null ||
    body[Symbol.iterator] !== ARRAY_ITERATOR ||
    typeof (body as { close?: unknown }).close === 'function'
  ) {
    return null;
  }
  const chunk: unknown = body[0];
  if (!(chunk instanceof Uint8Array) || chunk.byteLength === 0) return null;
  res.headersSent = true;
  res.finished = true;
  res.started = true;
  return chunk;
}

/**
 * Streams `body` (what the sync app returned) through `send`, awaiting each `send()`, so nothing
 * more is asked of the body while the server is busy. Chunks queued by `write()` go out, in order,
 * before the body's next chunk.
 *
 * - An array (with the array iterator) holds every chunk already, so looking one ahead runs no app
 *   code: its last chunk goes out with `moreBody: false`, and a one-chunk body is exactly one start
 *   and one body event.
 * - Any other iterable is not looked ahead: each chunk is sent before the next is asked for, so it is
 *   on the wire while the body computes the next (spec/sync.md section 9), and an empty event with
 *   `moreBody: false` ends the body.
 * - A `FileWrapperBody` with a known path goes out as `http.response.pathsend` when the server
 *   offers that extension and nothing was written through `write()`.
 *
 * `close()` is called exactly once, in the run in which iteration stopped, before any wait
 * (SYNC-BODY-5, SYNC-BODY-6): right after `next()` returned `done` or threw, or after the iterator's
 * `return()` when the bridge stops early because `send()` rejected (SYNC-BODY-7). An error thrown by
 * the app, `send()` or `close()` is rethrown after that (the first one; later ones go to `errors`).
 * A chunk the app did not produce in time is never sent after an error: when nothing went out yet,
 * the server can still answer 500.
 *
 * @throws PorticoError `ERR_SPEC_VIOLATION` (side `app`) for a body that is not an iterable of
 *   Uint8Array or chunks produced before startResponse; whatever the app or `send()` throws
 */
export async function streamResponse(
  body: ResponseBody,
  res: ResponseState,
  send: Send,
  pathsend: boolean,
  errors: ErrorStream,
): Promise<void> {
  let iterator: Iterator<Uint8Array> | undefined;
  let exhausted = false;
  let closed = false;
  let failed = false;
  let error: unknown;
  try {
    if (body === null || typeof body !== 'object' || typeof body[Symbol.iterator] !== 'function') {
      exhausted = true;
      throw violation('SYNC-BODY-1', 'app', 'the app must return an iterable of Uint8Array', body);
    }
    if (pathsend && body instanceof FileWrapperBody && body.path !== null && res.queue === null) {
      exhausted = true;
      closed = true;
      res.finished = true;
      body.close();
      if (!res.started) await send(startEvent(res));
      await send({ type: 'http.response.pathsend', path: body.path });
    } else if (Array.isArray(body) && body[Symbol.iterator] === ARRAY_ITERATOR) {
      // Every chunk is already here: iteration is over before the first send.
      exhausted = true;
      closed = true;
      closeBody(body);
      let held: Uint8Array | null = null;
      const queue = res.queue;
      res.queue = null;
      if (queue !== null) held = await sendHoldingLast(queue, res, send);
      for (let i = 0; i < body.length; i++) {
        const chunk = checkChunk(body[i]);
        if (chunk.byteLength === 0) continue;
        if (res.status === 0) startEvent(res); // throws
        res.headersSent = true;
        if (held !== null) {
          if (!res.started) await send(startEvent(res));
          await send({ type: 'http.response.body', body: held, moreBody: true });
        }
        held = chunk;
      }
      res.finished = true;
      if (!res.started) await send(startEvent(res));
      await send({ type: 'http.response.body', body: held ?? EMPTY, moreBody: false });
    } else {
      iterator = body[Symbol.iterator]();
      for (;;) {
        let step: IteratorResult<Uint8Array>;
        try {
          step = iterator.next();
        } catch (err) {
          exhausted = true;
          throw err;
        }
        if (step.done === true) {
          exhausted = true;
          closed = true;
          closeBody(body);
        }
        if (res.queue !== null) {
          const queue = res.queue;
          res.queue = null;
          for (const written of queue) {
            if (!res.started) await send(startEvent(res));
            await send({ type: 'http.response.body', body: written, moreBody: true });
          }
        }
        if (step.done === true) break;
        const chunk = checkChunk(step.value);
        if (chunk.byteLength === 0) continue;
        if (!res.started) await send(startEvent(res));
        res.headersSent = true;
        await send({ type: 'http.response.body', body: chunk, moreBody: true });
      }
      res.finished = true;
      if (!res.started) await send(startEvent(res));
      await send({ type: 'http.response.body', body: EMPTY, moreBody: false });
    }
  } catch (err) {
    failed = true;
    error = err;
  } finally {
    res.finished = true;
    if (!exhausted && iterator !== undefined && typeof iterator.return === 'function') {
      try {
        iterator.return();
      } catch (err) {
        if (!failed) {
          failed = true;
          error = err;
        } else report(errors, "the body iterator's return() threw", err);
      }
    }
    if (!closed) {
      try {
        closeBody(body);
      } catch (err) {
        if (!failed) {
          failed = true;
          error = err;
        } else report(errors, "the body's close() threw", err);
      }
    }
  }
  if (failed) throw error;
}

/** Sends the chunks `write()` queued but the last, which it returns, held back (the array path). */
async function sendHoldingLast(
  queue: readonly Uint8Array[],
  res: ResponseState,
  send: Send,
): Promise<Uint8Array | null> {
  let held: Uint8Array | null = null;
  for (const chunk of queue) {
    if (held !== null) {
      if (!res.started) await send(startEvent(res));
      await send({ type: 'http.response.body', body: held, moreBody: true });
    }
    held = chunk;
  }
  return held;
}

function closeBody(body: ResponseBody): void {
  if (body !== null && typeof body === 'object' && typeof body.close === 'function') body.close();
}

function report(errors: ErrorStream, what: string, err: unknown): void {
  try {
    errors.write(
      `portico: ${what} after an earlier error: ${err instanceof Error ? (err.stack ?? err.message) : printable(err)}\n`,
    );
  } catch {
    // The error stream failed too: nothing more to do.
  }
}
