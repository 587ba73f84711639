/**
 * The middleware guard for the async interface (spec/middleware.md): the scope an app is given is not
 * changed (MW-SCOPE-1), and, when the validator is stacked around a middleware, the rules between the
 * middleware and the app it calls: mounting (MW-PATH-*), passing on what it cannot know (MW-PASS-*)
 * and streaming (MW-BODY-3).
 *
 * Layers of one request are told by their shared `state` object; the parent of a guarded call is the
 * guarded layer in whose async context it was called (AsyncLocalStorage), so concurrent requests and
 * concurrent calls within one request never get mixed up.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AsyncApp, Receive, Scope, Send, SendEvent } from '../async-types.js';
import { checkMount, Layer, type PathView, saysItBuffers } from './middleware-layers.js';
import { checkScopePassThrough, isUnknownEvent, sameEntries } from './middleware-pass.js';
import { changedKey, snapshot } from './middleware-snapshot.js';
import type { Report } from './violation.js';

const NAMES = { prefix: 'rootPath', path: 'path', raw: 'rawPath' } as const;

/** The guarded layer whose app is running in the current async context. */
const context = new AsyncLocalStorage<Layer>();

function viewOf(scope: Record<string, unknown>): PathView | undefined {
  if (scope.type !== 'http' && scope.type !== 'websocket') return undefined;
  const { rootPath: prefix, path, rawPath: raw } = scope;
  if (typeof prefix !== 'string' || typeof path !== 'string') return undefined;
  return { prefix, path, raw: typeof raw === 'string' ? raw : undefined };
}

function isBodyEvent(event: unknown): boolean {
  return (
    typeof event === 'object' && event !== null && (event as { type?: unknown }).type === 'http.response.body'
  );
}

/**
 * Wraps an async app (a plain app or a middleware stack) with the checks of spec/middleware.md:
 * reports MW-SCOPE-1 when the scope it is given changes (checked at each `send()` and when the app's
 * promise resolves); when stacked inside another guarded layer of the same request, reports MW-PATH-1/2
 * and MW-PASS-1/2 for the scope the middleware in between passed on, MW-BODY-3 when that middleware
 * takes an `http.response.body` event without sending anything on before the app's `send()`
 * resolves, and MW-PASS-3 when it does not forward an event of a type 1.0 does not define.
 *
 * @param app - the app to guard
 * @param report - receives each violation
 */
export function guardAsyncMiddleware(app: AsyncApp, report: Report): AsyncApp {
  const buffering = saysItBuffers(app);
  return async function guardedAsyncApp(scope: Scope, receive: Receive, send: Send): Promise<void> {
    if (typeof scope !== 'object' || scope === null) return app(scope, receive, send);
    const loose = scope as unknown as Record<string, unknown>;
    const state = loose.state;
    const own = typeof state === 'object' && state !== null ? state : undefined;
    const current = context.getStore();
    // The same request: the same state object, or (for a scope without one) the same scope type.
    const parent =
      current !== undefined &&
      (own !== undefined
        ? current.state === own
        : current.state === undefined && current.given.type === loose.type)
        ? current
        : undefined;
    const view = viewOf(loose);
    if (parent !== undefined) {
      if (parent.view !== undefined && view !== undefined) checkMount(parent.view, view, NAMES, report);
      checkScopePassThrough(parent.given, loose, report);
    }
    const layer = new Layer(loose, own, parent, buffering, view);
    let before = snapshot(scope, 'state');
    const check = (when: string) => {
      const key = changedKey(before, scope);
      if (key === undefined) return;
      before = snapshot(scope, 'state');
      report(
        'MW-SCOPE-1',
        'app',
        `the scope given to the app was changed (${key}) ${when}; pass a shallow copy, keep per-request data in state`,
        key,
      );
    };
    const guardedSend: Send = async function sendGuarded(event: SendEvent): Promise<void> {
      check('before send()');
      const unknown = isUnknownEvent(event);
      layer.sent++;
      if (unknown) layer.unknownSent.push(event);
      if (parent === undefined || parent.buffering || !(unknown || isBodyEvent(event))) return send(event);
      const sentBefore = parent.sent;
      const unknownBefore = parent.unknownSent.length;
      await send(event);
      if (unknown) {
        if (!parent.unknownSent.slice(unknownBefore).some((e) => sameEntries(e, event))) {
          report(
            'MW-PASS-3',
            'middleware',
            `a middleware did not pass on an event of a type it cannot know (${event.type}) unchanged before send() resolved`,
            event,
          );
        }
      } else if (parent.sent === sentBefore) {
        report(
          'MW-BODY-3',
          'middleware',
          'a middleware took an http.response.body event and sent nothing on before send() resolved; only a middleware whose name says it buffers may hold the body',
          event,
        );
      }
    };
    const run = () => app(scope, receive, guardedSend);
    await context.run(layer, run);
    check('by the time the app finished');
  };
}
