/**
 * The sync validator's body checks (spec/sync.md "The response body", "Optional platform-specific
 * file handling"): what the app returns and yields (app side), how the server iterates and closes it
 * (server side).
 */
import { describe, expect, test } from 'vitest';
import type { ResponseBody, SyncApp } from '../src/sync-types.js';
import { checkSyncApp } from '../src/validator/sync.js';
import {
  bytes,
  checked,
  collecting,
  hello,
  makeEnviron,
  memoryFileWrapper,
  serve,
  settle,
  text,
  violationOf,
} from './helpers/validator-sync-server.js';

const ok: Parameters<SyncApp>[1] = () => () => {};

/** Calls the checked `app` as a server would, without iterating: returns the checked body. */
function bodyOf(app: SyncApp, report = collecting().report): ResponseBody {
  return checkSyncApp(app, report)(makeEnviron(), ok);
}

/** A body that records close() and whether its generator's finally ran. */
function tracked(chunks: string[]) {
  const seen = { closed: 0, finished: false };
  const app: SyncApp = (_e, startResponse) => {
    startResponse('200 OK', []);
    const gen = (function* body() {
      try {
        for (const c of chunks) yield bytes(c);
      } finally {
        seen.finished = true;
      }
    })();
    return Object.assign(gen, {
      close() {
        seen.closed++;
      },
    });
  };
  return { app, seen };
}

describe('valid apps pass cleanly', () => {
  test.each<[string, SyncApp, string]>([
    ['an array of chunks', hello, 'hello'],
    [
      'a generator that starts lazily',
      function* gen(_e, startResponse) {
        startResponse('200 OK', [['Content-Type', 'text/plain']]);
        yield bytes('a');
        yield new Uint8Array(0);
        yield Buffer.from('b');
      },
      'ab',
    ],
    [
      'an empty body with Content-Length 0',
      (_e, startResponse) => {
        startResponse('204 No Content', [['Content-Length', '0']]);
        return [];
      },
      '',
    ],
    [
      'a HEAD answer with a Content-Length and no body',
      (_e, startResponse) => {
        startResponse('200 OK', [['Content-Length', '100']]);
        return [];
      },
      '',
    ],
    [
      'a file wrapper body',
      (environ, startResponse) => {
        startResponse('200 OK', [['Content-Length', '10']]);
        const wrap = environ['portico.file_wrapper'];
        if (wrap === undefined) throw new Error('no file wrapper');
        return wrap({ path: '/f' }, 4);
      },
      '0123456789',
    ],
  ])('%s', (_name, app, expected) => {
    const { report, violations } = collecting();
    const environ = makeEnviron({
      REQUEST_METHOD: expected === '' ? 'HEAD' : 'GET',
      'portico.file_wrapper': memoryFileWrapper({ '/f': bytes('0123456789') }),
    });
    expect(text(serve(checkSyncApp(app, report), environ).body)).toBe(expected);
    expect(violations).toEqual([]);
  });

  test('the app body is closed once, and a stop before the end runs the generator finally', async () => {
    const { report, violations } = collecting();
    const { app, seen } = tracked(['a', 'b', 'c']);
    const body = checkSyncApp(app, report)(makeEnviron(), ok);
    try {
      for (const chunk of body) if (text(chunk) === 'b') break;
    } finally {
      body.close?.();
    }
    await settle();
    expect(seen).toEqual({ closed: 1, finished: true });
    expect(violations).toEqual([]);
  });
});

describe('an async server (the bridge shape of spec/sync.md section 9.1)', () => {
  /** Awaits each write, closes in a finally right around the loop, then finishes the response. */
  async function asyncServer(body: ResponseBody, write: (chunk: Uint8Array) => Promise<void>) {
    try {
      for (const chunk of body) await write(chunk);
    } finally {
      body.close?.();
    }
    await new Promise((resolve) => setTimeout(resolve, 1)); // the end of the response, after close()
  }

  test('passes when the body ends, fails, or the client goes away', async () => {
    const { report, violations } = collecting();
    const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
    const ended = tracked(['a', 'b']);
    await asyncServer(bodyOf(ended.app, report), tick);
    const failing = bodyOf(function* failing(_e, startResponse) {
      startResponse('200 OK', []);
      yield bytes('a');
      throw new Error('app failed');
    }, report);
    await expect(asyncServer(failing, tick)).rejects.toThrow('app failed');
    const gone = tracked(['a', 'b', 'c']);
    const clientGone = async () => {
      await tick();
      throw new Error('client gone');
    };
    await expect(asyncServer(bodyOf(gone.app, report), clientGone)).rejects.toThrow('client gone');
    await settle();
    expect([ended.seen, gone.seen]).toEqual([
      { closed: 1, finished: true },
      { closed: 1, finished: true },
    ]);
    expect(violations).toEqual([]);
  });
});

describe('what the app returns (app side)', () => {
  test.each<[string, unknown]>([
    ['undefined', undefined],
    ['a string', 'hello'],
    ['a Uint8Array', bytes('hello')],
    ['a number', 5],
    ['an object with a non-function close', { *[Symbol.iterator]() {}, close: 'yes' }],
  ])('SYNC-BODY-1: returning %s is reported', (_name, value) => {
    const err = violationOf(() =>
      checked((_e, startResponse) => {
        startResponse('200 OK', []);
        return value as ResponseBody;
      })(makeEnviron(), ok),
    );
    expect(err.rule).toBe('SYNC-BODY-1');
    expect(err.side).toBe('app');
  });

  test.each<[string, unknown, string]>([
    ['a string', 'text', 'string'],
    ['a number', 42, 'not a Uint8Array'],
    ['an ArrayBuffer', new ArrayBuffer(2), 'not a Uint8Array'],
    ['a DataView', new DataView(new ArrayBuffer(2)), 'not a Uint8Array'],
  ])('SYNC-BODY-2: a chunk that is %s is reported', (_name, chunk, words) => {
    const err = violationOf(() =>
      serve(
        checked((_e, startResponse) => {
          startResponse('200 OK', []);
          return [chunk] as unknown as Uint8Array[];
        }),
      ),
    );
    expect(err.rule).toBe('SYNC-BODY-2');
    expect(err.message).toContain(words);
  });

  test('SYNC-BODY-3: a body longer than its Content-Length is reported at the chunk that overflows', () => {
    const err = violationOf(() =>
      serve(
        checked((_e, startResponse) => {
          startResponse('200 OK', [['Content-Length', '3']]);
          return [bytes('ab'), bytes('cd')];
        }),
      ),
    );
    expect(err.rule).toBe('SYNC-BODY-3');
    expect(err.value).toEqual({ contentLength: 3, bytes: 4 });
  });

  test('SYNC-BODY-3: a body shorter than its Content-Length is reported at its end (write() counts)', () => {
    const err = violationOf(() =>
      serve(
        checked((_e, startResponse) => {
          startResponse('200 OK', [['Content-Length', '10']])(bytes('abc'));
          return [bytes('def')];
        }),
      ),
    );
    expect(err.rule).toBe('SYNC-BODY-3');
    expect(err.value).toEqual({ contentLength: 10, bytes: 6 });
  });
});

describe('how the server iterates and closes (server side)', () => {
  test('SYNC-BODY-4: iterating the body twice is reported', () => {
    const body = checked(hello)(makeEnviron(), ok);
    expect([...body].map(text)).toEqual(['hello']);
    const err = violationOf(() => [...body]);
    body.close?.();
    expect(err.rule).toBe('SYNC-BODY-4');
    expect(err.side).toBe('server');
  });

  test('SYNC-BODY-5: close() twice is reported', () => {
    const body = checked(hello)(makeEnviron(), ok);
    [...body];
    body.close?.();
    expect(violationOf(() => body.close?.()).rule).toBe('SYNC-BODY-5');
  });

  test('SYNC-BODY-5: next() after close() is reported', () => {
    const body = checked(hello)(makeEnviron(), ok);
    const iterator = body[Symbol.iterator]();
    body.close?.();
    expect(violationOf(() => iterator.next()).rule).toBe('SYNC-BODY-5');
  });

  test('SYNC-BODY-5: iterating after close() is reported', () => {
    const body = checked(hello)(makeEnviron(), ok);
    body.close?.();
    expect(violationOf(() => body[Symbol.iterator]()).rule).toBe('SYNC-BODY-5');
  });

  test('SYNC-BODY-6: a server that iterates to the end and never closes is reported', async () => {
    const { report, rules } = collecting();
    const body = bodyOf(hello, report);
    for (const _ of body);
    await settle();
    expect(rules()).toEqual(['SYNC-BODY-6']);
  });

  test('SYNC-BODY-6: a server that awaits before close() is reported', async () => {
    const { report, violations } = collecting();
    const { app, seen } = tracked(['a']);
    const body = bodyOf(app, report);
    for (const _ of body);
    await Promise.resolve();
    body.close?.();
    await settle();
    expect(seen.closed).toBe(1);
    expect(violations.map((v) => [v.rule, v.side])).toEqual([['SYNC-BODY-6', 'server']]);
  });

  test('SYNC-BODY-6: a server that stops on an app error and never closes is reported', async () => {
    const { report, rules } = collecting();
    const body = bodyOf(function* failing(_e, startResponse) {
      startResponse('200 OK', []);
      yield bytes('a');
      throw new Error('app failed');
    }, report);
    expect(() => [...body]).toThrow('app failed');
    await settle();
    expect(rules()).toEqual(['SYNC-BODY-6']);
  });

  test('SYNC-BODY-6: a server that calls return() (client gone) and never closes is reported', async () => {
    const { report, rules } = collecting();
    const body = bodyOf(tracked(['a', 'b']).app, report);
    for (const _ of body) break;
    await settle();
    expect(rules()).toEqual(['SYNC-BODY-6']);
  });

  test("SYNC-BODY-7: stopping early and closing without the iterator's return() is reported", async () => {
    const { report, violations } = collecting();
    const { app, seen } = tracked(['a', 'b']);
    const body = bodyOf(app, report);
    body[Symbol.iterator]().next();
    body.close?.();
    await settle();
    expect(seen.closed).toBe(1);
    expect(violations.map((v) => [v.rule, v.side])).toEqual([['SYNC-BODY-7', 'server']]);
  });

  test('closing a body that was never iterated needs no return()', async () => {
    const { report, violations } = collecting();
    const { app, seen } = tracked(['a']);
    bodyOf(app, report).close?.();
    await settle();
    expect(seen.closed).toBe(1);
    expect(violations).toEqual([]);
  });

  test('the app body is closed even when a violation is thrown from close() checks', () => {
    const { app, seen } = tracked(['a', 'b']);
    const body = checked(app)(makeEnviron(), ok);
    body[Symbol.iterator]().next();
    expect(violationOf(() => body.close?.()).rule).toBe('SYNC-BODY-7');
    expect(seen.closed).toBe(1);
  });
});

describe('portico.file_wrapper', () => {
  const withWrapper = (wrapper: unknown, call: (w: (...args: unknown[]) => unknown) => unknown) =>
    serve(
      checked((environ, startResponse) => {
        startResponse('200 OK', []);
        return call(environ['portico.file_wrapper'] as (...args: unknown[]) => unknown) as ResponseBody;
      }),
      makeEnviron({ 'portico.file_wrapper': wrapper }),
    );

  test.each<[string, unknown[]]>([
    ['no file', []],
    ['a path string instead of { path }', ['/f']],
    ['a negative fd', [{ fd: -1 }]],
    ['a zero block size', [{ path: '/f' }, 0]],
    ['a fractional block size', [{ path: '/f' }, 1.5]],
  ])('SYNC-FILE-1: calling it with %s is reported', (_name, args) => {
    const err = violationOf(() => withWrapper(memoryFileWrapper({}), (w) => w(...args)));
    expect(err.rule).toBe('SYNC-FILE-1');
    expect(err.side).toBe('app');
  });

  test('SYNC-FILE-2: a file wrapper that returns a body without close() is reported', () => {
    const err = violationOf(() =>
      withWrapper(
        () => [bytes('x')],
        (w) => w({ fd: 3 }),
      ),
    );
    expect(err.rule).toBe('SYNC-FILE-2');
    expect(err.side).toBe('server');
  });
});
