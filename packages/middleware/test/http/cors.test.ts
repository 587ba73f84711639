import { asyncApp, isPorticoError, validateAsync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { type CorsOptions, cors } from '../../src/http/index.js';
import { thrownCode } from '../helpers/errors.js';
import { bytes, replyApps } from './apps.js';

const SITE = 'https://app.example';
const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

for (const { label, app, seen } of replyApps({
  headers: [
    ['content-type', 'text/plain'],
    ['x-total', '3'],
  ],
  chunks: [bytes('hello')],
})) {
  describe(`cors() on a ${label} app`, () => {
    const client = createClient(
      cors({
        origins: [SITE, 'null'],
        credentials: true,
        exposeHeaders: ['X-Total'],
        maxAge: 600,
        allowHeaders: ['Content-Type', 'X-Token'],
      })(app),
    );

    it('answers an allowed preflight itself: 204 with the Access-Control-* headers', async () => {
      const before = seen.length;
      const res = await client.options('/items', {
        headers: {
          origin: SITE,
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'x-token, content-type',
        },
      });
      expect(res.status).toBe(204);
      expect(res.header('access-control-allow-origin')).toBe(SITE);
      expect(res.header('access-control-allow-credentials')).toBe('true');
      expect(res.header('access-control-allow-methods')).toBe('GET, HEAD, PUT, PATCH, POST, DELETE');
      expect(res.header('access-control-allow-headers')).toBe('Content-Type, X-Token');
      expect(res.header('access-control-max-age')).toBe('600');
      expect(res.header('vary')).toBe(PREFLIGHT_VARY);
      expect(res.body.length).toBe(0);
      expect(seen.length).toBe(before); // not passed to the app
    });

    it('refuses a preflight from another origin, for another method or header: 403, no CORS headers', async () => {
      for (const headers of [
        { origin: 'https://evil.example', 'access-control-request-method': 'PUT' },
        { origin: SITE, 'access-control-request-method': 'PURGE' },
        { origin: SITE, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-other' },
      ]) {
        const res = await client.options('/items', { headers });
        expect(res.status).toBe(403);
        expect(res.text()).toBe('CORS preflight refused');
        expect(res.header('access-control-allow-origin')).toBeNull();
        expect(res.header('vary')).toBe(PREFLIGHT_VARY);
      }
    });

    it('adds ACAO, ACAC, expose headers and Vary: Origin to an allowed actual request', async () => {
      const res = await client.get('/items', { headers: { origin: SITE } });
      expect(res.status).toBe(200);
      expect(res.text()).toBe('hello');
      expect(res.header('access-control-allow-origin')).toBe(SITE);
      expect(res.header('access-control-allow-credentials')).toBe('true');
      expect(res.header('access-control-expose-headers')).toBe('X-Total');
      expect(res.header('vary')).toBe('Origin');
    });

    it('a disallowed or absent origin: the app answers, no CORS headers, still Vary: Origin', async () => {
      for (const headers of [{ origin: 'https://evil.example' }, {}]) {
        const res = await client.get('/items', { headers });
        expect(res.text()).toBe('hello');
        expect(res.header('access-control-allow-origin')).toBeNull();
        expect(res.header('access-control-allow-credentials')).toBeNull();
        expect(res.header('vary')).toBe('Origin');
      }
    });

    it('OPTIONS without Access-Control-Request-Method is not a preflight: the app answers', async () => {
      const res = await client.options('/items', { headers: { origin: SITE } });
      expect(res.text()).toBe('hello');
      expect(res.header('access-control-allow-origin')).toBe(SITE);
    });

    it('the null origin is allowed when listed', async () => {
      const res = await client.get('/', { headers: { origin: 'null' } });
      expect(res.header('access-control-allow-origin')).toBe('null');
    });
  });
}

describe('cors() origins forms', () => {
  const app = replyApps({ headers: [['content-type', 'text/plain']], chunks: [bytes('x')] })[0]!.app;
  const acao = async (options: CorsOptions, origin: string, method = 'GET') => {
    const res = await createClient(cors(options)(app)).request(method, '/', {
      headers:
        method === 'OPTIONS'
          ? {
              origin,
              'access-control-request-method': 'DELETE',
              'access-control-request-headers': 'X-A, x-b',
            }
          : { origin },
    });
    return { acao: res.header('access-control-allow-origin'), res };
  };

  it("'*' sends ACAO * without Vary, never for the null origin, reflects requested headers", async () => {
    const { acao: a, res } = await acao({ origins: '*' }, 'https://x.example');
    expect(a).toBe('*');
    expect(res.header('vary')).toBeNull();
    expect(res.header('access-control-allow-credentials')).toBeNull();
    expect((await acao({ origins: '*' }, 'null')).acao).toBeNull();
    const pre = await acao({ origins: '*' }, 'https://x.example', 'OPTIONS');
    expect(pre.res.status).toBe(204);
    expect(pre.acao).toBe('*');
    expect(pre.res.header('access-control-allow-headers')).toBe('x-a, x-b');
  });

  it('RegExps match the whole origin and never null; functions decide', async () => {
    const re: CorsOptions = { origins: [/https:\/\/[a-z]+\.example\.com/] };
    expect((await acao(re, 'https://a.example.com')).acao).toBe('https://a.example.com');
    expect((await acao(re, 'https://a.example.com.evil.net')).acao).toBeNull();
    expect((await acao({ origins: [/.*/] }, 'null')).acao).toBeNull();
    const fn: CorsOptions = { origins: (o, scope) => o.endsWith('.test') && scope.type === 'http' };
    expect((await acao(fn, 'http://ok.test')).acao).toBe('http://ok.test');
    expect((await acao(fn, 'http://ok.tes')).acao).toBeNull();
  });

  it('private network preflights are answered only when enabled', async () => {
    const headers = {
      origin: SITE,
      'access-control-request-method': 'GET',
      'access-control-request-private-network': 'true',
    };
    for (const privateNetwork of [true, false]) {
      const res = await createClient(cors({ origins: [SITE], privateNetwork })(app)).options('/', {
        headers,
      });
      expect(res.header('access-control-allow-private-network')).toBe(privateNetwork ? 'true' : null);
    }
  });

  it('refuses bad options when called; never * with credentials', () => {
    const bad: CorsOptions[] = [
      { origins: '*', credentials: true },
      { origins: 'https://a.example' as never },
      { origins: ['https://a.example', /x/] as never },
      { methods: ['GET', 'BAD METHOD'] },
      { allowHeaders: ['X:Y'] },
      { maxAge: -1 },
      { maxAge: 1.5 },
      { credentials: 'yes' as never },
    ];
    for (const options of bad) {
      expect([options, thrownCode(() => cors(options))]).toEqual([options, 'ERR_INVALID_OPTION']);
    }
  });

  it('refuses a websocket handshake from a disallowed Origin; passes allowed and absent ones', async () => {
    const wsApp = cors({ origins: [SITE] })(
      validateAsync(
        asyncApp(async function wsApp(scope, receive, send) {
          if (scope.type !== 'websocket') return;
          await receive();
          await send({ type: 'websocket.accept' });
          await send({ type: 'websocket.close', code: 1000 });
        }),
      ),
    );
    const client = createClient(wsApp);
    let caught: unknown;
    try {
      await client.websocket('/ws', { headers: { origin: 'https://evil.example' } });
    } catch (error) {
      caught = error;
    }
    expect(isPorticoError(caught, 'ERR_WEBSOCKET_CLOSED')).toBe(true);
    expect((caught as { value: unknown }).value).toMatchObject({ code: 1008 });
    for (const headers of [{ origin: SITE }, {}]) {
      const ws = await client.websocket('/ws', { headers });
      // accepted; the app then closed normally
      const end = await ws.receive().catch((error: unknown) => error);
      expect((end as { value: unknown }).value).toMatchObject({ code: 1000 });
    }
  });
});
