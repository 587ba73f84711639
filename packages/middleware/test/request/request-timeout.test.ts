import { setTimeout as sleep } from 'node:timers/promises';
import { type SyncApp, syncApp, validateAsync, validateSync } from '@portico/spec';
import { createClient } from '@portico/testing';
import { describe, expect, it, vi } from 'vitest';
import { requestTimeout } from '../../src/request/index.js';
import { thrownCode } from '../helpers/errors.js';
import { LEAVES, type Seen } from './apps.js';

const enc = new TextEncoder();

/**
 * Watches the middleware's timers (callback `onRequestTimeout`) during `fn`: how many were made and
 * how many of them are still pending (made, not cleared, not fired) afterwards.
 */
async function watchTimers(fn: () => Promise<void>): Promise<{ made: number; pending: number }> {
  const made = new Set<unknown>();
  const done = new Set<unknown>();
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const setSpy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
    callback: (...a: unknown[]) => void,
    ms?: number,
    ...args: unknown[]
  ) => {
    if (callback.name !== 'onRequestTimeout') return realSet(callback, ms, ...args);
    const handle: unknown = realSet(
      (...a: unknown[]) => {
        done.add(handle);
        callback(...a);
      },
      ms,
      ...args,
    );
    made.add(handle);
    return handle;
  }) as typeof setTimeout);
  const clearSpy = vi.spyOn(globalThis, 'clearTimeout').mockImplementation((handle) => {
    done.add(handle);
    realClear(handle);
  });
  try {
    await fn();
  } finally {
    setSpy.mockRestore();
    clearSpy.mockRestore();
  }
  return { made: made.size, pending: [...made].filter((h) => !done.has(h)).length };
}

/** A body whose last chunk comes after `ms`: a slow upload. */
async function* slowBody(ms: number): AsyncGenerator<Uint8Array> {
  yield enc.encode('first');
  await sleep(ms);
  yield enc.encode('late');
}

for (const [label, leaf] of LEAVES) {
  describe(`requestTimeout() on an ${label} app`, () => {
    it('lets a fast app answer and leaves no timer behind', async () => {
      const client = createClient(requestTimeout({ timeout: 60_000 })(leaf));
      const watched = await watchTimers(async () => {
        const res = await client.post('/', { body: 'hello' });
        expect(res.status).toBe(200);
        expect((res.json() as Seen).body).toBe('hello');
      });
      expect(watched).toEqual({ made: 1, pending: 0 });
    });

    it('answers 503 when the app is still waiting for a slow body at the deadline', async () => {
      const client = createClient(requestTimeout({ timeout: 100 })(leaf));
      const res = await client.post('/', { body: slowBody(1500) });
      expect(res.status).toBe(503);
      expect(res.header('connection')).toBe('close');
      expect(res.text()).toBe('Request timed out');
    });
  });
}

describe('requestTimeout() and the app after the deadline', () => {
  it('tells the app the client is gone: receive gives http.disconnect, send rejects (ASYNC-HTTP-9)', async () => {
    const seen: string[] = [];
    let finished!: () => void;
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const app = requestTimeout({ timeout: 50, status: 504 })(
      validateAsync(async function stuckApp(scope, receive, send) {
        if (scope.type !== 'http') return;
        seen.push((await receive()).type); // the (empty) body
        seen.push((await receive()).type); // waits: the request is complete
        try {
          await send({ type: 'http.response.start', status: 200, headers: [] });
        } catch (error) {
          seen.push((error as { code: string }).code);
        }
        seen.push((await receive()).type);
        finished();
      }),
    );
    const res = await createClient(app).get('/');
    await done;
    expect(res.status).toBe(504);
    expect(seen).toEqual(['http.request', 'http.disconnect', 'ERR_CLIENT_DISCONNECTED', 'http.disconnect']);
  });

  it('treats an ERR_CLIENT_DISCONNECTED the app lets escape as a normal end', async () => {
    const app = requestTimeout({ timeout: 30 })(
      validateAsync(async function slowApp(scope, _receive, send) {
        if (scope.type !== 'http') return;
        await sleep(300);
        await send({ type: 'http.response.start', status: 200, headers: [] });
      }),
    );
    const res = await createClient(app).get('/');
    expect(res.status).toBe(503);
  });

  it('clears the timer once the response started: the timeout covers time to first byte', async () => {
    const app = requestTimeout({ timeout: 30 })(
      validateAsync(async function streamingApp(scope, _receive, send) {
        if (scope.type !== 'http') return;
        await send({ type: 'http.response.start', status: 200, headers: [] });
        await sleep(200);
        await send({ type: 'http.response.body', body: enc.encode('late but fine') });
      }),
    );
    const watched = await watchTimers(async () => {
      const res = await createClient(app).get('/');
      expect([res.status, res.text()]).toEqual([200, 'late but fine']);
    });
    expect(watched).toEqual({ made: 1, pending: 0 });
  });

  it('clears the timer when the app throws', async () => {
    const app = requestTimeout({ timeout: 60_000 })(
      validateAsync(async function failingApp() {
        throw new Error('boom');
      }),
    );
    const watched = await watchTimers(async () => {
      await expect(createClient(app).get('/')).rejects.toThrow('boom');
    });
    expect(watched).toEqual({ made: 1, pending: 0 });
  });

  it('a sync app blocking the thread is not interrupted (documented limit)', async () => {
    const blocking: SyncApp = syncApp(function blockingApp(_environ, startResponse) {
      const until = Date.now() + 150;
      while (Date.now() < until) {
        // busy: the timer cannot run
      }
      startResponse('200 OK', []);
      return [enc.encode('ok')];
    });
    const res = await createClient(requestTimeout({ timeout: 20 })(validateSync(blocking))).get('/');
    expect(res.status).toBe(200);
  });

  it('refuses bad options when built', () => {
    for (const options of [
      { timeout: 0 },
      { timeout: 1.5 },
      { timeout: 2 ** 31 },
      { status: 200 },
      { status: 600 },
    ]) {
      expect(thrownCode(() => requestTimeout(options))).toBe('ERR_INVALID_OPTION');
    }
  });
});
