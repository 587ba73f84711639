import type { AsyncApp, Scope, State } from '@portico/spec';
import { describe, expect, it } from 'vitest';
import { createClient, withClient } from '../src/index.js';
import { enc, readBody } from './apps.js';

interface Options {
  startup?: (state: State) => void | Promise<void>;
  failStartup?: string;
  failShutdown?: string;
}

/** An app with a lifespan: puts a db handle into the lifespan state, answers with its request state. */
function lifespanApp(log: string[], opts: Options = {}): AsyncApp {
  return async (scope: Scope, receive, send) => {
    if (scope.type === 'lifespan') {
      for (;;) {
        const event = await receive();
        if (event.type === 'lifespan.startup') {
          log.push('startup');
          if (opts.failStartup !== undefined) {
            await send({ type: 'lifespan.startup.failed', message: opts.failStartup });
            return;
          }
          scope.state.db = { name: 'db' };
          scope.state.counter = 0;
          await opts.startup?.(scope.state);
          await send({ type: 'lifespan.startup.complete' });
        } else if (event.type === 'lifespan.shutdown') {
          log.push('shutdown');
          if (opts.failShutdown !== undefined) {
            await send({ type: 'lifespan.shutdown.failed', message: opts.failShutdown });
          } else await send({ type: 'lifespan.shutdown.complete' });
          return;
        }
      }
    }
    if (scope.type !== 'http') throw new Error('unsupported');
    await readBody(receive);
    log.push(`request ${scope.path}`);
    const state = scope.state;
    const before = { counter: state.counter, sameDb: state.db };
    state.counter = ((state.counter as number) ?? 0) + 1; // mutates the copy only
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
    await send({ type: 'http.response.body', body: enc(JSON.stringify(before)) });
  };
}

describe('lifespan', () => {
  it('withClient runs startup before the session and shutdown after it', async () => {
    const log: string[] = [];
    const result = await withClient(lifespanApp(log), async (client) => {
      expect(log).toEqual(['startup']);
      await client.get('/a');
      return 'done';
    });
    expect(result).toBe('done');
    expect(log).toEqual(['startup', 'request /a', 'shutdown']);
  });

  it('copies the lifespan state shallowly into each request scope', async () => {
    const log: string[] = [];
    await withClient(lifespanApp(log), {}, async (client) => {
      const first = (await client.get('/1')).json();
      const second = (await client.get('/2')).json();
      // Each request starts from the lifespan state; a request's writes stay in its copy.
      expect(first).toEqual({ counter: 0, sameDb: { name: 'db' } });
      expect(second).toEqual({ counter: 0, sameDb: { name: 'db' } });
      expect(client.state.counter).toBe(0);
    });
  });

  it('shares the lifespan state values (shallow copy) with requests', async () => {
    let requestDb: unknown;
    const app: AsyncApp = async (scope, receive, send) => {
      if (scope.type === 'lifespan') return lifespanApp([])(scope, receive, send);
      if (scope.type !== 'http') return;
      requestDb = scope.state.db;
      await send({ type: 'http.response.start', status: 204 });
      await send({ type: 'http.response.body' });
    };
    await withClient(app, async (client) => {
      await client.get('/');
      expect(requestDb).toBe(client.state.db);
    });
  });

  it('a failed startup rejects with ERR_LIFESPAN and the app message, and withClient does not run', async () => {
    const log: string[] = [];
    let ran = false;
    const pending = withClient(lifespanApp(log, { failStartup: 'no database' }), async () => {
      ran = true;
    });
    await expect(pending).rejects.toMatchObject({
      code: 'ERR_LIFESPAN',
      message: expect.stringContaining('no database'),
    });
    expect(ran).toBe(false);
  });

  it('an app that throws at startup rejects with ERR_LIFESPAN carrying the cause', async () => {
    const cause = new Error('cannot connect');
    const app: AsyncApp = async (scope, receive) => {
      if (scope.type === 'lifespan') {
        await receive();
        throw cause;
      }
    };
    const client = createClient(app);
    const err = await client.startup().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_LIFESPAN', cause });
    expect((err as Error).message).toContain('cannot connect');
    await expect(client.shutdown()).resolves.toBeUndefined();
  });

  it('a failed shutdown rejects with ERR_LIFESPAN', async () => {
    const client = createClient(lifespanApp([], { failShutdown: 'flush failed' }));
    await client.startup();
    await expect(client.shutdown()).rejects.toMatchObject({
      code: 'ERR_LIFESPAN',
      message: expect.stringContaining('flush failed'),
    });
  });

  it('runs shutdown when the session throws, and rethrows the session error', async () => {
    const log: string[] = [];
    await expect(
      withClient(lifespanApp(log), async () => {
        throw new Error('test failed');
      }),
    ).rejects.toThrow('test failed');
    expect(log).toEqual(['startup', 'shutdown']);
  });

  it('startup twice is an error; lifespan: false skips it', async () => {
    const client = createClient(lifespanApp([]));
    await client.startup();
    await expect(client.startup()).rejects.toMatchObject({ code: 'ERR_LIFESPAN' });
    await client.shutdown();
    const log: string[] = [];
    await withClient(lifespanApp(log), { lifespan: false }, (c) => c.get('/x'));
    expect(log).toEqual(['request /x']);
  });
});
