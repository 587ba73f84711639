/**
 * The `Session` object both session middlewares put in `scope.state.session`, and `sessionOf()`.
 *
 * @module
 */

import type { Environ, State } from '@portico/spec';
import { PorticoError } from '@portico/spec';
import { mintSessionId } from './session-id.js';

/** The key of `scope.state` (and `environ['portico.state']`) that holds the {@link Session}. */
export const SESSION_STATE_KEY = 'session';

/**
 * The session key of the CSRF token of `csrf()` (exported there as `CSRF_SESSION_KEY`). Defined
 * here because `regenerate()` drops it: a token the session had before login may be known to an
 * attacker who planted that session (OWASP CSRF Prevention: rotate the token on privilege change).
 * @internal
 */
export const CSRF_TOKEN_KEY = 'csrf.token';

/**
 * One request's session, from `cookieSession()` or `session()`. Values are JSON values (null,
 * booleans, finite numbers, strings, arrays and plain objects of them); each is kept as its JSON
 * text, so `get` returns a fresh copy and changing that copy changes nothing: call `set` again.
 *
 * The async methods `regenerate()` and `destroy()` only record what to do and resolve at once; the
 * middleware does the store and cookie work when the app sends `http.response.start`, before it
 * forwards it. So a sync app (which cannot await) calls them and ignores the promise.
 */
export interface Session {
  /** The value stored under `key` (a fresh copy), or `undefined`. */
  get<T = unknown>(key: string): T | undefined;
  /**
   * Stores a JSON value under `key`.
   * @throws PorticoError `ERR_INVALID_OPTION` for a value that is not a JSON value (undefined, a
   *   function, a bigint, a symbol, NaN or Infinity, a Date, a Map, a class instance, a cycle);
   *   `ERR_MIDDLEWARE_MISUSE` after `http.response.start`
   */
  set(key: string, value: unknown): void;
  /** Removes `key`. @throws PorticoError `ERR_MIDDLEWARE_MISUSE` after `http.response.start` */
  delete(key: string): void;
  /** Removes every key. @throws PorticoError `ERR_MIDDLEWARE_MISUSE` after `http.response.start` */
  clear(): void;
  /**
   * The session id (server-side sessions): the id the record is (or will be) stored under; a new
   * session has a freshly minted id that is only stored if the session is saved. `undefined` for
   * cookie sessions.
   */
  readonly id: string | undefined;
  /** Whether no valid session came with the request (or it was destroyed or regenerated). */
  readonly isNew: boolean;
  /**
   * Gives the session a new id (server-side: the old record is destroyed, the data kept) or a new
   * issue time (cookie sessions). Call it on login (session fixation, OWASP). The data is kept
   * except the CSRF token of `csrf()` (`"csrf.token"`), which is dropped so that a new one is made:
   * a token from before login may be known to whoever planted the session. The work happens at
   * `http.response.start`; the promise resolves at once.
   * @throws PorticoError `ERR_MIDDLEWARE_MISUSE` after `http.response.start`
   */
  regenerate(): Promise<void>;
  /**
   * Ends the session: data cleared, record deleted, cookie cleared (`Max-Age=0`). Data set
   * afterwards starts a new session. The work happens at `http.response.start`.
   * @throws PorticoError `ERR_MIDDLEWARE_MISUSE` after `http.response.start`
   */
  destroy(): Promise<void>;
  /** A copy of the data: a null-prototype object of key to value. */
  toJSON(): Record<string, unknown>;
}

/** What the middleware sees of a {@link Session} it created. @internal */
export interface SessionControl {
  /** Whether the data changed (or regenerate() asked for a write). */
  readonly changed: boolean;
  /** Whether destroy() was called (and nothing was set since). */
  readonly destroyed: boolean;
  /** The ids to delete from the store (loaded ids that were destroyed or regenerated). */
  readonly obsoleteIds: readonly string[];
  /** Issue time (ms) to write: the loaded one, or the time of the last destroy/regenerate. */
  readonly issuedAt: number;
  /** The data as a plain null-prototype object. */
  data(): Record<string, unknown>;
  /** Whether there is no data. */
  empty(): boolean;
  /** Refuses changes from now on (called at `http.response.start`). */
  lock(): void;
}

/** How a session starts: data loaded from the cookie or store, or nothing. @internal */
export interface SessionInit {
  /** Loaded data (values are JSON values), or `undefined` for a new session. */
  data: Record<string, unknown> | undefined;
  /** The loaded id (server-side), `undefined` for a new server session; ignored when `ids` is false. */
  id: string | undefined;
  /** Whether this session has ids (server-side). */
  ids: boolean;
  /** Issue time in ms of the loaded session, or now. */
  issuedAt: number;
  /** The clock, ms. */
  now: () => number;
}

function invalidValue(path: string, why: string, value: unknown): PorticoError {
  return new PorticoError('ERR_INVALID_OPTION', `session value ${path} is invalid: ${why}`, { value });
}

/**
 * Checks that `value` is a JSON value that survives `JSON.stringify`/`JSON.parse` unchanged.
 * @throws PorticoError `ERR_INVALID_OPTION` naming the offending path
 */
export function assertJsonValue(value: unknown, path = '$', seen: Set<object> = new Set()): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalidValue(path, 'not a finite number', value);
    return;
  }
  if (typeof value !== 'object') throw invalidValue(path, `a ${typeof value} is not a JSON value`, value);
  if (seen.has(value)) throw invalidValue(path, 'a cycle', value);
  seen.add(value);
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      assertJsonValue(item, `${path}[${i}]`, seen);
    });
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null)
      throw invalidValue(path, 'not a plain object or array', value);
    for (const key of Object.keys(value)) {
      assertJsonValue((value as Record<string, unknown>)[key], `${path}.${key}`, seen);
    }
  }
  seen.delete(value);
}

/**
 * One request's session and the middleware's control of it, as a class: made for every request, so
 * its methods live on the prototype instead of being closures made per request.
 */
class RequestSession implements Session {
  // Each value kept as its JSON text: `get` returns a copy, changes are detected by comparison.
  readonly #values = new Map<string, string>();
  readonly #init: SessionInit;
  readonly #loadedId: string | undefined;
  // Minted when first read: a request that never saves its session costs no random bytes.
  #id: string | undefined;
  #isNew: boolean;
  #changed = false;
  #destroyed = false;
  #locked = false;
  #issuedAt: number;
  readonly #obsoleteIds: string[] = [];

  constructor(init: SessionInit) {
    this.#init = init;
    if (init.data !== undefined) {
      for (const key of Object.keys(init.data)) this.#values.set(key, JSON.stringify(init.data[key]));
    }
    this.#id = init.ids ? init.id : undefined;
    this.#loadedId = this.#id;
    this.#isNew = init.data === undefined;
    this.#issuedAt = init.issuedAt;
  }

  #check(what: string): void {
    if (this.#locked)
      throw new PorticoError('ERR_MIDDLEWARE_MISUSE', `session.${what}() after http.response.start`);
  }

  #restart(): void {
    const id = this.#id;
    if (id !== undefined && id === this.#loadedId && !this.#obsoleteIds.includes(id))
      this.#obsoleteIds.push(id);
    if (this.#init.ids) this.#id = undefined;
    this.#isNew = true;
    this.#issuedAt = this.#init.now();
  }

  get<T = unknown>(key: string): T | undefined {
    const text = this.#values.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  set(key: string, value: unknown): void {
    this.#check('set');
    if (typeof key !== 'string') throw invalidValue('key', 'not a string', key);
    assertJsonValue(value, JSON.stringify(key));
    const text = JSON.stringify(value);
    if (this.#values.get(key) === text) return;
    this.#values.set(key, text);
    this.#changed = true;
    this.#destroyed = false;
  }

  delete(key: string): void {
    this.#check('delete');
    if (this.#values.delete(key)) this.#changed = true;
  }

  clear(): void {
    this.#check('clear');
    if (this.#values.size > 0) this.#changed = true;
    this.#values.clear();
  }

  get id(): string | undefined {
    if (this.#id === undefined && this.#init.ids) this.#id = mintSessionId();
    return this.#id;
  }

  get isNew(): boolean {
    return this.#isNew;
  }

  regenerate(): Promise<void> {
    try {
      this.#check('regenerate');
      this.#restart();
      this.#values.delete(CSRF_TOKEN_KEY);
      this.#changed = true;
      this.#destroyed = false;
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  destroy(): Promise<void> {
    try {
      this.#check('destroy');
      this.#restart();
      this.#values.clear();
      this.#changed = false;
      this.#destroyed = true;
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, text] of this.#values) {
      Object.defineProperty(out, key, {
        value: JSON.parse(text),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }

  /**
   * The middleware's view of a session (its changes, its ids to delete, locking), kept off the
   * object apps get. A class declared here, once, so it can read the private fields.
   */
  static readonly Control: new (session: RequestSession) => SessionControl = (() =>
    class Control implements SessionControl {
      readonly #session: RequestSession;
      constructor(session: RequestSession) {
        this.#session = session;
      }
      get changed(): boolean {
        return this.#session.#changed;
      }
      get destroyed(): boolean {
        return this.#session.#destroyed;
      }
      get obsoleteIds(): readonly string[] {
        return this.#session.#obsoleteIds;
      }
      get issuedAt(): number {
        return this.#session.#issuedAt;
      }
      data(): Record<string, unknown> {
        return this.#session.toJSON();
      }
      empty(): boolean {
        return this.#session.#values.size === 0;
      }
      lock(): void {
        this.#session.#locked = true;
      }
    })();
}

/** Makes the {@link Session} of one request and its control for the middleware. @internal */
export function createSession(init: SessionInit): { session: Session; control: SessionControl } {
  const session = new RequestSession(init);
  return { session, control: new RequestSession.Control(session) };
}

/**
 * The {@link Session} a session middleware put in `scope.state.session` (or, for a sync app,
 * `environ['portico.state'].session`).
 *
 * @param holder - the scope (its `state`) or the environ (its `portico.state`)
 * @throws PorticoError `ERR_MIDDLEWARE_MISUSE` when no session middleware ran for this request
 */
export function sessionOf(holder: { readonly state: State } | Environ): Session {
  const state = ('state' in holder ? holder.state : (holder as Environ)['portico.state']) as
    | Record<string, unknown>
    | undefined;
  const found = state?.[SESSION_STATE_KEY] as Session | undefined;
  if (
    typeof found !== 'object' ||
    found === null ||
    typeof found.get !== 'function' ||
    typeof found.regenerate !== 'function'
  ) {
    throw new PorticoError(
      'ERR_MIDDLEWARE_MISUSE',
      'no session in state.session: put cookieSession() or session() in front of this app',
    );
  }
  return found;
}
