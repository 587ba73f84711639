/**
 * The short plain-text answer a middleware gives when it answers a request itself (401, 403, 404,
 * 405, 412, 413, 500...): one place that knows the rules for such an answer.
 *
 * @module
 */

import type { Header, HTTPResponseStartEvent, Send } from '@portico/spec';

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** The two events of a plain-text answer: the start and the one body (already empty where due). */
export interface PlainTextResponse {
  readonly start: HTTPResponseStartEvent;
  readonly body: Uint8Array;
}

/**
 * Builds a complete plain-text response: `status`, `content-type: text/plain; charset=utf-8`,
 * `content-length` (bytes of `text` as UTF-8), then `extraHeaders`, and `text` as the body. For 204
 * and 304 (no content: RFC 9110 sections 15.3.5 and 15.4.5) neither content header is sent and the
 * body is empty; for `HEAD` the headers are those of the GET answer and the body is empty (RFC 9110
 * section 9.3.2).
 *
 * @param method - the request method (`HEAD` gets no body bytes)
 * @param status - the status code
 * @param text - the body text, UTF-8 encoded
 * @param extraHeaders - further headers, after the content headers (`allow`, `location`,
 *   `www-authenticate`, `cache-control`, `connection: close`, `vary`...)
 */
export function plainTextResponse(
  method: string,
  status: number,
  text: string,
  extraHeaders: readonly Header[] = [],
): PlainTextResponse {
  if (status === 204 || status === 304) {
    return { start: { type: 'http.response.start', status, headers: [...extraHeaders] }, body: EMPTY };
  }
  const body = encoder.encode(text);
  const headers: Header[] = [
    ['content-type', 'text/plain; charset=utf-8'],
    ['content-length', String(body.byteLength)],
    ...extraHeaders,
  ];
  return { start: { type: 'http.response.start', status, headers }, body: method === 'HEAD' ? EMPTY : body };
}

/**
 * Sends the plain-text response {@link plainTextResponse} builds: its `http.response.start`, then
 * one `http.response.body` (no `moreBody`).
 *
 * @param send - the server's `send`
 */
export async function sendPlainText(
  send: Send,
  method: string,
  status: number,
  text: string,
  extraHeaders: readonly Header[] = [],
): Promise<void> {
  const { start, body } = plainTextResponse(method, status, text, extraHeaders);
  await send(start);
  await send({ type: 'http.response.body', body });
}
