/**
 * The middleware guard for the async interface (spec/middleware.md): copy-before-mutate on the scope,
 * and, with guards on both sides of a middleware, the mount rules and the streaming rule.
 */
import { describe, expect, test } from 'vitest';
import type { AsyncApp, HTTPScope, ReceiveEvent, Scope, Send, SendEvent } from '../src/async-types.js';
import type { PorticoError } from '../src/errors.js';
import { detectInterface } from '../src/interface.js';
import { guardAsyncMiddleware } from '../src/validator/middleware.js';
import { reporter } from '../src/validator/violation.js';
import { httpScope as validHTTPScope } from './helpers/communicator.js';

const enc = (s: string) => new TextEncoder().encode(s);

function httpScope(over: Partial<HTTPScope> = {}): HTTPScope {
  return validHTTPScope({ path: '/api/v1/users', rawPath: '/api/v1/users', ...over });
}

/** Runs `app` for one request and returns what it sent. */
async function run(app: AsyncApp, scope: Scope = httpScope()): Promise<SendEvent[]> {
  const sent: SendEvent[] = [];
  const inbox: ReceiveEvent[] = [{ type: 'http.request', body: new Uint8Array(0), moreBody: false }];
  await app(
    scope,
    async () => inbox.shift() ?? { type: 'http.disconnect' },
    async (event) => {
      sent.push(event);
    },
  );
  return sent;
}

/** A guard factory collecting into `out`. */
const g = (out: PorticoError[]) => (app: AsyncApp) =>
  guardAsyncMiddleware(
    app,
    reporter((err) => out.push(err)),
  );
const rules = (out: PorticoError[]) => out.map((err) => [err.rule, err.side]);

/** The innermost app: answers with rootPath|path, in `parts` body events. */
function echo(...parts: string[]): AsyncApp {
  return async function echoApp(scope, _receive, send) {
    const s = scope as HTTPScope;
    await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
    const all = parts.length > 0 ? parts : [`${s.rootPath}|${s.path}`];
    for (const [i, part] of all.entries()) {
      await send({ type: 'http.response.body', body: enc(part), moreBody: i < all.length - 1 });
    }
  };
}

/** A correct mount: moves `prefix` from path to rootPath on a shallow copy. */
function mount(prefix: string, app: AsyncApp): AsyncApp {
  return async function mountApp(scope, receive, send) {
    if (scope.type === 'lifespan') return app(scope, receive, send);
    if (scope.path !== prefix && !scope.path.startsWith(`${prefix}/`)) {
      await send({ type: 'http.response.start', status: 404 });
      await send({ type: 'http.response.body', body: enc('not found') });
      return;
    }
    return app(
      { ...scope, rootPath: scope.rootPath + prefix, path: scope.path.slice(prefix.length) },
      receive,
      send,
    );
  };
}

const bodyText = (sent: SendEvent[]) =>
  sent
    .filter((e) => e.type === 'http.response.body')
    .map((e) => new TextDecoder().decode((e as { body: Uint8Array }).body))
    .join('');

describe('stacked guards around correct middleware', () => {
  test('nested mounts /api then /v1 keep rootPath + path and pass cleanly', async () => {
    const out: PorticoError[] = [];
    const app = g(out)(mount('/api', g(out)(mount('/v1', g(out)(echo())))));
    expect(bodyText(await run(app))).toBe('/api/v1|/users');
    expect(out).toEqual([]);
  });

  test('a guarded app is still an async app', () => {
    expect(detectInterface(g([])(echo()))).toBe('async');
  });

  test('concurrent requests through the same stack do not mix', async () => {
    const out: PorticoError[] = [];
    const slow: AsyncApp = async function slowApp(scope, receive, send) {
      await new Promise((r) => setTimeout(r, 5));
      return echo()(scope, receive, send);
    };
    const app = g(out)(mount('/api', g(out)(slow)));
    const [a, b] = await Promise.all([
      run(app, httpScope({ path: '/api/a', rawPath: '/api/a' })),
      run(app, httpScope({ path: '/api/b', rawPath: '/api/b', rootPath: '/x' })),
    ]);
    expect([bodyText(a), bodyText(b)]).toEqual(['/api|/a', '/x/api|/b']);
    expect(out).toEqual([]);
  });

  test('a middleware that forwards each body event passes; writing into state is fine', async () => {
    const out: PorticoError[] = [];
    const stamp: AsyncApp = async function stampApp(scope, receive, send) {
      (scope as HTTPScope).state.seen = true;
      await g(out)(echo('a', 'b', 'c'))(scope, receive, async (event) => {
        if (event.type === 'http.response.body') await send({ ...event, body: enc('*') });
        else await send(event);
      });
    };
    expect(bodyText(await run(g(out)(stamp)))).toBe('***');
    expect(out).toEqual([]);
  });
});

describe('MW-SCOPE-1: the scope an app is given is not changed', () => {
  test.each<[string, (scope: HTTPScope) => void, string]>([
    ['setting path', (s) => Object.assign(s, { path: '/x' }), 'path'],
    ['pushing a header', (s) => (s.headers as [string, string][]).push(['x-added', '1']), 'headers[1]'],
    [
      'changing a header value',
      (s) => ((s.headers[0] as unknown as string[])[1] = 'evil.example'),
      'headers[0][1]',
    ],
    ['adding an extension', (s) => Object.assign(s.extensions, { mine: {} }), 'extensions.mine'],
    ['replacing state', (s) => Object.assign(s, { state: {} }), 'state'],
  ])('%s is reported', async (_name, mutate, key) => {
    const out: PorticoError[] = [];
    const app = g(out)(async function mutating(scope, receive, send) {
      mutate(scope as HTTPScope);
      await echo()(scope, receive, send);
    });
    await run(app);
    expect(rules(out)).toEqual([['MW-SCOPE-1', 'app']]);
    expect(out[0]?.value).toBe(key);
  });

  test('a change is reported at the next send(), which rejects with the default report', async () => {
    const app = guardAsyncMiddleware(async function mutating(scope, _receive, send) {
      Object.assign(scope, { method: 'POST' });
      await send({ type: 'http.response.start', status: 200 });
    }, reporter());
    await expect(run(app)).rejects.toMatchObject({ rule: 'MW-SCOPE-1', code: 'ERR_SPEC_VIOLATION' });
  });

  test('the lifespan scope is guarded too', async () => {
    const out: PorticoError[] = [];
    const app = g(out)(async function lifespanApp(scope) {
      Object.assign(scope, { extra: 1 });
    });
    await app(
      { type: 'lifespan', spec: { version: '1.0', specVersion: '1.0' }, state: {} },
      async () => ({ type: 'lifespan.shutdown' }),
      async () => {},
    );
    expect(rules(out)).toEqual([['MW-SCOPE-1', 'app']]);
  });
});

describe('MW-PATH: what a middleware does to rootPath and path', () => {
  test('MW-PATH-1: a mount that strips the prefix from path without adding it to rootPath', async () => {
    const out: PorticoError[] = [];
    const inner = g(out)(echo());
    const dropping: AsyncApp = async function droppingMount(scope, receive, send) {
      const s = scope as HTTPScope;
      await inner({ ...s, path: s.path.slice(4) }, receive, send);
    };
    await run(g(out)(dropping));
    expect(rules(out)).toEqual([['MW-PATH-1', 'middleware']]);
  });

  test('MW-PATH-2: a rewrite with a rawPath that does not end with the new path', async () => {
    const out: PorticoError[] = [];
    const inner = g(out)(echo());
    const rewrite: AsyncApp = async function rewriteApp(scope, receive, send) {
      await inner({ ...(scope as HTTPScope), path: '/v2/users', rawPath: '/api/v1/people' }, receive, send);
    };
    await run(g(out)(rewrite));
    expect(rules(out)).toEqual([['MW-PATH-2', 'middleware']]);
  });

  test('a rewrite of path and rawPath together is valid', async () => {
    const out: PorticoError[] = [];
    const inner = g(out)(echo());
    const rewrite: AsyncApp = async function rewriteApp(scope, receive, send) {
      await inner({ ...(scope as HTTPScope), path: '/v2/ü', rawPath: '/v2/%C3%BC' }, receive, send);
    };
    await run(g(out)(rewrite));
    expect(out).toEqual([]);
  });
});

describe('MW-BODY-3: a middleware does not hold the body back silently', () => {
  /** Collects body events and sends them all at the end: a buffering middleware. */
  const collect = (name: string, inner: AsyncApp): AsyncApp => {
    const fns: Record<string, AsyncApp> = {
      [name]: async (scope, receive, send) => {
        const parts: Uint8Array[] = [];
        await inner(scope, receive, (async (event) => {
          if (event.type === 'http.response.start') return send(event);
          if (event.type !== 'http.response.body') return send(event);
          parts.push(event.body ?? new Uint8Array(0));
          if (event.moreBody !== true) await send({ type: 'http.response.body', body: Buffer.concat(parts) });
        }) as Send);
      },
    };
    return fns[name] as AsyncApp;
  };

  test('a middleware that holds body events is reported', async () => {
    const out: PorticoError[] = [];
    const sent = await run(g(out)(collect('etagApp', g(out)(echo('a', 'b', 'c')))));
    expect(bodyText(sent)).toBe('abc');
    expect(rules(out)).toEqual([
      ['MW-BODY-3', 'middleware'],
      ['MW-BODY-3', 'middleware'],
    ]);
  });

  test('the same middleware passes when its name says it buffers', async () => {
    const out: PorticoError[] = [];
    const sent = await run(g(out)(collect('bufferedEtagApp', g(out)(echo('a', 'b', 'c')))));
    expect(bodyText(sent)).toBe('abc');
    expect(out).toEqual([]);
  });

  test('holding http.response.start until the first body event is allowed', async () => {
    const out: PorticoError[] = [];
    const inner = g(out)(echo('a', 'b'));
    const late: AsyncApp = async function lateStartApp(scope, receive, send) {
      let start: SendEvent | undefined;
      await inner(scope, receive, async (event) => {
        if (event.type === 'http.response.start') {
          start = event;
          return;
        }
        if (start !== undefined) {
          await send(start);
          start = undefined;
        }
        await send(event);
      });
    };
    expect(bodyText(await run(g(out)(late)))).toBe('ab');
    expect(out).toEqual([]);
  });
});

describe('MW-PASS: what a middleware cannot know goes on unchanged', () => {
  const futureScope = () =>
    ({ type: 'future.scope', spec: { version: '1.1', specVersion: '1.0' }, detail: 1 }) as unknown as Scope;
  const noop: AsyncApp = async function noopApp() {};

  test('MW-PASS-1: a scope of a type 1.0 does not define, passed on changed', async () => {
    const out: PorticoError[] = [];
    const inner = g(out)(noop);
    const tagging: AsyncApp = async function taggingApp(scope, receive, send) {
      await inner({ ...scope, tagged: true } as unknown as Scope, receive, send);
    };
    await g(out)(tagging)(
      futureScope(),
      async () => ({ type: 'http.disconnect' }),
      async () => {},
    );
    expect(rules(out)).toEqual([['MW-PASS-1', 'middleware']]);
  });

  test('MW-PASS-1: the same scope passed on untouched is valid', async () => {
    const out: PorticoError[] = [];
    const inner = g(out)(noop);
    const passing: AsyncApp = async function passingApp(scope, receive, send) {
      if (scope.type !== 'http') return inner(scope, receive, send);
    };
    await g(out)(passing)(
      futureScope(),
      async () => ({ type: 'http.disconnect' }),
      async () => {},
    );
    expect(out).toEqual([]);
  });

  test('MW-PASS-2: a scope key 1.0 does not define, dropped by a middleware that rebuilds the scope', async () => {
    const out: PorticoError[] = [];
    const inner = g(out)(echo());
    const rebuilding: AsyncApp = async function rebuildingApp(scope, receive, send) {
      const s = scope as HTTPScope;
      const { type, spec, httpVersion, method, scheme, path, rawPath, queryString, rootPath } = s;
      const { headers, client, server, state, extensions } = s;
      const copy = {
        type,
        spec,
        httpVersion,
        method,
        scheme,
        path,
        rawPath,
        queryString,
        rootPath,
        headers,
        client,
        server,
        state,
        extensions,
      };
      await inner(copy, receive, send);
    };
    await run(g(out)(rebuilding), { ...httpScope(), future: 'kept?' } as HTTPScope);
    expect(rules(out)).toEqual([['MW-PASS-2', 'middleware']]);
    expect(out[0]?.value).toBe('future');
  });

  test('MW-PASS-2: a spread copy keeps unknown keys', async () => {
    const out: PorticoError[] = [];
    const app = g(out)(mount('/api', g(out)(echo())));
    await run(app, { ...httpScope(), future: 'kept' } as HTTPScope);
    expect(out).toEqual([]);
  });

  /** The app sends an event of a type 1.0 does not define between start and body. */
  const future: AsyncApp = async function futureApp(_scope, _receive, send) {
    await send({ type: 'http.response.start', status: 200 });
    await send({ type: 'http.response.future', level: 1 } as unknown as SendEvent);
    await send({ type: 'http.response.body', body: enc('x') });
  };

  test.each<[string, (event: SendEvent, send: Send) => Promise<void> | undefined]>([
    ['dropped', (event, send) => (event.type.startsWith('http.response.future') ? undefined : send(event))],
    [
      'changed',
      (event, send) =>
        send(
          (event.type as string) === 'http.response.future'
            ? ({ ...(event as object), level: 2 } as unknown as SendEvent)
            : event,
        ),
    ],
  ])('MW-PASS-3: an unknown event %s by a middleware is reported', async (_name, forward) => {
    const out: PorticoError[] = [];
    const inner = g(out)(future);
    const filtering: AsyncApp = async function filteringApp(scope, receive, send) {
      await inner(scope, receive, async (event) => forward(event, send));
    };
    await run(g(out)(filtering));
    expect(rules(out)).toEqual([['MW-PASS-3', 'middleware']]);
  });

  test('MW-PASS-3: an unknown event forwarded as it is (or as an equal copy) is valid', async () => {
    const out: PorticoError[] = [];
    const inner = g(out)(future);
    const copying: AsyncApp = async function copyingApp(scope, receive, send) {
      await inner(scope, receive, (event) => send({ ...event }));
    };
    await run(g(out)(copying));
    expect(out).toEqual([]);
  });
});
