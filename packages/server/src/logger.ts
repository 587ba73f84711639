/**
 * The server log: one line per message, level first, fields as `key=value`.
 *
 * @module
 */

import { printable } from '@portico/spec';

/** Log levels, most verbose first; `silent` logs nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** A structured logger: a message and optional fields. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Where a logger writes: anything with a `write(string)` method (a stream, a test buffer). */
export interface LogStream {
  write(chunk: string): unknown;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const LABEL: Readonly<Record<Exclude<LogLevel, 'silent'>, string>> = {
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
};

/** Whether `level` is one of the {@link LogLevel} names. */
export function isLogLevel(level: unknown): level is LogLevel {
  return typeof level === 'string' && Object.hasOwn(RANK, level);
}

// A value is printed bare when it is a short token that cannot be confused with the line's syntax;
// anything with spaces, quotes, `=`, control characters or non-ASCII is printed as JSON, so every
// message stays on one line and a log line can be split back into fields.
const BARE = /^[A-Za-z0-9_.,:/@+\-[\]()]+$/;

function formatValue(value: unknown): string {
  if (typeof value === 'string') return BARE.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  // Whatever an app threw or a caller passed, logging it never throws: a getter that throws, an
  // object without a prototype (no toString), a cycle.
  try {
    if (value instanceof Error) return JSON.stringify(value.stack ?? `${value.name}: ${value.message}`);
    return JSON.stringify(value) ?? JSON.stringify(printable(value));
  } catch {
    return JSON.stringify(printable(value));
  }
}

/**
 * Formats one log line (without the trailing newline):
 * `2026-01-02T03:04:05.678Z ERROR message key=value key2="quoted value"`.
 * The message is JSON-quoted when it contains a newline or other control character, so one call
 * always makes exactly one line.
 */
export function formatLogLine(
  level: Exclude<LogLevel, 'silent'>,
  message: string,
  fields?: Record<string, unknown>,
): string {
  let line = `${new Date().toISOString()} ${LABEL[level]} ${/[\u0000-\u001f\u007f]/.test(message) ? JSON.stringify(message) : message}`;
  if (fields !== undefined) {
    for (const key of Object.keys(fields)) {
      const value = fields[key];
      if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
    }
  }
  return line;
}

/**
 * Makes a logger that writes messages at `level` and above to `stream`, one line each (see
 * {@link formatLogLine}). Messages below the level cost one comparison.
 *
 * @param level - the least severe level written; `silent` writes nothing
 * @param stream - where lines go; default `process.stderr`
 * @throws TypeError when `level` is not a {@link LogLevel}
 */
export function createLogger(level: LogLevel, stream: LogStream = process.stderr): Logger {
  const min = RANK[level];
  if (min === undefined) throw new TypeError(`unknown log level: ${JSON.stringify(level)}`);
  const emit = (
    lvl: Exclude<LogLevel, 'silent'>,
    message: string,
    fields?: Record<string, unknown>,
  ): void => {
    if (RANK[lvl] < min) return;
    stream.write(`${formatLogLine(lvl, message, fields)}\n`);
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});
