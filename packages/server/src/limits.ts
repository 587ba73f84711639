/**
 * The limits every Portico server adapter exposes, with their defaults (spec/servers.md "Limits").
 *
 * @module
 */
import { PorticoError } from '@portico/spec';

/** The limits of spec/servers.md "Limits"; sizes in bytes, times in ms, 0 disables a timeout. */
export interface Limits {
  /** Largest request head (request line and header fields), bytes; over it: 431. Default 16384. */
  readonly maxHeaderSize: number;
  /** Most header fields in one request; over it: 431. Default 100. */
  readonly maxHeadersCount: number;
  /** Largest request body, bytes; over it: 413 and the connection is closed. Default 104857600 (100 MiB). */
  readonly maxBodySize: number;
  /** Time to receive the whole request head, ms; then 408. Default 60000. */
  readonly headersTimeout: number;
  /** Time to receive the whole request (head and body), ms; then 408. Default 300000. */
  readonly requestTimeout: number;
  /** How long an idle keep-alive connection stays open between requests, ms. Default 5000. */
  readonly keepAliveTimeout: number;
  /** A connection with no I/O at all for this long is closed, ms. Default 60000. */
  readonly idleTimeout: number;
  /** Most open client connections; more are closed on accept. Default 4096. */
  readonly maxConnections: number;
  /** How long a graceful shutdown waits for in-flight requests, ms. Default 30000. */
  readonly shutdownTimeout: number;
}

/** The documented defaults of {@link Limits}. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxHeaderSize: 16384,
  maxHeadersCount: 100,
  maxBodySize: 104_857_600,
  headersTimeout: 60_000,
  requestTimeout: 300_000,
  keepAliveTimeout: 5_000,
  idleTimeout: 60_000,
  maxConnections: 4096,
  shutdownTimeout: 30_000,
});

/** The names of the limits, in documentation order. */
export const LIMIT_NAMES: readonly (keyof Limits)[] = Object.freeze(
  Object.keys(DEFAULT_LIMITS) as (keyof Limits)[],
);

// Limits that must be at least 1: a zero here would refuse every request rather than disable a check.
const POSITIVE: ReadonlySet<keyof Limits> = new Set(['maxHeaderSize', 'maxHeadersCount', 'maxConnections']);

/**
 * Fills in defaults and checks every limit: each must be a safe integer >= 0 (>= 1 for
 * `maxHeaderSize`, `maxHeadersCount`, `maxConnections`), and `headersTimeout` may not exceed a
 * non-zero `requestTimeout` (`SRV-LIMIT-1`).
 *
 * @param options - any object; only the keys of {@link Limits} are read
 * @throws PorticoError `ERR_INVALID_OPTION` naming the option and the value
 */
export function resolveLimits(options: Partial<Record<keyof Limits, unknown>> = {}): Limits {
  const out: Record<string, number> = {};
  for (const name of LIMIT_NAMES) {
    const given = options[name];
    if (given === undefined) {
      out[name] = DEFAULT_LIMITS[name];
      continue;
    }
    const min = POSITIVE.has(name) ? 1 : 0;
    if (typeof given !== 'number' || !Number.isSafeInteger(given) || given < min) {
      // `SRV-LIMIT-1`: a bad limit is refused when the server starts, never silently replaced.
      throw new PorticoError(
        'ERR_INVALID_OPTION',
        `option ${name} must be an integer >= ${min}, got ${typeof given === 'number' ? given : JSON.stringify(given)}`,
        { expose: true, value: given, rule: 'SRV-LIMIT-1' },
      );
    }
    out[name] = given;
  }
  const limits = out as unknown as Limits;
  if (limits.requestTimeout > 0 && limits.headersTimeout > limits.requestTimeout) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `option headersTimeout (${limits.headersTimeout}) must not exceed requestTimeout (${limits.requestTimeout})`,
      { expose: true, rule: 'SRV-LIMIT-1' },
    );
  }
  return limits;
}
