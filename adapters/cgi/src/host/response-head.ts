/**
 * A CGI program's response head (RFC 3875 section 6), pure and synchronous over byte buffers, no
 * I/O: {@link CGIHeadParser} takes the program's standard output in any chunking and returns the
 * head once its blank line arrived, with the bytes after it (the start of the body).
 *
 * What is refused (`ERR_CGI_BAD_RESPONSE`, answered `502`, spec/servers.md SRV-CGI-8): a head over
 * the size limit, output that ends before the blank line, a line that is not `name: value` (no colon,
 * a name that is not a token, a folded continuation line, a CR or NUL inside), a `Status` that is
 * not a three-digit code in 200..599, a CGI field (`Status`, `Location`, `Content-Type`) given twice
 * or none of them at all (RFC 3875 section 6.3: "At least one CGI field MUST be supplied; each CGI
 * field MUST NOT appear more than once"), a `Content-Length` that is not one decimal number, and
 * `Transfer-Encoding` (the program would be framing the body itself; Apache answers 502 too). Lines
 * end with LF or CRLF.
 *
 * @module
 */
import type { Header } from '@portico/spec';
import { isHeaderName, isHeaderValue, PorticoError } from '@portico/spec';

/** The error for program output that is not a CGI response (`ERR_CGI_BAD_RESPONSE`, status 502). */
export function badResponse(message: string): PorticoError {
  return new PorticoError('ERR_CGI_BAD_RESPONSE', message, { status: 502, rule: 'SRV-CGI-8' });
}

/** A parsed response head: what the host does with it (RFC 3875 section 6.2). */
export type CGIHead =
  | {
      /** A document response or a client redirect: answer `status` with `headers`. */
      readonly kind: 'document';
      /** `Status`, or 302 for a client redirect (`Location` with an absolute URI), else 200. */
      readonly status: number;
      /** Every field but `Status`, in order, names as the program wrote them. */
      readonly headers: readonly Header[];
      /** `Content-Length` when the program gave one, else -1. */
      readonly contentLength: number;
    }
  | {
      /** A local redirect (section 6.2.2): `Location` with an absolute path and no `Status`. */
      readonly kind: 'local-redirect';
      /** The `Location` value: an absolute path with an optional `?query` (a byte string). */
      readonly location: string;
    };

const LF = 0x0a;
const EMPTY = new Uint8Array(0);

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/**
 * Incremental parser of one response head. `push()` returns `null` until the blank line that ends
 * the head arrived, then the head and the rest of that chunk; `end()` is called when the output ends
 * first. Both throw `ERR_CGI_BAD_RESPONSE` for output that is not a CGI response head.
 */
export class CGIHeadParser {
  readonly #maxHeaderSize: number;
  readonly #lines: string[] = [];
  #pending = '';
  #size = 0;

  /** @param maxHeaderSize - largest head, bytes, line ends and the blank line included */
  constructor(maxHeaderSize: number) {
    this.#maxHeaderSize = maxHeaderSize;
  }

  /** The number of head bytes taken so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Takes the next bytes of the program's output.
   *
   * @returns `null` while the head is incomplete; then the head and the body bytes that followed it
   * @throws PorticoError `ERR_CGI_BAD_RESPONSE` for a head over the limit or not CGI headers
   */
  push(chunk: Uint8Array): { head: CGIHead; rest: Uint8Array } | null {
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      const end = lf < 0 ? chunk.length : lf + 1;
      this.#size += end - start;
      if (this.#size > this.#maxHeaderSize)
        throw badResponse(`response head over ${this.#maxHeaderSize} bytes`);
      if (lf < 0) {
        this.#pending += latin1(chunk, start, chunk.length);
        return null;
      }
      let line = this.#pending + latin1(chunk, start, lf);
      this.#pending = '';
      start = lf + 1;
      if (line.charCodeAt(line.length - 1) === 0x0d) line = line.slice(0, -1);
      if (line === '') {
        const rest = start === chunk.length ? EMPTY : chunk.subarray(start);
        return { head: parseHead(this.#lines), rest };
      }
      this.#lines.push(line);
    }
  }

  /**
   * The output ended before the head did.
   *
   * @throws PorticoError `ERR_CGI_BAD_RESPONSE`, always: no output at all, or a head without its end
   */
  end(): never {
    throw badResponse(this.#size === 0 ? 'program ended without output' : 'response head did not end');
  }
}

// `Status: 200 OK`, or `Status: 200` (Apache accepts a code without a reason phrase).
const STATUS = /^([0-9]{3})(?:[ \t].*)?$/;
const DECIMAL = /^[0-9]{1,15}$/;

function trimOWS(value: string): string {
  let a = 0;
  let b = value.length;
  while (a < b && (value.charCodeAt(a) === 0x20 || value.charCodeAt(a) === 0x09)) a++;
  while (b > a && (value.charCodeAt(b - 1) === 0x20 || value.charCodeAt(b - 1) === 0x09)) b--;
  return value.slice(a, b);
}

/**
 * Parses the lines of a complete head (without their line ends and without the blank line).
 *
 * @throws PorticoError `ERR_CGI_BAD_RESPONSE` as the module comment says
 */
export function parseHead(lines: readonly string[]): CGIHead {
  const headers: Header[] = [];
  let status = -1;
  let location: string | null = null;
  let contentType = false;
  let contentLength = -1;
  for (const line of lines) {
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) throw badResponse('folded header line in response head');
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon);
    if (!isHeaderName(name))
      throw badResponse(`response head line is not a header field: ${JSON.stringify(line.slice(0, 80))}`);
    const value = trimOWS(line.slice(colon + 1));
    if (!isHeaderValue(value)) throw badResponse(`header ${name} has a CR or NUL in its value`);
    switch (name.toLowerCase()) {
      case 'status': {
        if (status !== -1) throw badResponse('Status given twice');
        const m = STATUS.exec(value);
        const code = m === null ? Number.NaN : Number(m[1]);
        if (!(code >= 200 && code <= 599))
          throw badResponse(`Status is not a three-digit code in 200..599: ${JSON.stringify(value)}`);
        status = code;
        continue;
      }
      case 'location':
        if (location !== null) throw badResponse('Location given twice');
        location = value;
        break;
      case 'content-type':
        if (contentType) throw badResponse('Content-Type given twice');
        contentType = true;
        break;
      case 'content-length':
        if (contentLength !== -1 || !DECIMAL.test(value))
          throw badResponse(`Content-Length is not one decimal number: ${JSON.stringify(value)}`);
        contentLength = Number(value);
        break;
      case 'transfer-encoding':
        throw badResponse('Transfer-Encoding in a CGI response');
    }
    headers.push([name, value]);
  }
  if (status === -1 && location === null && !contentType)
    throw badResponse('response head has no Status, Location or Content-Type');
  if (status === -1 && location !== null) {
    // RFC 3875 section 6.2.2: an absolute path (not `//host`, a network-path reference) is local.
    if (location.charCodeAt(0) === 0x2f && location.charCodeAt(1) !== 0x2f)
      return { kind: 'local-redirect', location };
    status = 302; // section 6.2.3: a client redirect
  }
  return { kind: 'document', status: status === -1 ? 200 : status, headers, contentLength };
}
