/**
 * Header-list helpers shared by every middleware: read a field, replace a field, merge `Vary`.
 * Names are compared case-insensitively, so one helper serves both request headers (names lowercase
 * in a scope, ASYNC-HDR-2) and response headers (names in any case in the events an app sends).
 *
 * @module
 */

import type { Header, HeaderList } from '@portico/spec';

/**
 * Whether field name `n` (any case) is `name` (lowercase). The length is compared first, so most
 * names are told apart without lowercasing (this runs for every header of every request).
 */
function isNamed(n: string, name: string): boolean {
  return n.length === name.length && (n === name || n.toLowerCase() === name);
}

/** The value of the first field line named `name` (lowercase) in `headers`, or `undefined`. */
export function firstHeader(headers: HeaderList | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i] as Header;
    if (isNamed(h[0], name)) return h[1];
  }
  return undefined;
}

/**
 * Every value of field `name` (lowercase) in `headers`, in order; `[]` when absent.
 */
export function headerValues(headers: HeaderList | undefined, name: string): string[] {
  const out: string[] = [];
  if (headers === undefined) return out;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i] as Header;
    if (isNamed(h[0], name)) out.push(h[1]);
  }
  return out;
}

/**
 * The field `name` (lowercase) as one value: its field lines joined with `", "` (RFC 9110 section
 * 5.3), or `undefined` when absent.
 */
export function headerValue(headers: HeaderList | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  let value: string | undefined;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i] as Header;
    if (isNamed(h[0], name)) value = value === undefined ? h[1] : `${value}, ${h[1]}`;
  }
  return value;
}

/** `headers` without the fields named in `names` (lowercase). */
export function withoutHeaders(headers: HeaderList | undefined, ...names: string[]): Header[] {
  return (headers ?? []).filter(([n]) => !names.includes(n.toLowerCase()));
}

/** `headers` with field `name` (lowercase) replaced by one line `name: value`, appended. */
export function withHeader(headers: HeaderList | undefined, name: string, value: string): Header[] {
  return [...withoutHeaders(headers, name), [name, value]];
}

/** The comma-separated members of a list field (RFC 9110 section 5.6.1), trimmed, empties dropped. */
export function listMembers(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * `headers` with `names` added to `Vary` (RFC 9110 section 12.5.5): every existing `Vary` line is
 * merged into one `vary` line holding the old members then the missing new ones (compared
 * case-insensitively). A `Vary: *` is left as it is: it already covers every field.
 */
export function withVary(headers: HeaderList | undefined, names: readonly string[]): Header[] {
  const list = headers ?? [];
  // The common case: no Vary yet.
  if (firstHeader(list, 'vary') === undefined) return [...list, ['vary', names.join(', ')]];
  const members = listMembers(headerValue(list, 'vary'));
  if (members.includes('*')) return [...list];
  const lower = new Set(members.map((m) => m.toLowerCase()));
  const added = names.filter((n) => !lower.has(n.toLowerCase()));
  if (added.length === 0) return [...list];
  const value = [...members, ...added].join(', ');
  const at = list.findIndex(([n]) => n.toLowerCase() === 'vary');
  const rest = withoutHeaders(list, 'vary');
  if (at < 0) return [...rest, ['vary', value]];
  rest.splice(at, 0, ['vary', value]);
  return rest;
}

/** The media type of a `Content-Type` value: `type/subtype`, lowercase, parameters dropped. */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** Statuses whose response has no content (RFC 9110 sections 15.2, 15.3.5 and 15.4.5). */
export function hasNoContent(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}
