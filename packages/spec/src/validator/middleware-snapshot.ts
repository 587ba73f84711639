/**
 * Snapshots of a scope or environ, to tell whether the app it was given to changed it
 * (spec/middleware.md "Copy before mutate"). A snapshot copies arrays and plain objects a few levels
 * deep (headers, client, server, spec, extensions) and keeps every other value by identity; the
 * per-request `state` key is kept by identity only, because its contents are the app's to change.
 *
 * @module
 */

/** How deep arrays and plain objects are copied; deeper values are compared by identity. */
const DEPTH = 4;

/** A copied array or plain object: the original (for identity) and its entries at snapshot time. */
class Copied {
  constructor(
    readonly ref: object,
    readonly isArray: boolean,
    readonly entries: ReadonlyMap<string, unknown>,
  ) {}
}

/** A snapshot taken by {@link snapshot}. */
export type Snapshot = Copied;

function isCopyable(v: unknown): v is object {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return true;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function copy(value: unknown, depth: number, skip: string | undefined): unknown {
  if (depth === 0 || !isCopyable(value)) return value;
  const entries = new Map<string, unknown>();
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    entries.set(key, key === skip ? v : copy(v, depth - 1, undefined));
  }
  return new Copied(value, Array.isArray(value), entries);
}

/**
 * Takes a snapshot of `root` (a scope or an environ); `skip` names the key compared by identity only
 * (`state`, `portico.state`).
 */
export function snapshot(root: object, skip: string): Snapshot {
  return copy(root, DEPTH, skip) as Snapshot;
}

function describe(path: string, key: string, isArray: boolean): string {
  return isArray ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
}

function diff(before: unknown, now: unknown, path: string): string | undefined {
  if (!(before instanceof Copied)) return Object.is(before, now) ? undefined : path;
  if (before.ref !== now) return path;
  const keys = Object.keys(now);
  if (keys.length !== before.entries.size) {
    const added = keys.find((k) => !before.entries.has(k));
    if (added !== undefined) return describe(path, added, before.isArray);
    const removed = [...before.entries.keys()].find((k) => !keys.includes(k));
    return describe(path, removed ?? 'length', before.isArray);
  }
  for (const [key, value] of before.entries) {
    if (!Object.hasOwn(now, key)) return describe(path, key, before.isArray);
    const changed = diff(value, (now as Record<string, unknown>)[key], describe(path, key, before.isArray));
    if (changed !== undefined) return changed;
  }
  return undefined;
}

/**
 * Compares `root` with a snapshot of it.
 *
 * @returns the first changed key path (`"path"`, `"headers[2]"`, `"extensions.tls"`), or `undefined`
 */
export function changedKey(before: Snapshot, root: object): string | undefined {
  return diff(before, root, '');
}
