/**
 * The access log: one {@link AccessLogEntry} per finished request, printed in Apache's Combined Log
 * Format.
 *
 * @module
 */
import type { HTTPScope } from '@portico/spec';

/** One finished request, for the access log. */
export interface AccessLogEntry {
  /** Remote address, or `null` when unknown (printed as `-`). */
  readonly client: string | null;
  /** Request method. */
  readonly method: string;
  /** Request target as sent: raw path plus `?query` (byte string). */
  readonly target: string;
  /** `"1.1"` etc. */
  readonly httpVersion: string;
  /** Response status sent. */
  readonly status: number;
  /** Response body bytes sent. */
  readonly bytes: number;
  /** Referer header or `null`. */
  readonly referer: string | null;
  /** User-Agent header or `null`. */
  readonly userAgent: string | null;
  /** When the request started. */
  readonly time: Date;
  /** Duration in ms. */
  readonly durationMs: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/**
 * Apache's `%t`: `[10/Oct/2000:13:55:36 -0700]`, in the process's local time zone (like httpd).
 */
export function formatLogTime(time: Date): string {
  // One line per request, and many requests per second: the text is made once per second (the
  // timezone offset cannot change within one second of local time).
  const second = Math.floor(time.getTime() / 1000);
  if (second === lastSecond) return lastText;
  lastText = formatTime(time);
  lastSecond = second;
  return lastText;
}

let lastSecond = Number.NaN;
let lastText = '';

function formatTime(time: Date): string {
  const offset = -time.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `[${pad2(time.getDate())}/${MONTHS[time.getMonth()]}/${time.getFullYear()}:` +
    `${pad2(time.getHours())}:${pad2(time.getMinutes())}:${pad2(time.getSeconds())} ` +
    `${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}]`
  );
}

const C_ESCAPES: Readonly<Record<number, string>> = {
  8: '\\b',
  9: '\\t',
  10: '\\n',
  11: '\\v',
  13: '\\r',
  34: '\\"',
  92: '\\\\',
};

/**
 * Escapes a byte string for a log field the way httpd's `ap_escape_logitem` does, so no request
 * can forge log lines: `"` and `\` get a backslash, `\b \t \n \v \r` their C escape, and every other
 * byte outside 0x20..0x7e becomes `\xhh`. A code unit above 0xff (not a byte) is escaped as the
 * `\xhh` of each of its UTF-8 bytes.
 */
export function escapeLogItem(value: string): string {
  let plain = true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const esc = C_ESCAPES[c];
    if (esc !== undefined) out += esc;
    else if (c >= 0x20 && c <= 0x7e) out += value[i];
    else if (c <= 0xff) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else {
      const cp = value.codePointAt(i) ?? c;
      if (cp > 0xffff) i++;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8'))
        out += `\\x${b.toString(16).padStart(2, '0')}`;
    }
  }
  return out;
}

/**
 * Formats an entry in the Combined Log Format, exactly Apache's
 * `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`:
 * `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a?b HTTP/1.1" 200 2326 "-" "curl/8.0"`.
 * `%b` is `-` when no body byte was sent; absent headers print as `-`; request line and headers are
 * escaped with {@link escapeLogItem}. No trailing newline.
 */
export function formatCombinedLog(entry: AccessLogEntry): string {
  const request = escapeLogItem(`${entry.method} ${entry.target} HTTP/${entry.httpVersion}`);
  const referer = entry.referer === null ? '-' : escapeLogItem(entry.referer);
  const agent = entry.userAgent === null ? '-' : escapeLogItem(entry.userAgent);
  return (
    `${entry.client ?? '-'} - - ${formatLogTime(entry.time)} "${request}" ${entry.status} ` +
    `${entry.bytes > 0 ? entry.bytes : '-'} "${referer}" "${agent}"`
  );
}

/**
 * Builds the entry of a finished request from its scope. A request the client abandoned before
 * any status was chosen is logged as 499 (nginx's "client closed request"), so it stands out from
 * real responses.
 *
 * @param status - the status sent, 0 when none was
 * @param bytes - response body bytes sent
 * @param startTime - when the request started, ms since the epoch
 */
export function accessLogEntry(
  scope: HTTPScope,
  status: number,
  bytes: number,
  startTime: number,
): AccessLogEntry {
  let referer: string | null = null;
  let userAgent: string | null = null;
  for (const [name, value] of scope.headers) {
    if (name === 'referer' && referer === null) referer = value;
    else if (name === 'user-agent' && userAgent === null) userAgent = value;
  }
  return {
    client: scope.client === null ? null : scope.client[0],
    method: scope.method,
    target: scope.queryString === '' ? scope.rawPath : `${scope.rawPath}?${scope.queryString}`,
    httpVersion: scope.httpVersion,
    status: status === 0 ? 499 : status,
    bytes,
    referer,
    userAgent,
    time: new Date(startTime),
    durationMs: Date.now() - startTime,
  };
}
