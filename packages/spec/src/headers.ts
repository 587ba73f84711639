/**
 * Header syntax checks shared by servers, bridges and the validator.
 *
 * @module
 */

// token = 1*tchar; tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_"
//   / "`" / "|" / "~" / DIGIT / ALPHA  (RFC 9110 section 5.6.2)
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** Whether `name` is an RFC 9110 token (section 5.6.2), the syntax of a field name. */
export function isHeaderName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 127 || TCHAR[c] !== 1) return false;
  }
  return true;
}

/**
 * Whether `value` may go out as a field value: Latin-1 code points only, and no CR, LF or NUL
 * (RFC 9110 section 5.5: "a recipient ... MUST reject ... CR, LF or NUL"; spec/servers.md "Security").
 */
export function isHeaderValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0x00 || c > 0xff) return false;
  }
  return true;
}

/** Whether every code unit of `s` is in 0..255 (a byte string). */
export function isByteString(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

/** Whether `s` has no uppercase ASCII letter. */
export function isLowercase(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return false;
  }
  return true;
}

/** Encodes a JS string as a byte string of its UTF-8 bytes (for headers that carry UTF-8). */
export function toByteString(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}
