/**
 * Where an app module is: a path, a `file:` URL or a package specifier, resolved to a URL that
 * `import()` (in this thread or in a worker) loads. Shared by `loadApp` and `asyncToSync`.
 *
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PorticoError } from '../errors.js';

/** A resolved module. */
export interface ModuleLocation {
  /** What `import()` takes: a `file:` URL (or another URL given as such). */
  readonly url: string;
  /** How error messages name it: the file path, or the package specifier. */
  readonly display: string;
}

/** Extensions tried, in order, when a path names no existing file. */
const EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];
const SOURCE_FILE = /\.[cm]?[jt]sx?$/i;

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `path` itself, `path` + a known extension, or `path/index` + one; `undefined` when none exists. */
function findFile(path: string): string | undefined {
  if (isFile(path)) return path;
  for (const ext of EXTENSIONS) if (isFile(path + ext)) return path + ext;
  for (const ext of EXTENSIONS) if (isFile(join(path, `index${ext}`))) return join(path, `index${ext}`);
  return undefined;
}

/** Whether `spec` can only be meant as a path (not a package specifier). */
function isPathLike(spec: string): boolean {
  return (
    spec.startsWith('.') ||
    isAbsolute(spec) ||
    /^[A-Za-z]:[\\/]/.test(spec) ||
    spec.includes('\\') ||
    SOURCE_FILE.test(spec)
  );
}

function notFound(what: string): PorticoError {
  return new PorticoError('ERR_APP_LOAD', `module not found: ${what}`);
}

/**
 * Resolves the module part of an app target:
 * - a `URL` or a string starting with `file:` is used as it is (a `file:` URL must name a file);
 * - a string that looks like a path (starts with `.`, absolute, has a `\` or a `.js`/`.ts`-family
 *   extension), or that names an existing file relative to `cwd`, is a path resolved against `cwd`;
 *   when it names no file, `.js`, `.mjs`, `.cjs`, `.ts`, `.mts`, `.cts` are tried in turn, then
 *   `index` + those inside it as a directory;
 * - anything else is a package specifier, resolved with Node's ESM resolver from `@portico/spec`'s
 *   own location (which finds the packages of the project it is installed in), then with the
 *   CommonJS resolver from `cwd`.
 *
 * @throws PorticoError `ERR_APP_LOAD` naming the path or specifier tried, when nothing is found
 */
export function locateModule(spec: string | URL, cwd: string): ModuleLocation {
  if (spec instanceof URL || spec.startsWith('file:')) {
    let url: URL;
    try {
      url = spec instanceof URL ? spec : new URL(spec);
    } catch {
      throw notFound(`${spec} (not a valid URL)`);
    }
    if (url.protocol !== 'file:') return { url: url.href, display: url.href };
    const path = fileURLToPath(url);
    if (!isFile(path)) throw notFound(path);
    return { url: url.href, display: path };
  }
  if (spec === '') throw notFound('(empty module name)');
  const path = resolve(cwd, spec);
  const found = findFile(path);
  if (found !== undefined) return { url: pathToFileURL(found).href, display: found };
  if (isPathLike(spec))
    throw notFound(existsSync(path) ? `${path} (a directory without an index file)` : path);
  const url = resolvePackage(spec, cwd);
  if (url === undefined)
    throw notFound(`${spec} (not a file in ${resolve(cwd)}, and no package of that name is installed)`);
  return { url, display: spec };
}

function resolvePackage(spec: string, cwd: string): string | undefined {
  const resolveHere = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (typeof resolveHere === 'function') {
    try {
      const url = resolveHere(spec);
      if (!url.startsWith('file:') || isFile(fileURLToPath(url))) return url;
    } catch {
      // Not found from here: try from cwd.
    }
  }
  try {
    const file = createRequire(join(cwd, 'package.json')).resolve(spec);
    return isAbsolute(file) ? pathToFileURL(file).href : file;
  } catch {
    return undefined;
  }
}
