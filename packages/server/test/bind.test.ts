import { isPorticoError } from '@portico/spec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAddress, parseBind } from '../src/bind.js';

describe('parseBind', () => {
  it.each([
    ['127.0.0.1:8000', { kind: 'tcp', host: '127.0.0.1', port: 8000 }],
    ['localhost:0', { kind: 'tcp', host: 'localhost', port: 0 }],
    ['0.0.0.0:65535', { kind: 'tcp', host: '0.0.0.0', port: 65535 }],
    ['example.org', { kind: 'tcp', host: 'example.org', port: 8000 }],
    ['[::1]:8000', { kind: 'tcp', host: '::1', port: 8000 }],
    ['[::]', { kind: 'tcp', host: '::', port: 8000 }],
    ['unix:/run/app.sock', { kind: 'unix', path: '/run/app.sock' }],
    ['unix:rel.sock', { kind: 'unix', path: 'rel.sock' }],
    ['fd://3', { kind: 'fd', fd: 3 }],
  ])('%s', (text, expected) => {
    expect(parseBind(text)).toEqual(expected);
  });

  it.each([
    ['', /empty/],
    [':8000', /no host/],
    ['127.0.0.1:80a', /not a number/],
    ['127.0.0.1:70000', /over 65535/],
    ['::1:8000', /brackets/],
    ['[::1', /missing "\]"/],
    ['[nope]:1', /not an IPv6/],
    ['[::1]8000', /":PORT"/],
    ['unix:', /no socket path/],
    ['fd://x', /fd:\/\/N/],
    ['a b:1', /not a host name/],
  ])('refuses %j', (text, why) => {
    let error: unknown;
    try {
      parseBind(text);
    } catch (err) {
      error = err;
    }
    expect(isPorticoError(error, 'ERR_INVALID_OPTION')).toBe(true);
    expect((error as Error).message).toMatch(why);
    expect((error as Error).message).toContain(JSON.stringify(text));
  });

  it('round-trips formatAddress for IPv4 and IPv6 (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 0, max: 65535 }), (host, port) => {
        const url = formatAddress('http', { host, port });
        expect(parseBind(url.slice('http://'.length))).toEqual({ kind: 'tcp', host, port });
      }),
    );
  });

  it('formats unix sockets as unix:PATH', () => {
    expect(formatAddress('http', { path: '/tmp/a.sock' })).toBe('unix:/tmp/a.sock');
  });
});
