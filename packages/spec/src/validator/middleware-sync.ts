/**
 * The middleware guard for the sync interface (spec/middleware.md): the environ an app is given is
 * not changed (MW-ENVIRON-1), and, when the validator is stacked around a middleware, the rules between
 * the middleware and the app it calls: mounting (MW-PATH-*), extension keys passed on (MW-PASS-2) and
 * the body (MW-BODY-1, MW-BODY-2).
 *
 * Layers of one request are told by their shared `portico.state` object; the layer whose app (or body)
 * is running when a guarded app is called is that app's parent. Sync calls nest, so a plain stack of
 * running layers is enough.
 *
 * @module
 */
import { syncApp } from '../interface.js';
import type { Environ, ResponseBody, StartResponse, SyncApp } from '../sync-types.js';
import {
  type ChildBody,
  checkChildrenClosed,
  checkMount,
  Layer,
  type PathView,
  saysItBuffers,
} from './middleware-layers.js';
import { checkEnvironPassThrough } from './middleware-pass.js';
import { changedKey, snapshot } from './middleware-snapshot.js';
import { isIterable } from './sync-environ.js';
import type { Report } from './violation.js';

const NAMES = { prefix: 'SCRIPT_NAME', path: 'PATH_INFO', raw: 'REQUEST_URI' } as const;

/** The guarded layers whose app call or body `next()` is running, innermost last. */
const running: Layer[] = [];

function parentOf(state: object): Layer | undefined {
  for (let i = running.length - 1; i >= 0; i--) {
    const layer = running[i] as Layer;
    if (layer.state === state) return layer;
  }
  return undefined;
}

function viewOf(environ: Record<string, unknown>): PathView | undefined {
  const { SCRIPT_NAME: prefix, PATH_INFO: path, REQUEST_URI: uri } = environ;
  if (typeof prefix !== 'string' || typeof path !== 'string') return undefined;
  if (typeof uri !== 'string') return { prefix, path, raw: undefined };
  const q = uri.indexOf('?');
  return { prefix, path, raw: q === -1 ? uri : uri.slice(0, q) };
}

function closeQuietly(body: unknown): void {
  try {
    const close = (body as { close?: unknown } | null)?.close;
    if (typeof close === 'function') close.call(body);
  } catch {
    // The violation being thrown says more than a failing close().
  }
}

/** The body of a guarded app: passes everything through and counts for its parent layer. */
class GuardedBody implements ChildBody {
  closed = false;
  yielded = 0;
  readonly #body: ResponseBody;
  readonly #layer: Layer;
  readonly #check: (when: string) => void;
  readonly #report: Report;

  constructor(body: ResponseBody, layer: Layer, check: (when: string) => void, report: Report) {
    this.#body = body;
    this.#layer = layer;
    this.#check = check;
    this.#report = report;
  }

  [Symbol.iterator](): IterableIterator<Uint8Array> {
    const iterator = this.#body[Symbol.iterator]();
    return {
      next: () => this.#next(iterator),
      return: (value?: unknown) => iterator.return?.(value) ?? { done: true, value: undefined },
      [Symbol.iterator]() {
        return this;
      },
    };
  }

  #next(iterator: Iterator<Uint8Array>): IteratorResult<Uint8Array> {
    const layer = this.#layer;
    running.push(layer);
    let result: IteratorResult<Uint8Array>;
    try {
      result = iterator.next();
    } finally {
      running.pop();
    }
    if (typeof result !== 'object' || result === null) return result;
    const pending = layer.pending;
    if (result.done === true) {
      layer.pending = 0;
      this.#check('by the end of its body');
      if (pending > 0 && !layer.buffering) {
        this.#report(
          'MW-BODY-2',
          'middleware',
          "a middleware's body ended without yielding for chunks the app's body yielded (drained silently)",
          { unanswered: pending },
        );
      }
      return result;
    }
    this.yielded++;
    if (layer.parent !== undefined) layer.parent.pending++;
    layer.pending = 0;
    if (pending > 1 && !layer.buffering) {
      this.#report(
        'MW-BODY-2',
        'middleware',
        "a middleware's body yielded once for several chunks of the app's body; yield at least once (an empty chunk) per chunk",
        { chunks: pending },
      );
    }
    return result;
  }

  close(): void {
    this.closed = true;
    try {
      const close = this.#body.close;
      if (typeof close === 'function') close.call(this.#body);
    } finally {
      checkChildrenClosed(this.#layer, 'by the time its own body was closed', this.#report);
      this.#check('by the time its body was closed');
    }
  }
}

/**
 * Wraps a sync app (a plain app or a middleware stack) with the checks of spec/middleware.md:
 * reports MW-ENVIRON-1 when the environ it is given changes (checked at each `startResponse`, when the
 * app returns, at the end of the body and at `close()`); when stacked inside another guarded layer of
 * the same request, reports MW-PATH-1/2 and MW-PASS-2 for the environ the middleware in between
 * passed on, and MW-BODY-1/2 for how it handled the body it got.
 *
 * @param app - the app to guard
 * @param report - receives each violation
 */
export function guardSyncMiddleware(app: SyncApp, report: Report): SyncApp {
  const buffering = saysItBuffers(app);
  return syncApp(function guardedSyncApp(environ: Environ, startResponse: StartResponse): ResponseBody {
    if (typeof environ !== 'object' || environ === null) return app(environ, startResponse);
    const env = environ as Record<string, unknown>;
    const state = env['portico.state'];
    const parent = typeof state === 'object' && state !== null ? parentOf(state) : undefined;
    const view = viewOf(env);
    if (parent !== undefined) {
      if (parent.view !== undefined && view !== undefined) checkMount(parent.view, view, NAMES, report);
      checkEnvironPassThrough(parent.given, env, report);
    }
    const layer =
      typeof state === 'object' && state !== null
        ? new Layer(env, state, parent, buffering, view)
        : undefined;
    let before = snapshot(environ, 'portico.state');
    const check = (when: string) => {
      const key = changedKey(before, environ);
      if (key === undefined) return;
      before = snapshot(environ, 'portico.state');
      report(
        'MW-ENVIRON-1',
        'app',
        `the environ given to the app was changed (${key}) ${when}; pass a shallow copy, keep per-request data in portico.state`,
        key,
      );
    };
    const start = function startResponseGuarded(status: string, headers: unknown, ...rest: unknown[]) {
      check('before startResponse');
      return (startResponse as (...args: unknown[]) => ReturnType<StartResponse>)(status, headers, ...rest);
    } as StartResponse;
    let body: ResponseBody;
    if (layer !== undefined) running.push(layer);
    try {
      body = app(environ, start);
    } catch (error) {
      if (layer !== undefined) checkChildrenClosed(layer, 'before it threw', report);
      throw error;
    } finally {
      if (layer !== undefined) running.pop();
    }
    try {
      check('by the time the app returned');
      if (!buffering && layer !== undefined && layer.children.some((child) => child.yielded > 0)) {
        layer.pending = 0;
        report(
          'MW-BODY-2',
          'middleware',
          "a middleware iterated the app's body before returning its own; only a middleware whose name says it buffers may",
        );
      }
    } catch (error) {
      closeQuietly(body);
      throw error;
    }
    if (layer === undefined || !isIterable(body)) return body;
    const guarded = new GuardedBody(body, layer, check, report);
    parent?.children.push(guarded);
    return guarded;
  });
}
