/**
 * `@portico/server`: what every Portico server adapter shares. STUB: being written.
 *
 * @packageDocumentation
 */

/** Log levels, most verbose first; `silent` logs nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** A structured logger: a message and optional fields. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

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
