/**
 * `serve()`: lifespan, listening on every bind, and graceful shutdown (spec/servers.md "Lifespan",
 * "Graceful shutdown").
 *
 * @module
 */
import { createServer, type Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { Bind } from '@portico/server';
import { drainRequests, finishShutdown, formatAddress, listenOn, startLifespan } from '@portico/server';
import type { AsyncApp } from '@portico/spec';
import { PorticoError } from '@portico/spec';
import type { Core } from './core.js';
import { connectionOf } from './core.js';
import { startIdleSweep } from './idle-sweep.js';
import { createCore, handleRequest } from './listener.js';
import { type HTTPServerOptions, type ResolvedOptions, resolveOptions } from './options.js';

/** A running Portico HTTP server. */
export interface HTTPServer {
  /** Where it listens: `http://127.0.0.1:8000`, `http://[::1]:8000`, `unix:/run/app.sock`. */
  readonly addresses: string[];
  /**
   * Graceful shutdown: stops accepting connections, lets in-flight requests finish for up to
   * `shutdownTimeout` ms (their responses carry `connection: close`), closes idle keep-alive
   * connections, then closes whatever is left and runs the lifespan shutdown. Calling it again
   * returns the same promise.
   *
   * @throws PorticoError `ERR_LIFESPAN` / `ERR_TIMEOUT` when the lifespan shutdown failed (the
   *   server is closed all the same)
   */
  close(): Promise<void>;
}

/**
 * Serves `app` over HTTP/1.1 with node:http (llhttp parses). Runs the lifespan startup first and
 * listens only once it completed (`SRV-LIFE-1`).
 *
 * @throws PorticoError `ERR_INVALID_OPTION` for an invalid option; `ERR_LIFESPAN` when the app's
 *   lifespan startup failed (the message is the app's); the listen error (`EADDRINUSE`, ...) when a
 *   bind cannot be listened on.
 */
export async function serve(app: AsyncApp, options: HTTPServerOptions = {}): Promise<HTTPServer> {
  if (typeof app !== 'function') {
    throw new PorticoError('ERR_INVALID_OPTION', 'serve() needs an async app function', { value: app });
  }
  const opts = resolveOptions(options);
  // `SRV-LIFE-1`, `SRV-LIFE-2`: startup completes before anything listens; a failure rejects serve().
  const lifespan = await startLifespan(app, {
    mode: opts.lifespan,
    logger: opts.logger,
    shutdownTimeout: opts.shutdownTimeout,
  });
  const core = createCore(app, opts, lifespan.state, true);
  const stopSweep = startIdleSweep(core.connections!, opts.idleTimeout);
  const servers: Server[] = [];
  const addresses: string[] = [];
  try {
    for (const bind of opts.binds) {
      const server = makeServer(core, opts, bind);
      servers.push(server);
      addresses.push(await listen(server, bind, opts.socketMode));
    }
  } catch (err) {
    stopSweep();
    for (const s of servers) s.close();
    await lifespan.shutdown().catch(() => {});
    throw err;
  }
  for (const address of addresses) opts.logger.info('listening', { address });
  let closing: Promise<void> | null = null;
  return {
    addresses,
    close() {
      if (closing === null) {
        closing = shutdown(core, opts, servers, lifespan.shutdown.bind(lifespan)).finally(stopSweep);
      }
      return closing;
    },
  };
}

function makeServer(core: Core, opts: ResolvedOptions, bind: Bind): Server {
  const unixPath = bind.kind === 'unix' ? bind.path : null;
  const smallest = Math.min(...[opts.headersTimeout, opts.requestTimeout].filter((t) => t > 0), 120_000);
  // `SRV-LIMIT-2`: node enforces the head / request / keep-alive timeouts (408 or close); the idle
  // timeout is the adapter's own sweep (idle-sweep.ts).
  const server = createServer(
    {
      maxHeaderSize: opts.maxHeaderSize,
      headersTimeout: opts.headersTimeout,
      requestTimeout: opts.requestTimeout,
      keepAliveTimeout: opts.keepAliveTimeout,
      // How often node checks the two timeouts above; its default (30 s) would make them coarse.
      connectionsCheckingInterval: Math.max(50, Math.floor(smallest / 4)),
    },
    (req, res) => handleRequest(core, unixPath, req, res, false),
  );
  server.on('checkContinue', (req, res) => handleRequest(core, unixPath, req, res, true));
  server.on('connection', (socket) => connectionOf(core, socket, unixPath));
  // node drops header fields past maxHeadersCount silently; let one more through so the adapter sees
  // the excess and answers 431 (`SRV-REQ-5`).
  server.maxHeadersCount = opts.maxHeadersCount + 1;
  server.maxConnections = opts.maxConnections;
  return server;
}

async function listen(server: Server, bind: Bind, socketMode: number | null): Promise<string> {
  const address = await listenOn(server, bind, socketMode ?? undefined);
  if ('path' in address) return formatAddress('http', address);
  if ('fd' in address) return `fd://${address.fd}`;
  return formatAddress('http', address);
}

async function shutdown(
  core: Core,
  opts: ResolvedOptions,
  servers: Server[],
  lifespanShutdown: () => Promise<void>,
): Promise<void> {
  const logger = opts.logger;
  core.closing = true;
  // `SRV-STOP-1`: stop accepting. net's close, not http's: http's also destroys "idle" connections
  // whose last response was ended but may not be flushed yet.
  const closed = servers.map(
    (server) => new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve())),
  );
  const connections = core.connections!;
  // `SRV-STOP-3`: idle keep-alive connections close now; busy ones when their request settles.
  for (const conn of connections) {
    if (conn.current !== null) continue;
    if (conn.socket.writableLength === 0) conn.socket.destroy();
    else conn.socket.end();
  }
  logger.info('shutting down', { inFlight: core.inFlight, connections: connections.size });
  // `SRV-STOP-2`: in-flight requests get up to shutdownTimeout to finish.
  await drainRequests(
    () => core.inFlight === 0 && connections.size === 0,
    (check) => {
      core.onProgress = check;
    },
    opts.shutdownTimeout,
    logger,
    () => ({ inFlight: core.inFlight, connections: connections.size }),
  );
  for (const conn of connections) conn.socket.destroy();
  await Promise.all(closed);
  // http.Server's own close() also stops its timeout-checking interval; the listener is closed.
  for (const server of servers) server.close();
  // `SRV-LIFE-4`: the lifespan shutdown runs after the requests have drained.
  await finishShutdown(lifespanShutdown, logger);
}
