/** Adversarial cases of the session middlewares: races, hostile stored data, stale stores. */
import { type AsyncApp, validateAsync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { MemoryStore, type SessionRecord, session, sessionOf } from '../../src/sessions/index.js';
import { sendJson } from '../helpers/respond.js';
import { cookieValue, fakeClock, leaves, req, type Seen } from './apps.js';

const NAME = 'portico.sid';
const MIN = 60_000;

/** Resolves when `open()` is called: holds a request inside the app. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

describe('session() and concurrent requests of one session', () => {
  for (const [label, op] of [
    ['destroy()', 'destroy'],
    ['regenerate()', 'regenerate'],
  ] as const) {
    it(`a slow request does not bring back a session ${label} ended meanwhile`, async () => {
      const clock = fakeClock();
      const store = new MemoryStore({ now: clock.now });
      const held = gate();
      const entered = gate();
      const app: AsyncApp = async function slowApp(scope, receive, send) {
        if (scope.type !== 'http') return;
        await receive();
        const s = sessionOf(scope);
        if (scope.path === '/slow') {
          entered.open();
          await held.wait;
          s.set('cart', [1]);
        } else if (scope.path === '/logout') {
          await s[op]();
        } else if (scope.path === '/login') {
          s.set('user', 'alice');
        }
        await sendJson(send, { data: s.toJSON(), isNew: s.isNew });
      };
      const client = createClient(session({ store, now: clock.now })(validateAsync(app)));
      const id = cookieValue(await client.get('/login'), NAME) ?? '';
      expect(id).not.toBe('');
      const slow = client.get('/slow', { headers: { cookie: `${NAME}=${id}` } });
      await entered.wait; // the slow request has loaded the session
      const logout = await client.get('/logout', { headers: { cookie: `${NAME}=${id}` } });
      expect(logout.status).toBe(200);
      expect(await store.get(id)).toBeUndefined();
      held.open();
      const late = await slow;
      expect(late.status).toBe(200);
      // The old id stays dead: no record under it, and the slow response does not re-issue it.
      expect(await store.get(id)).toBeUndefined();
      expect(cookieValue(late, NAME)).not.toBe(id);
      const replay = await client.get('/whoami', { headers: { cookie: `${NAME}=${id}` } });
      expect((replay.json() as { isNew: boolean }).isNew).toBe(true);
    });
  }
});

for (const { kind, app } of leaves) {
  describe(`session() with hostile or stale records on a ${kind} app`, () => {
    it('loads __proto__ and constructor keys as ordinary data, without polluting prototypes', async () => {
      const clock = fakeClock();
      const store = new MemoryStore({ now: clock.now });
      const id = 'A'.repeat(43);
      const data = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"p":1}},"u":1}');
      await store.set(id, { data, issuedAt: clock.now(), seenAt: clock.now() }, 10 * MIN);
      const client = createClient(session({ store, now: clock.now })(app));
      const res = await client.get('/', req(`${NAME}=${id}`, [['set', 'v', 2]]));
      const seen = res.json() as Seen;
      expect(seen.before.isNew).toBe(false);
      expect(Object.keys(seen.after.data).sort()).toEqual(['__proto__', 'constructor', 'u', 'v']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((Object.prototype as unknown as Record<string, unknown>).p).toBeUndefined();
      const stored = (await store.get(id)) as SessionRecord;
      expect(Object.getOwnPropertyDescriptor(stored.data, '__proto__')?.value).toEqual({ polluted: true });
      expect(stored.data.v).toBe(2);
    });

    it('enforces the absolute timeout when the store keeps the record longer (TTL past it)', async () => {
      const clock = fakeClock();
      const store = new MemoryStore({ now: clock.now });
      const id = 'B'.repeat(43);
      // Written by someone else with a 30-day TTL, issued 12 h ago and seen just now.
      await store.set(
        id,
        { data: { u: 1 }, issuedAt: clock.now() - 12 * 60 * MIN, seenAt: clock.now() },
        30 * 24 * 60 * MIN,
      );
      const client = createClient(session({ store, now: clock.now })(app));
      const res = await client.get('/', req(`${NAME}=${id}`));
      expect((res.json() as Seen).before.isNew).toBe(true);
      expect((res.json() as Seen).before.data).toEqual({});
    });
  });
}
