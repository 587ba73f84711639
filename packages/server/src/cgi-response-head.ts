/**
 * The CGI response head the CGI-family adapters write (RFC 3875 section 6.3; FastCGI 1.0 section
 * 6.2; SCGI): a `Status:` line, the header fields, a blank line. `Status:` is always written
 * (`SRV-FCGI-1`): a web server takes a head with `Location:` and no `Status:` as a local redirect
 * (RFC 3875 section 6.2.2; Apache's mod_proxy_fcgi does an internal redirect), which an app that
 * said 200 never meant.
 *
 * @module
 */

import type { HeaderList } from '@portico/spec';
import { REASON_PHRASES } from './reason-phrases.js';

// `Status:` lines made on first use: a CGI program starts once per request and needs one of them.
const STATUS_LINES = new Map<number, string>();

/**
 * The head as a byte string (one character per byte): `Status: 200 OK\r\n`, each header field
 * `name: value\r\n` in order, names in the app's case (`SRV-FCGI-13`), then `\r\n`. Headers were checked by the cycle (no CR, LF or NUL, only
 * Latin-1: spec/servers.md SRV-SEC-1), so the string maps to bytes one to one.
 */
export function cgiResponseHead(status: number, headers: HeaderList): string {
  let head = STATUS_LINES.get(status);
  if (head === undefined) {
    head = `Status: ${status} ${REASON_PHRASES[status] ?? 'Unknown'}\r\n`;
    if (status >= 100 && status < 600) STATUS_LINES.set(status, head);
  }
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i]!;
    head += `${header[0]}: ${header[1]}\r\n`;
  }
  return `${head}\r\n`;
}
