/**
 * Reading the request body in a middleware and handing the same bytes on to the app (a replayable
 * `receive`), with a size limit.
 *
 * @module
 */

import { type HeaderList, PorticoError, type Receive, type ReceiveEvent } from '@portico/spec';
import { headerValues } from '../shared/headers.js';

/** Options of {@link bufferBody}. */
export interface BufferBodyOptions {
  /** The most body bytes to hold; over it the read stops and throws. Required, an integer >= 0. */
  limit: number;
  /**
   * The request headers, to refuse at once (before reading) a `content-length` over `limit`.
   * Optional: without them the limit is checked while reading.
   */
  headers?: HeaderList;
}

/** What {@link bufferBody} read. */
export interface BufferedBody {
  /** The whole body (empty when the client disconnected before sending it all). */
  readonly body: Uint8Array;
  /** Whether the client disconnected while the body was read (`http.disconnect` came first). */
  readonly disconnected: boolean;
  /**
   * A `receive` for the app: it returns the `http.request` events that were read, in order and as
   * they came (same bytes, same `moreBody`), then, when the client disconnected during the read,
   * `http.disconnect`; after that it calls the original `receive`, so a disconnect that comes later
   * reaches the app too.
   */
  readonly receive: Receive;
}

/**
 * The error of a request body over `limit` bytes: `ERR_BODY_TOO_LARGE`, status 413, exposed (its
 * message may be shown to the client). Shared with `bodyLimit()`. @internal
 */
export function tooLarge(limit: number): PorticoError {
  return new PorticoError('ERR_BODY_TOO_LARGE', `request body is larger than ${limit} bytes`, {
    status: 413,
    expose: true,
  });
}

/**
 * Whether a `content-length` field in `headers` declares more than `limit` bytes (a value that is
 * not a decimal number, surrounding whitespace allowed, is left to the server). @internal
 */
export function declaresOver(headers: HeaderList | undefined, limit: number): boolean {
  return headerValues(headers, 'content-length').some((v) => /^\s*[0-9]+\s*$/.test(v) && Number(v) > limit);
}

/**
 * Reads the whole request body from `receive` (http scope) and returns it with a replayable
 * `receive` that gives the app the same events. Reading stops at the first byte over `limit`: the
 * rest of the body is not read.
 *
 * @param receive - the `receive` of an http scope, not yet read from
 * @param options - `limit` in bytes; `headers` to check `content-length` before reading
 * @throws PorticoError `ERR_BODY_TOO_LARGE` (status 413, exposed) when the body (or its declared
 *   `content-length`) is over `limit`; `ERR_INVALID_OPTION` when `limit` is not an integer >= 0
 */
export async function bufferBody(receive: Receive, options: BufferBodyOptions): Promise<BufferedBody> {
  const { limit } = options;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new PorticoError('ERR_INVALID_OPTION', `option limit must be an integer >= 0: ${String(limit)}`);
  }
  if (declaresOver(options.headers, limit)) throw tooLarge(limit);
  const events: ReceiveEvent[] = [];
  const chunks: Uint8Array[] = [];
  let size = 0;
  let disconnected = false;
  for (;;) {
    const event = await receive();
    if (event.type === 'http.disconnect') {
      disconnected = true;
      events.push(event);
      break;
    }
    if (event.type !== 'http.request') {
      events.push(event); // not ours: handed on as it is
      continue;
    }
    size += event.body.byteLength;
    if (size > limit) throw tooLarge(limit);
    events.push(event);
    if (event.body.byteLength > 0) chunks.push(event.body);
    if (!event.moreBody) break;
  }
  const body = disconnected ? new Uint8Array(0) : concat(chunks, size);
  let next = 0;
  return {
    body,
    disconnected,
    receive: async function replayReceive() {
      if (next < events.length) return events[next++] as ReceiveEvent;
      return receive();
    },
  };
}

/**
 * A replayable `receive`: {@link bufferBody} when only the app needs the bytes again.
 *
 * @throws as {@link bufferBody}
 */
export async function replayableReceive(receive: Receive, options: BufferBodyOptions): Promise<Receive> {
  return (await bufferBody(receive, options)).receive;
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
