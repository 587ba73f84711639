/**
 * The state one server shares between its requests and connections, built once.
 *
 * @module
 */
import type { Socket } from 'node:net';
import type { CycleContext } from '@portico/server';
import type { Address, AsyncApp, State } from '@portico/spec';
import type { NodeCycle } from './node-cycle.js';

/** Per-server state; one object, referenced by every cycle. */
export interface Core extends CycleContext {
  readonly app: AsyncApp;
  readonly rootPath: string;
  readonly maxHeadersCount: number;
  /** The lifespan state; each request gets a shallow copy (`SRV-SCOPE-4`). */
  state: State;
  /** Set by `close()`: responses from now on carry `connection: close` (`SRV-STOP-3`). */
  closing: boolean;
  /** Requests whose app has not settled yet. */
  inFlight: number;
  /** Open connections, when the server tracks them (`serve()` does). */
  readonly connections: Set<Connection> | null;
  /** Called while closing whenever a request settles or a connection closes. */
  onProgress: (() => void) | null;
}

/** What the server knows about one client connection; computed once per connection. */
export interface Connection {
  readonly socket: Socket;
  /** Remote `[host, port]`, `null` for a unix socket (`SRV-SCOPE-5`). */
  readonly client: Address | null;
  /** Local `[host, port]`, or `[path, null]` for a unix socket (`SRV-SCOPE-5`). */
  readonly server: readonly [string, number | null] | null;
  /** The request of this connection whose app has not settled, or `null`. */
  current: NodeCycle | null;
  /** More such requests when the client pipelines, else `null`. */
  pipelined: NodeCycle[] | null;
  /** Bytes read plus written when the idle sweep last looked (see idle-sweep.ts). */
  activity: number;
  /** When the idle sweep last saw that count change, ms since the epoch. */
  activeAt: number;
}

/** Registers a request as active on its connection. */
export function addActive(conn: Connection, cycle: NodeCycle): void {
  if (conn.current === null) conn.current = cycle;
  else if (conn.pipelined === null) conn.pipelined = [cycle];
  else conn.pipelined.push(cycle);
}

/** Removes a settled request; returns whether the connection still has active ones. */
export function removeActive(conn: Connection, cycle: NodeCycle): boolean {
  const more = conn.pipelined;
  if (conn.current === cycle) conn.current = more === null ? null : (more.shift() ?? null);
  else if (more !== null) {
    const at = more.indexOf(cycle);
    if (at >= 0) more.splice(at, 1);
  }
  if (more !== null && more.length === 0) conn.pipelined = null;
  return conn.current !== null;
}

const kConnection = Symbol('portico.connection');

type TaggedSocket = Socket & { [kConnection]?: Connection };

/**
 * The connection record of `socket`, made on first use: addresses are read once, and one `close`
 * listener per connection tells every active request that the client is gone (`SRV-ERR-4`).
 *
 * @param unixPath - the socket path when the server listens on a unix socket, else `null`
 */
export function connectionOf(core: Core, socket: Socket, unixPath: string | null): Connection {
  const tagged = socket as TaggedSocket;
  const existing = tagged[kConnection];
  if (existing !== undefined) return existing;
  const remote = socket.remoteAddress;
  const conn: Connection = {
    socket,
    client: remote === undefined ? null : [remote, socket.remotePort ?? 0],
    server:
      unixPath !== null
        ? [unixPath, null]
        : socket.localAddress === undefined
          ? null
          : [socket.localAddress, socket.localPort ?? 0],
    current: null,
    pipelined: null,
    activity: 0,
    activeAt: Date.now(),
  };
  tagged[kConnection] = conn;
  core.connections?.add(conn);
  socket.once('close', () => {
    core.connections?.delete(conn);
    conn.current?.clientDisconnected();
    if (conn.pipelined !== null) for (const cycle of conn.pipelined.slice()) cycle.clientDisconnected();
    if (core.onProgress !== null) core.onProgress();
  });
  return conn;
}
