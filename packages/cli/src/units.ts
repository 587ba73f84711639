/**
 * Parsing the units command-line options are written in: sizes (bytes), durations (milliseconds) and
 * counts. Every parser throws a one-line `ERR_INVALID_OPTION` error naming the option and the value.
 *
 * @module
 */
import { PorticoError } from '@portico/spec';

const SIZE = /^(\d+)([kmg])?$/i;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s)?$/i;
const COUNT = /^\d+$/;

/** Multipliers of the size suffixes: binary, as nginx reads `k` and `m` (1k = 1024 bytes). */
const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Parses a size in bytes: plain digits (`65536`), or digits with a `k`, `m` or `g` suffix, any case,
 * each a power of 1024 (`64k` = 65536, `1m` = 1048576, `2g` = 2147483648).
 *
 * @param text - the option's value as typed
 * @param option - the option's name without dashes, for the error message
 * @returns the size in bytes, a safe non-negative integer
 * @throws PorticoError `ERR_INVALID_OPTION` when `text` is not a size or is too large
 */
export function parseSize(text: string, option: string): number {
  const m = SIZE.exec(text);
  if (m === null) {
    throw invalid(option, text, 'a size in bytes (digits, optionally followed by k, m or g)');
  }
  const bytes = Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1);
  if (!Number.isSafeInteger(bytes)) throw invalid(option, text, 'a size below 2^53 bytes');
  return bytes;
}

/**
 * Parses a duration in milliseconds: plain digits are milliseconds (`5000`), or a number with an `ms`
 * or `s` suffix (`250ms`, `5s`, `1.5s`). Fractions of a millisecond are rounded to the nearest one.
 *
 * @param text - the option's value as typed
 * @param option - the option's name without dashes, for the error message
 * @returns the duration in ms, a safe non-negative integer
 * @throws PorticoError `ERR_INVALID_OPTION` when `text` is not a duration or is too large
 */
export function parseDuration(text: string, option: string): number {
  const m = DURATION.exec(text);
  if (m === null) throw invalid(option, text, 'a duration (milliseconds, or a number followed by ms or s)');
  const seconds = (m[2] ?? 'ms').toLowerCase() === 's';
  const ms = Math.round(Number(m[1]) * (seconds ? 1000 : 1));
  if (!Number.isSafeInteger(ms)) throw invalid(option, text, 'a duration below 2^53 ms');
  return ms;
}

/**
 * Parses a count: a positive integer in plain digits (`100`).
 *
 * @param text - the option's value as typed
 * @param option - the option's name without dashes, for the error message
 * @returns the count, a safe integer >= 1
 * @throws PorticoError `ERR_INVALID_OPTION` when `text` is not a positive integer
 */
export function parseCount(text: string, option: string): number {
  const n = COUNT.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw invalid(option, text, 'a positive integer');
  return n;
}

/** Writes a byte count the way {@link parseSize} reads it, with the largest exact suffix (`16k`). */
export function formatSize(bytes: number): string {
  for (const [suffix, unit] of [
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ] as const) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

/** Writes a duration in ms the way {@link parseDuration} reads it: whole seconds as `30s`, else `750ms`. */
export function formatDuration(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The error every option parser throws: `option --<name>: expected <what>, got "<text>"`. */
export function invalid(option: string, text: string, what: string): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', `option --${option}: expected ${what}, got ${quote(text)}`);
}

/** Quotes a value for a one-line message: JSON quoting escapes newlines and control characters. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}
