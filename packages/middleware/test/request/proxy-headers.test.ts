import { validateAsync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { proxyHeaders } from '../../src/request/index.js';
import { thrownCode } from '../helpers/errors.js';
import { expectLifespanPassesThrough } from '../helpers/lifespan.js';
import { LEAVES, type Seen, wsEcho } from './apps.js';

const PROXY = ['10.0.0.7', 40000] as const;

for (const [label, leaf] of LEAVES) {
  describe(`proxyHeaders() on an ${label} app`, () => {
    const trusted = createClient(proxyHeaders({ trusted: ['10.0.0.0/8', 'fd00::/8'] })(leaf), {
      client: PROXY,
    });

    it('takes the client and scheme from X-Forwarded-For/-Proto of a trusted proxy', async () => {
      const res = await trusted.get('/', {
        headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
      });
      const seen = res.json() as Seen;
      expect(seen.remoteAddr).toBe('203.0.113.9');
      expect(seen.remotePort).toBe('0');
      expect(seen.scheme).toBe('https');
      expect(seen.host).toBe('testserver'); // Host untouched without trustHost
    });

    it('ignores X-Forwarded-For from an untrusted peer (spoofing)', async () => {
      const direct = createClient(proxyHeaders({ trusted: ['10.0.0.0/8'] })(leaf), {
        client: ['198.51.100.66', 5555],
      });
      const res = await direct.get('/', {
        headers: { 'x-forwarded-for': '1.2.3.4', 'x-forwarded-proto': 'https', forwarded: 'for=1.2.3.4' },
      });
      const seen = res.json() as Seen;
      expect(seen.remoteAddr).toBe('198.51.100.66');
      expect(seen.remotePort).toBe('5555');
      expect(seen.scheme).toBe('http');
    });

    it('walks a chain of proxies right to left, skipping trusted hops', async () => {
      // client spoofs "6.6.6.6", real client 203.0.113.9, then two trusted proxies
      const res = await trusted.get('/', {
        headers: { 'x-forwarded-for': '6.6.6.6, 203.0.113.9, 10.1.1.1', 'x-forwarded-proto': 'https' },
      });
      expect((res.json() as Seen).remoteAddr).toBe('203.0.113.9');
      const split = await trusted.get('/', {
        headers: [
          ['x-forwarded-for', '6.6.6.6'],
          ['x-forwarded-for', '203.0.113.9, 10.1.1.1'],
        ],
      });
      expect((split.json() as Seen).remoteAddr).toBe('203.0.113.9');
      const allTrusted = await trusted.get('/', { headers: { 'x-forwarded-for': '10.9.9.9, 10.1.1.1' } });
      expect((allTrusted.json() as Seen).remoteAddr).toBe('10.9.9.9');
    });

    it('takes the proto of the chosen hop when every proxy appended one', async () => {
      const res = await trusted.get('/', {
        headers: { 'x-forwarded-for': '203.0.113.9, 10.1.1.1', 'x-forwarded-proto': 'https, http' },
      });
      expect((res.json() as Seen).scheme).toBe('https');
      const bad = await trusted.get('/', { headers: { 'x-forwarded-proto': 'gopher' } });
      expect((bad.json() as Seen).scheme).toBe('http');
    });

    it('handles IPv6 peers, hops and CIDR blocks, and IPv4-mapped peers', async () => {
      const v6 = createClient(proxyHeaders({ trusted: ['fd00::/8'] })(leaf), { client: ['fd00::1', 1] });
      const res = await v6.get('/', { headers: { 'x-forwarded-for': '2001:db8::5, fd12::9' } });
      expect((res.json() as Seen).remoteAddr).toBe('2001:db8::5');
      const mapped = createClient(proxyHeaders()(leaf), { client: ['::ffff:127.0.0.1', 1] });
      const m = await mapped.get('/', { headers: { 'x-forwarded-for': '192.0.2.1' } });
      expect((m.json() as Seen).remoteAddr).toBe('192.0.2.1');
    });

    it('reads Forwarded (RFC 7239): quoted IPv6 with port, proto, chains, unknown', async () => {
      const app = proxyHeaders({ trusted: ['10.0.0.0/8'], headers: 'forwarded' })(leaf);
      const client = createClient(app, { client: PROXY });
      const res = await client.get('/', {
        headers: { forwarded: 'for=1.1.1.1, for="[2001:db8::1]:4711";proto=https, for=10.0.0.2;proto=http' },
      });
      const seen = res.json() as Seen;
      expect([seen.remoteAddr, seen.remotePort, seen.scheme]).toEqual(['2001:db8::1', '4711', 'https']);
      const unknown = await client.get('/', { headers: { forwarded: 'for=unknown;proto=https' } });
      expect((unknown.json() as Seen).remoteAddr).toBeNull();
      const hidden = await client.get('/', { headers: { forwarded: 'for=_hidden' } });
      expect((hidden.json() as Seen).remoteAddr).toBeNull();
      // X-Forwarded-* are not read in 'forwarded' mode
      const xff = await client.get('/', { headers: { 'x-forwarded-for': '1.2.3.4' } });
      expect((xff.json() as Seen).remoteAddr).toBe('10.0.0.7');
    });

    it("'both' prefers Forwarded, falls back to X-Forwarded-For", async () => {
      const client = createClient(proxyHeaders({ trusted: ['10.0.0.0/8'], headers: 'both' })(leaf), {
        client: PROXY,
      });
      const both = await client.get('/', {
        headers: { forwarded: 'for=1.1.1.1', 'x-forwarded-for': '2.2.2.2' },
      });
      expect((both.json() as Seen).remoteAddr).toBe('1.1.1.1');
      const xff = await client.get('/', { headers: { 'x-forwarded-for': '2.2.2.2' } });
      expect((xff.json() as Seen).remoteAddr).toBe('2.2.2.2');
    });

    it('with trustHost sets Host and server from X-Forwarded-Host/-Port', async () => {
      const client = createClient(proxyHeaders({ trusted: ['10.0.0.0/8'], trustHost: true })(leaf), {
        client: PROXY,
      });
      const res = await client.get('/', {
        headers: {
          'x-forwarded-host': 'shop.example.com',
          'x-forwarded-proto': 'https',
          'x-forwarded-port': '8443',
        },
      });
      const seen = res.json() as Seen;
      expect([seen.host, seen.serverName, seen.serverPort, seen.scheme]).toEqual([
        'shop.example.com:8443',
        'shop.example.com',
        '8443',
        'https',
      ]);
      const v6 = await client.get('/', { headers: { 'x-forwarded-host': '[2001:db8::2]' } });
      const s6 = v6.json() as Seen;
      expect([s6.host, s6.serverName, s6.serverPort]).toEqual(['[2001:db8::2]', '[2001:db8::2]', '80']);
      const junk = await client.get('/', { headers: { 'x-forwarded-host': 'a b/c' } });
      expect((junk.json() as Seen).host).toBe('testserver');
    });

    it("trusts unix-socket peers with 'unix'", async () => {
      const client = createClient(proxyHeaders({ trusted: ['unix'] })(leaf), {
        client: null,
        server: ['/run/app.sock', null],
      });
      const res = await client.get('/', { headers: { 'x-forwarded-for': '192.0.2.4' } });
      expect((res.json() as Seen).remoteAddr).toBe('192.0.2.4');
    });
  });
}

describe('proxyHeaders() on websockets, lifespan and options', () => {
  it('maps the proto to wss for a websocket scope', async () => {
    const client = createClient(proxyHeaders({ trusted: ['10.0.0.0/8'] })(validateAsync(wsEcho)), {
      client: PROXY,
    });
    const ws = await client.websocket('/ws', {
      headers: { 'x-forwarded-for': '192.0.2.8', 'x-forwarded-proto': 'https' },
    });
    expect(JSON.parse(await ws.receiveText())).toEqual({ scheme: 'wss', client: ['192.0.2.8', 0] });
  });

  it('refuses bad options when built', () => {
    for (const options of [
      { trusted: ['not-an-ip'] },
      { trusted: ['10.0.0.0/33'] },
      { trusted: ['::1/129'] },
      { trusted: 'x' as unknown as string[] },
      { headers: 'nope' as 'both' },
      { trustHost: 'yes' as unknown as boolean },
    ]) {
      expect(thrownCode(() => proxyHeaders(options))).toBe('ERR_INVALID_OPTION');
    }
  });

  it('passes lifespan through', async () => {
    await expectLifespanPassesThrough(proxyHeaders());
  });
});
