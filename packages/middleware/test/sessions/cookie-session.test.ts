import { type AsyncApp, isPorticoError, validateAsync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import {
  COOKIE_SIZE_LIMIT,
  cookieSession,
  createSessionCodec,
  encodePayload,
  SESSION_STATE_KEY,
  type Session,
  sessionOf,
} from '../../src/sessions/index.js';
import { expectLifespanPassesThrough } from '../helpers/lifespan.js';
import { cookieLine, cookieValue, fakeClock, leaves, type Op, req, type Seen } from './apps.js';

const KEY = 'cookie-session-key-number-one-32-bytes!';
const OLD_KEY = 'an-older-cookie-session-key-of-32-bytes';
const NAME = 'portico.session';
const MIN = 60_000;

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

for (const { kind, app } of leaves) {
  describe(`cookieSession() on a ${kind} app`, () => {
    it('round-trips data across requests and writes only when it changed', async () => {
      const client = createClient(cookieSession({ keys: [KEY] })(app));
      const first = await client.get(
        '/',
        req(undefined, [['set', 'user', { name: 'alice', roles: ['admin'] }]]),
      );
      expect(first.status).toBe(200);
      const line = cookieLine(first, NAME) ?? '';
      expect(line).toMatch(
        /^portico\.session=[A-Za-z0-9_-]+; Max-Age=1800; Path=\/; HttpOnly; SameSite=Lax$/,
      );
      const value = cookieValue(first, NAME);
      expect((first.json() as Seen).before).toEqual({ data: {}, isNew: true, id: null });

      const second = await client.get('/', req(`${NAME}=${value}`));
      expect((second.json() as Seen).before).toEqual({
        data: { user: { name: 'alice', roles: ['admin'] } },
        isNew: false,
        id: null,
      });
      expect(second.headerAll('set-cookie')).toEqual([]);
    });

    it('writes nothing for an untouched new session, and a fresh IV for each write', async () => {
      const client = createClient(cookieSession({ keys: [KEY] })(app));
      expect((await client.get('/', req(undefined))).headerAll('set-cookie')).toEqual([]);
      const a = cookieValue(await client.get('/', req(undefined, [['set', 'k', 1]])), NAME);
      const b = cookieValue(await client.get('/', req(undefined, [['set', 'k', 1]])), NAME);
      expect(a).toBeDefined();
      expect(a).not.toBe(b);
    });

    it('sets Secure over https, and a __Host- name works', async () => {
      const client = createClient(cookieSession({ keys: [KEY], name: '__Host-s' })(app));
      const res = await client.get('https://example.com/', req(undefined, [['set', 'a', 'b']]));
      expect(cookieLine(res, '__Host-s')).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
      const back = await client.get('https://example.com/', req(`__Host-s=${cookieValue(res, '__Host-s')}`));
      expect((back.json() as Seen).before.data).toEqual({ a: 'b' });
    });

    it('reads tampered, truncated, unknown-key and garbage cookies as an empty new session', async () => {
      const client = createClient(cookieSession({ keys: [KEY] })(app));
      const good = cookieValue(await client.get('/', req(undefined, [['set', 'user', 'alice']])), NAME) ?? '';
      const mid = Math.floor(good.length / 2);
      const flipped = good.slice(0, mid) + (good[mid] === 'A' ? 'B' : 'A') + good.slice(mid + 1);
      const foreign = createSessionCodec([OLD_KEY], NAME).seal(
        encodePayload({ issuedAt: Date.now(), seenAt: Date.now(), data: { user: 'mallory' } }),
      );
      const otherName = createSessionCodec([KEY], 'other').seal(
        encodePayload({ issuedAt: Date.now(), seenAt: Date.now(), data: { user: 'mallory' } }),
      );
      for (const bad of [flipped, good.slice(0, -3), good.slice(5), foreign, otherName, 'x', '', '%%%']) {
        const res = await client.get('/', req(`${NAME}=${bad}`));
        expect((res.json() as Seen).before).toEqual({ data: {}, isNew: true, id: null });
      }
      // The good one still reads.
      const ok = await client.get('/', req(`${NAME}=${good}`));
      expect((ok.json() as Seen).before.data).toEqual({ user: 'alice' });
    });

    it('rotates keys: decrypts with any key, encrypts with the first', async () => {
      const old = createClient(cookieSession({ keys: [OLD_KEY] })(app));
      const rotated = createClient(cookieSession({ keys: [KEY, OLD_KEY] })(app));
      const newOnly = createClient(cookieSession({ keys: [KEY] })(app));
      const oldCookie = cookieValue(await old.get('/', req(undefined, [['set', 'n', 1]])), NAME);
      const res = await rotated.get('/', req(`${NAME}=${oldCookie}`, [['set', 'n', 2]]));
      expect((res.json() as Seen).before.data).toEqual({ n: 1 });
      const reSealed = cookieValue(res, NAME);
      expect((await newOnly.get('/', req(`${NAME}=${reSealed}`))).json()).toMatchObject({
        before: { data: { n: 2 } },
      });
      expect((await newOnly.get('/', req(`${NAME}=${oldCookie}`))).json()).toMatchObject({
        before: { data: {} },
      });
    });

    it('enforces the idle timeout on the server, with rolling refresh keeping an active session', async () => {
      const clock = fakeClock();
      const client = createClient(cookieSession({ keys: [KEY], now: clock.now })(app));
      const c0 = cookieValue(await client.get('/', req(undefined, [['set', 'u', 1]])), NAME);
      clock.advance(29 * MIN);
      const touched = await client.get('/', req(`${NAME}=${c0}`));
      expect((touched.json() as Seen).before.data).toEqual({ u: 1 });
      const c1 = cookieValue(touched, NAME); // rolling refresh: unchanged but due (touchAfter 1 min)
      expect(c1).toBeDefined();
      clock.advance(2 * MIN); // 31 min after c0 was written, 2 min after c1
      expect(((await client.get('/', req(`${NAME}=${c0}`))).json() as Seen).before.isNew).toBe(true);
      expect(((await client.get('/', req(`${NAME}=${c1}`))).json() as Seen).before.data).toEqual({ u: 1 });
    });

    it('enforces the absolute timeout however active the session is', async () => {
      const clock = fakeClock();
      const client = createClient(
        cookieSession({ keys: [KEY], now: clock.now, absoluteTimeout: 60 * MIN })(app),
      );
      let cookie = cookieValue(await client.get('/', req(undefined, [['set', 'u', 1]])), NAME);
      for (let t = 10; t < 60; t += 10) {
        clock.advance(10 * MIN);
        const res = await client.get('/', req(`${NAME}=${cookie}`));
        expect((res.json() as Seen).before.data).toEqual({ u: 1 });
        cookie = cookieValue(res, NAME) ?? cookie;
        // Max-Age is the time left of the absolute lifetime, in seconds, at most the idle timeout.
        expect(cookieLine(res, NAME)).toContain(`Max-Age=${Math.min(1800, (60 - t) * 60)}`);
      }
      clock.advance(10 * MIN);
      const late = await client.get('/', req(`${NAME}=${cookie}`));
      expect((late.json() as Seen).before).toEqual({ data: {}, isNew: true, id: null });
    });

    it('destroy() and clear() clear the cookie; regenerate() re-issues it', async () => {
      const clock = fakeClock();
      const client = createClient(cookieSession({ keys: [KEY], now: clock.now })(app));
      const c0 = cookieValue(await client.get('/', req(undefined, [['set', 'u', 1]])), NAME);
      for (const ops of [[['destroy']], [['clear']]] as Op[][]) {
        const res = await client.get('/', req(`${NAME}=${c0}`, [...ops]));
        expect(cookieLine(res, NAME)).toBe(
          'portico.session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax',
        );
        expect((res.json() as Seen).after.data).toEqual({});
      }
      const destroyed = await client.get('/', req(`${NAME}=${c0}`, [['destroy'], ['set', 'v', 2]]));
      expect((destroyed.json() as Seen).after).toEqual({ data: { v: 2 }, isNew: true, id: null });
      clock.advance(1000);
      const regen = await client.get('/', req(`${NAME}=${c0}`, [['regenerate']]));
      const c2 = cookieValue(regen, NAME);
      expect(c2).toBeDefined();
      expect(c2).not.toBe(c0);
      expect((regen.json() as Seen).after).toEqual({ data: { u: 1 }, isNew: true, id: null });
    });

    it('answers 500 and throws ERR_SESSION_TOO_LARGE past 4096 bytes of name=value', async () => {
      const clock = fakeClock();
      const middleware = cookieSession({ keys: [KEY], now: clock.now });
      const lenient = createClient(middleware(app), { raiseAppErrors: false });
      let largest = 0;
      let failedAt = 0;
      for (let n = 2900; n < 3100 && failedAt === 0; n++) {
        const res = await lenient.get('/', req(undefined, [['set', 'x', 'a'.repeat(n)]]));
        if (res.status === 200) {
          const line = cookieLine(res, NAME) ?? '';
          const size = line.split(';')[0]?.length ?? 0;
          expect(size).toBeLessThanOrEqual(COOKIE_SIZE_LIMIT);
          largest = Math.max(largest, size);
        } else {
          expect(res.status).toBe(500);
          expect(res.text()).toBe('Internal Server Error');
          expect(res.headerAll('set-cookie')).toEqual([]);
          failedAt = n;
        }
      }
      expect(largest).toBeGreaterThan(COOKIE_SIZE_LIMIT - 4);
      expect(failedAt).toBeGreaterThan(0);
      const strict = createClient(middleware(app));
      const error = await caught(strict.get('/', req(undefined, [['set', 'x', 'a'.repeat(failedAt)]])));
      expect(isPorticoError(error, 'ERR_SESSION_TOO_LARGE')).toBe(true);
      expect((error as { value: number }).value).toBeGreaterThan(COOKIE_SIZE_LIMIT);
    });

    it('keeps __proto__ as an ordinary key', async () => {
      const client = createClient(cookieSession({ keys: [KEY] })(app));
      const res = await client.get('/', req(undefined, [['set', '__proto__', { admin: true }]]));
      const back = await client.get('/', req(`${NAME}=${cookieValue(res, NAME)}`));
      const seen = back.json() as Seen;
      expect(Object.keys(seen.before.data)).toEqual(['__proto__']);
      expect(({} as { admin?: boolean }).admin).toBeUndefined();
    });
  });
}

describe('cookieSession() checks and misuse', () => {
  it('checks options when called', () => {
    const bad: unknown[] = [
      {},
      { keys: [] },
      { keys: ['short'] },
      { keys: [KEY], sameSite: 'none' },
      { keys: [KEY], name: '__Host-x', secure: false },
      { keys: [KEY], name: '__Host-x', path: '/a' },
      { keys: [KEY], name: 'a b' },
      { keys: [KEY], idleTimeout: 0 },
      { keys: [KEY], absoluteTimeout: Number.NaN },
      { keys: [KEY], secure: 'yes' },
    ];
    for (const options of bad) {
      let error: unknown;
      try {
        cookieSession(options as never);
      } catch (e) {
        error = e;
      }
      expect(isPorticoError(error, 'ERR_INVALID_OPTION'), JSON.stringify(options)).toBe(true);
    }
  });

  it('refuses non-JSON values and changes after http.response.start', async () => {
    const errors: string[] = [];
    const leaf: AsyncApp = async function misuseApp(scope, _receive, send) {
      if (scope.type !== 'http') return;
      const s = scope.state[SESSION_STATE_KEY] as Session;
      for (const value of [
        undefined,
        () => 1,
        10n,
        Number.NaN,
        new Date(0),
        new Map(),
        { a: { b: [1, Symbol()] } },
      ]) {
        try {
          s.set('k', value);
        } catch (error) {
          errors.push((error as { code: string }).code);
        }
      }
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      try {
        s.set('k', cyclic);
      } catch (error) {
        errors.push((error as { code: string }).code);
      }
      await send({ type: 'http.response.start', status: 204, headers: [] });
      try {
        s.set('late', 1);
      } catch (error) {
        errors.push((error as { code: string }).code);
      }
      errors.push((await caught(s.destroy())) instanceof Error ? 'rejected' : 'resolved');
      await send({ type: 'http.response.body', body: new Uint8Array(0) });
    };
    const res = await createClient(cookieSession({ keys: [KEY] })(validateAsync(leaf))).get('/');
    expect(res.status).toBe(204);
    expect(res.headerAll('set-cookie')).toEqual([]);
    expect(errors).toEqual([...Array(8).fill('ERR_INVALID_OPTION'), 'ERR_MIDDLEWARE_MISUSE', 'rejected']);
  });

  it('sessionOf() throws ERR_MIDDLEWARE_MISUSE without a session middleware', async () => {
    let error: unknown;
    try {
      sessionOf({ state: {} });
    } catch (e) {
      error = e;
    }
    expect(isPorticoError(error, 'ERR_MIDDLEWARE_MISUSE')).toBe(true);
  });

  it('passes lifespan through untouched', async () => {
    await expectLifespanPassesThrough(cookieSession({ keys: [KEY] }));
  });
});
