import { type AsyncApp, type SyncApp, syncApp, validateAsync, validateSync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { proxyHeaders } from '../../src/request/index.js';
import { DEFAULT_CSP, resolveSecurityHeaders, securityHeaders } from '../../src/security/index.js';
import { expectLifespanPassesThrough } from '../helpers/lifespan.js';

const enc = new TextEncoder();

/** `/framed` sets its own X-Frame-Options and CSP (any case): the app wins. */
const pageAsync: AsyncApp = async function pageAsync(scope, receive, send) {
  if (scope.type !== 'http') return;
  await receive();
  const own: [string, string][] =
    scope.path === '/framed'
      ? [
          ['X-Frame-Options', 'SAMEORIGIN'],
          ['content-security-policy', "frame-ancestors 'self'"],
        ]
      : [];
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/html'], ...own] });
  await send({ type: 'http.response.body', body: enc.encode('<p>hi</p>') });
};

const pageSync: SyncApp = syncApp(function pageSync(environ, startResponse) {
  const own: [string, string][] =
    environ.PATH_INFO === '/framed'
      ? [
          ['X-Frame-Options', 'SAMEORIGIN'],
          ['Content-Security-Policy', "frame-ancestors 'self'"],
        ]
      : [];
  startResponse('200 OK', [['Content-Type', 'text/html'], ...own]);
  return [enc.encode('<p>hi</p>')];
});

const HSTS = 'max-age=31536000; includeSubDomains';

for (const [label, leaf] of [
  ['async', () => validateAsync(pageAsync)],
  ['sync', () => validateSync(pageSync)],
] as const) {
  describe(`securityHeaders() on an ${label} app`, () => {
    it('adds the defaults over http, without Strict-Transport-Security', async () => {
      const res = await createClient(validateAsync(securityHeaders()(leaf()))).get('/');
      expect(res.status).toBe(200);
      expect(res.text()).toBe('<p>hi</p>');
      expect(res.header('x-content-type-options')).toBe('nosniff');
      expect(res.header('x-frame-options')).toBe('DENY');
      expect(res.header('referrer-policy')).toBe('strict-origin-when-cross-origin');
      expect(res.header('cross-origin-opener-policy')).toBe('same-origin');
      expect(res.header('content-security-policy')).toBe(DEFAULT_CSP);
      expect(res.header('strict-transport-security')).toBeNull();
    });

    it('adds Strict-Transport-Security over https only', async () => {
      const client = createClient(validateAsync(securityHeaders()(leaf())), { scheme: 'https' });
      expect((await client.get('/')).headerAll('strict-transport-security')).toEqual([HSTS]);
      const custom = createClient(
        validateAsync(
          securityHeaders({ strictTransportSecurity: { maxAge: 63072000, preload: true } })(leaf()),
        ),
        { scheme: 'https' },
      );
      expect((await custom.get('/')).header('strict-transport-security')).toBe(
        'max-age=63072000; includeSubDomains; preload',
      );
    });

    it('keeps the headers the app set (the app wins), once each', async () => {
      const res = await createClient(validateAsync(securityHeaders()(leaf()))).get('/framed');
      expect(res.headerAll('x-frame-options')).toEqual(['SAMEORIGIN']);
      expect(res.headerAll('content-security-policy')).toEqual(["frame-ancestors 'self'"]);
      expect(res.header('x-content-type-options')).toBe('nosniff');
    });

    it('leaves out disabled headers and uses overrides', async () => {
      const app = securityHeaders({
        contentSecurityPolicy: false,
        xFrameOptions: false,
        referrerPolicy: 'no-referrer',
        strictTransportSecurity: false,
      })(leaf());
      const res = await createClient(validateAsync(app), { scheme: 'https' }).get('/');
      expect(res.header('content-security-policy')).toBeNull();
      expect(res.header('x-frame-options')).toBeNull();
      expect(res.header('strict-transport-security')).toBeNull();
      expect(res.header('referrer-policy')).toBe('no-referrer');
    });
  });
}

describe('securityHeaders() options', () => {
  it('refuses CR/LF, controls, unknown options and bad HSTS settings', () => {
    for (const bad of [
      { contentSecurityPolicy: "default-src 'self'\r\nset-cookie: a=b" },
      { referrerPolicy: 'no-referrer\n' },
      { xFrameOptions: 'DENY\u0000' },
      { xFrameOptions: '' },
      { xFrameOptions: true },
      { frameOptions: 'DENY' },
      { strictTransportSecurity: { maxAge: -1 } },
      { strictTransportSecurity: { maxAge: 1.5 } },
      { strictTransportSecurity: { preload: true, includeSubDomains: false } },
      { strictTransportSecurity: 'max-age=1\r\n' },
      { strictTransportSecurity: null },
    ]) {
      expect(() => securityHeaders(bad as never), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });

  it('resolves the header lists once', () => {
    const { http, https } = resolveSecurityHeaders({ strictTransportSecurity: 'max-age=60' });
    expect(http.map(([n]) => n)).toEqual([
      'content-security-policy',
      'cross-origin-opener-policy',
      'referrer-policy',
      'x-content-type-options',
      'x-frame-options',
    ]);
    expect(https.at(-1)).toEqual(['strict-transport-security', 'max-age=60']);
  });

  it('passes lifespan through', async () => {
    await expectLifespanPassesThrough(securityHeaders());
  });
});

describe('securityHeaders() behind proxyHeaders()', () => {
  const app = proxyHeaders({ trusted: ['10.0.0.0/8'] })(securityHeaders()(validateAsync(pageAsync)));

  it('sends HSTS when a trusted proxy says https, never when an untrusted peer says so', async () => {
    const viaProxy = createClient(app, { client: ['10.0.0.7', 40000] });
    const https = await viaProxy.get('/', { headers: { 'x-forwarded-proto': 'https' } });
    expect(https.header('strict-transport-security')).toBe(HSTS);
    const http = await viaProxy.get('/', { headers: { 'x-forwarded-proto': 'http' } });
    expect(http.header('strict-transport-security')).toBeNull();
    const spoofed = await createClient(app, { client: ['198.51.100.9', 40000] }).get('/', {
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(spoofed.header('strict-transport-security')).toBeNull();
  });

  it('the default CSP forbids inline script, plugins, framing and foreign form targets', () => {
    const directives = new Map(
      DEFAULT_CSP.split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')] as const;
      }),
    );
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('object-src')).toBe("'none'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(directives.get('form-action')).toBe("'self'");
    expect(directives.get('base-uri')).toBe("'self'");
    expect(DEFAULT_CSP).not.toContain('unsafe-inline');
    expect(DEFAULT_CSP).not.toContain('unsafe-eval');
  });
});
