/**
 * `serve()`: the SCGI server. Listening, lifespan, the timeout sweep and graceful shutdown come from
 * `serveSockets` of `@portico/server`; this file adds the SCGI connection and its timeouts.
 *
 * @module
 */
import { serveSockets, socketServerCore } from '@portico/server';
import type { AsyncApp } from '@portico/spec';
import { Connection, type Core } from './connection.js';
import { type ResolvedOptions, resolveOptions, type SCGIServerOptions } from './options.js';

/** A running Portico SCGI server. */
export interface SCGIServer {
  /** Where it listens: `scgi://127.0.0.1:4000`, `scgi://[::1]:4000`, `unix:/run/app.sock`, `fd://3`. */
  readonly addresses: string[];
  /**
   * Graceful shutdown: stops accepting connections, lets requests in flight finish for up to
   * `shutdownTimeout` ms, closes connections still reading a head, then closes whatever is left and
   * runs the lifespan shutdown. Calling it again returns the same promise.
   *
   * @throws PorticoError `ERR_LIFESPAN` / `ERR_TIMEOUT` when the lifespan shutdown failed (the
   *   server is closed all the same)
   */
  close(): Promise<void>;
}

/**
 * Serves `app` over SCGI (one request per connection). Runs the lifespan startup first and listens
 * only once it completed (`SRV-LIFE-1`).
 *
 * @throws PorticoError `ERR_INVALID_OPTION` for an invalid option; `ERR_LIFESPAN` when the app's
 *   lifespan startup failed; the listen error (`EADDRINUSE`, ...) when a bind cannot be listened on.
 */
export async function serve(app: AsyncApp, options: SCGIServerOptions = {}): Promise<SCGIServer> {
  const opts = resolveOptions(options);
  return serveSockets<Connection>(app, {
    ...opts,
    name: 'scgi',
    scheme: 'scgi',
    timeouts: [opts.headersTimeout, opts.requestTimeout, opts.idleTimeout],
    setup(lifespanState) {
      const core: Core = {
        ...socketServerCore<Connection, ResolvedOptions>(app, opts, lifespanState),
        running: 0,
      };
      return {
        state: core,
        accept: (socket, unixPath) => new Connection(core, socket, unixPath),
        busy: () => core.running > 0,
      };
    },
  });
}
