import { isPorticoError, validateAsync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { hostName, trustedHost } from '../../src/request/index.js';
import { callWithScope } from '../helpers/direct.js';
import { thrownCode } from '../helpers/errors.js';
import { LEAVES, type Seen, seeAsync, wsEcho } from './apps.js';

const ALLOWED = ['example.com', '*.example.com', 'localhost', '[::1]', 'www.shop.test'];

for (const [label, leaf] of LEAVES) {
  describe(`trustedHost() on an ${label} app`, () => {
    const client = createClient(trustedHost({ allowed: ALLOWED })(leaf));

    it('lets allowed hosts through: exact, wildcard subdomain, port, case, IPv6 literal', async () => {
      for (const host of [
        'example.com',
        'EXAMPLE.com:8080',
        'a.b.example.com',
        'localhost:3000',
        '[::1]:8000',
        'example.com.',
      ]) {
        const res = await client.get('/', { headers: { host } });
        expect([host, res.status]).toEqual([host, 200]);
        expect((res.json() as Seen).host).toBe(host);
      }
    });

    it('refuses spoofed and malformed hosts with 400 Invalid host header', async () => {
      for (const host of [
        'evil.com',
        'example.com.evil.com',
        'evilexample.com',
        'example.com@evil.com',
        'example.com:80:80',
        '[::2]',
        '[::1',
        'example.com/x',
        '',
      ]) {
        const res = await client.get('/', { headers: { host } });
        expect([host, res.status, res.text()]).toEqual([host, 400, 'Invalid host header']);
        expect(res.header('content-type')).toBe('text/plain; charset=utf-8');
      }
    });

    it('refuses two Host headers (RFC 9112 section 3.2)', async () => {
      const res = await client.get('/', {
        headers: [
          ['host', 'example.com'],
          ['host', 'evil.com'],
        ],
      });
      expect(res.status).toBe(400);
    });

    it('redirects to www. when only the www host is allowed, keeping the raw target', async () => {
      const res = await client.get('/a%2Fb?q=%20x', { headers: { host: 'shop.test:8080' } });
      expect(res.status).toBe(308);
      expect(res.header('location')).toBe('http://www.shop.test:8080/a%2Fb?q=%20x');
      const off = createClient(trustedHost({ allowed: ALLOWED, wwwRedirect: false })(leaf));
      expect((await off.get('/', { headers: { host: 'shop.test' } })).status).toBe(400);
    });

    it("'*' allows every host", async () => {
      const any = createClient(trustedHost({ allowed: ['*'] })(leaf));
      expect((await any.get('/', { headers: { host: 'whatever.invalid' } })).status).toBe(200);
    });
  });
}

/** Calls `app` with a validated HTTP scope that has no Host header (an HTTP/1.0 request). */
async function withoutHost(allowMissing: boolean): Promise<number> {
  const app = validateAsync(trustedHost({ allowed: ['example.com'], allowMissing })(validateAsync(seeAsync)));
  const [start] = await callWithScope(app, { httpVersion: '1.0' });
  return start?.type === 'http.response.start' ? start.status : 0;
}

describe('trustedHost() without Host, on websockets, and options', () => {
  it('refuses a request without Host unless allowMissing', async () => {
    expect(await withoutHost(false)).toBe(400);
    expect(await withoutHost(true)).toBe(200);
  });

  it('closes a websocket with 1008 before accept for a bad host, accepts a good one', async () => {
    const client = createClient(trustedHost({ allowed: ['example.com'] })(validateAsync(wsEcho)));
    let caught: unknown;
    try {
      await client.websocket('/ws', { headers: { host: 'evil.com' } });
    } catch (error) {
      caught = error;
    }
    expect(isPorticoError(caught, 'ERR_WEBSOCKET_CLOSED')).toBe(true);
    expect((caught as { value: unknown }).value).toMatchObject({ code: 1008 });
    const ws = await client.websocket('/ws', { headers: { host: 'example.com' } });
    expect(JSON.parse(await ws.receiveText())).toMatchObject({ scheme: 'ws' });
  });

  it('checks the patterns when built', () => {
    for (const allowed of [
      [],
      ['exa mple.com'],
      ['example.com:80'],
      ['http://example.com'],
      ['*example.com'],
      [3],
    ]) {
      expect([allowed, thrownCode(() => trustedHost({ allowed: allowed as string[] }))]).toEqual([
        allowed,
        'ERR_INVALID_OPTION',
      ]);
    }
  });

  it('hostName strips the port, lowercases, keeps IPv6 brackets', () => {
    expect(hostName('Example.COM:443')).toBe('example.com');
    expect(hostName('[2001:DB8::1]:80')).toBe('[2001:db8::1]');
    expect(hostName('a:b:c')).toBeNull();
    expect(hostName('[zz]')).toBeNull();
  });
});
