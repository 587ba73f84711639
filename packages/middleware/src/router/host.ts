/**
 * `hosts()`: routing on the request's host name (virtual hosts), before path routing.
 *
 * @module
 */

import { type App, type AsyncApp, asyncApp, PorticoError } from '@portico/spec';
import { notFound, toAsyncApp } from '../compose/mount.js';
import { firstHeader } from '../shared/headers.js';

const HOST = /^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$|^\[[0-9a-f:.]+\]$/;

/**
 * The host name of a request, lowercase, without port: from the `host` header (RFC 9110 section
 * 7.2), else `scope.server[0]`; `""` when neither is known. Brackets of an IPv6 literal are kept.
 */
export function requestHost(scope: {
  readonly headers: readonly (readonly [string, string])[];
  readonly server: readonly [string, number | null] | null;
}): string {
  let host = firstHeader(scope.headers, 'host');
  if (host === undefined) return scope.server?.[0].toLowerCase() ?? '';
  host = host.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/**
 * Routes http and websocket requests by host name: `table` maps an exact name (`"api.example.com"`)
 * or a wildcard (`"*.example.com"`: one or more labels in front of `example.com`) to an app of
 * either interface (a router too). The exact name wins, then the longest wildcard; no match goes to
 * `fallback` (default: `404 Not Found`, or a websocket close). The scope is passed on unchanged;
 * `lifespan` and other scope types go to `fallback` (refused when there is none). Cost per request:
 * one hash lookup per label of the host.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` for a malformed host pattern; `ERR_MIDDLEWARE_MISUSE`
 *   when an app is not an app
 */
export function hosts(table: Readonly<Record<string, App>>, fallback?: App): AsyncApp {
  const exact = new Map<string, AsyncApp>();
  const wild = new Map<string, AsyncApp>();
  for (const [pattern, app] of Object.entries(table)) {
    const name = pattern.toLowerCase();
    if (!HOST.test(name))
      throw new PorticoError('ERR_INVALID_OPTION', `hosts: bad host pattern ${JSON.stringify(pattern)}`);
    const target = toAsyncApp(app, `the app of host ${JSON.stringify(pattern)}`);
    if (name.startsWith('*.')) wild.set(name.slice(2), target);
    else exact.set(name, target);
  }
  const other = fallback === undefined ? undefined : toAsyncApp(fallback, 'the fallback of hosts()');
  return asyncApp(async function hostsApp(scope, receive, send) {
    if (scope.type === 'http' || scope.type === 'websocket') {
      const host = requestHost(scope);
      let app = exact.get(host);
      for (let dot = host.indexOf('.'); app === undefined && dot !== -1; dot = host.indexOf('.', dot + 1)) {
        app = wild.get(host.slice(dot + 1));
      }
      if (app !== undefined) return app(scope, receive, send);
      if (other !== undefined) return other(scope, receive, send);
      return notFound(scope, receive, send);
    }
    if (other !== undefined) return other(scope, receive, send);
    throw new PorticoError(
      'ERR_SPEC_VIOLATION',
      `hosts: unsupported scope type ${String((scope as { type: unknown }).type)}`,
    );
  });
}
