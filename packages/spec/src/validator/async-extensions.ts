/**
 * Checks of spec/extensions.md that are not part of one scope's state machine: the `tls` extension's
 * shape and the file a path-send event names.
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
