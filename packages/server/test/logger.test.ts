import { describe, expect, it } from 'vitest';
import { createLogger, formatLogLine, isLogLevel } from '../src/logger.js';

function capture() {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => lines.push(s) } };
}

describe('createLogger', () => {
  it('writes one line per message at and above the level: level, message, key=value fields', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream);
    log.debug('hidden');
    log.info('listening', { address: 'http://127.0.0.1:8000', n: 3 });
    log.warn('slow', { note: 'two words' });
    log.error('bad', { err: new Error('x\ny') });
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
    }
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO listening address=http:\/\/127\.0\.0\.1:8000 n=3\n$/,
    );
    expect(lines[1]).toContain('WARN slow note="two words"');
    expect(lines[2]).toContain('ERROR bad err="Error: x\\ny');
  });

  it('silent writes nothing; error writes only errors', () => {
    const a = capture();
    const silent = createLogger('silent', a.stream);
    silent.error('x');
    expect(a.lines).toEqual([]);
    const b = capture();
    const errorsOnly = createLogger('error', b.stream);
    errorsOnly.warn('w');
    errorsOnly.error('e');
    expect(b.lines).toHaveLength(1);
  });

  it('keeps a message with a newline on one line', () => {
    expect(formatLogLine('info', 'a\nb')).toMatch(/ INFO "a\\nb"$/);
  });

  it('rejects an unknown level', () => {
    expect(() => createLogger('loud' as never)).toThrow(TypeError);
    expect(isLogLevel('debug')).toBe(true);
    expect(isLogLevel('loud')).toBe(false);
  });
});

describe('formatLogLine with values that resist printing', () => {
  it('never throws: null-prototype cycles, throwing getters and toString, symbols, revoked proxies', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.self = bare;
    const getter = Object.defineProperty(new Error('boom'), 'stack', {
      get() {
        throw new Error('no stack for you');
      },
    });
    const toStringThrows = {
      toJSON() {
        throw new Error('no JSON');
      },
      toString() {
        throw new Error('no string');
      },
    };
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const lines = [bare, getter, toStringThrows, Symbol('s'), proxy, 10n].map((value) =>
      formatLogLine('error', 'app raised', { error: value }),
    );
    expect(lines[0]).toContain('error="[object Object]"');
    expect(lines[1]).toMatch(/error="(Error: boom|\[object Error\])"/);
    expect(lines[2]).toContain('error="[object Object]"');
    expect(lines[3]).toContain('error="Symbol(s)"');
    expect(lines[4]).toContain('error="[unprintable value]"');
    expect(lines[5]).toContain('error="10"');
    for (const line of lines) expect(line).not.toContain('\n');
  });
});
