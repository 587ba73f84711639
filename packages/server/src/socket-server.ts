/**
 * The server around a socket protocol adapter (FastCGI, SCGI): lifespan, listening on every bind
 * with node:net, a coarse clock and timeout sweep, and graceful shutdown (spec/servers.md
 * "Lifespan", "Graceful shutdown"). The adapter supplies what happens on a connection.
 *
 * @module
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AsyncApp, State } from '@portico/spec';
import { PorticoError } from '@portico/spec';
import { type Bind, formatAddress } from './bind.js';
import type { CycleContext } from './cycle-body.js';
import { type LifespanMode, startLifespan } from './lifespan.js';
import { listenOn } from './listen.js';
import type { Logger } from './logger.js';
import type { ResolvedServerOptions } from './server-options.js';
import { drainRequests, finishShutdown } from './shutdown.js';

/** What the shared server needs of one of the adapter's connections. */
export interface SocketConnection {
  /** Checks the connection's timeouts against the coarse clock (ms). */
  sweep(now: number): void;
  /** Shutdown: close now if idle, else once the requests in flight are done. */
  closeWhenIdle(): void;
  /** Closes at once (the shutdown timeout expired). */
  destroy(): void;
}

/** The state the shared server and an adapter's connections share. */
export interface SocketServerState<C extends SocketConnection> {
  readonly connections: Set<C>;
  /** Graceful shutdown started: an adapter refuses new requests. */
  closing: boolean;
  /** A coarse clock (ms), advanced by the sweep; cheaper than `Date.now()` per request. */
  now: number;
  /** Called by the adapter when a request ends or a connection closes (shutdown waits on it). */
  onProgress: (() => void) | null;
}

/**
 * The state a socket adapter's connections share (its "core"): the {@link SocketServerState} the
 * shared server drives, the {@link CycleContext} every request cycle needs, the resolved options, the
 * app and the lifespan state. An adapter extends it with its own counters.
 */
export interface SocketServerCore<C extends SocketConnection, O extends ResolvedServerOptions>
  extends CycleContext,
    SocketServerState<C> {
  /** The adapter's options, after defaults and checks. */
  readonly opts: O;
  /** The app every request of the server runs. */
  readonly app: AsyncApp;
  /** The lifespan state, copied into each scope, or `null` when no lifespan runs. */
  readonly lifespanState: State | null;
}

/**
 * A fresh {@link SocketServerCore} for `SocketAdapter.setup`: no connection yet, not closing, the
 * coarse clock at `Date.now()`; the log, body limit and access log taken from `opts`.
 */
export function socketServerCore<C extends SocketConnection, O extends ResolvedServerOptions>(
  app: AsyncApp,
  opts: O,
  lifespanState: State | null,
): SocketServerCore<C, O> {
  return {
    logger: opts.logger,
    maxBodySize: opts.maxBodySize,
    accessLog: opts.accessLog,
    opts,
    app,
    lifespanState,
    connections: new Set(),
    closing: false,
    now: Date.now(),
    onProgress: null,
  };
}

/**
 * What {@link serveSockets} needs from an adapter. The listening and shutdown fields carry the names
 * of {@link ResolvedServerOptions}, so an adapter passes `{ ...opts, name, scheme, timeouts, setup }`.
 */
export interface SocketAdapter<C extends SocketConnection> {
  /** Adapter name for logs (`fastcgi`) and the address scheme (`fcgi`). */
  readonly name: string;
  readonly scheme: string;
  readonly binds: readonly Bind[];
  readonly socketMode: number | null;
  readonly maxConnections: number;
  readonly lifespan: LifespanMode;
  readonly shutdownTimeout: number;
  readonly logger: Logger;
  /** The timeouts the sweep serves, ms (0 = off): it runs a few times per smallest one. */
  readonly timeouts: readonly number[];
  /**
   * Called once the lifespan started, before listening: the adapter builds its shared state (with
   * the lifespan's state for the scopes) and returns it with its accept function.
   */
  setup(lifespanState: State | null): {
    state: SocketServerState<C>;
    /** Takes a new connection; returns the adapter's connection object, or `null` when refused. */
    accept(socket: Socket, unixPath: string | null): C | null;
    /** Whether requests are still running (shutdown waits for none). */
    busy(): boolean;
  };
}

/** A running socket server. */
export interface SocketServer {
  /** Where it listens: `fcgi://127.0.0.1:9000`, `unix:/run/app.sock`, `fd://0`. */
  readonly addresses: string[];
  /**
   * Graceful shutdown: stops accepting, tells each connection to close when idle, waits for the
   * requests in flight up to `shutdownTimeout` ms, closes what is left, runs the lifespan shutdown.
   * Calling it again returns the same promise.
   *
   * @throws PorticoError `ERR_LIFESPAN` / `ERR_TIMEOUT` when the lifespan shutdown failed (the
   *   server is closed all the same)
   */
  close(): Promise<void>;
}

/**
 * Runs the lifespan startup (`SRV-LIFE-1`: nothing listens before it completed), then listens on every
 * bind; connections go to the adapter's `accept`.
 *
 * @throws PorticoError `ERR_INVALID_OPTION` when `app` is not a function; `ERR_LIFESPAN` when the
 *   lifespan startup failed; the listen error (`EADDRINUSE`, `EBADF`, ...)
 */
export async function serveSockets<C extends SocketConnection>(
  app: AsyncApp,
  adapter: SocketAdapter<C>,
): Promise<SocketServer> {
  if (typeof app !== 'function') {
    throw new PorticoError('ERR_INVALID_OPTION', 'serve() needs an async app function', { value: app });
  }
  const logger = adapter.logger;
  const lifespan = await startLifespan(app, {
    mode: adapter.lifespan,
    logger,
    shutdownTimeout: adapter.shutdownTimeout,
  });
  const { state, accept, busy } = adapter.setup(lifespan.state);
  const stopSweep = startSweep(state, adapter.timeouts);
  const servers: Server[] = [];
  const addresses: string[] = [];
  try {
    for (const bind of adapter.binds) {
      const unixPath = bind.kind === 'unix' ? bind.path : null;
      // allowHalfOpen: a web server may shut down its sending side once the request is out and
      // still read the response.
      const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
        const conn = accept(socket, unixPath);
        if (conn !== null) state.connections.add(conn);
      });
      server.maxConnections = adapter.maxConnections;
      servers.push(server);
      const address = await listenOn(server, bind, adapter.socketMode ?? undefined);
      addresses.push('fd' in address ? `fd://${address.fd}` : formatAddress(adapter.scheme, address));
    }
  } catch (err) {
    stopSweep();
    for (const s of servers) s.close();
    await lifespan.shutdown().catch(() => {});
    throw err;
  }
  for (const address of addresses) logger.info('listening', { address, adapter: adapter.name });
  let closing: Promise<void> | null = null;
  return {
    addresses,
    close() {
      if (closing === null) {
        closing = shutdown(state, busy, adapter, servers, lifespan.shutdown.bind(lifespan)).finally(
          stopSweep,
        );
      }
      return closing;
    },
  };
}

/** Advances the coarse clock and checks timeouts, a few times per smallest timeout (50 ms..1 s). */
function startSweep<C extends SocketConnection>(
  state: SocketServerState<C>,
  timeouts: readonly number[],
): () => void {
  const on = timeouts.filter((t) => t > 0);
  const every = Math.max(50, Math.min(1000, ...on.map((t) => Math.floor(t / 4))));
  const timer = setInterval(() => {
    const now = Date.now();
    state.now = now;
    for (const conn of state.connections) conn.sweep(now);
  }, every);
  timer.unref();
  return () => clearInterval(timer);
}

async function shutdown<C extends SocketConnection>(
  state: SocketServerState<C>,
  busy: () => boolean,
  adapter: SocketAdapter<C>,
  servers: Server[],
  lifespanShutdown: () => Promise<void>,
): Promise<void> {
  const logger = adapter.logger;
  state.closing = true;
  // `SRV-STOP-1`: stop accepting.
  const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
  // `SRV-STOP-3`: connections without a request close now; the others once their requests ended.
  for (const conn of state.connections) conn.closeWhenIdle();
  logger.info('shutting down', { connections: state.connections.size });
  // `SRV-STOP-2`: requests in flight get up to shutdownTimeout to finish.
  await drainRequests(
    () => !busy() && state.connections.size === 0,
    (check) => {
      state.onProgress = check;
    },
    adapter.shutdownTimeout,
    logger,
    () => ({ connections: state.connections.size }),
  );
  for (const conn of state.connections) conn.destroy();
  await Promise.all(closed);
  // `SRV-LIFE-4`: the lifespan shutdown runs after the requests have drained.
  await finishShutdown(lifespanShutdown, logger);
}
