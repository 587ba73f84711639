import { type AsyncApp, validateAsync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it } from 'vitest';
import { createCookieSigner } from '../../src/cookies/signed.js';
import {
  isSessionId,
  MemoryStore,
  mintSessionId,
  type SessionRecord,
  type SessionStore,
  session,
  sessionOf,
} from '../../src/sessions/index.js';
import { cookieLine, cookieValue, fakeClock, leaves, req, type Seen } from './apps.js';

const NAME = 'portico.sid';
const MIN = 60_000;
const KEY = 'server-session-signing-key-of-32-bytes!';

/** A MemoryStore that records calls, and can be made to fail. */
class SpyStore implements SessionStore {
  readonly inner: MemoryStore;
  readonly calls: string[] = [];
  failing = false;
  constructor(now: () => number) {
    this.inner = new MemoryStore({ now });
  }
  #check(call: string): void {
    this.calls.push(call);
    if (this.failing) throw new Error('store is down');
  }
  async get(id: string) {
    this.#check(`get`);
    return this.inner.get(id);
  }
  async set(id: string, record: SessionRecord, ttlMs: number) {
    this.#check(`set ${ttlMs}`);
    return this.inner.set(id, record, ttlMs);
  }
  async destroy(id: string) {
    this.#check('destroy');
    return this.inner.destroy(id);
  }
}

for (const { kind, app } of leaves) {
  describe(`session() with a MemoryStore on a ${kind} app`, () => {
    const setup = (options: { keys?: string[] } = {}) => {
      const clock = fakeClock();
      const store = new SpyStore(clock.now);
      const client = createClient(session({ store, now: clock.now, ...options })(app));
      const lenient = createClient(session({ store, now: clock.now, ...options })(app), {
        raiseAppErrors: false,
      });
      return { clock, store, client, lenient };
    };

    it('round-trips data by id, the id being 32 random bytes base64url', async () => {
      const { client, store } = setup();
      const first = await client.get('/', req(undefined, [['set', 'user', 'alice']]));
      const id = cookieValue(first, NAME) ?? '';
      expect(isSessionId(id)).toBe(true);
      expect(Buffer.from(id, 'base64url')).toHaveLength(32);
      expect(cookieLine(first, NAME)).toBe(`${NAME}=${id}; Max-Age=1800; Path=/; HttpOnly; SameSite=Lax`);
      expect((first.json() as Seen).after).toEqual({ data: { user: 'alice' }, isNew: true, id });
      expect(store.calls).toEqual([`set ${30 * MIN}`]);
      const second = await client.get('/', req(`${NAME}=${id}`));
      expect((second.json() as Seen).before).toEqual({ data: { user: 'alice' }, isNew: false, id });
      expect(second.headerAll('set-cookie')).toEqual([]);
      expect(store.calls).toEqual([`set ${30 * MIN}`, 'get']);
    });

    it('never adopts an id that is not in the store (no fixation)', async () => {
      const { client, store } = setup();
      const planted = mintSessionId();
      const res = await client.get('/', req(`${NAME}=${planted}`, [['set', 'user', 'alice']]));
      const seen = res.json() as Seen;
      expect(seen.before.isNew).toBe(true);
      const minted = cookieValue(res, NAME);
      expect(minted).not.toBe(planted);
      expect(seen.after.id).toBe(minted);
      expect(await store.inner.get(planted)).toBeUndefined();
      expect(await store.inner.get(minted ?? '')).toMatchObject({ data: { user: 'alice' } });
    });

    it('regenerate() gives a new id, keeps the data, and the old id no longer works', async () => {
      const { client } = setup();
      const old = cookieValue(await client.get('/', req(undefined, [['set', 'cart', [1, 2]]])), NAME);
      const res = await client.get('/', req(`${NAME}=${old}`, [['regenerate'], ['set', 'user', 'alice']]));
      const fresh = cookieValue(res, NAME);
      expect(fresh).toBeDefined();
      expect(fresh).not.toBe(old);
      expect((res.json() as Seen).after).toEqual({
        data: { cart: [1, 2], user: 'alice' },
        isNew: true,
        id: fresh,
      });
      expect(((await client.get('/', req(`${NAME}=${old}`))).json() as Seen).before.isNew).toBe(true);
      expect(((await client.get('/', req(`${NAME}=${fresh}`))).json() as Seen).before.data).toEqual({
        cart: [1, 2],
        user: 'alice',
      });
    });

    it('destroy() deletes the record and clears the cookie', async () => {
      const { client, store } = setup();
      const id = cookieValue(await client.get('/', req(undefined, [['set', 'u', 1]])), NAME) ?? '';
      const res = await client.get('/', req(`${NAME}=${id}`, [['destroy']]));
      expect(cookieLine(res, NAME)).toBe(
        `${NAME}=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`,
      );
      expect(await store.inner.get(id)).toBeUndefined();
      expect(((await client.get('/', req(`${NAME}=${id}`))).json() as Seen).before.isNew).toBe(true);
    });

    it('enforces idle and absolute timeouts from the stored times', async () => {
      const { client, clock, store } = setup();
      const id = cookieValue(await client.get('/', req(undefined, [['set', 'u', 1]])), NAME) ?? '';
      // Keep it active: every 20 min a rolling refresh rewrites the record.
      for (let t = 20; t < 12 * 60; t += 20) {
        clock.advance(20 * MIN);
        const res = await client.get('/', req(`${NAME}=${id}`));
        expect((res.json() as Seen).before.data, `at ${t} min`).toEqual({ u: 1 });
        expect(cookieValue(res, NAME)).toBe(id);
      }
      const ttl = store.calls.at(-1);
      expect(ttl).toBe(`set ${20 * MIN}`); // 12 h minus 11 h 40 min left of the absolute timeout
      clock.advance(20 * MIN); // 12 h after issue
      expect(((await client.get('/', req(`${NAME}=${id}`))).json() as Seen).before.isNew).toBe(true);

      const other = cookieValue(await client.get('/', req(undefined, [['set', 'u', 2]])), NAME);
      clock.advance(30 * MIN + 1);
      expect(((await client.get('/', req(`${NAME}=${other}`))).json() as Seen).before.isNew).toBe(true);
    });

    it('signs the id cookie when given keys, and ignores unsigned or forged ids', async () => {
      const { client } = setup({ keys: [KEY] });
      const signed = cookieValue(await client.get('/', req(undefined, [['set', 'u', 1]])), NAME) ?? '';
      const id = signed.split('.')[0] ?? '';
      expect(signed).toBe(createCookieSigner([KEY]).sign(NAME, id));
      expect(((await client.get('/', req(`${NAME}=${signed}`))).json() as Seen).before.data).toEqual({
        u: 1,
      });
      expect(((await client.get('/', req(`${NAME}=${id}`))).json() as Seen).before.isNew).toBe(true);
      expect(((await client.get('/', req(`${NAME}=${id}.AAAA`))).json() as Seen).before.isNew).toBe(true);
    });

    it('fails closed: a store error is a 500 and ERR_SESSION_STORE, never an anonymous pass', async () => {
      const { client, lenient, store } = setup();
      const id = cookieValue(await client.get('/', req(undefined, [['set', 'u', 1]])), NAME);
      store.failing = true;
      // Load fails: the app is not called.
      const res = await lenient.get('/', req(`${NAME}=${id}`));
      expect(res.status).toBe(500);
      expect(res.text()).toBe('Internal Server Error');
      await expect(client.get('/', req(`${NAME}=${id}`))).rejects.toMatchObject({
        code: 'ERR_SESSION_STORE',
        status: 500,
      });
      // Save fails (a new session, so no load): 500 instead of the app's 200.
      const save = await lenient.get('/', req(undefined, [['set', 'u', 2]]));
      expect(save.status).toBe(500);
      expect(save.headerAll('set-cookie')).toEqual([]);
      const head = await lenient.head('/', req(`${NAME}=${id}`));
      expect(head.status).toBe(500);
      expect(head.body).toHaveLength(0);
    });
  });
}

describe('session() on a websocket', () => {
  it('loads the session read-only for the websocket app', async () => {
    const store = new MemoryStore();
    const http = createClient(session({ store })(leaves[0].app));
    const id = cookieValue(await http.get('/', req(undefined, [['set', 'user', 'alice']])), NAME);
    const ws: AsyncApp = async function wsApp(scope, receive, send) {
      if (scope.type !== 'websocket') return;
      await receive();
      await send({ type: 'websocket.accept' });
      await send({ type: 'websocket.send', text: JSON.stringify(sessionOf(scope).get('user') ?? null) });
      await send({ type: 'websocket.close', code: 1000, reason: '' });
    };
    const client = createClient(session({ store })(validateAsync(ws)));
    const socket = await client.websocket('/ws', { headers: { cookie: `${NAME}=${id}` } });
    expect(await socket.receiveJson()).toBe('alice');
    const anonymous = await client.websocket('/ws');
    expect(await anonymous.receiveJson()).toBe(null);
  });
});

describe('MemoryStore', () => {
  const record = (n: number): SessionRecord => ({ data: { n }, issuedAt: 0, seenAt: 0 });

  it('keeps at most maxEntries, dropping the least recently written', async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    for (const id of ['a', 'b', 'c']) await store.set(id, record(1), 60_000);
    await store.set('a', record(2), 60_000); // rewritten: now the newest
    await store.set('d', record(3), 60_000);
    expect(store.size).toBe(3);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toEqual(record(2));
    expect(await store.get('c')).toEqual(record(1));
    expect(await store.get('d')).toEqual(record(3));
  });

  it('expires records after their TTL and sweeps them', async () => {
    const clock = fakeClock();
    const store = new MemoryStore({ now: clock.now, sweepInterval: 10_000 });
    await store.set('short', record(1), 1000);
    await store.set('long', record(2), 60_000);
    clock.advance(999);
    expect(await store.get('short')).toEqual(record(1));
    clock.advance(1);
    expect(await store.get('short')).toBeUndefined();
    await store.set('x', record(3), 500);
    clock.advance(10_000);
    await store.get('long'); // a call after sweepInterval sweeps
    expect(store.size).toBe(1);
  });

  it('evicts expired records before live ones when full, and copies records', async () => {
    const clock = fakeClock();
    const store = new MemoryStore({ now: clock.now, maxEntries: 2 });
    await store.set('old', record(1), 100);
    await store.set('live', record(2), 60_000);
    clock.advance(200);
    await store.set('new', record(3), 60_000);
    expect(await store.get('live')).toEqual(record(2));
    const got = await store.get('new');
    (got as SessionRecord).data.n = 99;
    expect(await store.get('new')).toEqual(record(3));
  });

  it('checks its options', () => {
    for (const options of [{ maxEntries: 0 }, { maxEntries: 1.5 }, { sweepInterval: -1 }]) {
      expect(() => new MemoryStore(options)).toThrow(/option/);
    }
  });
});
