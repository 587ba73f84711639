import { isPorticoError } from '@portico/spec';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LIMIT_NAMES, resolveLimits } from '../src/limits.js';
import { rule } from './rule.js';

describe('limits', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxHeaderSize: 16384,
      maxHeadersCount: 100,
      maxBodySize: 104857600,
      headersTimeout: 60000,
      requestTimeout: 300000,
      keepAliveTimeout: 5000,
      idleTimeout: 60000,
      maxConnections: 4096,
      shutdownTimeout: 30000,
    });
    expect(resolveLimits({})).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({ maxBodySize: 5, headersTimeout: 0 })).toMatchObject({
      maxBodySize: 5,
      headersTimeout: 0,
    });
  });

  it.each(
    LIMIT_NAMES.flatMap((name) => [
      [name, -1],
      [name, 1.5],
      [name, '10'],
      [name, Number.NaN],
    ]),
  )('refuses %s = %j when the server starts', (name, value) => {
    let error: unknown;
    try {
      resolveLimits({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(isPorticoError(error, 'ERR_INVALID_OPTION')).toBe(true);
    expect((error as { rule?: string }).rule).toBe('SRV-LIMIT-1');
    expect((error as Error).message).toContain(name);
  });

  rule(
    'SRV-LIMIT-1',
    'refuses 0 where it would refuse every request, and headersTimeout over requestTimeout',
    () => {
      for (const name of ['maxHeaderSize', 'maxHeadersCount', 'maxConnections']) {
        expect(() => resolveLimits({ [name]: 0 })).toThrow(name);
      }
      expect(() => resolveLimits({ headersTimeout: 2000, requestTimeout: 1000 })).toThrow(/headersTimeout/);
      expect(resolveLimits({ headersTimeout: 2000, requestTimeout: 0 }).headersTimeout).toBe(2000);
    },
  );
});
