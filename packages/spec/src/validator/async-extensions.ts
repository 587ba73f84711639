/**
 * Checks of spec/extensions.md that are not part of one scope's state machine: the shapes of the
 * `tls`, `cgi` and `fastcgi` extensions, the Filter role's data stream, and the file a path-send
 * event names.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { isObject, type LooseScope } from './async-exchange.js';
import type { Report } from './violation.js';

function isStringOrNull(v: unknown): boolean {
  return v === null || typeof v === 'string';
}

/**
 * Checks `scope.extensions.tls` when present: the `TLSInfo` shape (EXT-TLS-1), and only on an
 * `https` or `wss` scope (EXT-TLS-2). Server side.
 */
export function checkTLSExtension(scope: LooseScope, report: Report): void {
  const extensions = scope.extensions;
  if (!isObject(extensions) || !Object.hasOwn(extensions, 'tls')) return;
  const tls = extensions.tls;
  if (
    !isObject(tls) ||
    !isStringOrNull(tls.serverCert) ||
    !Array.isArray(tls.clientCertChain) ||
    !tls.clientCertChain.every((c) => typeof c === 'string') ||
    !isStringOrNull(tls.clientCertName) ||
    !isStringOrNull(tls.tlsVersion) ||
    !isStringOrNull(tls.cipherSuite)
  ) {
    report('EXT-TLS-1', 'server', 'scope.extensions.tls does not have the TLSInfo shape', tls);
  }
  if (scope.scheme !== 'https' && scope.scheme !== 'wss') {
    report(
      'EXT-TLS-2',
      'server',
      'scope.extensions.tls offered on a connection that is not TLS',
      scope.scheme,
    );
  }
}

/**
 * Checks `scope.extensions.cgi` when present: `variables` an object of strings, `stderr` a function
 * when present (EXT-CGI-1). Server side.
 */
export function checkCGIExtension(scope: LooseScope, report: Report): void {
  const extensions = scope.extensions;
  if (!isObject(extensions) || !Object.hasOwn(extensions, 'cgi')) return;
  const cgi = extensions.cgi;
  const variables = isObject(cgi) ? cgi.variables : undefined;
  if (
    !isObject(cgi) ||
    !isObject(variables) ||
    !Object.values(variables).every((v) => typeof v === 'string') ||
    (cgi.stderr !== undefined && typeof cgi.stderr !== 'function')
  ) {
    report('EXT-CGI-1', 'server', 'scope.extensions.cgi does not have the CGIInfo shape', cgi);
  }
}

const FASTCGI_ROLES: readonly unknown[] = ['responder', 'authorizer', 'filter'];

/**
 * Checks `scope.extensions.fastcgi` when present: a known role, a request id 1..65535, and `data`
 * exactly for the Filter role, with its `length`, `lastModified` and `receive` (EXT-FCGI-1). Server side.
 */
export function checkFastCGIExtension(scope: LooseScope, report: Report): void {
  const extensions = scope.extensions;
  if (!isObject(extensions) || !Object.hasOwn(extensions, 'fastcgi')) return;
  const info = extensions.fastcgi;
  const data = isObject(info) ? info.data : undefined;
  const isCount = (v: unknown) => v === null || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
  const ok =
    isObject(info) &&
    FASTCGI_ROLES.includes(info.role) &&
    typeof info.requestId === 'number' &&
    Number.isInteger(info.requestId) &&
    info.requestId >= 1 &&
    info.requestId <= 0xffff &&
    (info.role === 'filter'
      ? isObject(data) &&
        isCount(data.length) &&
        isCount(data.lastModified) &&
        typeof data.receive === 'function'
      : data === undefined);
  if (!ok)
    report('EXT-FCGI-1', 'server', 'scope.extensions.fastcgi does not have the FastCGIInfo shape', info);
}

/**
 * Wraps the Filter role's `data.receive()` so each piece is checked: `{body: Uint8Array, moreBody:
 * boolean}`, and only empty last pieces after the last one (EXT-FCGI-2). Returns the scope to give
 * the app: a copy carrying the wrapped function (the server's objects are not changed), or the scope
 * itself when there is no Filter data.
 */
export function checkFilterData<S extends LooseScope>(scope: S, report: Report): S {
  const extensions = scope.extensions;
  if (!isObject(extensions) || !isObject(extensions.fastcgi)) return scope;
  const info = extensions.fastcgi;
  const data = info.data;
  if (!isObject(data) || typeof data.receive !== 'function') return scope;
  const receive = data.receive as () => Promise<unknown>;
  let ended = false;
  const checked = async (): Promise<unknown> => {
    const piece = await receive.call(data);
    const shaped = isObject(piece) && piece.body instanceof Uint8Array && typeof piece.moreBody === 'boolean';
    if (!shaped) {
      report(
        'EXT-FCGI-2',
        'server',
        'fastcgi data.receive() resolved with something other than {body, moreBody}',
        piece,
      );
    } else if (ended && (piece.moreBody !== false || (piece.body as Uint8Array).length > 0)) {
      report('EXT-FCGI-2', 'server', 'fastcgi data.receive() gave data after the last piece', piece);
    } else if (piece.moreBody === false) ended = true;
    return piece;
  };
  return {
    ...scope,
    extensions: { ...extensions, fastcgi: { ...info, data: { ...data, receive: checked } } },
  };
}

/**
 * Checks the `path` of an `http.response.pathsend` event: an absolute path naming a regular file
 * (symbolic links followed) when the event is sent (EXT-PATHSEND-3). App side.
 */
export async function checkPathsendPath(path: unknown, report: Report): Promise<void> {
  if (typeof path !== 'string' || !isAbsolute(path)) {
    report('EXT-PATHSEND-3', 'app', 'http.response.pathsend path is not an absolute path', path);
    return;
  }
  let regular = false;
  try {
    regular = (await stat(path)).isFile();
  } catch {
    // missing, unreadable or not a valid path: reported below
  }
  if (!regular) {
    report('EXT-PATHSEND-3', 'app', 'http.response.pathsend path is not a regular file', path);
  }
}
