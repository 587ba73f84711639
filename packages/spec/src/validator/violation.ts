/**
 * How the validator reports a broken rule: one helper, used by every check.
 *
 * @module
 */
import { PorticoError, printable, type Side } from '../errors.js';

/** Receives each violation; the default throws it. */
export type OnViolation = (err: PorticoError) => void;

/** Reports a broken rule: builds the error and hands it to the configured handler. */
export type Report = (rule: string, side: Side, what: string, value?: unknown) => void;

/**
 * Shows a value briefly for an error message: JSON where possible (byte arrays as their length and
 * first bytes), cut to `max` characters.
 */
export function preview(value: unknown, max = 160): string {
  let s: string;
  try {
    s = JSON.stringify(value, (_k, v: unknown) => {
      if (v instanceof Uint8Array) {
        const head = Buffer.from(v.subarray(0, 16)).toString('latin1');
        return `<${v.byteLength} bytes ${JSON.stringify(head)}${v.byteLength > 16 ? '…' : ''}>`;
      }
      if (typeof v === 'function') return `<function ${v.name || 'anonymous'}>`;
      if (typeof v === 'bigint') return `${v}n`;
      if (typeof v === 'symbol') return v.toString();
      return v;
    });
  } catch {
    s = printable(value);
  }
  if (s === undefined) s = printable(value);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * Builds a spec-violation error. The message names the rule id, the side that broke it and the value:
 * `http.response.body sent before http.response.start (ASYNC-HTTP-4); side: app; value: {...}`.
 */
export function violation(rule: string, side: Side, what: string, ...given: [value?: unknown]): PorticoError {
  const value = given[0];
  const shown = given.length > 0 ? `; value: ${preview(value)}` : '';
  return new PorticoError('ERR_SPEC_VIOLATION', `${what} (${rule}); side: ${side}${shown}`, {
    rule,
    side,
    value,
  });
}

/** Makes a {@link Report} that builds the error and passes it to `onViolation` (default: throw). */
export function reporter(onViolation?: OnViolation): Report {
  const handle =
    onViolation ??
    ((err: PorticoError) => {
      throw err;
    });
  return function report(rule, side, what, ...value) {
    handle(value.length > 0 ? violation(rule, side, what, value[0]) : violation(rule, side, what));
  };
}
