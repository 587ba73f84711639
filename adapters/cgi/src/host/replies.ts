/**
 * The host's own answers (404, 502, 504, ...): a fixed plain-text body and nothing of the reason,
 * which goes to the log (spec/servers.md section 7).
 *
 * @module
 */
import { STATUS_CODES } from 'node:http';
import type { Header, Send } from '@portico/spec';
import { isPorticoError } from '@portico/spec';

const encoder = new TextEncoder();

/**
 * Answers `status` with a short text body; extra `headers` (a `location`) go first. A client that
 * already left is not an error here.
 */
export async function reply(send: Send, status: number, headers: readonly Header[] = []): Promise<void> {
  const body = encoder.encode(`${status} ${STATUS_CODES[status] ?? 'Error'}\n`);
  try {
    await send({
      type: 'http.response.start',
      status,
      headers: [
        ...headers,
        ['content-type', 'text/plain; charset=utf-8'],
        ['content-length', String(body.length)],
      ],
    });
    await send({ type: 'http.response.body', body });
  } catch (err) {
    if (!isPorticoError(err, 'ERR_CLIENT_DISCONNECTED')) throw err;
  }
}
