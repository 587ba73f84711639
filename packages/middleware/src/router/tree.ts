/**
 * The route tree: a radix tree over the segments of a decoded path (one edge per segment), with a
 * hash table in front of it for fully static patterns. Lookup walks one node per path segment, so
 * its cost depends on the path's length, not on the number of routes.
 *
 * Why not find-my-way or rou3: both route on a raw URL string (find-my-way decodes params itself,
 * treats `%2F` and `?` its own way, and has its own regexp/multi-param syntax; rou3 splits on `/`
 * and decodes nothing). Portico routes on the scope's already decoded `path` (spec/async.md
 * ASYNC-SCOPE-4, spec/middleware.md section 7), where a param is one decoded segment and a `%2F`
 * has already become `/`. Wrapping either would mean re-encoding the path on every request.
 *
 * @module
 */

import { PorticoError } from '@portico/spec';

/** One parsed segment of a pattern. */
export type Segment =
  | { readonly kind: 'static'; readonly text: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'wildcard'; readonly name: string };

interface Node<T> {
  statics: Map<string, Node<T>> | null;
  /** When `statics` holds one child: its text and node, compared in place (no slice, no hash). */
  onlyText: string | null;
  onlyNode: Node<T> | null;
  param: Node<T> | null;
  wildcard: Leaf<T> | null;
  leaf: Leaf<T> | null;
}

/** What a pattern stores: its value and the names of its params, in order. */
export interface Leaf<T> {
  readonly value: T;
  readonly names: readonly string[];
  readonly pattern: string;
}

/** A successful lookup: the value and the param values, in the order of `leaf.names`. */
export interface Match<T> {
  readonly leaf: Leaf<T>;
  readonly values: readonly string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NO_VALUES: readonly string[] = Object.freeze([]);

/**
 * Parses a pattern: `/`-separated segments, each static text, `:name` (one non-empty segment) or,
 * last only, `*name` (the rest of the path, possibly empty, `/` included).
 *
 * @throws PorticoError `ERR_INVALID_OPTION` for a pattern not starting with `/`, a bad or repeated
 *   param name, or a wildcard not in the last segment
 */
export function parsePattern(pattern: string): Segment[] {
  if (typeof pattern !== 'string' || !pattern.startsWith('/')) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `router: a route pattern starts with "/": ${JSON.stringify(pattern)}`,
    );
  }
  const parts = pattern.slice(1).split('/');
  const seen = new Set<string>();
  return parts.map((part, i): Segment => {
    const c = part.charCodeAt(0);
    if (c !== 0x3a && c !== 0x2a) return { kind: 'static', text: part };
    const name = part.slice(1);
    if (!NAME.test(name) || seen.has(name)) {
      throw new PorticoError(
        'ERR_INVALID_OPTION',
        `router: bad or repeated param name ${JSON.stringify(part)} in ${JSON.stringify(pattern)}`,
      );
    }
    seen.add(name);
    if (c === 0x3a) return { kind: 'param', name };
    if (i !== parts.length - 1) {
      throw new PorticoError(
        'ERR_INVALID_OPTION',
        `router: a wildcard is the last segment: ${JSON.stringify(pattern)}`,
      );
    }
    return { kind: 'wildcard', name };
  });
}

const newNode = <T>(): Node<T> => ({
  statics: null,
  onlyText: null,
  onlyNode: null,
  param: null,
  wildcard: null,
  leaf: null,
});

/**
 * A tree of patterns to values. Precedence at each segment: static text, then `:param`, then
 * `*wildcard`, with backtracking (so `/a/:x/c` and `/a/b/d` both match what they should).
 */
export class RouteTree<T> {
  readonly #statics = new Map<string, Leaf<T>>();
  readonly #root: Node<T> = newNode();

  /**
   * Finds the value stored for exactly this pattern (same segments, same param positions), or
   * stores the one `create` returns.
   *
   * @throws PorticoError `ERR_INVALID_OPTION` as {@link parsePattern}
   */
  upsert(pattern: string, create: () => T): Leaf<T> {
    const segments = parsePattern(pattern);
    const names: string[] = [];
    let node = this.#root;
    let dynamic = false;
    for (const seg of segments) {
      if (seg.kind === 'static') {
        node.statics ??= new Map();
        let next = node.statics.get(seg.text);
        if (next === undefined) {
          next = newNode<T>();
          node.statics.set(seg.text, next);
        }
        const single = node.statics.size === 1;
        node.onlyText = single ? seg.text : null;
        node.onlyNode = single ? next : null;
        node = next;
      } else if (seg.kind === 'param') {
        dynamic = true;
        names.push(seg.name);
        node = node.param ??= newNode();
      } else {
        names.push(seg.name);
        node.wildcard ??= { value: create(), names, pattern };
        return node.wildcard;
      }
    }
    if (node.leaf === null) {
      node.leaf = { value: create(), names, pattern };
      if (!dynamic) this.#statics.set(pattern, node.leaf);
    }
    return node.leaf;
  }

  /** Looks up a decoded path (starting with `/`); `null` when nothing matches. */
  lookup(path: string): Match<T> | null {
    const leaf = this.#statics.get(path);
    if (leaf !== undefined) return { leaf, values: NO_VALUES };
    if (path.charCodeAt(0) !== 0x2f) return null;
    const values: string[] = [];
    const found = walk(this.#root, path, 1, values);
    return found === null ? null : { leaf: found, values };
  }
}

function walk<T>(node: Node<T>, path: string, start: number, values: string[]): Leaf<T> | null {
  let end = path.indexOf('/', start);
  if (end === -1) end = path.length;
  const last = end === path.length;
  if (node.onlyText !== null) {
    const text = node.onlyText;
    if (end - start === text.length && path.startsWith(text, start)) {
      const next = node.onlyNode as Node<T>;
      const found = last ? next.leaf : walk(next, path, end + 1, values);
      if (found !== null) return found;
    }
  } else if (node.statics !== null) {
    const next = node.statics.get(path.slice(start, end));
    if (next !== undefined) {
      const found = last ? next.leaf : walk(next, path, end + 1, values);
      if (found !== null) return found;
    }
  }
  if (node.param !== null && end > start) {
    values.push(path.slice(start, end));
    const found = last ? node.param.leaf : walk(node.param, path, end + 1, values);
    if (found !== null) return found;
    values.pop();
  }
  if (node.wildcard !== null) {
    values.push(path.slice(start));
    return node.wildcard;
  }
  return null;
}

/**
 * The prototype of every params object: frozen and empty, with a `null` prototype itself, so a
 * params object inherits nothing (`constructor`, `__proto__` are plain keys) yet, unlike
 * `Object.create(null)`, stays a fast (non-dictionary) object in V8.
 */
const PARAMS_PROTO: object = Object.freeze(Object.create(null));

/**
 * The params of a match as an object (`{ name: value }`), on top of `base` (copied first; the
 * match's own names win).
 */
export function matchParams<T>(
  match: Match<T>,
  count = match.values.length,
  base?: Readonly<Record<string, string>>,
): Record<string, string> {
  const params: Record<string, string> = Object.create(PARAMS_PROTO);
  if (base !== undefined) for (const key of Object.keys(base)) params[key] = base[key] as string;
  const { names } = match.leaf;
  const { values } = match;
  for (let i = 0; i < count; i++) params[names[i] as string] = values[i] as string;
  return params;
}
