/**
 * `serve()`: the FastCGI application server. Listening on every bind (TCP, unix socket, or the
 * listening socket on fd 0 a web server hands to an app it spawns), lifespan, the timeout sweep and
 * graceful shutdown come from `serveSockets` of `@portico/server`; this file adds
 * `FCGI_WEB_SERVER_ADDRS` and the FastCGI connection.
 *
 * @module
 */
import type { Socket } from 'node:net';
import { serveSockets, socketServerCore } from '@portico/server';
import type { AsyncApp } from '@portico/spec';
import { Connection, type Core } from './connection.js';
import { type FastCGIServerOptions, type ResolvedOptions, resolveOptions } from './options.js';

/** A running Portico FastCGI server. */
export interface FastCGIServer {
  /** Where it listens: `fcgi://127.0.0.1:9000`, `fcgi://[::1]:9000`, `unix:/run/app.sock`, `fd://0`. */
  readonly addresses: string[];
  /**
   * Graceful shutdown: stops accepting connections, answers new FCGI_BEGIN_REQUESTs with
   * FCGI_OVERLOADED, lets requests in flight finish for up to `shutdownTimeout` ms, closes each
   * connection once it has no request left, then closes whatever is left and runs the lifespan
   * shutdown. Calling it again returns the same promise.
   *
   * @throws PorticoError `ERR_LIFESPAN` / `ERR_TIMEOUT` when the lifespan shutdown failed (the
   *   server is closed all the same)
   */
  close(): Promise<void>;
}

/**
 * Serves `app` as a FastCGI 1.0 application (Responder, Authorizer and Filter roles; multiplexed
 * connections). Runs the lifespan startup first and listens only once it completed (`SRV-LIFE-1`).
 *
 * @throws PorticoError `ERR_INVALID_OPTION` for an invalid option; `ERR_LIFESPAN` when the app's
 *   lifespan startup failed; the listen error (`EADDRINUSE`, `EBADF` for an fd that is not a
 *   listening socket, ...) when a bind cannot be listened on.
 */
export async function serve(app: AsyncApp, options: FastCGIServerOptions = {}): Promise<FastCGIServer> {
  const opts = resolveOptions(options);
  return serveSockets<Connection>(app, {
    ...opts,
    name: 'fastcgi',
    scheme: 'fcgi',
    timeouts: [opts.headersTimeout, opts.requestTimeout, opts.keepAliveTimeout, opts.idleTimeout],
    setup(lifespanState) {
      const core: Core = {
        ...socketServerCore<Connection, ResolvedOptions>(app, opts, lifespanState),
        inFlight: 0,
        running: 0,
      };
      return {
        state: core,
        accept: (socket, unixPath) => accept(core, socket, unixPath),
        busy: () => core.inFlight > 0 || core.running > 0,
      };
    },
  });
}

function accept(core: Core, socket: Socket, unixPath: string | null): Connection | null {
  const allowed = core.opts.webServerAddrs;
  if (allowed !== null && unixPath === null) {
    const remote = (socket.remoteAddress ?? '').toLowerCase();
    if (!allowed.has(remote)) {
      // `SRV-FCGI-10`, FastCGI 1.0 section 3.2: a connection from an address not in
      // FCGI_WEB_SERVER_ADDRS is closed.
      core.logger.warn('connection refused: address not in FCGI_WEB_SERVER_ADDRS', { peer: remote });
      socket.destroy();
      return null;
    }
  }
  return new Connection(core, socket, unixPath);
}
