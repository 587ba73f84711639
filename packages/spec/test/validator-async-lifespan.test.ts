import { describe, expect, it, vi } from 'vitest';
import type { AsyncApp, ReceiveEvent } from '../src/async-types.js';
import {
  ApplicationCommunicator,
  hello,
  httpScope,
  lifespanScope,
  request,
  run,
  sender,
  validate,
  violationOf,
} from './helpers/communicator.js';

const STARTUP: ReceiveEvent = { type: 'lifespan.startup' };
const SHUTDOWN: ReceiveEvent = { type: 'lifespan.shutdown' };
const STARTED = { type: 'lifespan.startup.complete' } as const;
const STOPPED = { type: 'lifespan.shutdown.complete' } as const;

/** A lifespan-aware app: puts a "pool" into the lifespan state, answers requests with hello. */
const withLifespan: AsyncApp = async (scope, receive, send) => {
  if (scope.type !== 'lifespan') return hello(scope, receive, send);
  await receive();
  scope.state.pool = 'pool';
  await send(STARTED);
  await receive();
  await send(STOPPED);
};

/** Receives one event per entry of `plan`, sending the events listed after it. */
function script(...plan: (ReceiveEvent['type'] | { type: string; [k: string]: unknown })[]): AsyncApp {
  return async (_s, receive, send) => {
    for (const step of plan) {
      if (typeof step === 'string') await receive();
      else await send(step as never);
    }
  };
}

async function ruleOf(app: AsyncApp, input: ReceiveEvent[]) {
  const err = await violationOf(run(validate(app), lifespanScope(), input));
  return [err.rule, err.side];
}

describe('valid lifespans pass cleanly', () => {
  it('startup, shutdown', async () => {
    await expect(run(validate(withLifespan), lifespanScope(), [STARTUP, SHUTDOWN])).resolves.toEqual([
      STARTED,
      STOPPED,
    ]);
  });

  it('startup failed, with a message', async () => {
    const app = script('lifespan.startup', { type: 'lifespan.startup.failed', message: 'no database' });
    await expect(run(validate(app), lifespanScope(), [STARTUP])).resolves.toHaveLength(1);
  });

  it('an app that does not do lifespan rejects the scope', async () => {
    const refuses: AsyncApp = async (scope) => {
      throw new Error(`unsupported scope type ${scope.type}`);
    };
    await expect(run(validate(refuses), lifespanScope(), [STARTUP])).rejects.toThrow(
      'unsupported scope type',
    );
  });
});

describe('lifespan events (ASYNC-LIFE)', () => {
  it('ASYNC-LIFE-1: startup first, once; shutdown only after startup.complete, once', async () => {
    const reader = script('lifespan.startup', 'lifespan.startup');
    expect(await ruleOf(reader, [SHUTDOWN])).toEqual(['ASYNC-LIFE-1', 'server']);
    expect(await ruleOf(reader, [STARTUP, STARTUP])).toEqual(['ASYNC-LIFE-1', 'server']);
    const failed = script('lifespan.startup', { type: 'lifespan.startup.failed' }, 'lifespan.shutdown');
    expect(await ruleOf(failed, [STARTUP, SHUTDOWN])).toEqual(['ASYNC-LIFE-1', 'server']);
  });

  it('ASYNC-LIFE-2: startup.complete / startup.failed once, after lifespan.startup', async () => {
    expect(await ruleOf(sender(STARTED), [STARTUP])).toEqual(['ASYNC-LIFE-2', 'app']);
    expect(
      await ruleOf(script('lifespan.startup', STARTED, { type: 'lifespan.startup.failed' }), [STARTUP]),
    ).toEqual(['ASYNC-LIFE-2', 'app']);
  });

  it('ASYNC-LIFE-3: shutdown.complete / shutdown.failed once, after lifespan.shutdown', async () => {
    expect(await ruleOf(script('lifespan.startup', STARTED, STOPPED), [STARTUP])).toEqual([
      'ASYNC-LIFE-3',
      'app',
    ]);
    const twice = script('lifespan.startup', STARTED, 'lifespan.shutdown', STOPPED, {
      type: 'lifespan.shutdown.failed',
    });
    expect(await ruleOf(twice, [STARTUP, SHUTDOWN])).toEqual(['ASYNC-LIFE-3', 'app']);
  });

  it('ASYNC-LIFE-4: a failure message is a string', async () => {
    const app = script('lifespan.startup', { type: 'lifespan.startup.failed', message: new Error('x') });
    expect(await ruleOf(app, [STARTUP])).toEqual(['ASYNC-LIFE-4', 'app']);
  });

  it('ASYNC-LIFE-5: the app answers what it received before resolving', async () => {
    expect(await ruleOf(script('lifespan.startup'), [STARTUP])).toEqual(['ASYNC-LIFE-5', 'app']);
    expect(
      await ruleOf(script('lifespan.startup', STARTED, 'lifespan.shutdown'), [STARTUP, SHUTDOWN]),
    ).toEqual(['ASYNC-LIFE-5', 'app']);
  });

  it('ASYNC-GEN-7: an app that ignores the lifespan scope instead of rejecting it', async () => {
    expect(await ruleOf(async () => {}, [STARTUP])).toEqual(['ASYNC-GEN-7', 'app']);
  });

  it('ASYNC-GEN-4 and ASYNC-GEN-6 in a lifespan scope', async () => {
    expect(
      await ruleOf(script('lifespan.startup', { type: 'http.response.start', status: 200 }), [STARTUP]),
    ).toEqual(['ASYNC-GEN-4', 'app']);
    expect(await ruleOf(script('lifespan.startup'), [request()])).toEqual(['ASYNC-GEN-6', 'server']);
  });
});

describe('ASYNC-SCOPE-12: each request state is a shallow copy of the lifespan state', () => {
  async function started() {
    const app = validate(withLifespan);
    const state: Record<string, unknown> = {};
    const lifespan = new ApplicationCommunicator(app, lifespanScope({ state })).input(STARTUP);
    void lifespan.start().catch(() => undefined);
    await vi.waitFor(() => expect(lifespan.sent).toEqual([STARTED]));
    return { app, state, lifespan };
  }

  it('a copy passes', async () => {
    const { app, state, lifespan } = await started();
    await expect(run(app, httpScope({ state: { ...state } }), [request()])).resolves.toHaveLength(2);
    lifespan.input(SHUTDOWN);
    await lifespan.wait();
  });

  it('the lifespan state object itself fails', async () => {
    const { app, state } = await started();
    const err = await violationOf(run(app, httpScope({ state }), [request()]));
    expect([err.rule, err.side]).toEqual(['ASYNC-SCOPE-12', 'server']);
  });

  it('a state without the lifespan keys fails', async () => {
    const { app } = await started();
    const err = await violationOf(run(app, httpScope({ state: {} }), [request()]));
    expect([err.rule, err.value]).toEqual(['ASYNC-SCOPE-12', 'pool']);
  });

  it('after shutdown, requests are not compared with the old lifespan state', async () => {
    const { app, lifespan } = await started();
    lifespan.input(SHUTDOWN);
    await lifespan.wait();
    await expect(run(app, httpScope({ state: {} }), [request()])).resolves.toHaveLength(2);
  });
});
