/**
 * The SCGI request head (Neil Schemenauer, "SCGI: A Simple Common Gateway Interface alternative",
 * 2008-06-23, section 3): a netstring `<length>:<headers>,` whose content is NUL-terminated name and
 * value pairs, the first `CONTENT_LENGTH`. Pure and synchronous over byte buffers, no I/O:
 * {@link SCGIHeadParser} takes the bytes of a connection in any chunking; {@link encodeSCGIHead}
 * builds a head (for clients and tests).
 *
 * @module
 */
import { PorticoError } from '@portico/spec';

/** The error for bytes that are not an SCGI request head (`ERR_SCGI_BAD_NETSTRING`). */
export function badNetstring(message: string, status: 400 | 431 = 400): PorticoError {
  return new PorticoError('ERR_SCGI_BAD_NETSTRING', message, { status });
}

/** A parsed request head. */
export interface SCGIHead {
  /** The header pairs as a flat list `[name0, value0, name1, value1, ...]` of byte strings. */
  readonly list: string[];
  /** `CONTENT_LENGTH`: the body's length in bytes. */
  readonly contentLength: number;
  /** Whether an `SCGI` header was present (it must be `1` when it is). */
  readonly scgiHeader: boolean;
}

const COLON = 0x3a;
const COMMA = 0x2c;
const ZERO = 0x30;
const NINE = 0x39;
const EMPTY = new Uint8Array(0);

/**
 * Incremental parser of one request head. `push()` returns `null` until the head is complete, then
 * the head and the bytes after it (the start of the body).
 *
 * Rules (spec section 3, and the netstring format it names): the length has no leading zero and
 * only ASCII digits, at most as many as `maxHeaderSize` has; `:` follows it; the content is exactly
 * that many bytes, an even number of NUL-terminated strings; `,` ends it. The first name is
 * `CONTENT_LENGTH` with a non-empty decimal value; `SCGI`, when present, is `1` (nginx omits it when
 * `scgi_params` is not included: a missing `SCGI` is accepted, {@link SCGIHead.scgiHeader} says so).
 */
export class SCGIHeadParser {
  private readonly maxHeaderSize: number;
  private readonly maxDigits: number;
  private length = -1;
  private digits = 0;
  private block: Uint8Array | null = null;
  private fill = 0;
  private done = false;

  /** @param maxHeaderSize - largest header block (the netstring's content), bytes; larger gets 431 */
  constructor(maxHeaderSize: number) {
    this.maxHeaderSize = maxHeaderSize;
    this.maxDigits = String(maxHeaderSize).length;
  }

  /**
   * Takes the next bytes of the connection.
   *
   * @returns `null` while the head is incomplete; then the head and the rest of `chunk`
   * @throws PorticoError `ERR_SCGI_BAD_NETSTRING` with `status` 400 (malformed) or 431 (over
   *   `maxHeaderSize`), naming what was wrong
   */
  push(chunk: Uint8Array): { head: SCGIHead; rest: Uint8Array } | null {
    if (this.done) throw badNetstring('the request head was already complete');
    let at = 0;
    const end = chunk.length;
    // The length digits.
    while (this.block === null) {
      if (at >= end) return null;
      const c = chunk[at++]!;
      if (c >= ZERO && c <= NINE) {
        if (this.digits === 1 && this.length === 0)
          throw badNetstring('netstring length with a leading zero');
        if (++this.digits > this.maxDigits) {
          throw badNetstring(`netstring length has more than ${this.maxDigits} digits`, 431);
        }
        this.length = (this.length < 0 ? 0 : this.length * 10) + (c - ZERO);
        continue;
      }
      if (c !== COLON) {
        throw badNetstring(
          this.digits === 0
            ? `request does not start with a netstring length (byte 0x${c.toString(16).padStart(2, '0')})`
            : `netstring length not followed by ":" (byte 0x${c.toString(16).padStart(2, '0')})`,
        );
      }
      if (this.digits === 0) throw badNetstring('netstring without a length');
      if (this.length > this.maxHeaderSize) {
        throw badNetstring(
          `header block of ${this.length} bytes, over maxHeaderSize ${this.maxHeaderSize}`,
          431,
        );
      }
      // The common case: the whole netstring is in this chunk; it is parsed where it is, uncopied.
      if (end - at > this.length) {
        const close = at + this.length;
        if (chunk[close] !== COMMA) throw badNetstring('netstring not ended by ","');
        this.done = true;
        return {
          head: parseHeaders(chunk.subarray(at, close)),
          rest: close + 1 < end ? chunk.subarray(close + 1) : EMPTY,
        };
      }
      // One byte more for the comma.
      this.block = new Uint8Array(this.length + 1);
    }
    const block = this.block;
    const n = Math.min(block.length - this.fill, end - at);
    block.set(chunk.subarray(at, at + n), this.fill);
    this.fill += n;
    at += n;
    if (this.fill < block.length) return null;
    if (block[block.length - 1] !== COMMA) throw badNetstring('netstring not ended by ","');
    this.done = true;
    return {
      head: parseHeaders(block.subarray(0, block.length - 1)),
      rest: at < end ? chunk.subarray(at) : EMPTY,
    };
  }
}

/** Splits the netstring content into NUL-terminated pairs and checks CONTENT_LENGTH and SCGI. */
function parseHeaders(content: Uint8Array): SCGIHead {
  const buf = Buffer.from(content.buffer, content.byteOffset, content.length);
  const text = buf.toString('latin1');
  const list: string[] = [];
  let at = 0;
  while (at < text.length) {
    const nameEnd = text.indexOf('\0', at);
    if (nameEnd < 0) throw badNetstring('header name not terminated by NUL');
    if (nameEnd === at) throw badNetstring('empty header name');
    const valueEnd = text.indexOf('\0', nameEnd + 1);
    if (valueEnd < 0)
      throw badNetstring(`value of ${JSON.stringify(text.slice(at, nameEnd))} not terminated by NUL`);
    list.push(text.slice(at, nameEnd), text.slice(nameEnd + 1, valueEnd));
    at = valueEnd + 1;
  }
  if (list[0] !== 'CONTENT_LENGTH') {
    throw badNetstring(
      list.length === 0
        ? 'empty header block: CONTENT_LENGTH missing'
        : `first header is ${JSON.stringify(list[0])}, not CONTENT_LENGTH`,
    );
  }
  const length = list[1]!;
  if (!/^[0-9]{1,15}$/.test(length))
    throw badNetstring(`CONTENT_LENGTH ${JSON.stringify(length)} is not a number`);
  let scgiHeader = false;
  for (let i = 2; i < list.length; i += 2) {
    if (list[i] !== 'SCGI') continue;
    if (list[i + 1] !== '1') throw badNetstring(`SCGI header is ${JSON.stringify(list[i + 1])}, not "1"`);
    scgiHeader = true;
  }
  return { list, contentLength: Number(length), scgiHeader };
}

/**
 * Encodes a request head: the netstring of NUL-terminated pairs. `CONTENT_LENGTH` is put first
 * (with `contentLength`) and `SCGI` `1` second; other `CONTENT_LENGTH`/`SCGI` entries of `headers`
 * are left out.
 *
 * @param headers - name-value pairs, byte strings (U+0000..U+00FF, no NUL)
 * @throws PorticoError `ERR_SCGI_BAD_NETSTRING` for a name or value holding NUL or a character over U+00FF
 */
export function encodeSCGIHead(headers: Iterable<readonly [string, string]>, contentLength: number): Buffer {
  let text = `CONTENT_LENGTH\0${contentLength}\0SCGI\x001\0`;
  for (const [name, value] of headers) {
    if (name === 'CONTENT_LENGTH' || name === 'SCGI') continue;
    if (name === '' || /[\0\u0100-\uffff]/.test(name) || /[\0\u0100-\uffff]/.test(value))
      throw badNetstring(
        `header ${JSON.stringify(name)} has an empty name, a NUL or a character over U+00FF`,
      );
    text += `${name}\0${value}\0`;
  }
  const block = Buffer.from(text, 'latin1');
  return Buffer.concat([Buffer.from(`${block.length}:`, 'latin1'), block, Buffer.from(',', 'latin1')]);
}
