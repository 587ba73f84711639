/**
 * Pass-through checks between a middleware and the app it calls (spec/middleware.md "Passing on what
 * it does not know"): what interface 1.0 does not define (a scope type, a scope or environ key, an
 * event type) is passed on unchanged. "Unchanged" is compared by value (same keys, same values by
 * `Object.is`), because a validator layer may sit between the middleware and the app.
 *
 * @module
 */

import { REQUIRED } from './sync-environ.js';
import type { Report } from './violation.js';

/** Scope keys interface 1.0 defines, by scope type (spec/async.md sections 8, 12, 13). */
const CONNECTION_KEYS = [
  'type',
  'spec',
  'httpVersion',
  'scheme',
  'path',
  'rawPath',
  'queryString',
  'rootPath',
  'headers',
  'client',
  'server',
  'state',
  'extensions',
];
const SCOPE_KEYS: Readonly<Record<string, ReadonlySet<string>>> = {
  http: new Set([...CONNECTION_KEYS, 'method']),
  websocket: new Set([...CONNECTION_KEYS, 'subprotocols']),
  lifespan: new Set(['type', 'spec', 'state']),
};

/** The dotted environ keys interface 1.0 defines (spec/sync.md section 4.2): the required ones and file_wrapper. */
const PORTICO_KEYS: ReadonlySet<string> = new Set([
  ...REQUIRED.filter((key) => key.startsWith('portico.')),
  'portico.file_wrapper',
]);

/** Event types an app may send under interface 1.0 and its extensions (spec/async.md, spec/extensions.md). */
const SEND_EVENTS: ReadonlySet<string> = new Set([
  'http.response.start',
  'http.response.body',
  'http.response.trailers',
  'http.response.early_hints',
  'http.response.pathsend',
  'websocket.accept',
  'websocket.send',
  'websocket.close',
  'lifespan.startup.complete',
  'lifespan.startup.failed',
  'lifespan.shutdown.complete',
  'lifespan.shutdown.failed',
]);

/** Whether `type` is a scope type interface 1.0 defines. */
export function isKnownScopeType(type: unknown): boolean {
  return typeof type === 'string' && Object.hasOwn(SCOPE_KEYS, type);
}

/** Whether `event` is an object whose type interface 1.0 does not define for `send()`. */
export function isUnknownEvent(event: unknown): event is { readonly type: string } {
  if (typeof event !== 'object' || event === null) return false;
  const type = (event as { type?: unknown }).type;
  return typeof type === 'string' && !SEND_EVENTS.has(type);
}

/** Whether `a` and `b` have the same own keys with the same values (`Object.is`). */
export function sameEntries(a: object, b: object): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every(
    (key) =>
      Object.hasOwn(b, key) &&
      Object.is((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

/**
 * Checks a scope a middleware passed on against the one it was given: a scope type 1.0 does not
 * define goes on unchanged (MW-PASS-1); in a known scope, every key 1.0 does not define goes on with
 * its value (MW-PASS-2).
 */
export function checkScopePassThrough(
  given: Record<string, unknown>,
  passed: Record<string, unknown>,
  report: Report,
): void {
  const known = typeof given.type === 'string' ? SCOPE_KEYS[given.type] : undefined;
  if (known === undefined) {
    if (!sameEntries(given, passed)) {
      report(
        'MW-PASS-1',
        'middleware',
        `a middleware changed a scope of a type it cannot know (${String(given.type)})`,
        {
          type: given.type,
        },
      );
    }
    return;
  }
  if (passed.type !== given.type) return; // a middleware that calls an app with a scope of its own making
  for (const key of Object.keys(given)) {
    if (!known.has(key) && !(Object.hasOwn(passed, key) && Object.is(passed[key], given[key]))) {
      report(
        'MW-PASS-2',
        'middleware',
        `a middleware dropped or changed the scope key ${key}, which it cannot know`,
        key,
      );
    }
  }
}

/** Checks an environ a middleware passed on: every extension key 1.0 does not define goes on with its value (MW-PASS-2). */
export function checkEnvironPassThrough(
  given: Record<string, unknown>,
  passed: Record<string, unknown>,
  report: Report,
): void {
  for (const key of Object.keys(given)) {
    if (!key.includes('.') || PORTICO_KEYS.has(key)) continue;
    if (!(Object.hasOwn(passed, key) && Object.is(passed[key], given[key]))) {
      report(
        'MW-PASS-2',
        'middleware',
        `a middleware dropped or changed the environ key ${key}, which it cannot know`,
        key,
      );
    }
  }
}
