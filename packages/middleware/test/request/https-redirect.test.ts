import { isPorticoError, validateAsync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { httpsRedirect, proxyHeaders } from '../../src/request/index.js';
import { thrownCode } from '../helpers/errors.js';
import { LEAVES, type Seen, wsEcho } from './apps.js';

for (const [label, leaf] of LEAVES) {
  describe(`httpsRedirect() on an ${label} app`, () => {
    const client = createClient(httpsRedirect()(leaf));

    it('redirects http to https with 308, keeping the raw path and query bytes', async () => {
      const res = await client.get('/a%2Fb/%C3%A9?x=%20y&z', { headers: { host: 'Example.com:8080' } });
      expect(res.status).toBe(308);
      expect(res.header('location')).toBe('https://example.com/a%2Fb/%C3%A9?x=%20y&z');
      expect(res.text()).toBe('Redirecting to https://example.com/a%2Fb/%C3%A9?x=%20y&z');
      const head = await client.head('/', { headers: { host: 'example.com' } });
      expect([head.status, head.body.byteLength]).toEqual([308, 0]);
    });

    it('uses the port option and status option; IPv6 hosts keep their brackets', async () => {
      const other = createClient(httpsRedirect({ port: 8443, status: 301 })(leaf));
      const res = await other.post('/p', { headers: { host: '[2001:db8::1]:8080' }, body: 'x' });
      expect(res.status).toBe(301);
      expect(res.header('location')).toBe('https://[2001:db8::1]:8443/p');
    });

    it('leaves https requests alone', async () => {
      const secure = createClient(httpsRedirect()(leaf), { scheme: 'https' });
      const res = await secure.get('/x');
      expect(res.status).toBe(200);
      expect((res.json() as Seen).scheme).toBe('https');
    });

    it('answers 400 for a Host that is not host[:port] (no open redirect)', async () => {
      const res = await client.get('/', { headers: { host: 'evil.com/x?' } });
      expect(res.status).toBe(400);
    });

    it('behind proxyHeaders (outside) trusts X-Forwarded-Proto instead of looping', async () => {
      const app = proxyHeaders({ trusted: ['10.0.0.0/8'] })(httpsRedirect()(leaf));
      const behind = createClient(app, { client: ['10.0.0.9', 1000] });
      const ok = await behind.get('/', { headers: { 'x-forwarded-proto': 'https' } });
      expect(ok.status).toBe(200);
      const redirected = await behind.get('/', {
        headers: { 'x-forwarded-proto': 'http', host: 'example.com' },
      });
      expect(redirected.header('location')).toBe('https://example.com/');
    });
  });
}

describe('httpsRedirect() on websockets and options', () => {
  it('closes a ws handshake with 1008 and the wss URL as reason; wss passes', async () => {
    const app = httpsRedirect()(validateAsync(wsEcho));
    let caught: unknown;
    try {
      await createClient(app).websocket('/chat?room=1', { headers: { host: 'example.com' } });
    } catch (error) {
      caught = error;
    }
    expect(isPorticoError(caught, 'ERR_WEBSOCKET_CLOSED')).toBe(true);
    expect((caught as { value: unknown }).value).toEqual({
      code: 1008,
      reason: 'use wss://example.com/chat?room=1',
    });
    const ws = await createClient(app, { scheme: 'https' }).websocket('/chat');
    expect(JSON.parse(await ws.receiveText())).toMatchObject({ scheme: 'wss' });
  });

  it('refuses bad options when built', () => {
    for (const options of [{ status: 303 }, { port: 0 }, { port: 70000 }, { port: 1.5 }]) {
      expect(thrownCode(() => httpsRedirect(options as { status?: 308; port?: number }))).toBe(
        'ERR_INVALID_OPTION',
      );
    }
  });
});
