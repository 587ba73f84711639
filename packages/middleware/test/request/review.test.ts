/** Adversarial review of the request-side middleware: proxy chains, hosts, overrides, limits. */
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import {
  bodyLimit,
  httpsRedirect,
  methodOverride,
  proxyHeaders,
  trustedHost,
} from '../../src/request/index.js';
import { thrownCode } from '../helpers/errors.js';
import { LEAVES, type Seen } from './apps.js';

for (const [label, leaf] of LEAVES) {
  describe(`proxyHeaders() chains on an ${label} app`, () => {
    const client = createClient(proxyHeaders({ trusted: ['10.0.0.0/8', 'fd00::/8'] })(leaf), {
      client: ['10.0.0.7', 40000],
    });
    const seen = async (headers: Record<string, string | string[]>) =>
      (await client.get('/', { headers })).json() as Seen;

    it('walks X-Forwarded-For with odd spacing, ports and IPv6 from the right', async () => {
      expect((await seen({ 'x-forwarded-for': ' 203.0.113.9 ,10.1.1.1,  10.2.2.2 ' })).remoteAddr).toBe(
        '203.0.113.9',
      );
      const ported = await seen({ 'x-forwarded-for': '203.0.113.9:5555, 10.1.1.1' });
      expect([ported.remoteAddr, ported.remotePort]).toEqual(['203.0.113.9', '5555']);
      const v6 = await seen({ 'x-forwarded-for': '[2001:db8::1]:8080, fd00::2' });
      expect([v6.remoteAddr, v6.remotePort]).toEqual(['2001:db8::1', '8080']);
      const bare = await seen({ 'x-forwarded-for': '2001:db8::9' });
      expect(bare.remoteAddr).toBe('2001:db8::9');
    });

    it('a spoofed left part of the chain is never believed past the first untrusted hop', async () => {
      const s = await seen({ 'x-forwarded-for': '127.0.0.1, 198.51.100.5, 10.1.1.1' });
      expect(s.remoteAddr).toBe('198.51.100.5');
    });

    it('ignores X-Forwarded-Proto values other than http/https, and reads repeated lines as one list', async () => {
      for (const proto of ['ftp', 'javascript', 'https, ftp', '']) {
        expect([proto, (await seen({ 'x-forwarded-proto': proto })).scheme]).toEqual([proto, 'http']);
      }
      // One entry per hop over two lines: the entry aligned with the chosen hop wins.
      const two = await seen({
        'x-forwarded-for': '203.0.113.9, 10.1.1.1',
        'x-forwarded-proto': ['https', 'http'],
      });
      expect([two.remoteAddr, two.scheme]).toEqual(['203.0.113.9', 'https']);
    });

    it('an address with an IPv6 zone id is read as an address, never as garbage in the log', async () => {
      const s = await seen({ 'x-forwarded-for': 'fe80::1%eth0' });
      expect(s.remoteAddr).toBe('fe80::1%eth0');
      expect((await seen({ 'x-forwarded-for': 'fe80::1%eth0 "x' })).remoteAddr).toBeNull();
    });
  });

  describe(`trustedHost() host forms on an ${label} app`, () => {
    it('matches case-insensitively, ignores the FQDN dot and the port, on both sides', async () => {
      const client = createClient(
        trustedHost({ allowed: ['Example.COM.', '*.Api.Example.com.', '[::1]'] })(leaf),
      );
      for (const host of [
        'EXAMPLE.com',
        'example.com.',
        'example.com:8443',
        'v1.api.example.com.',
        '[::1]:8080',
        '[0:0::1]',
      ]) {
        const res = await client.get('/', { headers: { host } });
        expect([host, res.status]).toEqual([host, host === '[0:0::1]' ? 400 : 200]);
      }
      for (const host of [
        '',
        'example.com..',
        'api.example.com',
        'evil.com',
        'example.com:x',
        'a@example.com',
      ]) {
        const res = await client.get('/', { headers: { host } });
        expect([host, res.status]).toEqual([host, 400]);
      }
    });
  });

  describe(`httpsRedirect() targets on an ${label} app`, () => {
    const client = createClient(httpsRedirect()(leaf));
    it('never builds a Location whose authority is not the Host name', async () => {
      for (const host of ['evil.com/x', 'a@evil.com', 'evil.com\\@good.com', 'good.com:80@evil.com']) {
        const res = await client.get('/p', { headers: { host } });
        expect([host, res.status, res.header('location')]).toEqual([host, 400, null]);
      }
      const slashes = await client.get('//evil.com/x', { headers: { host: 'good.example' } });
      expect(slashes.header('location')).toBe('https://good.example//evil.com/x');
    });
  });

  describe(`bodyLimit() boundary on an ${label} app`, () => {
    const client = createClient(bodyLimit({ limit: 5 })(leaf));
    it('a body of exactly limit bytes passes, declared or chunked; one more byte is refused', async () => {
      expect((await client.post('/', { body: '12345' })).status).toBe(200);
      expect((await client.post('/', { body: '123456' })).status).toBe(413);
    });
  });
}

describe('methodOverride() targets', () => {
  it('refuses CONNECT and TRACE as override targets when called', () => {
    for (const methods of [['CONNECT'], ['trace'], ['PUT', 'Connect']]) {
      expect([methods, thrownCode(() => methodOverride({ methods }))]).toEqual([
        methods,
        'ERR_INVALID_OPTION',
      ]);
    }
  });

  for (const [label, leaf] of LEAVES) {
    it(`never turns a GET into anything, nor a POST into a method not listed (${label})`, async () => {
      const client = createClient(methodOverride({ query: '_method' })(leaf));
      const get = (
        await client.get('/?_method=DELETE', {
          headers: { 'x-http-method-override': 'DELETE' },
        })
      ).json() as Seen;
      expect(get.method).toBe('GET');
      for (const m of ['TRACE', 'CONNECT', 'GET', 'delete ']) {
        const res = (await client.post('/', { headers: { 'x-http-method-override': m } })).json() as Seen;
        expect([m, res.method]).toEqual([m, m === 'delete ' ? 'DELETE' : 'POST']);
      }
    });
  }
});

describe('methodOverride() and safe methods', () => {
  it('refuses GET, HEAD and OPTIONS as override targets when called: a POST turned safe would skip csrf()', () => {
    for (const methods of [['GET'], ['head'], ['PUT', 'Options']]) {
      expect(thrownCode(() => methodOverride({ methods }))).toBe('ERR_INVALID_OPTION');
    }
    expect(thrownCode(() => methodOverride({ methods: ['PUT', 'PATCH', 'DELETE'] }))).toBeUndefined();
  });
});
