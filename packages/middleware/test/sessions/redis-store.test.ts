import { isPorticoError } from '@portico/spec';
import { createClient } from '@portico/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findBinary,
  freePort,
  type PeerProcess,
  startProcess,
  waitForListen,
} from '../../../../test/peers/peer.js';
import { type RedisClientLike, RedisStore, session } from '../../src/sessions/index.js';
import { cookieValue, leaves, req, type Seen } from './apps.js';

const bin = findBinary('redis-server', 'redis-server');
const NAME = 'portico.sid';

describe.skipIf(bin === '')('RedisStore against a real redis-server', () => {
  let server: PeerProcess;
  let port: number;
  let redis: Redis;

  const start = async (): Promise<void> => {
    server = startProcess(bin, [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    await waitForListen({ port });
  };

  beforeAll(async () => {
    port = await freePort();
    await start();
    // Fail fast while the server is down: no retries per command, no offline queue.
    redis = new Redis({
      port,
      host: '127.0.0.1',
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    await redis.connect();
  });

  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it('an ioredis client fits RedisClientLike', () => {
    const client: RedisClientLike = redis;
    expect(typeof client.set).toBe('function');
  });

  it('stores JSON records under the prefix with a PX TTL, reads and destroys them', async () => {
    const store = new RedisStore({ client: redis, prefix: 'test:a:' });
    const record = { data: { user: 'alice', n: [1, 2] }, issuedAt: 1, seenAt: 2 };
    await store.set('id1', record, 90_000);
    const pttl = await redis.pttl('test:a:id1');
    expect(pttl).toBeGreaterThan(85_000);
    expect(pttl).toBeLessThanOrEqual(90_000);
    expect(JSON.parse((await redis.get('test:a:id1')) ?? 'null')).toEqual(record);
    expect(await store.get('id1')).toEqual(record);
    expect(await store.get('nope')).toBeUndefined();
    await redis.set('test:a:junk', 'not json');
    expect(await store.get('junk')).toBeUndefined();
    await store.destroy('id1');
    expect(await redis.exists('test:a:id1')).toBe(0);
  });

  for (const { kind, app } of leaves) {
    it(`backs session() on a ${kind} app: TTL is the time left, regenerate and destroy delete keys`, async () => {
      const store = new RedisStore({ client: redis, prefix: `test:${kind}:` });
      const client = createClient(session({ store, idleTimeout: 600_000 })(app));
      const first = await client.get('/', req(undefined, [['set', 'user', 'alice']]));
      const id = cookieValue(first, NAME) ?? '';
      const pttl = await redis.pttl(`test:${kind}:${id}`);
      expect(pttl).toBeGreaterThan(590_000);
      expect(pttl).toBeLessThanOrEqual(600_000);
      const second = await client.get('/', req(`${NAME}=${id}`, [['regenerate']]));
      expect((second.json() as Seen).before.data).toEqual({ user: 'alice' });
      const fresh = cookieValue(second, NAME) ?? '';
      expect(fresh).not.toBe(id);
      expect(await redis.exists(`test:${kind}:${id}`)).toBe(0);
      expect(await redis.exists(`test:${kind}:${fresh}`)).toBe(1);
      await client.get('/', req(`${NAME}=${fresh}`, [['destroy']]));
      expect(await redis.exists(`test:${kind}:${fresh}`)).toBe(0);
    });
  }

  it('fails closed when redis is down: 500 and ERR_SESSION_STORE', async () => {
    const store = new RedisStore({ client: redis, prefix: 'test:down:', timeout: 1000 });
    const { app } = leaves[0];
    const client = createClient(session({ store })(app));
    const lenient = createClient(session({ store })(app), { raiseAppErrors: false });
    const id = cookieValue(await client.get('/', req(undefined, [['set', 'u', 1]])), NAME);
    await server.stop();
    const loaded = await lenient.get('/', req(`${NAME}=${id}`));
    expect(loaded.status).toBe(500);
    expect(loaded.text()).toBe('Internal Server Error');
    const saved = await lenient.get('/', req(undefined, [['set', 'u', 2]]));
    expect(saved.status).toBe(500);
    expect(saved.headerAll('set-cookie')).toEqual([]);
    await expect(client.get('/', req(`${NAME}=${id}`))).rejects.toMatchObject({ code: 'ERR_SESSION_STORE' });
    // Back up (empty: no persistence): the old id is not adopted.
    await start();
    for (let i = 0; i < 100 && redis.status !== 'ready'; i++) await new Promise((r) => setTimeout(r, 50));
    const after = await client.get('/', req(`${NAME}=${id}`));
    expect((after.json() as Seen).before.isNew).toBe(true);
  });
});

describe('RedisStore options', () => {
  it('needs a client', () => {
    let error: unknown;
    try {
      new RedisStore({} as never);
    } catch (e) {
      error = e;
    }
    expect(isPorticoError(error, 'ERR_INVALID_OPTION')).toBe(true);
  });

  it('turns a command slower than timeout into ERR_SESSION_STORE', async () => {
    const never = new Promise<never>(() => {});
    const store = new RedisStore({
      client: { get: () => never, set: () => never, del: () => never },
      timeout: 20,
    });
    let error: unknown;
    try {
      await store.get('x');
    } catch (e) {
      error = e;
    }
    expect(isPorticoError(error, 'ERR_SESSION_STORE')).toBe(true);
  });
});
