/**
 * Loading an app from a module: `<module>[:<export>]`, the export found, its interface told, and an
 * async-interface form of it ready for any server.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import type { AsyncApp } from './async-types.js';
import { locateModule, type ModuleLocation } from './bridge/module-location.js';
import { syncToAsync } from './bridge/sync-to-async.js';
import { isPorticoError, PorticoError, printable } from './errors.js';
import { type App, detectInterface, type InterfaceName } from './interface.js';
import type { SyncApp } from './sync-types.js';

/** An app loaded from a module. */
export interface LoadedApp {
  /** The export as found. */
  readonly app: App;
  /** The interface it speaks. */
  readonly interface: InterfaceName;
  /** The app under the async interface (sync apps wrapped with `syncToAsync`). */
  readonly asyncApp: AsyncApp;
}

/** Options of {@link loadApp}. */
export interface LoadAppOptions {
  /** Interface override; default `auto` (see `detectInterface`). */
  interface?: InterfaceName | 'auto';
  /** Directory relative module paths resolve against; default `process.cwd()`. */
  cwd?: string;
}

/** A target split into its module and its export. */
export interface AppTarget {
  /** The module part: a path, a `file:` URL or a package specifier. */
  readonly module: string;
  /** The export name, `undefined` for the default export. */
  readonly export: string | undefined;
}

// IdentifierName (ECMA-262 section 12.7), without escapes.
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

/**
 * Splits `<module>[:<export>]` on its LAST `:`, and only when what follows is a JavaScript
 * identifier: `app.js:handler` -> `app.js` + `handler`; `C:\srv\app.js`, `file:///srv/app.js` and
 * `app.js` have no export part.
 */
export function parseAppTarget(target: string): AppTarget {
  const colon = target.lastIndexOf(':');
  if (colon > 0) {
    const name = target.slice(colon + 1);
    if (IDENTIFIER.test(name)) return { module: target.slice(0, colon), export: name };
  }
  return { module: target, export: undefined };
}

/**
 * Loads `<module>[:<export>]` (see {@link parseAppTarget}): imports the module (a path relative to
 * `cwd`, an absolute path, a `file:` URL or a package specifier: see the resolution rule below),
 * takes the named export or the default one, tells its interface with `detectInterface` (honouring
 * `options.interface`), and gives its async form (`syncToAsync` for a sync app).
 *
 * Resolution: a `file:` URL as it is; a string that looks like a path (starts with `.`, is
 * absolute, has a `\` or a `.js`/`.ts`-family extension) or names an existing file relative to `cwd`
 * is a path, with `.js`, `.mjs`, `.cjs`, `.ts`, `.mts`, `.cts` and `<dir>/index.*` tried when it names
 * no file; anything else is a package specifier. For a CommonJS module, a named export missing from
 * the ESM namespace is also looked up on `module.exports`.
 *
 * TypeScript modules need a loader registered first (the CLI registers tsx); this function never
 * imports one.
 *
 * @throws PorticoError `ERR_APP_LOAD` with a one-line message naming what was wrong: module not found
 *   (the path tried), module failed to load (its error), export not found (the exports it has),
 *   export not an app (what it is), interface not decidable; `ERR_INVALID_OPTION` for a bad
 *   `options.interface`
 */
export async function loadApp(target: string, options: LoadAppOptions = {}): Promise<LoadedApp> {
  const override = options.interface ?? 'auto';
  if (override !== 'auto' && override !== 'sync' && override !== 'async') {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `loadApp: interface must be auto, sync or async, got ${JSON.stringify(override)}`,
    );
  }
  if (typeof target !== 'string' || target.trim() === '') {
    throw new PorticoError('ERR_APP_LOAD', 'no app given: expected <module>[:<export>]');
  }
  const { module, export: exportName } = parseAppTarget(target);
  const location = locateModule(module, options.cwd ?? process.cwd());

  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(location.url)) as Record<string, unknown>;
  } catch (err) {
    throw new PorticoError(
      'ERR_APP_LOAD',
      `cannot load module ${location.display}: ${loadError(err, location)}`,
      {
        cause: err,
      },
    );
  }

  const name = exportName ?? 'default';
  let app: unknown;
  if (Object.hasOwn(namespace, name)) app = unwrapTranspiledDefault(namespace[name], name);
  else if (isCommonJSExport(namespace, name)) app = (namespace.default as Record<string, unknown>)[name];
  else {
    const names = Object.keys(namespace).sort();
    const has = names.length === 0 ? 'it has no exports' : `its exports: ${names.join(', ')}`;
    throw new PorticoError('ERR_APP_LOAD', `module ${location.display} has no export '${name}'; ${has}`);
  }

  const what = `export '${name}' of ${location.display}`;
  if (typeof app !== 'function')
    throw new PorticoError('ERR_APP_LOAD', `${what} is not an app: it is ${describe(app)}`);
  if (/^class\b/.test(Function.prototype.toString.call(app))) {
    throw new PorticoError('ERR_APP_LOAD', `${what} is not an app: it is a class (an app is a function)`);
  }
  let iface: InterfaceName;
  try {
    iface = detectInterface(app, override);
  } catch (err) {
    if (!isPorticoError(err)) throw err;
    throw new PorticoError('ERR_APP_LOAD', `${what}: ${err.message}`, { cause: err });
  }
  const found = app as App;
  return {
    app: found,
    interface: iface,
    asyncApp: iface === 'async' ? (found as AsyncApp) : syncToAsync(found as SyncApp),
  };
}

/**
 * A module transpiled from ESM to CommonJS (tsx or tsc loading a `.ts` file outside a
 * `"type": "module"` package) sets `exports.__esModule = true` and puts its default export on
 * `exports.default`; Node's ESM view of it then has the whole `exports` object as `default`.
 */
function unwrapTranspiledDefault(value: unknown, name: string): unknown {
  if (name !== 'default' || value === null || typeof value !== 'object') return value;
  const exports = value as { __esModule?: unknown; default?: unknown };
  return exports.__esModule === true && Object.hasOwn(exports, 'default') ? exports.default : value;
}

function isCommonJSExport(namespace: Record<string, unknown>, name: string): boolean {
  const exports = namespace.default;
  return (
    name !== 'default' &&
    exports !== null &&
    (typeof exports === 'object' || typeof exports === 'function') &&
    Object.hasOwn(exports, name)
  );
}

/** One line saying why a module failed to load, with the location of a syntax error. */
function loadError(err: unknown, location: ModuleLocation): string {
  if (!(err instanceof Error)) return oneLine(printable(err));
  let text = `${err.name}: ${err.message}`;
  if (err instanceof SyntaxError) {
    const at = syntaxErrorLocation(location);
    if (at !== undefined) text += ` (at ${at})`;
  }
  if ((err as NodeJS.ErrnoException).code === 'ERR_UNKNOWN_FILE_EXTENSION') {
    text += ' (a TypeScript module needs a loader registered first, such as tsx: `portico serve` does that)';
  }
  return oneLine(text);
}

/**
 * Where the syntax error of a JavaScript file is: Node's ESM loader keeps the location out of the
 * error object (it only prints it for an uncaught error), so ask `node --check`, which prints
 * `<file>:<line>` first. Only on this failure path, for `.js`/`.mjs`/`.cjs` files.
 */
function syntaxErrorLocation(location: ModuleLocation): string | undefined {
  if (!location.url.startsWith('file:') || !/\.[cm]?js$/i.test(location.display)) return undefined;
  const check = spawnSync(process.execPath, ['--check', location.display], {
    encoding: 'utf8',
    timeout: 5000,
  });
  const first = /^(.+:\d+)\r?\n/.exec(check.stderr ?? '');
  return first?.[1];
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** What a value is, for "is not an app: it is ...". */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    const shown = keys.slice(0, 8).join(', ') + (keys.length > 8 ? ', ...' : '');
    return keys.length === 0 ? 'an empty object' : `an object with keys ${shown}`;
  }
  if (typeof value === 'string')
    return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
  return `a ${typeof value} (${String(value)})`;
}
