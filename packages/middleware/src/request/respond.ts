/**
 * The short plain-text answer a request-side middleware gives when it answers a request itself.
 *
 * @module
 */

import type { Header, Send } from '@portico/spec';

const encoder = new TextEncoder();

/**
 * Sends a complete response: `status`, `content-type: text/plain; charset=utf-8`, `content-length`,
 * the `extra` headers, and `text` as the body (no body bytes for `HEAD` and for 204/304).
 *
 * @param send - the server's `send`
 * @param method - the request method (`HEAD` gets no body bytes)
 * @param status - the status code
 * @param text - the body text, UTF-8 encoded
 * @param extra - further headers (e.g. `location`, `connection: close`)
 */
export async function sendText(
  send: Send,
  method: string,
  status: number,
  text: string,
  extra: readonly Header[] = [],
): Promise<void> {
  const empty = status === 204 || status === 304;
  const body = empty ? new Uint8Array(0) : encoder.encode(text);
  const headers: Header[] = empty
    ? [...extra]
    : [['content-type', 'text/plain; charset=utf-8'], ['content-length', String(body.byteLength)], ...extra];
  await send({ type: 'http.response.start', status, headers });
  await send({ type: 'http.response.body', body: method === 'HEAD' ? new Uint8Array(0) : body });
}

/** The first value of header `name` (lowercase) in `headers`, or `undefined`. */
export function firstHeader(headers: readonly Header[], name: string): string | undefined {
  for (const [n, v] of headers) if (n === name) return v;
  return undefined;
}

/** Every value of header `name` (lowercase), joined with `", "`; `undefined` when absent. */
export function joinedHeader(headers: readonly Header[], name: string): string | undefined {
  let out: string | undefined;
  for (const [n, v] of headers) if (n === name) out = out === undefined ? v : `${out}, ${v}`;
  return out;
}
