import { describe, expect, it } from 'vitest';
import type { HTTPResponseBodyEvent, HTTPResponseStartEvent, SendEvent } from '../src/async-types.js';
import { MemoryInput } from '../src/bridge/input.js';
import { syncToAsync } from '../src/bridge/sync-to-async.js';
import { isPorticoError, PorticoError } from '../src/errors.js';
import { detectInterface } from '../src/interface.js';
import type { Environ, ErrorStream, StartResponse, SyncApp } from '../src/sync-types.js';
import { hello, tracked } from './fixtures/sync-bodies.js';
import { bodyOf, dec, enc, httpScope, requestEvents, run, shape } from './fixtures/transcript.js';

describe('syncToAsync: http', () => {
  it('sends a one-chunk response as exactly one start and one body event', async () => {
    const t = await run(syncToAsync(hello), httpScope());
    expect(t.failed).toBe(false);
    expect(t.sent).toEqual([
      {
        type: 'http.response.start',
        status: 200,
        headers: [
          ['content-type', 'text/plain'],
          ['x-two', 'b'],
        ],
      },
      { type: 'http.response.body', body: enc('Hello, world!'), moreBody: false },
    ]);
  });

  it('is marked as an async app', () => {
    expect(detectInterface(syncToAsync(hello))).toBe('async');
  });

  it('sends the last chunk with moreBody false, skipping empty chunks', async () => {
    const app: SyncApp = (_e, startResponse) => {
      startResponse('404 Not Found', []);
      return [enc(''), enc('a'), enc(''), enc('b'), enc('c'), enc('')];
    };
    const t = await run(syncToAsync(app), httpScope());
    expect(shape(t)).toEqual([
      'http.response.start',
      'http.response.body+',
      'http.response.body+',
      'http.response.body',
    ]);
    expect((t.sent[0] as HTTPResponseStartEvent).status).toBe(404);
    expect(bodyOf(t)).toBe('abc');
    expect(dec((t.sent[3] as HTTPResponseBodyEvent).body!)).toBe('c');
  });

  it('sends start and an empty final body for an empty response', async () => {
    const app: SyncApp = (_e, startResponse) => {
      startResponse('204 No Content', []);
      return [];
    };
    const t = await run(syncToAsync(app), httpScope());
    expect(t.sent).toEqual([
      { type: 'http.response.start', status: 204, headers: [] },
      { type: 'http.response.body', body: new Uint8Array(0), moreBody: false },
    ]);
  });

  it('sends bytes given to write() in order, before the chunks that follow', async () => {
    const app: SyncApp = (_e, startResponse) => {
      const write = startResponse('200 OK', []);
      write(enc('1'));
      write(enc('2'));
      return (function* () {
        yield enc('3');
        write(enc('4'));
        yield enc('5');
        write(enc('6'));
      })();
    };
    const t = await run(syncToAsync(app), httpScope());
    expect(t.failed).toBe(false);
    expect(bodyOf(t)).toBe('123456');
    expect(shape(t).at(-1)).toBe('http.response.body');
    expect(shape(t).filter((s) => s === 'http.response.start')).toHaveLength(1);
  });

  it('refuses a bad status from startResponse with ERR_BAD_HEADER, sending nothing', async () => {
    for (const status of ['20 OK', '600 Nope', 'abc', '200OK', '200', '100 Continue', '200 O\nK']) {
      let thrown: unknown;
      const app: SyncApp = (_e, startResponse) => {
        try {
          startResponse(status, []);
        } catch (err) {
          thrown = err;
          throw err;
        }
        return [];
      };
      const t = await run(syncToAsync(app), httpScope());
      expect(isPorticoError(thrown, 'ERR_BAD_HEADER')).toBe(true);
      expect((thrown as PorticoError).rule).toBe('SYNC-START-3');
      expect(t.error).toBe(thrown);
      expect(t.sent).toEqual([]);
    }
  });

  it.each([
    ['CR LF in a value', [['x-a', 'a\r\nSet-Cookie: evil=1']], 'SYNC-HDR-4'],
    ['NUL in a value', [['x-a', 'a\u0000']], 'SYNC-HDR-4'],
    ['a value over U+00FF', [['x-a', '€']], 'SYNC-HDR-3'],
    ['a name that is not a token', [['x a', '1']], 'SYNC-HDR-2'],
    ['a Status header', [['Status', '200']], 'SYNC-HDR-2'],
    ['a hop-by-hop header', [['Connection', 'close']], 'SYNC-HDR-5'],
    [
      'two Content-Length',
      [
        ['content-length', '1'],
        ['Content-Length', '1'],
      ],
      'SYNC-HDR-6',
    ],
    ['not pairs', [['x-a']], 'SYNC-HDR-1'],
  ] as Array<[string, Array<[string, string]>, string]>)(
    'refuses %s with ERR_BAD_HEADER; the app can still answer with excInfo',
    async (_name, headers, rule) => {
      let thrown: unknown;
      const app: SyncApp = (_e, startResponse) => {
        try {
          startResponse('200 OK', headers);
        } catch (err) {
          thrown = err;
          startResponse('500 Internal Server Error', [['content-type', 'text/plain']], err);
          return [enc('refused')];
        }
        return [enc('accepted')];
      };
      const t = await run(syncToAsync(app), httpScope());
      expect(isPorticoError(thrown, 'ERR_BAD_HEADER')).toBe(true);
      expect((thrown as PorticoError).rule).toBe(rule);
      expect(t.sent[0]).toEqual({
        type: 'http.response.start',
        status: 500,
        headers: [['content-type', 'text/plain']],
      });
      expect(bodyOf(t)).toBe('refused');
    },
  );

  it('counts a startResponse call that threw as a call (SYNC-START-2)', async () => {
    const app: SyncApp = (_e, startResponse) => {
      try {
        startResponse('200 OK', [['x-a', '\n']]);
      } catch {
        startResponse('500 Internal Server Error', []);
      }
      return [];
    };
    const t = await run(syncToAsync(app), httpScope());
    expect((t.error as PorticoError).rule).toBe('SYNC-START-2');
    expect(t.sent).toEqual([]);
  });

  it('refuses a response without startResponse, and a chunk that is not a Uint8Array', async () => {
    const noStart: SyncApp = () => [enc('x')];
    const a = await run(syncToAsync(noStart), httpScope());
    expect(isPorticoError(a.error, 'ERR_SPEC_VIOLATION')).toBe(true);
    expect(a.sent).toEqual([]);

    const log: string[] = [];
    const badChunk: SyncApp = (_e, startResponse) => {
      startResponse('200 OK', []);
      return tracked([enc('ok'), 'text' as unknown as Uint8Array, enc('never')], log);
    };
    const b = await run(syncToAsync(badChunk), httpScope());
    expect(isPorticoError(b.error, 'ERR_SPEC_VIOLATION')).toBe(true);
    expect(log).toEqual(['yield ok', 'yield string', 'finally', 'close']);
  });

  it('reads the request body, in memory, whatever its chunking', async () => {
    let seen: unknown;
    const app: SyncApp = (environ, startResponse) => {
      seen = environ['portico.input'];
      const body = environ['portico.input'].read();
      startResponse('200 OK', []);
      return [body];
    };
    const t = await run(syncToAsync(app), httpScope({ method: 'POST' }), {
      events: requestEvents([enc('ab'), enc(''), enc('cde'), enc('f')]),
    });
    expect(bodyOf(t)).toBe('abcdef');
    expect(seen).toBeInstanceOf(MemoryInput);
  });

  it('passes the options to the environ', async () => {
    const errors: ErrorStream = { write() {}, writelines() {}, flush() {} };
    let environ: Environ | undefined;
    const app: SyncApp = (e, startResponse) => {
      environ = e;
      startResponse('200 OK', []);
      return [];
    };
    await run(syncToAsync(app, { errors, multiprocess: true }), httpScope({ path: '/p', rawPath: '/p' }));
    expect(environ?.['portico.errors']).toBe(errors);
    expect(environ?.['portico.multiprocess']).toBe(true);
    expect(environ?.PATH_INFO).toBe('/p');
  });

  it('refuses bad options', () => {
    for (const spoolThreshold of [-1, 1.5, Number.NaN]) {
      expect(() => syncToAsync(hello, { spoolThreshold })).toThrow(PorticoError);
    }
    expect(() => syncToAsync('nope' as unknown as SyncApp)).toThrow(/app must be a function/);
  });
});

describe('syncToAsync: the excInfo rule', () => {
  it('refuses a second startResponse without excInfo', async () => {
    const app: SyncApp = (_e, startResponse) => {
      startResponse('200 OK', []);
      startResponse('500 Internal Server Error', []);
      return [];
    };
    const t = await run(syncToAsync(app), httpScope());
    expect(isPorticoError(t.error, 'ERR_SPEC_VIOLATION')).toBe(true);
    expect(t.sent).toEqual([]);
  });

  it('lets excInfo replace the status while no chunk went out', async () => {
    const app: SyncApp = (_e, startResponse) => {
      startResponse('200 OK', [['x-a', '1']]);
      try {
        throw new Error('failed while rendering');
      } catch (err) {
        startResponse('500 Internal Server Error', [['content-type', 'text/plain']], err);
        return [enc('sorry')];
      }
    };
    const t = await run(syncToAsync(app), httpScope());
    expect(t.sent[0]).toEqual({
      type: 'http.response.start',
      status: 500,
      headers: [['content-type', 'text/plain']],
    });
    expect(bodyOf(t)).toBe('sorry');
  });

  it('rethrows excInfo once a chunk was produced', async () => {
    const failure = new Error('failed mid-body');
    let thrown: unknown;
    const app: SyncApp = (_e, startResponse: StartResponse) => {
      startResponse('200 OK', []);
      return (function* () {
        yield enc('first');
        try {
          startResponse('500 Internal Server Error', [], failure);
        } catch (err) {
          thrown = err;
          throw err;
        }
      })();
    };
    const t = await run(syncToAsync(app), httpScope());
    expect(thrown).toBe(failure);
    expect(t.error).toBe(failure);
    expect(shape(t)).toEqual(['http.response.start', 'http.response.body+']);
    expect((t.sent[0] as HTTPResponseStartEvent).status).toBe(200);
  });

  it('counts write() as sending the headers', async () => {
    const failure = new Error('x');
    const app: SyncApp = (_e, startResponse) => {
      const write = startResponse('200 OK', []);
      write(enc('w'));
      startResponse('500 Internal Server Error', [], failure);
      return [];
    };
    const t = await run(syncToAsync(app), httpScope());
    expect(t.error).toBe(failure);
  });
});

describe('syncToAsync: other scopes', () => {
  it('completes lifespan startup and shutdown', async () => {
    const t = await run(
      syncToAsync(hello),
      { type: 'lifespan', spec: { version: '1.0', specVersion: '1.0' }, state: {} },
      {
        events: [{ type: 'lifespan.startup' }, { type: 'lifespan.shutdown' }],
      },
    );
    expect(t.failed).toBe(false);
    expect(t.sent).toEqual([{ type: 'lifespan.startup.complete' }, { type: 'lifespan.shutdown.complete' }]);
  });

  it('closes a websocket without accepting it', async () => {
    const scope = { ...httpScope(), type: 'websocket' as const, scheme: 'ws', subprotocols: [] };
    const t = await run(syncToAsync(hello), scope, { events: [{ type: 'websocket.connect' }] });
    expect(t.sent).toEqual([{ type: 'websocket.close', code: 1000 }]);
  });

  it('refuses a scope type it does not know', async () => {
    const t = await run(syncToAsync(hello), { type: 'smtp' } as never);
    expect(isPorticoError(t.error, 'ERR_SPEC_VIOLATION')).toBe(true);
  });
});

describe('syncToAsync: sent events are well-formed', () => {
  it('sends only start, body and pathsend events in an http scope', async () => {
    const t = await run(syncToAsync(hello), httpScope());
    const allowed = new Set<SendEvent['type']>(['http.response.start', 'http.response.body']);
    for (const e of t.sent) expect(allowed.has(e.type)).toBe(true);
  });
});
