/**
 * The short answers a files middleware gives itself (304, 403, 404, 405, 412, 416, 301).
 *
 * @module
 */

import type { Header, Send } from '@portico/spec';

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * Sends a complete response whose body is `text` as `text/plain; charset=utf-8` with its
 * `content-length`; for HEAD, and for 204 and 304, no body and no content headers.
 *
 * @param extra - more headers (`allow`, `location`, `content-range`, validators)
 */
export async function respondText(
  send: Send,
  method: string,
  status: number,
  text: string,
  extra: readonly Header[] = [],
): Promise<void> {
  if (status === 204 || status === 304) {
    await send({ type: 'http.response.start', status, headers: [...extra] });
    await send({ type: 'http.response.body', body: EMPTY });
    return;
  }
  const body = encoder.encode(text);
  await send({
    type: 'http.response.start',
    status,
    headers: [
      ['content-type', 'text/plain; charset=utf-8'],
      ['content-length', String(body.length)],
      ...extra,
    ],
  });
  await send({ type: 'http.response.body', body: method === 'HEAD' ? EMPTY : body });
}
