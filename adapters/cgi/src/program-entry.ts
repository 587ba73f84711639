/**
 * `@portico/cgi/program`: the CGI program entry, made to start fast. A CGI program is a new process
 * per request, and most of what it costs beyond Node's own start is compiling JavaScript. So the
 * program code (src/program, with the parts of @portico/spec and @portico/server it uses) is built
 * into one classic script, `dist/program.script.cjs`, and a V8 code cache of it,
 * `dist/program.script.cache`, made at build time after a few requests ran, so that it holds the
 * compiled functions a request needs (scripts/bundle-program.mjs). This module compiles the script
 * with that cache (`vm.Script` `cachedData`: V8 takes the compiled code instead of parsing and
 * compiling again) and exports what it exports: the API of src/program/index.ts.
 *
 * V8 refuses a cache made by another V8 version or with other V8 flags; the script is then compiled
 * as usual, only slower (see {@link codeCacheStatus}). The script's dynamic imports (the sync
 * bridge, the lifespan runner, node:fs/promises for path send) go through this module's `import()`,
 * so they resolve from this package as they would from the ES modules.
 *
 * Imports only Node built-ins already loaded when Node starts, and node:vm: anything more is loaded,
 * and compiled, on every request. For the same reason the script's `require` is a table of the two
 * built-ins it uses, not `module.createRequire` (which loads node:module and its source map support).
 *
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import type * as Program from './program/index.js';

/** What became of the code cache: `used`, `rejected` by V8, or `none` (no cache file). */
export type CodeCacheStatus = 'used' | 'rejected' | 'none';

/** A compiled program script: its exports, and its cache's fate. */
export interface LoadedScript {
  readonly exports: Record<string, unknown>;
  readonly script: Script;
  readonly cache: CodeCacheStatus;
}

/** The built-ins the program script requires (scripts/bundle-program.mjs checks it needs no other). */
const BUILTINS: Readonly<Record<string, unknown>> = { 'node:fs': fs, 'node:path': path };

function builtin(id: string): unknown {
  const found = BUILTINS[id];
  if (found === undefined)
    throw new Error(`the CGI program script requires ${id}, which the entry does not give`);
  return found;
}

/**
 * Compiles and runs the program script `scriptFile` (CommonJS: `exports`, `require` of node:fs and
 * node:path, `module`, and `__import` for its dynamic imports), with the V8 code cache in
 * `cacheFile` when that file exists.
 *
 * @internal Used by this module and by its tests; not part of the API.
 * @throws Error from `readFileSync` when `scriptFile` cannot be read, or what the script throws
 */
export function loadScript(scriptFile: string, cacheFile: string): LoadedScript {
  const source = fs.readFileSync(scriptFile, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(`(function (exports, require, module, __import) {${source}\n})`, {
    filename: scriptFile,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const cache: CodeCacheStatus =
    cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'used';
  const module = { exports: {} as Record<string, unknown> };
  const run = script.runInThisContext() as (
    exports: Record<string, unknown>,
    require: (id: string) => unknown,
    module: { exports: Record<string, unknown> },
    importModule: (specifier: string) => Promise<unknown>,
  ) => void;
  run(module.exports, builtin, module, (specifier) => import(specifier));
  return { exports: module.exports, script, cache };
}

const loaded = loadScript(
  fileURLToPath(new URL('./program.script.cjs', import.meta.url)),
  fileURLToPath(new URL('./program.script.cache', import.meta.url)),
);
const api = loaded.exports as unknown as typeof Program;

/** See {@link Program.runCGI}. */
export const runCGI: typeof Program.runCGI = api.runCGI;
/** See {@link Program.CGI_EXIT}. */
export const CGI_EXIT: typeof Program.CGI_EXIT = api.CGI_EXIT;
/** See {@link Program.isContainedPath}. */
export const isContainedPath: typeof Program.isContainedPath = api.isContainedPath;
/** See {@link Program.parseEnvironBlock}. */
export const parseEnvironBlock: typeof Program.parseEnvironBlock = api.parseEnvironBlock;
/** See {@link Program.readProcessVariables}. */
export const readProcessVariables: typeof Program.readProcessVariables = api.readProcessVariables;

/**
 * Whether this process compiled the program with the build's code cache: `used`, `rejected` (made
 * by another Node/V8 version or other V8 flags: compiled from source, about 1.5 ms slower) or
 * `none` (no cache file).
 *
 * @internal For tests and bench/cgi/cold-start.js; not part of the API.
 */
export function codeCacheStatus(): CodeCacheStatus {
  return loaded.cache;
}

/**
 * A code cache of the program script as compiled so far in this process (V8's `createCachedData`:
 * the functions that ran are in it). The build calls it after running requests.
 *
 * @internal For the build; not part of the API.
 */
export function createCodeCache(): Buffer {
  return loaded.script.createCachedData();
}
