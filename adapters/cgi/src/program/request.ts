/**
 * What a CGI program checks in its meta-variables before calling the app (RFC 3875 section 4.1;
 * spec/servers.md section 16). Pure functions over the flat variable list.
 *
 * @module
 */
import { decodePath } from '@portico/spec';

/** A request the program refuses with 400 without calling the app. */
export interface Refusal {
  /** Why, for the log. */
  readonly reason: string;
  /** The rule broken, when one is. */
  readonly rule?: string;
  /** The value at fault. */
  readonly value?: string;
  /** True when the environment is not a CGI request at all (no `REQUEST_METHOD`). */
  readonly notCGI: boolean;
}

/** The facts of a request that passed {@link checkRequest}. */
export interface RequestFacts {
  /**
   * Body bytes on standard input: `CONTENT_LENGTH`; 0 when absent, empty or `-1`, except -1 (read
   * standard input to its end) when `HTTP_TRANSFER_ENCODING` says the front end passes a chunked
   * body without a length (Apache).
   */
  readonly contentLength: number;
}

// method = token (RFC 9110 section 9.1; section 5.6.2: tchar).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The value of the last `name` in a flat variable list, or `undefined`. */
export function variableOf(list: readonly string[], name: string): string | undefined {
  for (let i = list.length - 2; i >= 0; i -= 2) if (list[i] === name) return list[i + 1];
  return undefined;
}

/**
 * Whether a `SCRIPT_NAME` or `PATH_INFO` value (a byte string) is a path that cannot escape
 * (`SRV-CGI-5`): empty, or starting with `/` with no `.` or `..` segment once decoded (percent-escapes
 * and UTF-8: `/%2e%2e/` is refused too, for a program that hands the path to something that decodes
 * again).
 */
export function isContainedPath(value: string): boolean {
  if (value === '') return true;
  if (value.charCodeAt(0) !== 0x2f) return false;
  const decoded = decodePath(value);
  for (const segment of decoded.split('/')) if (segment === '.' || segment === '..') return false;
  return true;
}

/**
 * Checks the meta-variables of a request:
 * - `REQUEST_METHOD` must be present and a token (RFC 3875 section 4.1.12: the server MUST set it);
 *   without it the process was not started as a CGI program;
 * - `SCRIPT_NAME` and `PATH_INFO` must be paths that cannot escape (`SRV-CGI-5`, {@link isContainedPath});
 * - `CONTENT_LENGTH` must be absent, empty, `-1` or a decimal number (RFC 3875 section 4.1.2: the
 *   server sets it exactly when there is a body; absent means none, and the program reads nothing).
 *
 * @returns the facts, or the {@link Refusal} to answer 400 with
 */
export function checkRequest(list: readonly string[]): RequestFacts | Refusal {
  const method = variableOf(list, 'REQUEST_METHOD');
  if (method === undefined || method === '') {
    return { reason: 'REQUEST_METHOD is not set: not started as a CGI program', notCGI: true };
  }
  if (!TOKEN.test(method)) {
    return { reason: 'REQUEST_METHOD is not a token', value: method, notCGI: false };
  }
  for (const name of ['SCRIPT_NAME', 'PATH_INFO']) {
    const value = variableOf(list, name);
    if (value !== undefined && !isContainedPath(value)) {
      // `SRV-CGI-5`: not a path, or a `.`/`..` segment that would lead out of where it points.
      return {
        reason: `${name} is not a path or has a . or .. segment`,
        rule: 'SRV-CGI-5',
        value,
        notCGI: false,
      };
    }
  }
  const length = variableOf(list, 'CONTENT_LENGTH');
  if (length === undefined || length === '' || length === '-1') {
    // RFC 3875: no CONTENT_LENGTH, no body. But Apache's mod_cgi and mod_cgid pass a chunked upload
    // without one, saying so in HTTP_TRANSFER_ENCODING: the body is then standard input to its end.
    return { contentLength: variableOf(list, 'HTTP_TRANSFER_ENCODING') === undefined ? 0 : -1 };
  }
  if (!/^[0-9]{1,15}$/.test(length)) {
    return { reason: 'CONTENT_LENGTH is not a number', value: length, notCGI: false };
  }
  return { contentLength: Number(length) };
}

/** Whether `result` is a {@link Refusal}. */
export function isRefusal(result: RequestFacts | Refusal): result is Refusal {
  return 'reason' in result;
}
