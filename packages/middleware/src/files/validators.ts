/**
 * Validators (RFC 9110 section 8.8): entity tags, HTTP-dates, and the two comparison functions.
 * Pure functions over header strings; lenient on input (garbage gives "no value", never throws).
 *
 * @module
 */

/** One entity-tag as sent: `W/"abc"` is `{ weak: true, opaque: 'abc' }` (quotes removed). */
export interface EntityTag {
  readonly weak: boolean;
  /** The opaque-tag without its double quotes. */
  readonly opaque: string;
}

// entity-tag = [ weak ] opaque-tag ; weak = %s"W/" ; opaque-tag = DQUOTE *etagc DQUOTE
// etagc = %x21 / %x23-7E / obs-text (RFC 9110 section 8.8.3)
const ETAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;

/**
 * Parses one entity-tag (`"xyz"`, `W/"xyz"`), or `undefined` when it is not one.
 * Source: RFC 9110 section 8.8.3.
 */
export function parseEntityTag(value: string): EntityTag | undefined {
  const m = ETAG.exec(value.trim());
  if (m === null) return undefined;
  return { weak: m[1] !== undefined, opaque: m[2] ?? '' };
}

/** Formats an entity-tag: `"xyz"` or `W/"xyz"`. */
export function formatEntityTag(tag: EntityTag): string {
  return `${tag.weak ? 'W/' : ''}"${tag.opaque}"`;
}

/**
 * Parses the value of `If-Match` / `If-None-Match` (`*` or a comma-separated list of entity-tags,
 * RFC 9110 sections 13.1.1 and 13.1.2): `'*'`, or the tags that parse (malformed members are
 * skipped; a comma inside quotes is kept). Never throws; `undefined` for a missing header gives `[]`.
 */
export function parseETagList(value: string | undefined): '*' | EntityTag[] {
  if (value === undefined) return [];
  if (value.trim() === '*') return '*';
  const tags: EntityTag[] = [];
  // Scan member by member: a member is `[W/]"..."`, separated by commas and optional whitespace.
  const member = /\s*((?:W\/)?"[^"]*")\s*(?:,|$)|[^,]*(?:,|$)/gy;
  let at = 0;
  while (at < value.length) {
    member.lastIndex = at;
    const m = member.exec(value);
    if (m === null || m[0] === '') break;
    at = member.lastIndex;
    if (m[1] !== undefined) {
      const tag = parseEntityTag(m[1]);
      if (tag !== undefined) tags.push(tag);
    }
  }
  return tags;
}

/** Strong comparison: both strong and the same opaque-tag (RFC 9110 section 8.8.3.2). */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** Weak comparison: the same opaque-tag, weakness ignored (RFC 9110 section 8.8.3.2). */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
const IMF = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
// obsolete RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
const RFC850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
// obsolete asctime: Sun Nov  6 08:49:37 1994
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

function utc(year: number, month: string, day: number, h: number, m: number, s: number): number | undefined {
  const mon = MONTHS.indexOf(month);
  if (day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return undefined;
  const t = Date.UTC(year, mon, day, h, m, Math.min(s, 59));
  // Reject 31 Feb and the like: Date.UTC rolls them over into the next month.
  return new Date(t).getUTCDate() === day ? t : undefined;
}

/**
 * Parses an HTTP-date (RFC 9110 section 5.6.7): IMF-fixdate, or the obsolete RFC 850 and asctime
 * forms a recipient MUST accept. Returns milliseconds since the epoch, or `undefined` when the value
 * is not a valid HTTP-date (a recipient then ignores the header). A two-digit RFC 850 year more than
 * 50 years in the future is taken as the past century.
 */
export function parseHTTPDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  let m = IMF.exec(v);
  if (m !== null) return utc(+m[3]!, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  m = RFC850.exec(v);
  if (m !== null) {
    const now = new Date().getUTCFullYear();
    let year = Math.floor(now / 100) * 100 + +m[3]!;
    if (year > now + 50) year -= 100;
    return utc(year, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  }
  m = ASCTIME.exec(v);
  if (m !== null) return utc(+m[6]!, m[1]!, +m[2]!.trim(), +m[3]!, +m[4]!, +m[5]!);
  return undefined;
}

/** Formats a time (ms since the epoch) as an IMF-fixdate (RFC 9110 section 5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
export function formatHTTPDate(ms: number): string {
  return new Date(ms).toUTCString();
}
