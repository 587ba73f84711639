/**
 * One mechanism for "an adapter on a socket, a front end (nginx, Apache, lighttpd, Caddy, HAProxy)
 * in front of it": the conformance runner of each fastcgi-* and scgi-* test file, and the
 * `beforeAll`/`afterAll` pair of a describe block that serves one app behind one front end.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { AsyncApp } from '@portico/spec';
import { afterAll, beforeAll } from 'vitest';
import type { ConformanceRunner, FrontEndBehaviour } from '../conformance/runner.js';
import { type FcgiBackend, parseBackend } from './backend.js';
import { tempDir } from './peer.js';

/** The options the runners give an adapter's `serve` (the FastCGI and SCGI adapters share them). */
export interface AdapterServeOptions {
  bind: string[];
  lifespan: 'off';
  rootPath?: string;
  socketMode?: number;
}

/** A socket adapter's `serve` (`@portico/fastcgi`, `@portico/scgi`), as the runners use it. */
export type ServeAdapter = (
  app: AsyncApp,
  options: AdapterServeOptions,
) => Promise<{ readonly addresses: readonly string[]; close(): Promise<void> }>;

/** A started front end: where clients reach it, and how to stop it. */
export interface RunningFrontEnd {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly baseUrl: string;
  stop(): Promise<void>;
}

/** How {@link frontEndRunner} serves the app and starts the front end. */
export interface FrontEndRunnerOptions {
  /** Shown in test names. */
  name: string;
  /** What the front end changes on the way. */
  frontEnd: FrontEndBehaviour;
  /** The adapter's `serve`. */
  serve: ServeAdapter;
  /** Starts the front end in front of the adapter at `backend`. */
  startFrontEnd(backend: FcgiBackend): Promise<RunningFrontEnd>;
  /**
   * `unix`: the adapter listens on `app.sock` in a temp dir named after `tempPrefix`. Default: `tcp`
   * (127.0.0.1, a free port).
   */
  socket?: 'tcp' | 'unix';
  /** Prefix of the temp dir of a unix socket. Default: `front-end`. */
  tempPrefix?: string;
  /**
   * The front end's children run as another user (Apache: www-data): a unix socket's dir gets mode
   * 0755 and the socket 0666. Default: false.
   */
  otherUser?: boolean;
  /**
   * Pass `rootPath` to the adapter even when it is `''` (Apache's SCRIPT_NAME and PATH_INFO are wrong
   * for percent-encoded paths: the adapter must route on REQUEST_URI). Default: false (`''` leaves
   * the option out, so the adapter takes SCRIPT_NAME).
   */
  alwaysRootPath?: boolean;
}

/**
 * The conformance runner of an adapter behind a front end: `start` serves the app (TCP or a unix
 * socket), then starts the front end at `/` in front of it (closing the adapter and removing the
 * temp dir if that throws); `close` stops the front end, then the adapter, then removes the dir.
 */
export function frontEndRunner(options: FrontEndRunnerOptions): ConformanceRunner {
  const { name, frontEnd, serve, startFrontEnd, socket = 'tcp', otherUser = false } = options;
  return {
    name,
    frontEnd,
    async start(app, { rootPath }) {
      const dir = socket === 'unix' ? tempDir(options.tempPrefix ?? 'front-end') : null;
      if (dir !== null && otherUser) chmodSync(dir.dir, 0o755);
      const server = await serve(app, {
        bind: [dir === null ? '127.0.0.1:0' : `unix:${join(dir.dir, 'app.sock')}`],
        lifespan: 'off',
        ...(dir !== null && otherUser ? { socketMode: 0o666 } : {}),
        ...(rootPath === '' && options.alwaysRootPath !== true ? {} : { rootPath }),
      });
      let front: RunningFrontEnd;
      try {
        front = await startFrontEnd(parseBackend(server.addresses[0]!));
      } catch (error) {
        await server.close();
        dir?.remove();
        throw error;
      }
      return {
        baseUrl: front.baseUrl,
        async close() {
          await front.stop();
          await server.close();
          dir?.remove();
        },
      };
    },
  };
}

/** What {@link servedBehind} gives a describe block. */
export interface ServedBehind {
  /** The front end's base URL (from `beforeAll` on). */
  readonly baseUrl: string;
}

/**
 * Registers the hooks of a describe block that serves one app behind one front end: `beforeAll`
 * serves `app` on 127.0.0.1 (`rootPath` given: passed to the adapter) and starts the front end in
 * front of it; `afterAll` stops the front end, then the adapter.
 */
export function servedBehind(
  serve: ServeAdapter,
  app: AsyncApp,
  serveOptions: { rootPath?: string },
  startFrontEnd: (backend: FcgiBackend) => Promise<RunningFrontEnd>,
): ServedBehind {
  let server: Awaited<ReturnType<ServeAdapter>> | undefined;
  let front: RunningFrontEnd | undefined;
  beforeAll(async () => {
    server = await serve(app, { ...serveOptions, bind: ['127.0.0.1:0'], lifespan: 'off' });
    front = await startFrontEnd(parseBackend(server.addresses[0]!));
  });
  afterAll(async () => {
    await front?.stop();
    await server?.close();
  });
  return {
    get baseUrl() {
      return front!.baseUrl;
    },
  };
}
