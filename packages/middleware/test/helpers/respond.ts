/** Whole responses for the test apps: one start with its length, one body. */

import type { Header, Send } from '@portico/spec';

const encoder = new TextEncoder();

/**
 * Sends `status`, `content-length` (and `content-type` when given), then `body` (a string is sent
 * as its UTF-8 bytes) as the one body event.
 */
export async function sendWhole(
  send: Send,
  status: number,
  body: string | Uint8Array,
  contentType?: string,
): Promise<void> {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  const headers: Header[] = contentType === undefined ? [] : [['content-type', contentType]];
  headers.push(['content-length', String(bytes.length)]);
  await send({ type: 'http.response.start', status, headers });
  await send({ type: 'http.response.body', body: bytes });
}

/** Sends `value` as a `200 application/json` response with its length. */
export function sendJson(send: Send, value: unknown): Promise<void> {
  return sendWhole(send, 200, JSON.stringify(value), 'application/json');
}
