import {
  type AsyncApp,
  isPorticoError,
  type SyncApp,
  syncApp,
  validateAsync,
  validateSync,
} from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import {
  COOKIES_STATE_KEY,
  cookies,
  createCookieSigner,
  type RequestCookies,
} from '../../src/cookies/index.js';
import { expectLifespanPassesThrough } from '../helpers/lifespan.js';

const KEY = 'a-signing-key-of-at-least-32-bytes!!';
const encoder = new TextEncoder();

/** An async app that reports what it read and sets two cookies. */
const asyncLeaf: AsyncApp = async function asyncLeaf(scope, receive, send) {
  if (scope.type !== 'http') return;
  await receive();
  const jar = scope.state[COOKIES_STATE_KEY] as RequestCookies;
  const seen = {
    theme: jar.get('theme') ?? null,
    user: jar.getSigned('user') ?? null,
    proto: jar.get('__proto__') ?? null,
  };
  jar.set('theme', 'dark', { path: '/', sameSite: 'lax' });
  jar.setSigned('user', 'alice', { httpOnly: true, secure: true, path: '/' });
  jar.delete('__Host-old', { secure: true, path: '/' });
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
  await send({ type: 'http.response.body', body: encoder.encode(JSON.stringify(seen)) });
};

/** The same app in the sync interface, reading `environ['portico.state']`. */
const syncLeaf: SyncApp = syncApp(function syncLeaf(environ, startResponse) {
  const jar = (environ['portico.state'] as Record<string, unknown>)[COOKIES_STATE_KEY] as RequestCookies;
  const seen = {
    theme: jar.get('theme') ?? null,
    user: jar.getSigned('user') ?? null,
    proto: jar.get('__proto__') ?? null,
  };
  jar.set('theme', 'dark', { path: '/', sameSite: 'lax' });
  jar.setSigned('user', 'alice', { httpOnly: true, secure: true, path: '/' });
  jar.delete('__Host-old', { secure: true, path: '/' });
  startResponse('200 OK', [['Content-Type', 'application/json']]);
  return [encoder.encode(JSON.stringify(seen))];
});

const signer = createCookieSigner([KEY]);

for (const [label, app] of [
  ['async', cookies({ keys: [KEY] })(validateAsync(asyncLeaf))],
  ['sync', cookies({ keys: [KEY] })(validateSync(syncLeaf))],
] as const) {
  describe(`cookies() on an ${label} app`, () => {
    const client = createClient(app);

    it('exposes parsed and verified cookies in state.cookies and adds Set-Cookie headers', async () => {
      const cookie = `theme=light; user=${signer.sign('user', 'bob')}; theme=ignored; __proto__=p`;
      const res = await client.get('/', { headers: { cookie } });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ theme: 'light', user: 'bob', proto: 'p' });
      expect(res.headerAll('set-cookie')).toEqual([
        'theme=dark; Path=/; SameSite=Lax',
        `user=${signer.sign('user', 'alice')}; Path=/; HttpOnly; Secure`,
        '__Host-old=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure',
      ]);
      expect(res.header('content-type')).toBe('application/json');
    });

    it('reads forged, truncated and old-key signed cookies as absent', async () => {
      const good = signer.sign('user', 'bob');
      const oldKey = createCookieSigner(['an-old-retired-key-of-32-bytes-or-more']).sign('user', 'bob');
      for (const value of [good.replace('bob', 'eve'), good.slice(0, -2), oldKey, 'bob']) {
        const res = await client.get('/', { headers: { cookie: `user=${value}` } });
        expect(res.json()).toEqual({ theme: null, user: null, proto: null });
      }
    });

    it('works without a Cookie header', async () => {
      const res = await client.get('/');
      expect(res.json()).toEqual({ theme: null, user: null, proto: null });
      expect(res.headerAll('set-cookie')).toHaveLength(3);
    });
  });
}

describe('cookies() misuse and options', () => {
  it('throws ERR_INVALID_OPTION for short keys when built', () => {
    let caught: unknown;
    try {
      cookies({ keys: ['short'] });
    } catch (error) {
      caught = error;
    }
    expect(isPorticoError(caught) && caught.code).toBe('ERR_INVALID_OPTION');
  });

  it('refuses a cookie set after the response started, and a bad cookie when set', async () => {
    const errors: string[] = [];
    const app = cookies()(
      validateAsync(async function lateApp(scope, _receive, send) {
        if (scope.type !== 'http') return;
        const jar = scope.state[COOKIES_STATE_KEY] as RequestCookies;
        try {
          jar.set('a', 'x;y');
        } catch (error) {
          errors.push(`${(error as { code: string }).code}: ${(error as Error).message}`);
        }
        try {
          jar.getSigned('a');
        } catch (error) {
          errors.push((error as { code: string }).code);
        }
        await send({ type: 'http.response.start', status: 204, headers: [] });
        try {
          jar.set('late', 'v');
        } catch (error) {
          errors.push((error as { code: string }).code);
        }
        await send({ type: 'http.response.body', body: new Uint8Array(0) });
      }),
    );
    const res = await createClient(app).get('/');
    expect(res.status).toBe(204);
    expect(res.headerAll('set-cookie')).toEqual([]);
    expect(errors).toEqual([
      'ERR_INVALID_OPTION: cookie value is invalid: contains ";"',
      'ERR_INVALID_OPTION',
      'ERR_MIDDLEWARE_MISUSE',
    ]);
  });

  it('passes lifespan through to the app', async () => {
    await expectLifespanPassesThrough(cookies());
  });
});
