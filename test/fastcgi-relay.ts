/**
 * A recording FastCGI relay for peer tests: it sits between a front end (nginx, HAProxy, Caddy) and
 * a FastCGI backend, passes every byte on unchanged, and decodes the records going each way with
 * `@portico/fastcgi`'s {@link RecordDecoder}. A test then asserts what went over the wire: how many
 * backend connections the front end opened, the FCGI_BEGIN_REQUEST flags (FCGI_KEEP_CONN), request
 * ids, FCGI_GET_VALUES, FCGI_ABORT_REQUEST, how many requests were in flight at once on a
 * connection (FastCGI 1.0 spec, sections 3.3, 4.1, 5.1, 5.4).
 */
import { once } from 'node:events';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import {
  type FastCGIServer,
  FCGI_ABORT_REQUEST,
  FCGI_BEGIN_REQUEST,
  FCGI_END_REQUEST,
  FCGI_GET_VALUES,
  FCGI_GET_VALUES_RESULT,
  FCGI_PARAMS,
  FCGI_UNKNOWN_TYPE,
  RecordDecoder,
  serve,
} from '@portico/fastcgi';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { conformanceApp } from './conformance/apps.js';
import { type FcgiBackend, parseBackend } from './peers/backend.js';

/** Which way a record went. */
export type Direction = 'to-app' | 'from-app';

/** One decoded record. */
export interface RelayRecord {
  /** The relay connection it went over (1, 2, ... in accept order). */
  readonly conn: number;
  readonly direction: Direction;
  /** The record type (FastCGI 1.0 section 8: 1 = FCGI_BEGIN_REQUEST ... 11 = FCGI_UNKNOWN_TYPE). */
  readonly type: number;
  readonly requestId: number;
  /** Content length in bytes (padding not counted). */
  readonly length: number;
  /**
   * A copy of the content for the small record types (BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST,
   * PARAMS, GET_VALUES, GET_VALUES_RESULT, UNKNOWN_TYPE); `null` for the stream data types.
   */
  readonly content: Buffer | null;
  /** `Date.now()` when the relay decoded it. */
  readonly at: number;
}

/** One connection the front end opened. */
export interface RelayConnection {
  readonly id: number;
  /** Which side ended it first (`null` while open). */
  closedBy: 'front end' | 'app' | null;
  /** Set when a side's bytes did not decode as FastCGI records. */
  decodeError: string | null;
}

/** A running relay. */
export interface Relay {
  /** Where the front end should connect (give it to the front-end harness). */
  readonly address: FcgiBackend;
  /** Every connection accepted so far, in accept order. */
  readonly connections: readonly RelayConnection[];
  /** Every record decoded so far, in arrival order. */
  readonly records: readonly RelayRecord[];
  /** Forgets the records and connections seen so far (ids keep counting). */
  reset(): void;
  /** Stops listening and destroys every open connection. */
  close(): Promise<void>;
}

const KEPT_TYPES = new Set([
  FCGI_BEGIN_REQUEST,
  FCGI_ABORT_REQUEST,
  FCGI_END_REQUEST,
  FCGI_PARAMS,
  FCGI_GET_VALUES,
  FCGI_GET_VALUES_RESULT,
  FCGI_UNKNOWN_TYPE,
]);

/**
 * Starts a relay on 127.0.0.1 (a free port), or on the unix socket `listenPath`, forwarding to
 * `target`.
 *
 * @throws Error when it cannot listen
 */
export async function startRelay(target: FcgiBackend, listenPath?: string): Promise<Relay> {
  const connections: RelayConnection[] = [];
  const records: RelayRecord[] = [];
  const sockets = new Set<Socket>();
  let nextId = 0;

  // Half-open sockets on both sides, as a direct TCP connection is: after one side's FIN the other
  // may still send (Caddy writes the rest of FCGI_STDIN after the app answered and closed its side).
  const server: Server = createServer({ allowHalfOpen: true }, (front) => {
    const conn: RelayConnection = { id: ++nextId, closedBy: null, decodeError: null };
    connections.push(conn);
    const app =
      'path' in target
        ? netConnect({ path: target.path, allowHalfOpen: true })
        : netConnect({ port: target.port, host: target.host, allowHalfOpen: true });
    sockets.add(front);
    sockets.add(app);
    front.setNoDelay(true);
    app.setNoDelay(true);
    const pump = (from: Socket, to: Socket, direction: Direction) => {
      const decoder = new RecordDecoder((type, requestId, content) => {
        records.push({
          conn: conn.id,
          direction,
          type,
          requestId,
          length: content.length,
          content: KEPT_TYPES.has(type) ? Buffer.from(content) : null,
          at: Date.now(),
        });
      });
      from.on('data', (chunk: Buffer) => {
        if (conn.decodeError === null) {
          try {
            decoder.push(chunk);
          } catch (error) {
            conn.decodeError = `${direction}: ${(error as Error).message}`;
          }
        }
        // The other side is gone: the bytes are lost, as they would be on a direct connection.
        if (to.destroyed || to.writableEnded) return;
        // Back-pressure: a slow reader on one side slows the other, as without the relay.
        if (!to.write(chunk)) {
          from.pause();
          const resume = () => {
            to.off('drain', resume);
            to.off('close', resume);
            from.resume();
          };
          to.on('drain', resume);
          to.on('close', resume);
        }
      });
      from.on('end', () => {
        conn.closedBy ??= direction === 'to-app' ? 'front end' : 'app';
        to.end();
      });
      from.on('error', () => {
        conn.closedBy ??= direction === 'to-app' ? 'front end' : 'app';
      });
      from.on('close', (hadError) => {
        sockets.delete(from);
        // A reset is passed on as a reset; an orderly close was passed on by 'end'.
        if (hadError) to.destroy();
      });
    };
    pump(front, app, 'to-app');
    pump(app, front, 'from-app');
  });
  if (listenPath === undefined) server.listen(0, '127.0.0.1');
  else server.listen(listenPath);
  await once(server, 'listening');
  const bound = server.address();
  const address: FcgiBackend =
    listenPath !== undefined
      ? { path: listenPath }
      : { host: '127.0.0.1', port: typeof bound === 'object' && bound !== null ? bound.port : 0 };

  return {
    address,
    connections,
    records,
    reset() {
      connections.length = 0;
      records.length = 0;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/**
 * The most requests in flight at once on one connection, seen from the records: a request is in
 * flight from its FCGI_BEGIN_REQUEST (to the app) until its FCGI_END_REQUEST (from the app).
 */
export function maxInFlight(records: readonly RelayRecord[], conn: number): number {
  let now = 0;
  let max = 0;
  for (const r of records) {
    if (r.conn !== conn) continue;
    if (r.type === FCGI_BEGIN_REQUEST && r.direction === 'to-app') max = Math.max(max, ++now);
    if (r.type === FCGI_END_REQUEST && r.direction === 'from-app') now--;
  }
  return max;
}

/** The conformance app on `@portico/fastcgi` behind a recording relay, for one describe block. */
export interface RelayedAdapter {
  /** The relay (available from `beforeAll` on): give `relay.address` to the front end. */
  readonly relay: Relay;
  /** The FCGI_BEGIN_REQUEST records the front end sent, since the last test. */
  begins(): RelayRecord[];
  /** The FCGI_END_REQUEST records the adapter sent, since the last test. */
  ends(): RelayRecord[];
}

/**
 * Registers the hooks of a "FastCGI on the wire" block: the conformance app served by the FastCGI
 * adapter with a relay in front (`beforeAll`), `stopFrontEnd` and a relay reset after each test, both
 * closed at the end.
 */
export function relayedAdapter(stopFrontEnd: () => Promise<void>): RelayedAdapter {
  let server: FastCGIServer | undefined;
  let relay: Relay | undefined;
  beforeAll(async () => {
    server = await serve(conformanceApp, { bind: ['127.0.0.1:0'], lifespan: 'off' });
    relay = await startRelay(parseBackend(server.addresses[0]!));
  });
  afterEach(async () => {
    await stopFrontEnd();
    relay?.reset();
  });
  afterAll(async () => {
    await relay?.close();
    await server?.close();
  });
  const wire = () => relay!;
  return {
    get relay() {
      return wire();
    },
    begins: () => wire().records.filter((r) => r.type === FCGI_BEGIN_REQUEST && r.direction === 'to-app'),
    ends: () => wire().records.filter((r) => r.type === FCGI_END_REQUEST && r.direction === 'from-app'),
  };
}
