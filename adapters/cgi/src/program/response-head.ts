/**
 * The heads a CGI program writes (RFC 3875 section 6; spec/servers.md SRV-CGI-3), other than the
 * document response's `Status:` head, which is `cgiResponseHead` of `@portico/server`:
 * - the **local redirect** (RFC 3875 section 6.2.2): `Location:` with an absolute path and nothing
 *   else, which the web server answers by serving that path instead;
 * - the **NPH** head (RFC 3875 section 5): a whole HTTP/1.1 response head that the web server passes
 *   to the client untouched.
 *
 * @module
 */
import { cgiResponseHead } from '@portico/server';
import type { Header, HeaderList } from '@portico/spec';

const STATUS_PREFIX = 'Status: '.length;

/**
 * The path of a local redirect, or `null`: the app answered status 200 with an empty body and a
 * `location` header holding an absolute path (`/` then not `/`: `//host/p` is a network-path
 * reference, RFC 3986 section 4.2). A 200 with a `Location` means nothing in HTTP; in CGI it is how a
 * program asks the web server to serve another of its paths (Apache's mod_cgi and lighttpd do it).
 */
export function localRedirectPath(status: number, headers: HeaderList, bodyLength: number): string | null {
  if (status !== 200 || bodyLength !== 0) return null;
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i]!;
    if (header[0].length !== 8 || header[0].toLowerCase() !== 'location') continue;
    const value = header[1];
    return value.charCodeAt(0) === 0x2f && value.charCodeAt(1) !== 0x2f ? value : null;
  }
  return null;
}

/**
 * An NPH response head as a byte string: `HTTP/1.1 <status> <reason>`, the app's header fields,
 * `Date` when the app set none (RFC 9110 section 6.6.1: an origin server with a clock sends it), and
 * `Connection: close` when the app set no `Connection` (the body has no chunked framing: an NPH
 * program cannot know the connection's state, so the end of the body is the end of the connection
 * unless the app declared a `Content-Length` and a `Connection` itself). HTTP/1.1 also to an HTTP/1.0
 * client (RFC 9110 section 6.2: the highest minor version the server conforms to).
 */
export function nphResponseHead(status: number, headers: HeaderList, now: Date = new Date()): string {
  let date = false;
  let connection = false;
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i]![0].toLowerCase();
    if (name === 'date') date = true;
    else if (name === 'connection') connection = true;
  }
  const all: Header[] = [...headers];
  if (!date) all.push(['Date', now.toUTCString()]);
  if (!connection) all.push(['Connection', 'close']);
  // `Status: 200 OK\r\n...` with the status line's words: the reason phrases are the same.
  return `HTTP/1.1 ${cgiResponseHead(status, all).slice(STATUS_PREFIX)}`;
}
