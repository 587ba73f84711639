import { describe, expect, it } from 'vitest';
import type { HTTPResponseBodyEvent } from '../src/async-types.js';
import { syncToAsync } from '../src/bridge/sync-to-async.js';
import { PorticoError } from '../src/errors.js';
import type { ErrorStream, SyncApp } from '../src/sync-types.js';
import { tracked } from './fixtures/sync-bodies.js';
import { bodyOf, dec, enc, httpScope, run, shape } from './fixtures/transcript.js';

describe('syncToAsync: close() and errors', () => {
  it('calls close() after a normal end', async () => {
    const log: string[] = [];
    const app: SyncApp = (_e, startResponse) => {
      startResponse('200 OK', []);
      return tracked([enc('a'), enc('b')], log);
    };
    const t = await run(syncToAsync(app), httpScope());
    expect(t.failed).toBe(false);
    expect(log).toEqual(['yield a', 'yield b', 'finally', 'close']);
  });

  it('calls close() and rethrows when the app throws after start was sent', async () => {
    const log: string[] = [];
    const boom = new Error('boom');
    const app: SyncApp = (_e, startResponse) => {
      startResponse('200 OK', []);
      return tracked([enc('a'), enc('b'), boom], log);
    };
    const t = await run(syncToAsync(app), httpScope());
    expect(t.error).toBe(boom);
    expect(log).toEqual(['yield a', 'yield b', 'finally', 'close']);
    expect(shape(t)).toEqual(['http.response.start', 'http.response.body+', 'http.response.body+']);
  });

  it('rethrows, sending nothing, when the app throws before start', async () => {
    const boom = new Error('early');
    const app: SyncApp = () => {
      throw boom;
    };
    const t = await run(syncToAsync(app), httpScope());
    expect(t.error).toBe(boom);
    expect(t.sent).toEqual([]);
  });

  it('calls return() and close() when send() rejects because the client left', async () => {
    const log: string[] = [];
    const app: SyncApp = (_e, startResponse) => {
      startResponse('200 OK', []);
      return tracked([enc('a'), enc('b'), enc('c'), enc('d')], log);
    };
    const gone = new PorticoError('ERR_CLIENT_DISCONNECTED', 'client gone');
    const t = await run(syncToAsync(app), httpScope(), {
      onSend: (_e, i) => {
        if (i === 2) throw gone;
      },
    });
    expect(t.error).toBe(gone);
    // a went out, b was being sent when the client left; nothing more was pulled.
    expect(log).toEqual(['yield a', 'yield b', 'finally', 'close']);
  });

  it('rethrows what close() throws, and keeps the first error otherwise', async () => {
    const closing = new Error('close failed');
    // An array is over before the first send: close() runs first, and its error stops the response.
    const a = await run(
      syncToAsync((_e, sr) => {
        sr('200 OK', []);
        return Object.assign([enc('x')], {
          close() {
            throw closing;
          },
        });
      }),
      httpScope(),
    );
    expect(a.error).toBe(closing);
    expect(a.sent).toEqual([]);

    const written: string[] = [];
    const errors: ErrorStream = { write: (s) => written.push(s), writelines() {}, flush() {} };
    const first = new Error('send failed');
    const b = await run(
      syncToAsync(
        (_e, sr) => {
          sr('200 OK', []);
          return {
            *[Symbol.iterator]() {
              yield enc('x');
            },
            close() {
              throw closing;
            },
          };
        },
        { errors },
      ),
      httpScope(),
      {
        onSend: () => {
          throw first;
        },
      },
    );
    expect(b.error).toBe(first);
    expect(written.join('')).toContain('close failed');
  });
});

describe('syncToAsync: backpressure and promptness', () => {
  it('sends each chunk of a generator before asking for the next, and nothing while a send() is pending', async () => {
    let pulled = 0;
    const app: SyncApp = (_e, startResponse) => {
      startResponse('200 OK', []);
      return (function* () {
        for (let i = 0; i < 8; i++) {
          pulled++;
          yield enc(String(i));
        }
      })();
    };
    const atSend: Array<[number, number]> = [];
    let bodies = 0;
    const t = await run(syncToAsync(app), httpScope(), {
      onSend: async (event) => {
        if (event.type !== 'http.response.body') return;
        const before = pulled;
        await new Promise((r) => setTimeout(r, 3));
        expect(pulled).toBe(before); // nothing pulled while this send was pending
        atSend.push([bodies++, before]);
      },
    });
    expect(t.failed).toBe(false);
    expect(bodyOf(t)).toBe('01234567');
    // Sending chunk k: chunks 0..k pulled, never more; then the empty final event.
    expect(atSend).toEqual([...Array.from({ length: 8 }, (_, k) => [k, k + 1]), [8, 8]]);
    expect(shape(t).at(-1)).toBe('http.response.body');
    expect((t.sent.at(-1) as HTTPResponseBodyEvent).body?.byteLength).toBe(0);
  });

  it('calls close() in the run in which iteration stopped, before waiting on send() (SYNC-BODY-6)', async () => {
    for (const kind of ['array', 'generator'] as const) {
      const log: string[] = [];
      const chunks = [enc('a'), enc('b')];
      const app: SyncApp = (_e, startResponse) => {
        startResponse('200 OK', []);
        const iterable =
          kind === 'array'
            ? [...chunks]
            : (function* () {
                yield* chunks;
              })();
        return Object.assign(iterable, { close: () => log.push('close') });
      };
      await run(syncToAsync(app), httpScope(), {
        onSend: (e) => {
          log.push(e.type === 'http.response.body' ? `body ${dec(e.body!)}` : e.type);
        },
      });
      expect(log).toEqual(
        kind === 'array'
          ? ['close', 'http.response.start', 'body a', 'body b']
          : ['http.response.start', 'body a', 'body b', 'close', 'body '],
      );
    }
  });
});
