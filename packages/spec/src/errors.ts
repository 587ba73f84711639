/**
 * Portico's one error hierarchy. Check errors by `code` (with {@link isPorticoError}), not by
 * `instanceof`: two copies of this package in one process have two classes but the same codes.
 *
 * @module
 */

/**
 * Every stable error code Portico throws or logs. A code never changes meaning once released.
 * - `ERR_SPEC_VIOLATION`: a rule of spec/ was broken; `rule` names its id.
 * - `ERR_CLIENT_DISCONNECTED`: `send()` after the client went away (spec/async.md ASYNC-HTTP-9).
 * - `ERR_BODY_TOO_LARGE`: the request body is over the configured limit (HTTP 413).
 * - `ERR_BAD_REQUEST`: the request is malformed or forbidden by spec/servers.md (HTTP 400).
 * - `ERR_BAD_HEADER`: a header name or value is not allowed (CR, LF, NUL, not Latin-1).
 * - `ERR_APP_LOAD`: an app module, export or interface could not be loaded (CLI exit 2).
 * - `ERR_LIFESPAN`: lifespan startup or shutdown failed.
 * - `ERR_INVALID_OPTION`: an option given to a Portico API is not valid.
 * - `ERR_TIMEOUT`: a configured timeout expired.
 * - `ERR_WEBSOCKET_CLOSED`: the peer closed the WebSocket (close code and reason in `value`).
 * - `ERR_FCGI_BAD_RECORD`: bytes from a FastCGI peer that are not FastCGI records (`@portico/fastcgi`).
 * - `ERR_SCGI_BAD_NETSTRING`: an SCGI request head that is not a valid netstring of headers
 *   (`@portico/scgi`; `status` 400 or 431).
 * - `ERR_CGI_BAD_RESPONSE`: a CGI program's output that is not a CGI response (`cgiHost`: 502).
 * - `ERR_CGI_STOPPED`: a CGI program stopped by the host (timeout, client gone, shutdown).
 * - `ERR_MIDDLEWARE_MISUSE`: a middleware stack built wrongly: an argument that is not a function, an
 *   app that is not an app, or a middleware factory that was not called (`@portico/middleware`).
 * - `ERR_SESSION_TOO_LARGE`: a cookie session whose `Set-Cookie` would pass the 4096-byte cookie
 *   limit (RFC 6265 section 6.1); the response is a 500, never a silently dropped session.
 * - `ERR_SESSION_STORE`: a session store failed (status 500: sessions fail closed).
 * - `ERR_UNAUTHORIZED`: no valid credentials (status 401, with `WWW-Authenticate`).
 * - `ERR_FORBIDDEN`: credentials valid but not allowed (status 403): role guards, CSRF, trusted hosts.
 */
export type ErrorCode =
  | 'ERR_SPEC_VIOLATION'
  | 'ERR_CLIENT_DISCONNECTED'
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_BAD_REQUEST'
  | 'ERR_BAD_HEADER'
  | 'ERR_APP_LOAD'
  | 'ERR_LIFESPAN'
  | 'ERR_INVALID_OPTION'
  | 'ERR_TIMEOUT'
  | 'ERR_WEBSOCKET_CLOSED'
  // Codes owned by later packages are added here so the list stays in one place.
  | (string & { readonly __portico?: never });

/** Which side of the interface broke a rule. */
export type Side = 'app' | 'server' | 'middleware';

/** Options of {@link PorticoError}. */
export interface PorticoErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** Whether `message` may be shown to the HTTP client (default `false`). */
  expose?: boolean;
  /** The HTTP status this error maps to, when it maps to one. */
  status?: number;
  /** The spec rule id broken (`ASYNC-HTTP-4`), for `ERR_SPEC_VIOLATION`. */
  rule?: string;
  /** The side that broke the rule. */
  side?: Side;
  /** The offending value, for logs. */
  value?: unknown;
}

/** The one error class of Portico: a stable `code`, a `cause`, and whether the client may see it. */
export class PorticoError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Whether `message` may be shown to the HTTP client. */
  readonly expose: boolean;
  /** The HTTP status this error maps to, if any. */
  readonly status: number | undefined;
  /** Spec rule id, for spec violations. */
  readonly rule: string | undefined;
  /** Side that broke the rule, for spec violations. */
  readonly side: Side | undefined;
  /** Offending value, for spec violations. */
  readonly value: unknown;

  constructor(code: ErrorCode, message: string, options: PorticoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PorticoError';
    this.code = code;
    this.expose = options.expose ?? false;
    this.status = options.status;
    this.rule = options.rule;
    this.side = options.side;
    this.value = options.value;
  }
}

/**
 * Whether `err` is a Portico error, optionally of the given `code`. Works across copies of this
 * package because it checks the `code` property and the `name`, not the class. Never throws: a
 * value whose `name` or `code` cannot be read is not one.
 */
export function isPorticoError(err: unknown, code?: ErrorCode): err is PorticoError {
  if (typeof err !== 'object' || err === null) return false;
  // Whatever an app threw: a getter that throws or a revoked proxy is simply not a Portico error.
  try {
    const e = err as { name?: unknown; code?: unknown };
    return e.name === 'PorticoError' && typeof e.code === 'string' && (code === undefined || e.code === code);
  } catch {
    return false;
  }
}

/**
 * `String(value)` that never throws, for messages and logs about values an app threw: a value
 * without a prototype, or whose `toString` throws, gives its `[object Tag]`; one that cannot even
 * be tagged (a revoked proxy) gives `[unprintable value]`.
 */
export function printable(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return '[unprintable value]';
    }
  }
}

/**
 * The message of a thrown value: an `Error`'s `message` when it is a string, else
 * {@link printable}`(value)`. Never throws, whatever was thrown.
 */
export function thrownMessage(value: unknown): string {
  try {
    if (value instanceof Error && typeof value.message === 'string') return value.message;
  } catch {
    // A getter that throws: fall back to the value itself.
  }
  return printable(value);
}
