/**
 * The layers of a middleware stack, as the guards see them when the validator is stacked
 * (`validator(middleware(validator(app)))`): each guarded call is a {@link Layer}; a guarded call made
 * while another one of the same request is running (same `state` object) is its child, and the
 * guard can compare what the middleware in between did: how it moved the path (MW-PATH-*) and how it
 * passed the body on (MW-BODY-*).
 *
 * @module
 */
import { decodePath } from '../path.js';
import type { Report } from './violation.js';

/** The path keys of a scope or environ: `rootPath`/`path`/`rawPath` or SCRIPT_NAME/PATH_INFO/REQUEST_URI. */
export interface PathView {
  /** The mount point: `rootPath` or SCRIPT_NAME. */
  readonly prefix: string;
  /** What remains: `path` or PATH_INFO. */
  readonly path: string;
  /** The undecoded request path, `rawPath` or REQUEST_URI up to `?`; `undefined` when absent. */
  readonly raw: string | undefined;
}

/** The names {@link PathView}'s fields have in one interface, for messages. */
export interface PathNames {
  readonly prefix: string;
  readonly path: string;
  readonly raw: string;
}

/** A body returned through a guarded app, as its parent layer sees it. */
export interface ChildBody {
  /** Whether its `close()` has been called. */
  readonly closed: boolean;
  /** How many chunks it has yielded. */
  readonly yielded: number;
}

/** One guarded app call for one request. */
export class Layer {
  /** Bodies returned by guarded apps this layer's app called (sync interface). */
  readonly children: ChildBody[] = [];
  /** Chunks the children yielded since this layer's body last yielded (sync interface, MW-BODY-2). */
  pending = 0;
  /** Events this layer's app has sent (async interface, MW-BODY-3). */
  sent = 0;
  /** Events of types interface 1.0 does not define that this layer's app sent (async, MW-PASS-3). */
  readonly unknownSent: object[] = [];

  constructor(
    /** The scope or environ this layer's app was given. */
    readonly given: Readonly<Record<string, unknown>>,
    /** The request's `state` object, the same in every layer of one request; `undefined` when the scope has none. */
    readonly state: object | undefined,
    /** The layer whose app called this one, when it is guarded too. */
    readonly parent: Layer | undefined,
    /** Whether the wrapped app's function name says it buffers (`bufferedEtag`, `bufferBody`...). */
    readonly buffering: boolean,
    /** The path keys of the scope or environ this layer's app was given; `undefined` for lifespan. */
    readonly view: PathView | undefined,
  ) {}
}

/** Whether an app's function name says it buffers the body (spec/middleware.md "Streaming"). */
export function saysItBuffers(app: { readonly name: string }): boolean {
  return /buffer/i.test(app.name);
}

/**
 * Checks what a middleware did to the path between `parent` (what it was given) and `child` (what it
 * passed on): a mount moves a prefix and keeps prefix + path (MW-PATH-1); whatever it does, the
 * decoded raw path still ends with the path (MW-PATH-2).
 */
export function checkMount(parent: PathView, child: PathView, names: PathNames, report: Report): void {
  if (child.raw === parent.raw && child.prefix + child.path !== parent.prefix + parent.path) {
    report(
      'MW-PATH-1',
      'middleware',
      `a middleware changed ${names.prefix} + ${names.path} without rewriting ${names.raw}; a mount only moves a prefix`,
      { given: [parent.prefix, parent.path], passed: [child.prefix, child.path] },
    );
  }
  if (child.raw !== undefined && !decodePath(child.raw).endsWith(child.path)) {
    report(
      'MW-PATH-2',
      'middleware',
      `a middleware passed on a ${names.path} that the decoded ${names.raw} does not end with`,
      { [names.raw]: child.raw, [names.path]: child.path },
    );
  }
}

/** Checks that every body `layer`'s app got from a guarded app was closed (MW-BODY-1). */
export function checkChildrenClosed(layer: Layer, when: string, report: Report): void {
  const open = layer.children.filter((child) => !child.closed).length;
  if (open > 0) {
    report('MW-BODY-1', 'middleware', `a middleware did not close the body of the app it called ${when}`, {
      open,
    });
  }
}
