import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, formatSize, parseCount, parseDuration, parseSize } from '../src/units.js';

function errorOf(fn: () => unknown): { code?: unknown; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: unknown; message: string };
  }
  throw new Error('expected a throw');
}

describe('parseSize', () => {
  it.each([
    ['0', 0],
    ['65536', 65536],
    ['64k', 65536],
    ['64K', 65536],
    ['1m', 1048576],
    ['2g', 2 * 1024 ** 3],
  ])('reads %s as %d bytes', (text, bytes) => {
    expect(parseSize(text, 'max-body-size')).toBe(bytes);
  });

  it.each(['', '-1', '1.5k', '12q', 'k', '1 k', '1kb', '99999999999999999g'])('refuses %j', (text) => {
    const err = errorOf(() => parseSize(text, 'max-body-size'));
    expect(err.code).toBe('ERR_INVALID_OPTION');
    expect(err.message).toMatch(/^option --max-body-size: expected .*, got ".*"$/);
    expect(err.message).not.toContain('\n');
  });

  it('multiplies by powers of 1024 for every suffix (property)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 1_000_000 }),
        fc.constantFrom(['', 1], ['k', 1024], ['m', 1024 ** 2], ['g', 1024 ** 3]),
        (n, [suffix, unit]) => {
          expect(parseSize(`${n}${suffix}`, 'x')).toBe(n * (unit as number));
        },
      ),
    );
  });

  it('either returns a safe non-negative integer or throws ERR_INVALID_OPTION (property)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        let value: number;
        try {
          value = parseSize(text, 'x');
        } catch (err) {
          expect((err as { code?: unknown }).code).toBe('ERR_INVALID_OPTION');
          return;
        }
        expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
      }),
    );
  });
});

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['5000', 5000],
    ['250ms', 250],
    ['5s', 5000],
    ['1.5s', 1500],
    ['5S', 5000],
    ['0.0004s', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text, 'headers-timeout')).toBe(ms);
  });

  it.each(['', 's', '-5s', '5m', '5 s', '1e3', 'soon'])('refuses %j', (text) => {
    const err = errorOf(() => parseDuration(text, 'headers-timeout'));
    expect(err.code).toBe('ERR_INVALID_OPTION');
    expect(err.message).toContain('option --headers-timeout');
  });

  it('reads N s as 1000 N ms and N ms as N (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), (n) => {
        expect(parseDuration(`${n}s`, 'x')).toBe(n * 1000);
        expect(parseDuration(`${n}ms`, 'x')).toBe(n);
        expect(parseDuration(`${n}`, 'x')).toBe(n);
      }),
    );
  });
});

describe('parseCount', () => {
  it('reads positive integers', () => {
    expect(parseCount('1', 'max-connections')).toBe(1);
    expect(parseCount('100', 'max-connections')).toBe(100);
  });

  it.each(['0', '-1', '1.5', '10k', '', 'many'])('refuses %j', (text) => {
    expect(errorOf(() => parseCount(text, 'max-connections')).message).toContain(
      'expected a positive integer',
    );
  });
});

describe('formatSize and formatDuration', () => {
  it('write the defaults the way the help shows them', () => {
    expect(formatSize(16384)).toBe('16k');
    expect(formatSize(104_857_600)).toBe('100m');
    expect(formatSize(1000)).toBe('1000');
    expect(formatDuration(60_000)).toBe('60s');
    expect(formatDuration(750)).toBe('750ms');
    expect(formatDuration(0)).toBe('0ms');
  });

  it('write what the parsers read back (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), (n) => {
        expect(parseSize(formatSize(n), 'x')).toBe(n);
        expect(parseDuration(formatDuration(n), 'x')).toBe(n);
      }),
    );
  });
});
