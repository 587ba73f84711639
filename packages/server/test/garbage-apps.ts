/**
 * Garbage apps: fast-check arbitraries of app behaviours that break the interface on purpose, for
 * the properties that run them through the real adapters and the bridges (engineering rule 4: a bad
 * app result never crashes the process or another request).
 *
 * - {@link asyncBehaviour}: a list of steps, each a `send()` of a valid, nearly valid or hostile
 *   event (awaited, awaited with the rejection caught, or not awaited), a `receive()` (awaited for
 *   a bounded time, or not), a `throw` of anything, a short sleep, or an early return. Build the app
 *   with {@link asyncAppOf}.
 * - {@link syncBehaviour}: calls of `startResponse` and `write()` with garbage, a throw, then a body
 *   that is garbage (not iterable, yielding hostile values, an iterator whose `next()`, `return()` or
 *   `close()` throws, `startResponse` called from inside the iteration). Build it with {@link syncAppOf}.
 *
 * Behaviours are data with printable names ({@link Recipe}), so a shrunk counterexample reads as
 * what the app did. What the app saw from the server that breaks the server's side of the
 * interface (a `send()` that throws instead of rejecting, a `receive()` that rejects or gives
 * something other than an event) goes into `notes`; a property asserts it stays empty.
 */
import type { AsyncApp, Environ, ResponseBody, SendEvent, StartResponse, SyncApp } from '@portico/spec';
import { printable } from '@portico/spec';
import fc from 'fast-check';
import { anyThrown, HOSTILE_HEADER_LISTS, hostile, plain, type Recipe, recipe } from './garbage-values.js';

export { type Recipe, recipe } from './garbage-values.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

// ---- the async interface --------------------------------------------------------------------

/** An event recipe; `status` is the status code it asks for, when it is a start with a number. */
export interface EventRecipe extends Recipe {
  readonly status?: number;
}

function event(name: string, make: () => unknown, status?: number): EventRecipe {
  const r = recipe(name, make);
  return status === undefined ? r : { ...r, status };
}

const token = fc.constantFrom('content-type', 'x-a', 'cache-control', 'X-Mixed-Case', 'set-cookie', 'link');
const headerValue = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '=', ';', '/', '\t'), maxLength: 12 });
/** A valid header list (no content-length: the body length is the app's choice). */
const validHeaders = fc.array(fc.tuple(token, headerValue), { maxLength: 4 });

const validStatus = fc.oneof(
  fc.constantFrom(200, 201, 204, 206, 301, 304, 404, 418, 500, 503, 599),
  fc.integer({ min: 200, max: 599 }),
  // 1xx: no final response (ASYNC-HTTP-6): refused with a 500.
  fc.constantFrom(100, 102, 103, 199),
);

const garbageStatus: fc.Arbitrary<Recipe> = fc.oneof(
  fc
    .constantFrom<unknown>('200', 200.5, -1, 0, 99, 101, 600, 1e9, Number.NaN, Infinity, null, true, [200])
    .map(plain),
  hostile,
);

const garbageHeaders: fc.Arbitrary<Recipe> = fc.oneof(
  fc
    .constantFrom<unknown>(
      'x: y',
      { 'content-type': 'text/plain' },
      [['a']],
      [['a', 'b', 'c']],
      [[1, 'x']],
      [['x', 1]],
      [['x', 'a\r\nSet-Cookie: evil=1']],
      [['x', 'a\nb']],
      [['x', 'a\0b']],
      [['x\r\n', 'v']],
      [['', 'v']],
      [['x y', 'v']],
      [['x', '\u0100']],
      [['x', '\ud800']],
      [['content-length', '5']],
      [['content-length', '-1']],
      [['content-length', '99999999999999999999']],
      [
        ['content-length', '0'],
        ['content-length', '0'],
      ],
      [['transfer-encoding', 'chunked']],
      [['connection', 'close']],
      // biome-ignore lint/suspicious/noSparseArray: a list with a hole is the point
      [, ['a', 'b']],
      null,
    )
    .map(plain),
  fc.constantFrom(...HOSTILE_HEADER_LISTS),
  hostile,
);

const validBody: fc.Arbitrary<Recipe> = fc.oneof(
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 48 }).map(plain) },
  { weight: 1, arbitrary: fc.constant(recipe('Buffer(200000)', () => Buffer.alloc(200_000, 0x61))) },
);

const garbageBody: fc.Arbitrary<Recipe> = fc.oneof(
  fc.constantFrom<unknown>('a string body', 42, [1, 2, 3], null, { length: 3 }).map(plain),
  fc.constant(recipe('ArrayBuffer(4)', () => new ArrayBuffer(4))),
  fc.constant(recipe('DataView(4)', () => new DataView(new ArrayBuffer(4)))),
  fc.constant(recipe('Uint16Array(3)', () => new Uint16Array(3))),
  fc.constant(
    recipe('detached Uint8Array', () => {
      const u = new Uint8Array(8);
      structuredClone(u.buffer, { transfer: [u.buffer] });
      return u;
    }),
  ),
  hostile,
);

const garbageFlag: fc.Arbitrary<Recipe> = fc.oneof(
  fc.constantFrom<unknown>(true, false, 'yes', 1, 0, null).map(plain),
  hostile,
);

const start = fc
  .tuple(validStatus, validHeaders, fc.boolean())
  .map(([status, headers, trailers]) =>
    event(
      `start ${status} ${JSON.stringify(headers)}${trailers ? ' trailers' : ''}`,
      () => ({ type: 'http.response.start', status, headers, ...(trailers ? { trailers } : {}) }),
      status,
    ),
  );

const body = fc.tuple(validBody, fc.boolean()).map(([b, more]) =>
  event(`body ${b.name}${more ? ' more' : ''}`, () => ({
    type: 'http.response.body',
    body: b.make(),
    moreBody: more,
  })),
);

/** Events a correct app sends, in any order the steps put them. */
const validEvent: fc.Arbitrary<EventRecipe> = fc.oneof(
  { weight: 3, arbitrary: start },
  { weight: 4, arbitrary: body },
  {
    weight: 1,
    arbitrary: fc.tuple(validHeaders, fc.boolean()).map(([headers, more]) =>
      event(`trailers ${JSON.stringify(headers)}${more ? ' more' : ''}`, () => ({
        type: 'http.response.trailers',
        headers,
        moreTrailers: more,
      })),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constant(
      event('early_hints link', () => ({
        type: 'http.response.early_hints',
        headers: [['link', '</a.css>; rel=preload']],
      })),
    ),
  },
);

/** Events that are almost right: one field of the wrong type or value. */
const nearlyValidEvent: fc.Arbitrary<EventRecipe> = fc.oneof(
  fc
    .tuple(garbageStatus, validHeaders)
    .map(([s, headers]) =>
      event(`start status=${s.name}`, () => ({ type: 'http.response.start', status: s.make(), headers })),
    ),
  fc
    .tuple(validStatus, garbageHeaders)
    .map(([status, h]) =>
      event(
        `start ${status} headers=${h.name}`,
        () => ({ type: 'http.response.start', status, headers: h.make() }),
        status,
      ),
    ),
  fc
    .tuple(validStatus, garbageFlag)
    .map(([status, t]) =>
      event(
        `start ${status} trailers=${t.name}`,
        () => ({ type: 'http.response.start', status, headers: [], trailers: t.make() }),
        status,
      ),
    ),
  garbageBody.map((b) =>
    event(`body body=${b.name}`, () => ({ type: 'http.response.body', body: b.make() })),
  ),
  garbageFlag.map((m) =>
    event(`body moreBody=${m.name}`, () => ({
      type: 'http.response.body',
      body: bytes('x'),
      moreBody: m.make(),
    })),
  ),
  garbageHeaders.map((h) =>
    event(`trailers headers=${h.name}`, () => ({ type: 'http.response.trailers', headers: h.make() })),
  ),
  garbageHeaders.map((h) =>
    event(`early_hints headers=${h.name}`, () => ({ type: 'http.response.early_hints', headers: h.make() })),
  ),
  fc
    .constantFrom<unknown>('relative/path', '/nonexistent/portico-garbage', '/', '/dev/null', '', 5, null)
    .map((p) => event(`pathsend ${fc.stringify(p)}`, () => ({ type: 'http.response.pathsend', path: p }))),
  fc
    .constantFrom<unknown>(
      'http.response.begin',
      'websocket.accept',
      'lifespan.startup.complete',
      '',
      7,
      undefined,
      null,
    )
    .map((t) => event(`event of type ${fc.stringify(t)}`, () => ({ type: t, status: 200, headers: [] }))),
);

/** Events that are not event objects at all, or whose fields cannot be read. */
const hostileEvent: fc.Arbitrary<EventRecipe> = fc.oneof(
  hostile.map((h) => event(`event ${h.name}`, h.make)),
  fc
    .constantFrom<unknown>('http.response.start', 200, null, [], true)
    .map((v) => event(`event ${fc.stringify(v)}`, () => v)),
  start.map((s) =>
    event(`null-prototype ${s.name}`, () => Object.assign(Object.create(null), s.make()), s.status),
  ),
  start.map((s) => event(`frozen ${s.name}`, () => Object.freeze(s.make()), s.status)),
  start.map((s) => event(`proxy of ${s.name}`, () => new Proxy(s.make() as object, {}), s.status)),
  hostile.map((h) =>
    event(`start with a getter throwing ${h.name}`, () =>
      Object.defineProperty({ type: 'http.response.start', headers: [] }, 'status', {
        enumerable: true,
        get() {
          throw h.make();
        },
      }),
    ),
  ),
  fc.constant(
    event('body whose body getter is read twice, a Uint8Array then a string', () => {
      let reads = 0;
      return Object.defineProperty({ type: 'http.response.body' }, 'body', {
        enumerable: true,
        get: () => (reads++ === 0 ? bytes('first') : 'second'),
      });
    }),
  ),
);

/** One event an app may send. */
export const anyEvent: fc.Arbitrary<EventRecipe> = fc.oneof(
  { weight: 5, arbitrary: validEvent },
  { weight: 3, arbitrary: nearlyValidEvent },
  { weight: 2, arbitrary: hostileEvent },
);

/** One step of an async app. */
export type AsyncStep =
  | { op: 'send'; event: EventRecipe; mode: 'await' | 'await-catch' | 'fire' }
  | { op: 'receive'; wait: boolean }
  | { op: 'throw'; value: Recipe }
  | { op: 'sleep'; ms: number }
  | { op: 'return' };

const asyncStep: fc.Arbitrary<AsyncStep> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('send' as const),
      event: anyEvent,
      mode: fc.constantFrom('await' as const, 'await-catch' as const, 'fire' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('receive' as const), wait: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('throw' as const), value: anyThrown }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 15 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'return' as const }) },
);

/** What an async app does: its steps, in order. */
export const asyncBehaviour: fc.Arbitrary<AsyncStep[]> = fc.array(asyncStep, { minLength: 0, maxLength: 7 });

/** The status codes the behaviour's start events ask for (a response may carry one of these or 500). */
export function statusesOf(steps: readonly AsyncStep[]): Set<number> {
  const out = new Set<number>();
  for (const step of steps)
    if (step.op === 'send' && step.event.status !== undefined) out.add(step.event.status);
  return out;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long an awaited `receive()` is waited for: after the body, it resolves only at the end (ASGI). */
const RECEIVE_WAIT_MS = 30;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function checkReceived(event: unknown, notes: string[]): void {
  const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
  if (type !== 'http.request' && type !== 'http.disconnect') notes.push(`receive() gave ${printable(event)}`);
}

/**
 * The async app that performs `steps`. `notes` collects what the server did wrong as seen from the
 * app: `send()`/`receive()` throwing synchronously or not returning a promise, `receive()` rejecting
 * or giving something other than `http.request` / `http.disconnect`. A `send()` that is not awaited
 * has its rejection handled (an app's own unhandled rejection is not the server's doing).
 */
export function asyncAppOf(steps: readonly AsyncStep[], notes: string[]): AsyncApp {
  return async function garbageApp(scope, receive, send) {
    if (scope.type !== 'http') return;
    for (const step of steps) {
      switch (step.op) {
        case 'send': {
          // Made outside the try: a recipe that throws while being made is the app throwing.
          const made = step.event.make() as SendEvent;
          let sent: unknown;
          try {
            sent = send(made);
          } catch (err) {
            notes.push(`send(${step.event.name}) threw synchronously: ${printable(err)}`);
            throw err;
          }
          if (!isThenable(sent)) {
            notes.push(`send(${step.event.name}) returned ${printable(sent)}, not a promise`);
            break;
          }
          if (step.mode === 'fire') Promise.resolve(sent).catch(() => {});
          else if (step.mode === 'await') await sent;
          else {
            try {
              await sent;
            } catch {
              // The app goes on after a refused event.
            }
          }
          break;
        }
        case 'receive': {
          let got: unknown;
          try {
            got = receive();
          } catch (err) {
            notes.push(`receive() threw synchronously: ${printable(err)}`);
            throw err;
          }
          if (!isThenable(got)) {
            notes.push(`receive() returned ${printable(got)}, not a promise`);
            break;
          }
          const checked = Promise.resolve(got).then(
            (e) => checkReceived(e, notes),
            (err: unknown) => {
              notes.push(`receive() rejected: ${printable(err)}`);
            },
          );
          if (step.wait) await Promise.race([checked, sleep(RECEIVE_WAIT_MS)]);
          break;
        }
        case 'throw':
          throw step.value.make();
        case 'sleep':
          await sleep(step.ms);
          break;
        case 'return':
          return;
      }
    }
  };
}

// ---- the sync interface ---------------------------------------------------------------------

/** A status recipe for `startResponse`; `status` is its code when it is a valid status line. */
export interface StatusRecipe extends Recipe {
  readonly status?: number;
}

const syncStatus: fc.Arbitrary<StatusRecipe> = fc.oneof(
  fc
    .constantFrom('200 OK', '201 Created', '204 No Content', '404 Not Found', '500 Oops', '599 X')
    .map((s) => ({ ...plain(s), status: Number(s.slice(0, 3)) })),
  fc
    .constantFrom<unknown>(
      '200',
      'OK 200',
      '099 Low',
      '600 High',
      '200 O\r\nK',
      '200 \u0100',
      '２００ OK',
      200,
      '',
      null,
    )
    .map(plain),
  hostile,
);

const syncHeaders: fc.Arbitrary<Recipe> = fc.oneof(
  { weight: 3, arbitrary: validHeaders.map(plain) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom<unknown>(
        [['Status', '200']],
        [['Connection', 'close']],
        [['Content-Length', 'abc']],
        [['Content-Length', '3']],
        [['x', 'é€']],
        [['x', 'a\nb']],
        [['a']],
        { a: 'b' },
        'x: y',
      )
      .map(plain),
  },
  { weight: 1, arbitrary: fc.constant(recipe('new Map([["a","b"]])', () => new Map([['a', 'b']]))) },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_HEADER_LISTS) },
  { weight: 1, arbitrary: hostile },
);

const excInfo: fc.Arbitrary<Recipe> = fc.oneof(
  fc.constantFrom<unknown>(undefined, null, [1, 2, 3]).map(plain),
  fc.constant(recipe('new Error("exc")', () => new Error('exc'))),
  hostile,
);

const chunk: fc.Arbitrary<Recipe> = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 32 }).map(plain) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('text', 7, null, [1, 2]).map(plain) },
  { weight: 1, arbitrary: hostile },
);

/** A call a sync app makes before returning its body. */
export type SyncCall =
  | { op: 'start'; status: StatusRecipe; headers: Recipe; excInfo: Recipe; caught: boolean }
  | { op: 'write'; chunk: Recipe; caught: boolean }
  | { op: 'throw'; value: Recipe };

const startCall = fc.record({
  op: fc.constant('start' as const),
  status: syncStatus,
  headers: syncHeaders,
  excInfo,
  caught: fc.boolean(),
});

const syncCall: fc.Arbitrary<SyncCall> = fc.oneof(
  { weight: 4, arbitrary: startCall },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('write' as const), chunk, caught: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('throw' as const), value: anyThrown }) },
);

/** One step of a body iterator's `next()`. */
export type IterStep =
  | { op: 'yield'; chunk: Recipe }
  | { op: 'start'; call: Extract<SyncCall, { op: 'start' }> }
  | { op: 'throw'; value: Recipe }
  | { op: 'result'; value: Recipe };

/** What a sync app returns. */
export type BodyRecipe =
  | { kind: 'array'; chunks: Recipe[]; close: Recipe | null | 'ok' }
  | { kind: 'iterator'; steps: IterStep[]; ret: Recipe | null | 'ok' | 'absent'; close: Recipe | null | 'ok' }
  | { kind: 'other'; value: Recipe };

const closer: fc.Arbitrary<Recipe | null | 'ok'> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.constant('ok' as const) },
  { weight: 2, arbitrary: anyThrown },
);

const iterStep: fc.Arbitrary<IterStep> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('yield' as const), chunk }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('start' as const), call: startCall }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('throw' as const), value: anyThrown }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('result' as const), value: hostile }) },
);

const bodyRecipe: fc.Arbitrary<BodyRecipe> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('array' as const),
      chunks: fc.array(chunk, { maxLength: 4 }),
      close: closer,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('iterator' as const),
      steps: fc.array(iterStep, { maxLength: 5 }),
      ret: fc.oneof(fc.constant('ok' as const), fc.constant('absent' as const), fc.constant(null), anyThrown),
      close: closer,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('other' as const),
      value: fc.oneof(
        fc.constantFrom<unknown>('a string body', 42, null, undefined, {}).map(plain),
        fc.constant(
          recipe('{ [Symbol.iterator]() throws }', () => ({
            [Symbol.iterator]() {
              throw new Error('hostile iterator');
            },
          })),
        ),
        fc.constant(recipe('{ [Symbol.iterator]() returns 5 }', () => ({ [Symbol.iterator]: () => 5 }))),
        fc.constant(
          recipe('iterator whose next returns a revoked proxy', () => ({
            [Symbol.iterator]: () => ({
              next() {
                const { proxy, revoke } = Proxy.revocable({}, {});
                revoke();
                return proxy;
              },
            }),
          })),
        ),
        fc.constant(recipe('a Promise', () => Promise.resolve([bytes('x')]))),
        hostile,
      ),
    }),
  },
);

/** What a sync app does: calls, then the body it returns (unless a call threw). */
export interface SyncBehaviour {
  calls: SyncCall[];
  body: BodyRecipe;
}

/** Any sync app behaviour. */
export const syncBehaviour: fc.Arbitrary<SyncBehaviour> = fc.record({
  calls: fc.array(syncCall, { maxLength: 4 }),
  body: bodyRecipe,
});

/** The status codes a sync behaviour's valid status lines ask for. */
export function syncStatusesOf(behaviour: SyncBehaviour): Set<number> {
  const out = new Set<number>();
  const add = (call: SyncCall) => {
    if (call.op === 'start' && call.status.status !== undefined) out.add(call.status.status);
  };
  for (const call of behaviour.calls) add(call);
  if (behaviour.body.kind === 'iterator')
    for (const step of behaviour.body.steps) if (step.op === 'start') add(step.call);
  return out;
}

type Writer = ((chunk: Uint8Array) => void) | null;

function callStart(call: Extract<SyncCall, { op: 'start' }>, startResponse: StartResponse): Writer {
  try {
    const writer = startResponse(
      call.status.make() as string,
      call.headers.make() as [string, string][],
      call.excInfo.make(),
    );
    return typeof writer === 'function' ? writer : null;
  } catch (err) {
    if (!call.caught) throw err;
    return null;
  }
}

function addClose(target: object, close: Recipe | null | 'ok'): void {
  if (close === null) return;
  Object.defineProperty(target, 'close', {
    value:
      close === 'ok'
        ? () => {}
        : () => {
            throw close.make();
          },
  });
}

function bodyOf(recipeOfBody: BodyRecipe, startResponse: StartResponse): ResponseBody {
  switch (recipeOfBody.kind) {
    case 'array': {
      const list = recipeOfBody.chunks.map((c) => c.make());
      addClose(list, recipeOfBody.close);
      return list as unknown as ResponseBody;
    }
    case 'other':
      return recipeOfBody.value.make() as ResponseBody;
    case 'iterator': {
      const { steps, ret, close } = recipeOfBody;
      let at = 0;
      const iterator: Record<string, unknown> = {
        next() {
          const step = steps[at++];
          if (step === undefined) return { done: true, value: undefined };
          switch (step.op) {
            case 'yield':
              return { done: false, value: step.chunk.make() };
            case 'start':
              callStart(step.call, startResponse);
              return { done: false, value: new Uint8Array(0) };
            case 'throw':
              throw step.value.make();
            case 'result':
              return step.value.make();
          }
        },
      };
      if (ret !== 'absent') {
        iterator.return =
          ret === null || ret === 'ok'
            ? () => ({ done: true, value: undefined })
            : () => {
                throw ret.make();
              };
      }
      const iterable = { [Symbol.iterator]: () => iterator };
      addClose(iterable, close);
      return iterable as unknown as ResponseBody;
    }
  }
}

/** The sync app that performs `behaviour`. */
export function syncAppOf(behaviour: SyncBehaviour): SyncApp {
  return function garbageSyncApp(_environ: Environ, startResponse: StartResponse): ResponseBody {
    let writer: Writer = null;
    for (const call of behaviour.calls) {
      switch (call.op) {
        case 'start':
          writer = callStart(call, startResponse) ?? writer;
          break;
        case 'write':
          if (writer === null) break;
          try {
            writer(call.chunk.make() as Uint8Array);
          } catch (err) {
            if (!call.caught) throw err;
          }
          break;
        case 'throw':
          throw call.value.make();
      }
    }
    return bodyOf(behaviour.body, startResponse);
  };
}
