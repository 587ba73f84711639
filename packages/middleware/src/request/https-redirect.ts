/**
 * The `httpsRedirect()` middleware: plain-HTTP requests are sent to the same URL over HTTPS.
 *
 * @module
 */

import { type App, type AsyncApp, asyncApp, PorticoError } from '@portico/spec';
import { toAsyncApp } from '../compose/mount.js';
import { firstHeader } from '../shared/headers.js';
import { sendPlainText } from '../shared/plain-response.js';
import { hostName } from './trusted-host.js';

/** Options of {@link httpsRedirect}. */
export interface HttpsRedirectOptions {
  /** The redirect status: 301, 302, 307 or 308. Default 308 (permanent, method and body kept). */
  status?: 301 | 302 | 307 | 308;
  /**
   * The HTTPS port to redirect to, an integer 1..65535; left out of the URL when 443. Default: none
   * (the URL has no port, so the client uses 443; the plain-HTTP port of the Host is dropped).
   */
  port?: number;
}

/**
 * Redirects `http` requests whose `scheme` is `http` to `https://<host>[:port]<rawPath>[?<query>]`
 * (Starlette's `HTTPSRedirectMiddleware`, Rack::SSL). The host is the `Host` header's host name
 * (port dropped; `server`'s host when there is no Host); `rawPath` and `queryString` are copied
 * byte for byte, so `%2F` and the query's encoding survive. The answer is `status` with
 * `location` and a short `text/plain` body (none for HEAD). `https` requests reach the app
 * untouched. A request whose Host is not `host[:port]` gets `400 Invalid host header`.
 *
 * Websocket scopes with scheme `ws` are refused with `websocket.close` code 1008 (policy
 * violation) and the reason `use wss://...`: interface 1.0 has no way to send a redirect response to
 * a handshake (Starlette redirects, but needs the websocket denial-response extension), and
 * browsers do not follow redirects of a WebSocket handshake anyway. `wss` passes.
 *
 * Behind a TLS-terminating proxy every request arrives as `http`: put `proxyHeaders()` outside this
 * middleware so that the scheme is the client's (`X-Forwarded-Proto`), or every request redirects
 * to itself forever. Lifespan and other scopes pass through (MW-PASS-1).
 *
 * @param options - see {@link HttpsRedirectOptions}
 * @returns a middleware, app in, async app out
 * @throws PorticoError `ERR_INVALID_OPTION` for a bad `status` or `port` (when called)
 */
export function httpsRedirect(options: HttpsRedirectOptions = {}): (app: App) => AsyncApp {
  const status = options.status ?? 308;
  if (![301, 302, 307, 308].includes(status)) {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `option status must be 301, 302, 307 or 308: ${String(status)}`,
    );
  }
  const port = options.port;
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new PorticoError('ERR_INVALID_OPTION', `option port must be an integer 1..65535: ${String(port)}`);
  }
  const suffix = port === undefined || port === 443 ? '' : `:${port}`;
  return (app) => {
    const inner = toAsyncApp(app, 'the app given to httpsRedirect()');
    return asyncApp(async function httpsRedirectApp(scope, receive, send) {
      if (scope.type !== 'http' && scope.type !== 'websocket') return inner(scope, receive, send);
      if (scope.scheme !== (scope.type === 'http' ? 'http' : 'ws')) return inner(scope, receive, send);
      const header = firstHeader(scope.headers, 'host');
      let name: string | null;
      if (header !== undefined) name = hostName(header);
      else if (scope.server !== null && scope.server[1] !== null) {
        name = scope.server[0].includes(':') ? `[${scope.server[0]}]` : scope.server[0];
      } else name = 'localhost';
      const query = scope.queryString === '' ? '' : `?${scope.queryString}`;
      const target = `${scope.type === 'http' ? 'https' : 'wss'}://${name}${suffix}${scope.rawPath}${query}`;
      if (scope.type === 'websocket') {
        // RFC 6455 section 5.5.1: a close reason is at most 123 bytes.
        const reason = `use ${target}`;
        await send({
          type: 'websocket.close',
          code: 1008,
          reason: name !== null && Buffer.byteLength(reason) <= 123 ? reason : 'use wss',
        });
        return;
      }
      if (name === null) return sendPlainText(send, scope.method, 400, 'Invalid host header');
      return sendPlainText(send, scope.method, status, `Redirecting to ${target}`, [['location', target]]);
    });
  };
}
