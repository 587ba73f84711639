/**
 * The async-interface validator (the wsgiref.validate / Rack::Lint analogue for spec/async.md and
 * spec/extensions.md): wraps an app, checks the scope before the app runs, every event `receive()`
 * resolves to (server side), every event the app passes to `send()` (app side), what `send()` does
 * with it, and how the app's promise settles. One state machine per scope type does the ordering
 * (`async-http.ts`, `async-websocket.ts`, `async-lifespan.ts`); this file is the driver.
 *
 * @module
 */
import type { AsyncApp, Receive, ReceiveEvent, Scope, Send, SendEvent } from '../async-types.js';
import { isPorticoError, printable } from '../errors.js';
import {
  type Exchange,
  isEvent,
  isObject,
  isThenable,
  type LooseScope,
  passThrough,
} from './async-exchange.js';
import { checkFilterData } from './async-extensions.js';
import { HTTPExchange } from './async-http.js';
import { LifespanExchange } from './async-lifespan.js';
import {
  checkConnectionScope,
  checkHTTPScope,
  checkSpecKey,
  checkStateKey,
  checkWebSocketScope,
  type LifespanLink,
} from './async-scope.js';
import { WebSocketExchange } from './async-websocket.js';
import type { Report } from './violation.js';

/** Scope types interface version 1.0 defines (ASYNC-SCOPE-2). */
const SCOPE_TYPES_1_0 = new Set(['http', 'websocket', 'lifespan']);

/** Error codes node:net / node:stream use for a peer that went away; a server must not leak them (ASYNC-HTTP-9). */
const SOCKET_ERRORS = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNABORTED',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/**
 * One call of the app: counts the app-side violations reported during it (to tell whether an event was valid)
 * and remembers the first one the report handler threw, so an app that swallows it cannot hide it.
 */
class Call {
  /** App-side violations reported so far. */
  appViolations = 0;
  thrown: { error: unknown } | null = null;
  readonly report: Report;

  constructor(outer: Report) {
    this.report = (...args: Parameters<Report>) => {
      if (args[1] === 'app') this.appViolations++;
      try {
        outer(...args);
      } catch (error) {
        this.thrown ??= { error };
        throw error;
      }
    };
  }
}

/** Runs the scope checks and returns the state machine for the scope's type. Throws (by default) on a bad scope. */
function openExchange(scope: unknown, report: Report, link: LifespanLink): Exchange {
  if (!isObject(scope) || typeof scope.type !== 'string') {
    report('ASYNC-SCOPE-2', 'server', 'scope is not an object with a string type', scope);
    return passThrough;
  }
  const loose = scope as LooseScope;
  switch (loose.type) {
    case 'http':
      checkConnectionScope(loose, link, report);
      checkHTTPScope(loose, report);
      return new HTTPExchange(loose, report);
    case 'websocket':
      checkConnectionScope(loose, link, report);
      checkWebSocketScope(loose, report);
      return new WebSocketExchange(loose, report);
    case 'lifespan':
      checkSpecKey(loose, report);
      checkStateKey(loose, report);
      return new LifespanExchange(loose, report, link);
    default: {
      const spec = loose.spec;
      if (isObject(spec) && spec.version === '1.0' && !SCOPE_TYPES_1_0.has(loose.type)) {
        report('ASYNC-SCOPE-2', 'server', 'scope type is not one interface version 1.0 defines', loose.type);
      }
      return passThrough;
    }
  }
}

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

/**
 * Wraps `app` with the checks of spec/async.md and spec/extensions.md, reporting each broken rule
 * through `report` (which throws by default: an app-side violation rejects the `send()` call that
 * broke it, a server-side one in the scope rejects before the app runs, one in an event rejects the
 * `receive()` that returned it). Scope types this validator does not know pass through unchecked,
 * and so do events of extensions the scope offers.
 *
 * When the app rejects, the wrapper rejects with the same error and reports nothing more. When it
 * resolves after swallowing a violation that was thrown into it, the wrapper rejects with that
 * violation.
 *
 * @param app - the app to check
 * @param report - where violations go (validator/violation.ts)
 * @returns an app with the same behaviour plus the checks
 */
export function checkAsyncApp(app: AsyncApp, report: Report): AsyncApp {
  const link: LifespanLink = { state: null };

  return async function validatedAsyncApp(scope: Scope, receive: Receive, send: Send): Promise<void> {
    const call = new Call(report);
    const rep = call.report;
    const exchange = openExchange(scope, rep, link);
    let touched = false;
    let settled = false;

    async function checkedReceive(): Promise<ReceiveEvent> {
      touched = true;
      if (settled) rep('ASYNC-GEN-8', 'app', 'receive() called after the app settled');
      const late = exchange.complete;
      const pending = receive();
      if (!isThenable(pending)) rep('ASYNC-GEN-5', 'server', 'receive() did not return a Promise', pending);
      const event: unknown = await pending;
      if (!isEvent(event)) {
        rep('ASYNC-GEN-2', 'server', 'receive() resolved to something that is not an event', event);
      } else {
        exchange.received(event, late);
      }
      return event as ReceiveEvent;
    }

    async function checkedSend(event: SendEvent): Promise<void> {
      touched = true;
      if (settled)
        rep('ASYNC-GEN-8', 'app', 'send() called after the app settled', (event as { type?: unknown })?.type);
      const before = call.appViolations;
      const wasGone = exchange.gone;
      if (!isEvent(event))
        rep('ASYNC-GEN-2', 'app', 'send() takes an event: an object with a string type', event);
      else await exchange.sending(event);
      const invalid = call.appViolations > before;
      const pending = send(event);
      if (!isThenable(pending)) rep('ASYNC-GEN-5', 'server', 'send() did not return a Promise', pending);
      const rule = exchange.goneRule;
      try {
        await pending;
      } catch (err) {
        if (isPorticoError(err, 'ERR_CLIENT_DISCONNECTED')) {
          exchange.gone = true;
        } else if (rule !== null && !invalid && SOCKET_ERRORS.has(errorCode(err) as string)) {
          rep(
            rule,
            'server',
            'send() rejected with a socket error instead of ERR_CLIENT_DISCONNECTED',
            errorCode(err),
          );
        } else if (rule !== null && !invalid && wasGone) {
          rep(
            rule,
            'server',
            'send() after the client went away rejected with an error other than ERR_CLIENT_DISCONNECTED',
            printable(err),
          );
        }
        throw err;
      }
      if (invalid) {
        rep(
          'SRV-ERR-5',
          'server',
          'send() accepted an event that breaks the spec; a server must reject it',
          event,
        );
      } else if (wasGone && rule !== null) {
        rep(
          rule,
          'server',
          'send() resolved after the client went away; it must reject with ERR_CLIENT_DISCONNECTED',
          event.type,
        );
      }
    }

    const given = checkFilterData(scope as unknown as LooseScope, rep) as unknown as Scope;
    const result: unknown = app(given, checkedReceive, checkedSend);
    if (!isThenable(result)) rep('ASYNC-GEN-1', 'app', 'app did not return a Promise', result);
    try {
      await result; // on rejection: the app's own error, nothing more reported
    } finally {
      settled = true;
    }
    if (call.thrown !== null) throw call.thrown.error;
    if (!touched) {
      rep(
        'ASYNC-GEN-7',
        'app',
        'app resolved without calling receive() or send(); reject scope types you do not handle',
        scope.type,
      );
    } else {
      exchange.finished();
    }
  };
}
