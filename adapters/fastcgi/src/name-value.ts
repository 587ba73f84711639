/**
 * FastCGI name-value pairs (FastCGI 1.0 section 3.4): the content of `FCGI_PARAMS`,
 * `FCGI_GET_VALUES` and `FCGI_GET_VALUES_RESULT`. Each length is one byte when under 128, else four
 * bytes with the high bit set (31 bits). Names and values are byte strings: each byte is one
 * character U+0000..U+00FF (Latin-1), so no byte is lost or altered.
 *
 * @module
 */
import { badRecord } from './record-codec.js';

/** A decoded pair: name and value as byte strings. */
export type NameValuePair = readonly [name: string, value: string];

const LATIN1 = 'latin1';

function lengthSize(n: number): number {
  return n < 128 ? 1 : 4;
}

function writeLength(into: Uint8Array, at: number, n: number): number {
  if (n < 128) {
    into[at] = n;
    return at + 1;
  }
  into[at] = (n >>> 24) | 0x80;
  into[at + 1] = (n >>> 16) & 0xff;
  into[at + 2] = (n >>> 8) & 0xff;
  into[at + 3] = n & 0xff;
  return at + 4;
}

function checkByteString(s: string, what: string): void {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) throw badRecord(`${what} has a character over U+00FF at ${i}`, s);
  }
}

/**
 * Encodes pairs as section 3.4 lays them out (the content of a stream, not yet split into records).
 *
 * @throws PorticoError `ERR_FCGI_BAD_RECORD` when a name or value holds a character over U+00FF
 *   (they are byte strings) or is 2^31 bytes or longer
 */
export function encodeNameValuePairs(pairs: Iterable<NameValuePair>): Buffer {
  const list = [...pairs];
  let size = 0;
  for (const [name, value] of list) {
    checkByteString(name, 'name');
    checkByteString(value, `value of ${name}`);
    if (name.length > 0x7fffffff || value.length > 0x7fffffff) throw badRecord('name or value too long');
    size += lengthSize(name.length) + lengthSize(value.length) + name.length + value.length;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const [name, value] of list) {
    at = writeLength(out, at, name.length);
    at = writeLength(out, at, value.length);
    at += out.write(name, at, LATIN1);
    at += out.write(value, at, LATIN1);
  }
  return out;
}

/**
 * Decodes the whole content of a name-value stream (all its records' content, concatenated) into a
 * flat list `[name0, value0, name1, value1, ...]`, in stream order, duplicates kept: the caller
 * applies its own rule. The bytes are turned into one string once and cut into names and values,
 * which costs a fraction of one conversion per name and value.
 *
 * @throws PorticoError `ERR_FCGI_BAD_RECORD` when a length or a name/value runs past the end (a
 *   truncated 4-byte length, for one)
 */
export function decodeNameValueList(bytes: Uint8Array): string[] {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const end = buf.length;
  const text = buf.toString(LATIN1, 0, end);
  const out: string[] = [];
  let at = 0;
  while (at < end) {
    let nameLength = buf[at]!;
    if (nameLength & 0x80) {
      if (at + 4 > end) throw badRecord(`name-value pair at byte ${at}: truncated 4-byte name length`);
      nameLength = ((nameLength & 0x7f) << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
      at += 4;
    } else at += 1;
    if (at >= end) throw badRecord(`name-value pair at byte ${at}: missing value length`);
    let valueLength = buf[at]!;
    if (valueLength & 0x80) {
      if (at + 4 > end) throw badRecord(`name-value pair at byte ${at}: truncated 4-byte value length`);
      valueLength = ((valueLength & 0x7f) << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
      at += 4;
    } else at += 1;
    if (nameLength + valueLength > end - at) {
      throw badRecord(
        `name-value pair at byte ${at}: ${nameLength} + ${valueLength} bytes declared, ${end - at} left`,
      );
    }
    out.push(text.slice(at, at + nameLength), text.slice(at + nameLength, at + nameLength + valueLength));
    at += nameLength + valueLength;
  }
  return out;
}

/**
 * Decodes the whole content of a name-value stream into pairs, in stream order, duplicates kept.
 *
 * @throws PorticoError `ERR_FCGI_BAD_RECORD` as {@link decodeNameValueList}
 */
export function decodeNameValuePairs(bytes: Uint8Array): NameValuePair[] {
  const list = decodeNameValueList(bytes);
  const out: NameValuePair[] = [];
  for (let i = 0; i < list.length; i += 2) out.push([list[i]!, list[i + 1]!]);
  return out;
}
