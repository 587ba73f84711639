/**
 * The request body: what a test may give, and how it becomes `http.request` events.
 *
 * @module
 */

import type { HTTPRequestEvent } from '@portico/spec';
import { PorticoError } from '@portico/spec';
import { EMPTY, utf8Encoder } from './util.js';

/**
 * A request body: a string (sent as its UTF-8 bytes), bytes, or an async iterable of chunks
 * (bytes or strings), each sent as one `http.request` event with `moreBody: true`, followed by an
 * empty one with `moreBody: false` when the iterable ends (as uvicorn does at the end of a message).
 */
export type RequestBody = string | Uint8Array | AsyncIterable<Uint8Array | string>;

/** Where a request's `http.request` events come from. */
export interface BodySource {
  /** Body length in bytes when known up front (for `content-length`), else `null` (chunked). */
  readonly length: number | null;
  /** The next event; the one with `moreBody: false` is the last. */
  next(): Promise<HTTPRequestEvent> | HTTPRequestEvent;
  /** Stops pulling from the test's iterable (the client went away). */
  cancel(): void;
}

const LAST_EMPTY: HTTPRequestEvent = { type: 'http.request', body: EMPTY, moreBody: false };

function whole(bytes: Uint8Array): BodySource {
  return {
    length: bytes.byteLength,
    next: () => ({ type: 'http.request', body: bytes, moreBody: false }),
    cancel() {},
  };
}

function chunked(iterable: AsyncIterable<Uint8Array | string>): BodySource {
  let iterator: AsyncIterator<Uint8Array | string> | null = null;
  return {
    length: null,
    async next() {
      iterator ??= iterable[Symbol.asyncIterator]();
      const r = await iterator.next();
      if (r.done === true) return LAST_EMPTY;
      const chunk = r.value;
      if (typeof chunk === 'string')
        return { type: 'http.request', body: utf8Encoder.encode(chunk), moreBody: true };
      if (!(chunk instanceof Uint8Array)) {
        throw new PorticoError(
          'ERR_INVALID_OPTION',
          `request body chunks must be Uint8Array or string, got ${chunk === null ? 'null' : typeof chunk}`,
        );
      }
      return { type: 'http.request', body: chunk, moreBody: true };
    },
    cancel() {
      const it = iterator;
      iterator = null;
      if (it?.return !== undefined) it.return().catch(() => {});
    },
  };
}

/** The events of a request without a body: one empty `http.request` with `moreBody: false`. */
export const NO_BODY: BodySource = { length: null, next: () => LAST_EMPTY, cancel() {} };

/**
 * Makes the body source of a request from the `body` / `json` options (at most one of them).
 *
 * @throws PorticoError `ERR_INVALID_OPTION` when both are given, or `body` has another type
 */
export function bodySource(body: unknown, json: unknown, hasJson: boolean): BodySource {
  if (hasJson) {
    if (body !== undefined)
      throw new PorticoError('ERR_INVALID_OPTION', 'give either body or json, not both');
    const text = JSON.stringify(json);
    if (text === undefined) throw new PorticoError('ERR_INVALID_OPTION', 'json value is not serializable');
    return whole(utf8Encoder.encode(text));
  }
  if (body === undefined) return NO_BODY;
  if (typeof body === 'string') return whole(utf8Encoder.encode(body));
  if (body instanceof Uint8Array) return whole(body);
  if (typeof body === 'object' && body !== null && Symbol.asyncIterator in body) {
    return chunked(body as AsyncIterable<Uint8Array | string>);
  }
  throw new PorticoError(
    'ERR_INVALID_OPTION',
    'body must be a string, a Uint8Array or an AsyncIterable of chunks (use the json option for objects)',
  );
}
