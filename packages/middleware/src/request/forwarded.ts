/**
 * The `Forwarded` header (RFC 7239): a lenient parser, a strict serializer, and the node syntax of
 * its `for`/`by` parameters.
 *
 * @module
 */

import { isIP } from 'node:net';

/**
 * One forwarded-element: parameter names lowercased, values unquoted. A null-prototype object; the
 * first occurrence of a repeated parameter wins (RFC 7239 section 4 forbids repeats).
 */
export type ForwardedElement = Readonly<Record<string, string>>;

/** A `for`/`by` node (RFC 7239 section 6) as read by {@link parseNode}. */
export type ForwardedNode =
  /** An IPv4 or IPv6 address (brackets removed) and the port, `null` when none or obfuscated. */
  | { readonly kind: 'ip'; readonly host: string; readonly port: number | null }
  /** `unknown` (section 6.2) or an obfuscated identifier `_hidden` (section 6.3), or garbage. */
  | { readonly kind: 'unknown' | 'obfuscated' | 'invalid'; readonly value: string };

// RFC 7230 section 3.2.6: token = 1*tchar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses the values of every `Forwarded` header of a request (joined with `,` as RFC 9110 section
 * 5.3 allows) into its elements, in order (leftmost = farthest from this server).
 *
 * Grammar (RFC 7239 section 4): `Forwarded = 1#forwarded-element`,
 * `forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )`,
 * `forwarded-pair = token "=" value`, `value = token / quoted-string` (RFC 7230 section 3.2.6:
 * `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE`, `quoted-pair = "\" char`).
 *
 * Lenient: never throws. A pair that does not parse (no `=`, empty name, unterminated quote) is
 * skipped; an element with no valid pair is dropped; whitespace around `,`, `;` and `=` is allowed.
 *
 * @param value - the header value(s); `undefined` gives `[]`
 * @returns the elements, leftmost first
 */
export function parseForwarded(value: string | undefined): ForwardedElement[] {
  const elements: ForwardedElement[] = [];
  if (value === undefined) return elements;
  let current: Record<string, string> = Object.create(null);
  let has = false;
  let i = 0;
  const n = value.length;
  const endElement = () => {
    if (has) elements.push(current);
    current = Object.create(null);
    has = false;
  };
  while (i < n) {
    const c = value.charCodeAt(i);
    if (c === 0x2c /* , */) {
      endElement();
      i++;
      continue;
    }
    if (c === 0x3b /* ; */ || c === 0x20 || c === 0x09) {
      i++;
      continue;
    }
    // name: up to "=", ";" or ","
    let j = i;
    while (j < n && !'=;,'.includes(value[j] as string)) j++;
    const name = value.slice(i, j).trim().toLowerCase();
    if (j >= n || value[j] !== '=') {
      i = j; // no "=": not a pair, skip it
      continue;
    }
    j++;
    while (j < n && (value[j] === ' ' || value[j] === '\t')) j++;
    let v = '';
    let ok = true;
    if (value[j] === '"') {
      j++;
      ok = false;
      while (j < n) {
        const ch = value[j] as string;
        if (ch === '\\' && j + 1 < n) {
          v += value[j + 1];
          j += 2;
        } else if (ch === '"') {
          ok = true;
          j++;
          break;
        } else {
          v += ch;
          j++;
        }
      }
      // Anything after the closing quote up to the next separator is junk: skip it.
      while (j < n && value[j] !== ';' && value[j] !== ',') j++;
    } else {
      const start = j;
      while (j < n && value[j] !== ';' && value[j] !== ',') j++;
      v = value.slice(start, j).trim();
    }
    i = j;
    if (!ok || name === '' || !TOKEN.test(name)) continue;
    if (!(name in current)) {
      current[name] = v;
      has = true;
    }
  }
  endElement();
  return elements;
}

/**
 * Serializes elements into a `Forwarded` value: `name=value` pairs joined with `;`, elements with
 * `, `. A value that is not a token is written as a quoted-string (`"` and `\` escaped).
 *
 * @throws TypeError for a parameter name that is not a token or
 *   a value with a control character (which no quoted-string can carry)
 */
export function serializeForwarded(elements: readonly ForwardedElement[]): string {
  return elements
    .map((element) =>
      Object.entries(element)
        .map(([name, value]) => {
          if (!TOKEN.test(name)) throw new TypeError(`Forwarded parameter name is not a token: ${name}`);
          if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
            throw new TypeError(`Forwarded value has a control character: ${JSON.stringify(value)}`);
          }
          return `${name}=${TOKEN.test(value) ? value : `"${value.replace(/["\\]/g, '\\$&')}"`}`;
        })
        .join(';'),
    )
    .join(', ');
}

/**
 * Reads a `for`/`by` node (RFC 7239 section 6): `192.0.2.43`, `192.0.2.43:47011`,
 * `[2001:db8:cafe::17]`, `[2001:db8:cafe::17]:4711`, `unknown`, `_hidden`, `_hidden:_port`.
 * An obfuscated port (`_x`) gives port `null`. Also accepts a bare IPv6 address (X-Forwarded-For
 * style). Never throws.
 */
export function parseNode(value: string): ForwardedNode {
  const v = value.trim();
  if (v.toLowerCase() === 'unknown') return { kind: 'unknown', value: v };
  if (v.startsWith('_')) return { kind: 'obfuscated', value: v };
  let host = v;
  let portText = '';
  if (v.startsWith('[')) {
    const close = v.indexOf(']');
    if (close < 0) return { kind: 'invalid', value: v };
    host = v.slice(1, close);
    const rest = v.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return { kind: 'invalid', value: v };
      portText = rest.slice(1);
    }
    if (isIP(host) !== 6) return { kind: 'invalid', value: v };
  } else if (isIP(v) === 6) {
    host = v;
  } else {
    const colon = v.indexOf(':');
    if (colon >= 0) {
      host = v.slice(0, colon);
      portText = v.slice(colon + 1);
    }
    if (isIP(host) !== 4) return { kind: 'invalid', value: v };
  }
  let port: number | null = null;
  if (portText !== '') {
    if (/^[0-9]{1,5}$/.test(portText) && Number(portText) <= 65535) port = Number(portText);
    else if (!/^_[A-Za-z0-9._-]+$/.test(portText)) return { kind: 'invalid', value: v };
  }
  return { kind: 'ip', host, port };
}
