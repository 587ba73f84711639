/**
 * Hostile values for the garbage-app properties (garbage-apps.ts): things an app may throw or put
 * in an event that break naive `String(x)`, `JSON.stringify(x)`, `x.type` or `Array.isArray(x)`.
 * Each comes as a {@link Recipe}: a name fast-check prints in a counterexample, and `make()` that
 * builds the value afresh for each run (a revoked proxy cannot be reused, a cycle cannot be printed).
 */
import fc from 'fast-check';

/** A value described by a printable name, built afresh by `make()`. */
export interface Recipe<T = unknown> {
  readonly name: string;
  make(): T;
  [fc.toStringMethod](): string;
}

/** A {@link Recipe} named `name`. */
export function recipe<T>(name: string, make: () => T): Recipe<T> {
  return { name, make, [fc.toStringMethod]: () => name };
}

/** A recipe for a plain value fast-check generated (printed with fast-check's own stringify). */
export function plain<T>(value: T): Recipe<T> {
  return recipe(fc.stringify(value), () => value);
}

function thrower(what: string): () => never {
  return () => {
    throw new Error(`hostile ${what}`);
  };
}

function nullProtoCycle(): object {
  const o = Object.create(null) as Record<string, unknown>;
  o.self = o;
  o.list = [o];
  return o;
}

function throwingGetters(keys: readonly string[], thrown: () => unknown): object {
  const o: Record<string, unknown> = {};
  for (const key of keys) {
    Object.defineProperty(o, key, {
      enumerable: true,
      get() {
        throw thrown();
      },
    });
  }
  return o;
}

const EVENT_KEYS = ['type', 'status', 'headers', 'body', 'moreBody', 'trailers', 'path', 'moreTrailers'];
const ERROR_KEYS = ['message', 'stack', 'name', 'code', 'cause', 'toJSON'];

function revoked<T extends object>(target: T): T {
  const { proxy, revoke } = Proxy.revocable(target, {});
  revoke();
  return proxy;
}

function allTrapsThrow<T extends object>(target: T): T {
  const trap = thrower('proxy trap');
  return new Proxy(target, {
    get: trap,
    has: trap,
    ownKeys: trap,
    getOwnPropertyDescriptor: trap,
    getPrototypeOf: trap,
    apply: trap,
  });
}

/** Values that break printing and property access; all built fresh. */
export const HOSTILE: readonly Recipe[] = [
  recipe('undefined', () => undefined),
  recipe('Symbol("s")', () => Symbol('s')),
  recipe('10n', () => 10n),
  recipe('null-prototype {a: 1}', () => Object.assign(Object.create(null), { a: 1 })),
  recipe('null-prototype cycle', nullProtoCycle),
  recipe('{ toString/valueOf throw }', () => ({
    toString: thrower('toString'),
    valueOf: thrower('valueOf'),
    [Symbol.toPrimitive]: thrower('toPrimitive'),
  })),
  recipe('object whose getters throw', () =>
    throwingGetters([...EVENT_KEYS, ...ERROR_KEYS], () => new Error('getter')),
  ),
  recipe('object whose getters throw a null-prototype object', () =>
    throwingGetters([...EVENT_KEYS, ...ERROR_KEYS], () => Object.create(null)),
  ),
  recipe('revoked proxy of {}', () => revoked({})),
  recipe('revoked proxy of []', () => revoked([])),
  recipe('proxy whose traps throw', () => allTrapsThrow({})),
  recipe('Error whose message/stack getters throw', () => {
    const err = new Error('x');
    Object.defineProperty(err, 'message', { get: thrower('message') });
    Object.defineProperty(err, 'stack', { get: thrower('stack') });
    return err;
  }),
  recipe('Error without a prototype', () => Object.setPrototypeOf(new Error('no proto'), null)),
  recipe(
    'Error with a null-prototype cycle as cause',
    () => new Error('caused', { cause: nullProtoCycle() }),
  ),
  recipe('Error with a multi-line message', () => new Error('line one\nline two\r\nSet-Cookie: x=1')),
  recipe('function', () => function hostileFunction() {}),
  // biome-ignore lint/suspicious/noThenProperty: a thenable is the point
  recipe('thenable whose then throws', () => ({ then: thrower('then') })),
];

/** One of the {@link HOSTILE} values. */
export const hostile: fc.Arbitrary<Recipe> = fc.constantFrom(...HOSTILE);

/** Anything fast-check makes (null-prototype objects included), or a hostile value. */
export const anyThrown: fc.Arbitrary<Recipe> = fc.oneof(
  fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withSet: true }).map(plain),
  hostile,
);

/** Hostile values in the shape of a header list or a pair (for `headers` fields). */
export const HOSTILE_HEADER_LISTS: readonly Recipe[] = [
  recipe('revoked proxy of [["a","b"]]', () => revoked([['a', 'b']])),
  recipe('proxy of [["a","b"]] whose traps throw', () => allTrapsThrow([['a', 'b']])),
  recipe('[revoked proxy of ["a","b"]]', () => [revoked(['a', 'b'])]),
  recipe('[proxy of ["a","b"] whose traps throw]', () => [allTrapsThrow(['a', 'b'])]),
  recipe('array whose element 0 getter throws', () => {
    const list: unknown[] = [['a', 'b']];
    Object.defineProperty(list, 0, { get: thrower('element') });
    return list;
  }),
  recipe('pair whose value getter throws', () => {
    const pair: unknown[] = ['a', 'b'];
    Object.defineProperty(pair, 1, { get: thrower('value') });
    return [pair];
  }),
  recipe(
    'array with a length getter that throws (proxy)',
    () =>
      new Proxy([['a', 'b']], {
        get(target, key, receiver) {
          if (key === 'length') throw new Error('hostile length');
          return Reflect.get(target, key, receiver);
        },
      }),
  ),
  recipe('[[ {toString throws}, "v" ]]', () => [[{ toString: thrower('toString') }, 'v']]),
  recipe('[[ "x", Symbol() ]]', () => [['x', Symbol('v')]]),
  recipe('[[ "x", 1n ]]', () => [['x', 1n]]),
];
