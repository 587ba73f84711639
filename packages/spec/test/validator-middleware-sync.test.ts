/**
 * The middleware guard for the sync interface (spec/middleware.md): copy-before-mutate on environ,
 * and, with the validator stacked on both sides of a middleware, the mount and body rules.
 */
import { describe, expect, test } from 'vitest';
import type { PorticoError } from '../src/errors.js';
import type { Environ, ResponseBody, SyncApp } from '../src/sync-types.js';
import { validateSync } from '../src/validator/index.js';
import { bytes, makeEnviron, serve, settle, text } from './helpers/validator-sync-server.js';

/** Validates `app` collecting violations into `out`. */
const v = (out: PorticoError[]) => (app: SyncApp) =>
  validateSync(app, { onViolation: (err) => out.push(err) });
const rules = (out: PorticoError[]) => out.map((err) => [err.rule, err.side]);

/** Records what the innermost app saw. */
function echo(seen: Partial<Environ>[]): SyncApp {
  return function echoApp(environ, startResponse) {
    seen.push({ SCRIPT_NAME: environ.SCRIPT_NAME, PATH_INFO: environ.PATH_INFO });
    startResponse('200 OK', [['Content-Type', 'text/plain']]);
    return [bytes(`${environ.SCRIPT_NAME}|${environ.PATH_INFO}`)];
  };
}

/** A correct mount: moves `prefix` from PATH_INFO to SCRIPT_NAME on a copy (spec/middleware.md). */
function mount(prefix: string, app: SyncApp): SyncApp {
  return function mountApp(environ, startResponse) {
    const path = environ.PATH_INFO;
    if (path !== prefix && !path.startsWith(`${prefix}/`)) {
      startResponse('404 Not Found', [['Content-Type', 'text/plain']]);
      return [bytes('not found')];
    }
    return app(
      { ...environ, SCRIPT_NAME: environ.SCRIPT_NAME + prefix, PATH_INFO: path.slice(prefix.length) },
      startResponse,
    );
  };
}

/** A streaming middleware written the recommended way: one chunk out per chunk in, inner body closed. */
function upper(app: SyncApp): SyncApp {
  return function upperApp(environ, startResponse) {
    const inner = app(environ, startResponse);
    const gen = (function* upperBody() {
      for (const chunk of inner) yield bytes(text(chunk).toUpperCase());
    })();
    return Object.assign(gen, { close: () => inner.close?.() });
  };
}

function chunks(...parts: string[]): SyncApp {
  return function chunksApp(_environ, startResponse) {
    startResponse('200 OK', [['Content-Type', 'text/plain']]);
    return parts.map(bytes);
  };
}

const request = (path: string, extra: Record<string, unknown> = {}) =>
  makeEnviron({ PATH_INFO: path, REQUEST_URI: `${path}?x=1`, ...extra });

describe('stacked validators around correct middleware', () => {
  test('nested mounts: /api then /v1 (the worked example of spec/middleware.md)', async () => {
    const out: PorticoError[] = [];
    const seen: Partial<Environ>[] = [];
    const app = v(out)(mount('/api', v(out)(mount('/v1', v(out)(echo(seen))))));
    const response = serve(app, request('/api/v1/users/42'));
    await settle();
    expect(text(response.body)).toBe('/api/v1|/users/42');
    expect(seen).toEqual([{ SCRIPT_NAME: '/api/v1', PATH_INFO: '/users/42' }]);
    expect(out).toEqual([]);
  });

  test('a mount of the whole path leaves PATH_INFO empty', async () => {
    const out: PorticoError[] = [];
    const seen: Partial<Environ>[] = [];
    serve(v(out)(mount('/api', v(out)(echo(seen)))), request('/api', { SCRIPT_NAME: '/root' }));
    await settle();
    expect(seen).toEqual([{ SCRIPT_NAME: '/root/api', PATH_INFO: '' }]);
    expect(out).toEqual([]);
  });

  test('a streaming middleware that yields per chunk and closes its app body', async () => {
    const out: PorticoError[] = [];
    const response = serve(v(out)(upper(v(out)(chunks('a', 'b', 'c')))), request('/'));
    await settle();
    expect(text(response.body)).toBe('ABC');
    expect(out).toEqual([]);
  });

  test('writing into portico.state is the allowed way to pass data on', async () => {
    const out: PorticoError[] = [];
    const app = v(out)((environ, startResponse) => {
      (environ['portico.state'] as Record<string, unknown>).user = 'ada';
      return chunks('ok')(environ, startResponse);
    });
    serve(app, request('/'));
    await settle();
    expect(out).toEqual([]);
  });
});

describe('MW-ENVIRON-1: the environ an app is given is not changed', () => {
  test.each<[string, (environ: Environ) => void, string]>([
    ['setting PATH_INFO', (e) => Object.assign(e, { PATH_INFO: '/other' }), 'PATH_INFO'],
    ['adding a key', (e) => Object.assign(e, { 'app.cache': 1 }), 'app.cache'],
    ['deleting a key', (e) => delete (e as Record<string, unknown>).QUERY_STRING, 'QUERY_STRING'],
    ['replacing portico.state', (e) => Object.assign(e, { 'portico.state': {} }), 'portico.state'],
    [
      'changing portico.version in place',
      (e) => ((e['portico.version'] as unknown as number[])[1] = 9),
      'portico.version[1]',
    ],
  ])('%s is reported', async (_name, mutate, key) => {
    const out: PorticoError[] = [];
    const app = v(out)((environ, startResponse) => {
      mutate(environ);
      return chunks('ok')(environ, startResponse);
    });
    serve(app, request('/'));
    await settle();
    expect(rules(out)).toEqual([['MW-ENVIRON-1', 'app']]);
    expect(out[0]?.value).toBe(key);
  });

  test('a change made lazily in the body is reported by the end of the body', async () => {
    const out: PorticoError[] = [];
    const app = v(out)(function* lazy(environ, startResponse) {
      startResponse('200 OK', []);
      yield bytes('a');
      (environ as Record<string, unknown>).late = true;
    });
    serve(app, request('/'));
    await settle();
    expect(rules(out)).toEqual([['MW-ENVIRON-1', 'app']]);
  });
});

describe('MW-PATH: what a middleware does to SCRIPT_NAME and PATH_INFO', () => {
  test('MW-PATH-1: a mount that drops the prefix instead of moving it is reported', async () => {
    const out: PorticoError[] = [];
    const dropping: SyncApp = function droppingMount(environ, startResponse) {
      return inner({ ...environ, PATH_INFO: environ.PATH_INFO.slice(4) }, startResponse);
    };
    const inner = v(out)(chunks('x'));
    serve(v(out)(dropping), request('/api/users'));
    await settle();
    expect(rules(out)).toEqual([['MW-PATH-1', 'middleware']]);
  });

  test('MW-PATH-2: a rewrite whose REQUEST_URI does not end with the new PATH_INFO is reported', async () => {
    const out: PorticoError[] = [];
    const inner = v(out)(chunks('x'));
    const rewrite: SyncApp = function rewriteApp(environ, startResponse) {
      return inner({ ...environ, PATH_INFO: '/new', REQUEST_URI: '/elsewhere?x=1' }, startResponse);
    };
    serve(v(out)(rewrite), request('/old/place'));
    await settle();
    expect(rules(out)).toEqual([['MW-PATH-2', 'middleware']]);
  });

  test('a rewrite that rewrites REQUEST_URI with the path is valid', async () => {
    const out: PorticoError[] = [];
    const inner = v(out)(chunks('x'));
    const rewrite: SyncApp = function rewriteApp(environ, startResponse) {
      return inner({ ...environ, PATH_INFO: '/new path', REQUEST_URI: '/new%20path?x=1' }, startResponse);
    };
    serve(v(out)(rewrite), request('/old'));
    await settle();
    expect(out).toEqual([]);
  });
});

describe('MW-BODY: how a middleware passes the body on', () => {
  test('MW-BODY-1: a middleware that replaces the body and never closes the app body is reported', async () => {
    const out: PorticoError[] = [];
    const replacing: SyncApp = function replaceApp(environ, startResponse) {
      inner(environ, () => () => {});
      startResponse('200 OK', []);
      return [bytes('replaced')];
    };
    const inner = v(out)(chunks('original'));
    serve(v(out)(replacing), request('/'));
    await settle();
    expect(rules(out)).toEqual([['MW-BODY-1', 'middleware']]);
  });

  test('MW-BODY-1: a generator middleware closed before it started cannot close the app body', async () => {
    const out: PorticoError[] = [];
    const inner = v(out)(chunks('a'));
    const generatorOnly: SyncApp = function genApp(environ, startResponse) {
      const body = inner(environ, startResponse);
      return (function* pass() {
        try {
          yield* body;
        } finally {
          body.close?.();
        }
      })();
    };
    const outer = v(out)(generatorOnly)(request('/'), () => () => {});
    outer.close?.();
    await settle();
    expect(rules(out)).toEqual([['MW-BODY-1', 'middleware']]);
  });

  test('MW-BODY-1: a middleware that throws without closing the app body is reported', () => {
    const out: PorticoError[] = [];
    const inner = v(out)(chunks('a'));
    const throwing: SyncApp = function throwingApp(environ, startResponse) {
      inner(environ, startResponse);
      throw new Error('middleware failed');
    };
    expect(() => serve(v(out)(throwing), request('/'))).toThrow('middleware failed');
    expect(rules(out)).toEqual([['MW-BODY-1', 'middleware']]);
  });

  test('MW-BODY-2: a middleware that drains the app body before returning is reported', async () => {
    const out: PorticoError[] = [];
    const inner = v(out)(chunks('a', 'b'));
    const etag: SyncApp = function etagApp(environ, startResponse) {
      let body: ResponseBody | undefined;
      const parts: Uint8Array[] = [];
      body = inner(environ, startResponse);
      try {
        for (const chunk of body) parts.push(chunk);
      } finally {
        body.close?.();
      }
      return parts;
    };
    serve(v(out)(etag), request('/'));
    await settle();
    expect(rules(out)).toEqual([['MW-BODY-2', 'middleware']]);
  });

  test('MW-BODY-2: the same middleware is allowed when its name says it buffers', async () => {
    const out: PorticoError[] = [];
    const inner = v(out)(chunks('a', 'b'));
    const etag: SyncApp = function bufferedEtagApp(environ, startResponse) {
      const body = inner(environ, startResponse);
      const parts: Uint8Array[] = [];
      try {
        for (const chunk of body) parts.push(chunk);
      } finally {
        body.close?.();
      }
      return parts;
    };
    expect(text(serve(v(out)(etag), request('/')).body)).toBe('ab');
    await settle();
    expect(out).toEqual([]);
  });

  test('MW-BODY-2: a body that yields once for two app chunks is reported', async () => {
    const out: PorticoError[] = [];
    const inner = v(out)(chunks('a', 'b', 'c', 'd'));
    const pairs: SyncApp = function pairsApp(environ, startResponse) {
      const body = inner(environ, startResponse);
      const gen = (function* joined() {
        let held: Uint8Array | undefined;
        for (const chunk of body) {
          if (held === undefined) held = chunk;
          else {
            yield Buffer.concat([held, chunk]);
            held = undefined;
          }
        }
      })();
      return Object.assign(gen, { close: () => body.close?.() });
    };
    serve(v(out)(pairs), request('/'));
    await settle();
    expect(rules(out)[0]).toEqual(['MW-BODY-2', 'middleware']);
  });

  test('MW-BODY-2: a body that ends without yielding for app chunks it swallowed is reported', async () => {
    const out: PorticoError[] = [];
    const inner = v(out)(chunks('a', 'b'));
    const swallow: SyncApp = function swallowApp(environ, startResponse) {
      const body = inner(environ, startResponse);
      return {
        [Symbol.iterator]: () => ({
          next: (): IteratorResult<Uint8Array> => {
            for (const _ of body);
            return { done: true, value: undefined };
          },
        }),
        close: () => body.close?.(),
      };
    };
    serve(v(out)(swallow), request('/'));
    await settle();
    expect(rules(out)).toEqual([['MW-BODY-2', 'middleware']]);
  });
});

describe('MW-PASS-2: environ keys a middleware cannot know go on unchanged', () => {
  test('an extension key dropped by a middleware that rebuilds environ is reported', async () => {
    const out: PorticoError[] = [];
    const inner = v(out)(chunks('x'));
    const rebuilding: SyncApp = function rebuildingApp(environ, startResponse) {
      const copy: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(environ)) if (!key.startsWith('server.')) copy[key] = value;
      return inner(copy as Environ, startResponse);
    };
    serve(v(out)(rebuilding), request('/', { 'server.connection': { id: 7 } }));
    await settle();
    expect(rules(out)).toEqual([['MW-PASS-2', 'middleware']]);
    expect(out[0]?.value).toBe('server.connection');
  });

  test('a spread copy keeps them', async () => {
    const out: PorticoError[] = [];
    serve(v(out)(mount('/api', v(out)(chunks('x')))), request('/api/x', { 'server.connection': { id: 7 } }));
    await settle();
    expect(out).toEqual([]);
  });
});
