/**
 * Portico's own SCGI client: the web-server side of SCGI (Neil Schemenauer, "SCGI: A Simple Common
 * Gateway Interface alternative", 2008-06-23), for tests, the soak test and tools. One request per
 * connection: the head ({@link encodeSCGIHead}) and the body go out, the response is read until the
 * application closes the connection, and its CGI head is parsed the way a web server does (RFC 3875
 * section 6.2).
 *
 * @module
 */
import { connect, type Socket } from 'node:net';
import { encodeSCGIHead } from './netstring.js';

/** Where an SCGI application listens: TCP (host defaults to 127.0.0.1) or a unix socket. */
export type SCGIAddress = { host?: string; port: number } | { path: string };

/** One request to send. */
export interface SCGIRequest {
  /**
   * The header block's variables (`REQUEST_METHOD`, `REQUEST_URI`, `HTTP_*`, ...), byte strings
   * (U+0000..U+00FF, no NUL), in order; a name may repeat. `CONTENT_LENGTH` (the body's length, or
   * {@link contentLength}) and `SCGI` `1` are put first; entries of those names here are left out.
   */
  headers: Iterable<readonly [string, string]> | Record<string, string>;
  /** The body. Each piece is written separately, after the previous one was handed to the kernel. Default: none. */
  body?: Uint8Array | Uint8Array[];
  /**
   * The `CONTENT_LENGTH` to declare, bytes, when it should differ from the body's length (a body
   * shorter than declared, bytes after the body). Default: the body's length.
   */
  contentLength?: number;
  /** Bytes sent instead of an encoded head (for bad-input tests); the body pieces follow them. */
  raw?: Uint8Array;
  /** Shut down the sending side once the request is written (a half-close, as some web servers do). Default `false`. */
  halfClose?: boolean;
}

/** The parsed CGI head of a response (RFC 3875 section 6). */
export interface CGIResponseHead {
  /**
   * The HTTP status a web server would send: from the `Status` header; else 302 for a `Location`
   * holding an absolute URL (a client redirect, section 6.2.3); else 200. 502 when the bytes hold
   * no complete, well-formed CGI head (a line without a colon, no blank line, a `Status` that is
   * not three digits).
   */
  status: number;
  /** The head's header lines in order, names as sent, values without surrounding blanks; `Status` included. */
  headers: [string, string][];
  /** The bytes after the blank line that ends the head (all of them when there is no head). */
  body: Buffer;
}

/** An SCGI response: its parsed head and everything the application sent. */
export interface SCGIResponse extends CGIResponseHead {
  /** Every byte received before the application closed the connection. */
  raw: Buffer;
}

const ABSOLUTE_URL = /^[A-Za-z][A-Za-z0-9+.-]*:/;
/** Blanks around a header value (spaces and tabs only: `trim()` would also eat U+00A0, a Latin-1 byte). */
const OWS_EDGES = /^[ \t]+|[ \t]+$/g;

/**
 * Parses the CGI head at the start of a response (RFC 3875 section 6.2-6.3): header lines up to a
 * blank line, each ended by CRLF or LF. See {@link CGIResponseHead.status} for how the status is found.
 */
export function parseCGIResponse(bytes: Buffer): CGIResponseHead {
  const headers: [string, string][] = [];
  let at = 0;
  for (;;) {
    const lf = bytes.indexOf(0x0a, at);
    if (lf === -1) return { status: 502, headers: [], body: bytes };
    const lineEnd = lf > at && bytes[lf - 1] === 0x0d ? lf - 1 : lf;
    const line = bytes.toString('latin1', at, lineEnd);
    at = lf + 1;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) return { status: 502, headers, body: bytes.subarray(at) };
    headers.push([line.slice(0, colon), line.slice(colon + 1).replace(OWS_EDGES, '')]);
  }
  const body = bytes.subarray(at);
  const status = headers.find(([name]) => name.toLowerCase() === 'status')?.[1];
  if (status !== undefined) {
    const match = /^(\d{3})(?:[ \t]|$)/.exec(status);
    return { status: match === null ? 502 : Number(match[1]), headers, body };
  }
  const location = headers.find(([name]) => name.toLowerCase() === 'location')?.[1];
  return { status: location !== undefined && ABSOLUTE_URL.test(location) ? 302 : 200, headers, body };
}

function entries(headers: SCGIRequest['headers']): Iterable<readonly [string, string]> {
  return Symbol.iterator in headers
    ? (headers as Iterable<readonly [string, string]>)
    : Object.entries(headers);
}

function write(socket: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    // A write error is the connection's: it ends the exchange through 'error' and 'close'.
    socket.write(bytes, () => resolve());
  });
}

/**
 * Sends one SCGI request and resolves with the response once the application closed the
 * connection (SCGI section 2: one request per connection, the server closes it after the
 * response).
 *
 * @param address - `{ port, host? }` (host default `127.0.0.1`) or `{ path }` for a unix socket
 * @param request - the head's variables and the body; see {@link SCGIRequest}
 * @returns the parsed CGI head, the body after it, and every byte received (`raw`). A connection
 *   that the application resets after sending something still resolves with what came (a cut
 *   response looks like one to a web server).
 * @throws Error (rejects) the connection error (ECONNREFUSED, ENOENT, ECONNRESET, ...) when it
 *   comes before any byte of a response
 * @throws PorticoError `ERR_SCGI_BAD_NETSTRING` (rejects) when a name is empty or a name or value
 *   holds NUL or a character over U+00FF
 */
export function scgiRequest(address: SCGIAddress, request: SCGIRequest): Promise<SCGIResponse> {
  return new Promise((resolve, reject) => {
    const pieces = (
      request.body === undefined ? [] : Array.isArray(request.body) ? request.body : [request.body]
    ).filter((p) => p.length > 0);
    let head: Uint8Array;
    try {
      head =
        request.raw ??
        encodeSCGIHead(
          entries(request.headers),
          request.contentLength ?? pieces.reduce((n, p) => n + p.length, 0),
        );
    } catch (err) {
      reject(err);
      return;
    }
    const socket =
      'path' in address
        ? connect({ path: address.path })
        : connect({ port: address.port, host: address.host ?? '127.0.0.1' });
    socket.setNoDelay(true);
    const received: Buffer[] = [];
    let failure: Error | undefined;
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (err) => {
      failure ??= err;
    });
    socket.once('close', () => {
      const raw = Buffer.concat(received);
      if (failure !== undefined && raw.length === 0) reject(failure);
      else resolve({ ...parseCGIResponse(raw), raw });
    });
    socket.once('connect', async () => {
      await write(socket, head);
      for (const piece of pieces) {
        if (socket.destroyed) return;
        await write(socket, piece);
      }
      if (request.halfClose === true && !socket.destroyed) socket.end();
    });
  });
}
