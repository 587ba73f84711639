/**
 * What the async validator's per-scope state machines have in common: the event shape they work on,
 * the {@link Exchange} contract the driver (`async.ts`) feeds, and small shape helpers.
 *
 * @module
 */

/** An event as the validator sees it: an object with a string `type`; other keys are unchecked. */
export type Ev = { readonly type: string; readonly [key: string]: unknown };

/** A scope as the validator sees it, before its keys are known to be valid. */
export type LooseScope = { readonly type: string; readonly [key: string]: unknown };

/**
 * One scope's state machine (spec/async.md). The driver calls {@link received} with each event
 * `receive()` resolved to, {@link sending} with each event the app passes to `send()` (before the
 * server gets it), and {@link finished} when the app's promise resolved.
 */
export interface Exchange {
  /**
   * The rule "send() after the client went away rejects with ERR_CLIENT_DISCONNECTED" for this
   * scope type (ASYNC-HTTP-9, ASYNC-WS-11), or `null` when the scope has no client (lifespan).
   */
  readonly goneRule: string | null;
  /** Whether the client went away: a disconnect event arrived, or `send()` rejected with ERR_CLIENT_DISCONNECTED. */
  gone: boolean;
  /** Whether the exchange is complete (HTTP: the response is; lifespan: shutdown was answered). */
  readonly complete: boolean;
  /** Checks an event `receive()` resolved to (server side); `late` when receive() was called after completion. */
  received(event: Ev, late: boolean): void;
  /** Checks an event the app sends (app side) and advances the state machine. */
  sending(event: Ev): void | Promise<void>;
  /** Checks the app left the exchange in a final state when its promise resolved (app side). */
  finished(): void;
}

/** An exchange that checks nothing: for scope types this validator does not know. */
export const passThrough: Exchange = {
  goneRule: null,
  gone: false,
  complete: false,
  received() {},
  sending() {},
  finished() {},
};

/** Whether `v` is a non-null object that is not an array. */
export function isObject(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether `v` is an event: an object with a string `type` (ASYNC-GEN-2). */
export function isEvent(v: unknown): v is Ev {
  return isObject(v) && typeof v.type === 'string';
}

/** Whether `v` has a callable `then` (a Promise or another thenable). */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/** Whether `v` is an integer in `min..max`. */
export function isIntegerIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/**
 * Whether the scope offers an extension that event `type` belongs to (spec/extensions.md "Names"):
 * an extension named N owns the event type N and every type that starts with `N.`.
 */
export function offers(scope: LooseScope, type: string): boolean {
  const extensions = scope.extensions;
  if (!isObject(extensions)) return false;
  let name = type;
  for (;;) {
    if (Object.hasOwn(extensions, name) && isObject(extensions[name])) return true;
    const dot = name.lastIndexOf('.');
    if (dot <= 0) return false;
    name = name.slice(0, dot);
  }
}
