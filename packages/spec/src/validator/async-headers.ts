/**
 * Header-list checks of the async validator (spec/async.md "Headers"), used for request headers in
 * scopes (server side) and for the headers of response, early-hints, trailers and accept events (app
 * side).
 *
 * @module
 */
import type { Side } from '../errors.js';
import { isHeaderName, isHeaderValue, isLowercase } from '../headers.js';
import type { Report } from './violation.js';

/**
 * Checks a header list: an array of `[name, value]` string pairs (ASYNC-HDR-1), names RFC 9110 tokens
 * (ASYNC-HDR-3) and lowercase when `lowercase` is set (scopes: ASYNC-HDR-2), values byte strings
 * without CR, LF or NUL (ASYNC-HDR-4).
 *
 * @param list - the value of the `headers` key
 * @param side - who produced the list: `'server'` for a scope, `'app'` for a sent event
 * @param where - where the list was found, for the message (`"scope"`, `"http.response.start"`)
 */
export function checkHeaderList(
  list: unknown,
  side: Side,
  where: string,
  report: Report,
  lowercase: boolean,
): void {
  if (!Array.isArray(list)) {
    report('ASYNC-HDR-1', side, `${where} headers is not an array of [name, value] pairs`, list);
    return;
  }
  for (const header of list as unknown[]) {
    if (
      !Array.isArray(header) ||
      header.length !== 2 ||
      typeof header[0] !== 'string' ||
      typeof header[1] !== 'string'
    ) {
      report('ASYNC-HDR-1', side, `${where} header is not a [name, value] pair of strings`, header);
      continue;
    }
    const [name, value] = header as [string, string];
    if (!isHeaderName(name)) {
      report('ASYNC-HDR-3', side, `${where} header name is not an RFC 9110 token`, name);
    } else if (lowercase && !isLowercase(name)) {
      report('ASYNC-HDR-2', side, `${where} header name is not lowercase`, name);
    }
    if (!isHeaderValue(value)) {
      report(
        'ASYNC-HDR-4',
        side,
        `${where} header ${JSON.stringify(name)} has a value with CR, LF, NUL or a code point over 255`,
        value,
      );
    }
  }
}
