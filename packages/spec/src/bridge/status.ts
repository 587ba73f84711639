/**
 * The status line of the sync interface (`"200 OK"`) and the status code of the async interface.
 *
 * @module
 */
import { STATUS_CODES } from 'node:http';

/**
 * The status line for a status code: `"404 Not Found"`; codes without a registered reason phrase
 * (RFC 9110 section 15) get `"Unknown"`.
 */
export function statusLine(code: number): string {
  return `${code} ${STATUS_CODES[code] ?? 'Unknown'}`;
}
