/**
 * Scope checks of the async validator (spec/async.md "Scopes", "Paths", "HTTP", "WebSocket"): every
 * key of an http or websocket scope, the `spec` key of every scope, and the per-request `state`.
 * All server side: a violation here is reported before the app runs.
 *
 * @module
 */
import type { State } from '../async-types.js';
import { isByteString, isHeaderName } from '../headers.js';
import { decodePath, splitRootPath } from '../path.js';
import { isIntegerIn, isObject, type LooseScope } from './async-exchange.js';
import { checkCGIExtension, checkFastCGIExtension, checkTLSExtension } from './async-extensions.js';
import { checkHeaderList } from './async-headers.js';
import type { Report } from './violation.js';

/** The lifespan state an http or websocket scope's `state` must copy (ASYNC-SCOPE-12). */
export interface LifespanLink {
  /** The lifespan scope's `state` from `lifespan.startup.complete` until `lifespan.shutdown`. */
  state: State | null;
}

const SPEC_VERSION = /^\d+\.\d+$/;

/** Checks `scope.spec` (ASYNC-SCOPE-1); every scope type has it. */
export function checkSpecKey(scope: LooseScope, report: Report): void {
  const spec = scope.spec;
  if (
    !isObject(spec) ||
    typeof spec.version !== 'string' ||
    !SPEC_VERSION.test(spec.version) ||
    typeof spec.specVersion !== 'string' ||
    !SPEC_VERSION.test(spec.specVersion)
  ) {
    report(
      'ASYNC-SCOPE-1',
      'server',
      'scope.spec is not {version, specVersion} with "major.minor" strings',
      spec,
    );
  }
}

/** Checks `scope.state` is an object (ASYNC-SCOPE-11). */
export function checkStateKey(scope: LooseScope, report: Report): void {
  if (!isObject(scope.state)) report('ASYNC-SCOPE-11', 'server', 'scope.state is not an object', scope.state);
}

/**
 * Whether `path` is what remains of `decodePath(rawPath)` after `rootPath` (ASYNC-SCOPE-7):
 * `decodePath(rawPath)` is `K + path` where K is `rootPath` (always, when the decoded path starts with
 * `rootPath` at a segment boundary), `""` (a front end removed the prefix), or a trailing part of
 * `rootPath` starting with `/` (a front end removed the part of the prefix a mount did not add).
 */
export function pathsAgree(rawPath: string, rootPath: string, path: string): boolean {
  const decoded = decodePath(rawPath);
  if (splitRootPath(decoded, rootPath)[1] === path) return true;
  if (rootPath !== '' && decoded.startsWith(rootPath)) {
    const next = decoded.charCodeAt(rootPath.length);
    if (Number.isNaN(next) || next === 0x2f) return false;
  }
  if (!decoded.endsWith(path)) return false;
  const kept = decoded.slice(0, decoded.length - path.length);
  return kept === '' || (kept.charCodeAt(0) === 0x2f && rootPath.endsWith(kept));
}

function checkPaths(scope: LooseScope, report: Report): void {
  const { path, rawPath, rootPath, queryString } = scope;
  let ok = true;
  if (
    typeof path !== 'string' ||
    !(path === '' || path.startsWith('/') || (path === '*' && rawPath === '*'))
  ) {
    report('ASYNC-SCOPE-4', 'server', 'scope.path is not a string that is "" or starts with "/"', path);
    ok = false;
  }
  if (typeof rawPath !== 'string' || !isByteString(rawPath) || rawPath.includes('?')) {
    report('ASYNC-SCOPE-5', 'server', 'scope.rawPath is not a byte string without "?"', rawPath);
    ok = false;
  }
  if (
    typeof rootPath !== 'string' ||
    !(rootPath === '' || (rootPath.startsWith('/') && !rootPath.endsWith('/')))
  ) {
    report(
      'ASYNC-SCOPE-6',
      'server',
      'scope.rootPath is not "" or a path starting but not ending with "/"',
      rootPath,
    );
    ok = false;
  }
  if (ok && !pathsAgree(rawPath as string, rootPath as string, path as string)) {
    report(
      'ASYNC-SCOPE-7',
      'server',
      'scope.path is not what remains of decodePath(rawPath) after rootPath',
      { rawPath, rootPath, path },
    );
  }
  if (typeof queryString !== 'string' || !isByteString(queryString)) {
    report('ASYNC-SCOPE-8', 'server', 'scope.queryString is not a byte string', queryString);
  }
}

function checkAddresses(scope: LooseScope, report: Report): void {
  const { client, server } = scope;
  if (
    client !== null &&
    !(
      Array.isArray(client) &&
      client.length === 2 &&
      typeof client[0] === 'string' &&
      isIntegerIn(client[1], 0, 65535)
    )
  ) {
    report('ASYNC-SCOPE-9', 'server', 'scope.client is not null nor [host, port]', client);
  }
  if (
    server !== null &&
    !(
      Array.isArray(server) &&
      server.length === 2 &&
      typeof server[0] === 'string' &&
      (server[1] === null || isIntegerIn(server[1], 0, 65535))
    )
  ) {
    report('ASYNC-SCOPE-10', 'server', 'scope.server is not null, [host, port] nor [path, null]', server);
  }
}

function checkLifespanCopy(scope: LooseScope, link: LifespanLink, report: Report): void {
  const shared = link.state;
  const state = scope.state;
  if (shared === null || !isObject(state)) return;
  if (state === shared) {
    report('ASYNC-SCOPE-12', 'server', 'scope.state is the lifespan state itself, not a shallow copy of it');
    return;
  }
  for (const key of Object.keys(shared)) {
    if (!(key in state)) {
      report('ASYNC-SCOPE-12', 'server', 'scope.state lacks a key of the lifespan state', key);
      return;
    }
  }
}

function checkExtensionsKey(scope: LooseScope, report: Report): void {
  const extensions = scope.extensions;
  if (!isObject(extensions)) {
    report('ASYNC-GEN-3', 'server', 'scope.extensions is not an object', extensions);
    return;
  }
  for (const [name, value] of Object.entries(extensions)) {
    if (!isObject(value))
      report('ASYNC-GEN-3', 'server', `scope.extensions[${JSON.stringify(name)}] is not an object`, value);
  }
  checkTLSExtension(scope, report);
  checkCGIExtension(scope, report);
  checkFastCGIExtension(scope, report);
}

const HTTP_VERSIONS: Readonly<Record<string, readonly string[]>> = {
  http: ['1.0', '1.1', '2', '3'],
  websocket: ['1.1', '2', '3'],
};

/** Checks the keys shared by http and websocket scopes (spec/async.md "Connection scopes"). */
export function checkConnectionScope(scope: LooseScope, link: LifespanLink, report: Report): void {
  checkSpecKey(scope, report);
  const versions = HTTP_VERSIONS[scope.type] ?? [];
  if (typeof scope.httpVersion !== 'string' || !versions.includes(scope.httpVersion)) {
    report(
      'ASYNC-SCOPE-3',
      'server',
      `scope.httpVersion is not one of ${versions.join(', ')}`,
      scope.httpVersion,
    );
  }
  checkPaths(scope, report);
  checkHeaderList(scope.headers, 'server', 'scope', report, true);
  checkAddresses(scope, report);
  checkStateKey(scope, report);
  checkLifespanCopy(scope, link, report);
  checkExtensionsKey(scope, report);
}

function isUppercaseToken(s: string): boolean {
  if (!isHeaderName(s)) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) return false;
  }
  return true;
}

/** Checks the keys only an http scope has: `method` (ASYNC-HTTP-1) and `scheme` (ASYNC-HTTP-2). */
export function checkHTTPScope(scope: LooseScope, report: Report): void {
  if (typeof scope.method !== 'string' || !isUppercaseToken(scope.method)) {
    report('ASYNC-HTTP-1', 'server', 'scope.method is not an uppercase token', scope.method);
  }
  if (scope.scheme !== 'http' && scope.scheme !== 'https') {
    report('ASYNC-HTTP-2', 'server', 'scope.scheme of an http scope is not "http" or "https"', scope.scheme);
  }
}

/** Checks the keys only a websocket scope has: `scheme` (ASYNC-WS-1) and `subprotocols` (ASYNC-WS-2). */
export function checkWebSocketScope(scope: LooseScope, report: Report): void {
  if (scope.scheme !== 'ws' && scope.scheme !== 'wss') {
    report('ASYNC-WS-1', 'server', 'scope.scheme of a websocket scope is not "ws" or "wss"', scope.scheme);
  }
  const subprotocols = scope.subprotocols;
  if (!Array.isArray(subprotocols) || !subprotocols.every((p) => typeof p === 'string' && isHeaderName(p))) {
    report('ASYNC-WS-2', 'server', 'scope.subprotocols is not an array of tokens', subprotocols);
  }
}
