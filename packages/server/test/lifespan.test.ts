import type { AsyncApp, LifespanReceiveEvent } from '@portico/spec';
import { isPorticoError } from '@portico/spec';
import { describe, expect, it } from 'vitest';
import { startLifespan } from '../src/lifespan.js';
import { memoryLogger } from './fake-cycle.js';
import { rule } from './rule.js';

/** A well-behaved lifespan app that records what it received. */
function lifespanApp(log: string[], opts: { failStartup?: string; failShutdown?: string } = {}): AsyncApp {
  return async (scope, receive, send) => {
    if (scope.type !== 'lifespan') throw new Error('unsupported');
    for (;;) {
      const event = (await receive()) as LifespanReceiveEvent;
      log.push(event.type);
      if (event.type === 'lifespan.startup') {
        if (opts.failStartup !== undefined) {
          await send({ type: 'lifespan.startup.failed', message: opts.failStartup });
          return;
        }
        scope.state.pool = 'db';
        await send({ type: 'lifespan.startup.complete' });
      } else {
        if (opts.failShutdown !== undefined) {
          await send({ type: 'lifespan.shutdown.failed', message: opts.failShutdown });
        } else {
          await send({ type: 'lifespan.shutdown.complete' });
        }
        return;
      }
    }
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('startLifespan', () => {
  it('delivers startup, keeps the state the app filled, then delivers shutdown', async () => {
    const log: string[] = [];
    const lifespan = await startLifespan(lifespanApp(log));
    expect(lifespan.supported).toBe(true);
    expect(lifespan.state).toEqual({ pool: 'db' });
    expect(log).toEqual(['lifespan.startup']);
    await lifespan.shutdown();
    expect(log).toEqual(['lifespan.startup', 'lifespan.shutdown']);
    await lifespan.shutdown(); // idempotent
  });

  rule(
    'SRV-LIFE-2',
    'lifespan.startup.failed rejects with ERR_LIFESPAN carrying the app message',
    async () => {
      const err = await rejection(startLifespan(lifespanApp([], { failStartup: 'no database' })));
      expect(isPorticoError(err, 'ERR_LIFESPAN')).toBe(true);
      expect((err as Error).message).toBe('no database');
    },
  );

  rule('SRV-LIFE-2', 'startup.failed is fatal in auto mode too', async () => {
    const err = await rejection(startLifespan(lifespanApp([], { failStartup: 'x' }), { mode: 'auto' }));
    expect(isPorticoError(err, 'ERR_LIFESPAN')).toBe(true);
  });

  rule(
    'SRV-LIFE-3',
    'in auto mode an app that throws on the lifespan scope does not support it (debug log)',
    async () => {
      const logger = memoryLogger();
      const lifespan = await startLifespan(
        async (scope) => {
          if (scope.type !== 'http') throw new Error('unsupported scope type lifespan');
        },
        { logger },
      );
      expect(lifespan.supported).toBe(false);
      expect(logger.records).toEqual([
        expect.objectContaining({
          level: 'debug',
          fields: { rule: 'SRV-LIFE-3', reason: 'unsupported scope type lifespan' },
        }),
      ]);
      await lifespan.shutdown();
    },
  );

  rule(
    'SRV-LIFE-3',
    'in auto mode an http-only app that sends http.response.start is taken as not supporting it',
    async () => {
      const lifespan = await startLifespan(async (_scope, _receive, send) => {
        await send({ type: 'http.response.start', status: 200 });
      });
      expect(lifespan.supported).toBe(false);
    },
  );

  rule(
    'SRV-LIFE-2',
    'in on mode a throw before startup.complete rejects with ERR_LIFESPAN and the message',
    async () => {
      const err = await rejection(
        startLifespan(
          async () => {
            throw new Error('cannot start');
          },
          { mode: 'on' },
        ),
      );
      expect(isPorticoError(err, 'ERR_LIFESPAN')).toBe(true);
      expect((err as Error).message).toBe('cannot start');
    },
  );

  rule(
    'SRV-LIFE-2',
    'in on mode a throw of a value without a prototype still rejects with ERR_LIFESPAN',
    async () => {
      const thrown = Object.create(null) as object;
      const err = await rejection(
        startLifespan(
          async () => {
            throw thrown;
          },
          { mode: 'on' },
        ),
      );
      expect(isPorticoError(err, 'ERR_LIFESPAN')).toBe(true);
      expect((err as Error).message).toBe('[object Object]');
    },
  );

  rule('SRV-LIFE-2', 'in on mode returning before startup.complete is an error', async () => {
    const err = await rejection(startLifespan(async () => {}, { mode: 'on' }));
    expect(isPorticoError(err, 'ERR_LIFESPAN')).toBe(true);
  });

  it('off mode never calls the app', async () => {
    let called = false;
    const lifespan = await startLifespan(
      async () => {
        called = true;
      },
      { mode: 'off' },
    );
    expect(called).toBe(false);
    expect(lifespan.supported).toBe(false);
    expect(lifespan.state).toEqual({});
  });

  it('shutdown rejects with ERR_LIFESPAN on lifespan.shutdown.failed', async () => {
    const lifespan = await startLifespan(lifespanApp([], { failShutdown: 'flush failed' }));
    const err = await rejection(lifespan.shutdown());
    expect(isPorticoError(err, 'ERR_LIFESPAN')).toBe(true);
    expect((err as Error).message).toBe('flush failed');
  });

  it('shutdown rejects with ERR_TIMEOUT when the app does not answer in time', async () => {
    const lifespan = await startLifespan(
      async (_scope, receive, send) => {
        await receive();
        await send({ type: 'lifespan.startup.complete' });
        await receive();
        await new Promise(() => {}); // never answers shutdown
      },
      { shutdownTimeout: 50 },
    );
    const err = await rejection(lifespan.shutdown());
    expect(isPorticoError(err, 'ERR_TIMEOUT')).toBe(true);
  });

  it('logs an app that throws after startup completed, and shutdown then resolves', async () => {
    const logger = memoryLogger();
    const lifespan = await startLifespan(
      async (_scope, receive, send) => {
        await receive();
        await send({ type: 'lifespan.startup.complete' });
        throw new Error('crashed later');
      },
      { logger },
    );
    await new Promise((r) => setTimeout(r, 0));
    expect(logger.records).toEqual([expect.objectContaining({ level: 'error' })]);
    await lifespan.shutdown();
  });

  it('refuses an unknown mode', async () => {
    const err = await rejection(startLifespan(async () => {}, { mode: 'maybe' as never }));
    expect(isPorticoError(err, 'ERR_INVALID_OPTION')).toBe(true);
  });
});
