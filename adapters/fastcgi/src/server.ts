/**
 * `serve()`: the FastCGI application server. Lifespan, listening on every bind (TCP, unix socket, or
 * the listening socket on fd 0 a web server hands to an app it spawns), `FCGI_WEB_SERVER_ADDRS`,
 * the timeout sweep, and graceful shutdown (spec/servers.md "Lifespan", "Graceful shutdown").
 *
 * @module
 */
import { createServer, type Server, type Socket } from 'node:net';
import { formatAddress, listenOn, startLifespan } from '@portico/server';
import type { AsyncApp } from '@portico/spec';
import { PorticoError } from '@portico/spec';
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
  if (typeof app !== 'function') {
    throw new PorticoError('ERR_INVALID_OPTION', 'serve() needs an async app function', { value: app });
  }
  const opts = resolveOptions(options);
  const lifespan = await startLifespan(app, {
    mode: opts.lifespan,
    logger: opts.logger,
    shutdownTimeout: opts.shutdownTimeout,
  });
  const core: Core = {
    logger: opts.logger,
    maxBodySize: opts.maxBodySize,
    accessLog: opts.accessLog,
    opts,
    app,
    lifespanState: lifespan.state,
    inFlight: 0,
    running: 0,
    connections: new Set(),
    closing: false,
    now: Date.now(),
    onProgress: null,
  };
  const stopSweep = startSweep(core);
  const servers: Server[] = [];
  const addresses: string[] = [];
  try {
    for (const bind of opts.binds) {
      const unixPath = bind.kind === 'unix' ? bind.path : null;
      const server = createServer({ noDelay: true }, (socket) => accept(core, socket, unixPath));
      server.maxConnections = opts.maxConnections;
      servers.push(server);
      const address = await listenOn(server, bind, opts.socketMode ?? undefined);
      addresses.push('fd' in address ? `fd://${address.fd}` : formatAddress('fcgi', address));
    }
  } catch (err) {
    stopSweep();
    for (const s of servers) s.close();
    await lifespan.shutdown().catch(() => {});
    throw err;
  }
  for (const address of addresses) opts.logger.info('listening', { address, adapter: 'fastcgi' });
  let closing: Promise<void> | null = null;
  return {
    addresses,
    close() {
      if (closing === null)
        closing = shutdown(core, opts, servers, lifespan.shutdown.bind(lifespan)).finally(stopSweep);
      return closing;
    },
  };
}

function accept(core: Core, socket: Socket, unixPath: string | null): void {
  const allowed = core.opts.webServerAddrs;
  if (allowed !== null && unixPath === null) {
    const remote = (socket.remoteAddress ?? '').toLowerCase();
    if (!allowed.has(remote)) {
      // `SRV-FCGI-10`, FastCGI 1.0 section 3.2: a connection from an address not in
      // FCGI_WEB_SERVER_ADDRS is closed.
      core.logger.warn('connection refused: address not in FCGI_WEB_SERVER_ADDRS', { peer: remote });
      socket.destroy();
      return;
    }
  }
  core.connections.add(new Connection(core, socket, unixPath));
}

/** Advances the coarse clock and checks timeouts, a few times per smallest timeout. */
function startSweep(core: Core): () => void {
  const opts = core.opts;
  const timeouts = [opts.headersTimeout, opts.requestTimeout, opts.keepAliveTimeout, opts.idleTimeout].filter(
    (t) => t > 0,
  );
  const every = Math.max(50, Math.min(1000, ...timeouts.map((t) => Math.floor(t / 4))));
  const timer = setInterval(() => {
    const now = Date.now();
    core.now = now;
    for (const conn of core.connections) conn.sweep(now);
  }, every);
  timer.unref();
  return () => clearInterval(timer);
}

async function shutdown(
  core: Core,
  opts: ResolvedOptions,
  servers: Server[],
  lifespanShutdown: () => Promise<void>,
): Promise<void> {
  const logger = opts.logger;
  core.closing = true;
  // `SRV-STOP-1`: stop accepting.
  const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
  // `SRV-STOP-3`: connections without a request close now; the others once their requests ended.
  for (const conn of core.connections) conn.closeWhenIdle();
  logger.info('shutting down', { inFlight: core.inFlight, connections: core.connections.size });
  // `SRV-STOP-2`: requests in flight get up to shutdownTimeout to finish.
  await new Promise<void>((resolve) => {
    const check = () => {
      if (core.inFlight === 0 && core.running === 0 && core.connections.size === 0) finish();
    };
    const timer =
      opts.shutdownTimeout > 0
        ? setTimeout(() => {
            if (core.inFlight > 0 || core.connections.size > 0) {
              logger.warn('shutdownTimeout reached: closing the remaining connections', {
                rule: 'SRV-STOP-2',
                inFlight: core.inFlight,
                connections: core.connections.size,
              });
            }
            finish();
          }, opts.shutdownTimeout)
        : undefined;
    const finish = () => {
      clearTimeout(timer);
      core.onProgress = null;
      resolve();
    };
    core.onProgress = check;
    check();
  });
  for (const conn of core.connections) conn.socket.destroy();
  await Promise.all(closed);
  // `SRV-LIFE-4`: the lifespan shutdown runs after the requests have drained.
  try {
    await lifespanShutdown();
  } catch (err) {
    logger.error('lifespan shutdown failed', { error: err });
    throw err;
  }
  logger.info('stopped');
}
