/**
 * The lifespan runner: calls the app once with a `lifespan` scope, delivers `lifespan.startup`
 * before the server listens and `lifespan.shutdown` after it has drained (spec/async.md "Lifespan",
 * spec/servers.md "Lifespan"; the ASGI lifespan protocol 2.0).
 *
 * @module
 */
import type {
  AsyncApp,
  LifespanReceiveEvent,
  LifespanScope,
  ReceiveEvent,
  SendEvent,
  State,
} from '@portico/spec';
import { PorticoError, thrownMessage } from '@portico/spec';
import { type Logger, silentLogger } from './logger.js';
import { SPEC_INFO } from './spec-info.js';

/**
 * `auto`: run lifespan, but an app that fails on the lifespan scope before
 * `lifespan.startup.complete` is taken as not supporting it; `on`: such a failure is fatal;
 * `off`: never call the app with a lifespan scope.
 */
export type LifespanMode = 'auto' | 'on' | 'off';

/** Options of {@link startLifespan}. */
export interface LifespanOptions {
  /** Default `auto`. */
  mode?: LifespanMode;
  /** Default: a silent logger. */
  logger?: Logger;
  /** How long `shutdown()` waits for `lifespan.shutdown.complete`, ms; 0 waits forever. Default 30000. */
  shutdownTimeout?: number;
}

/** A running lifespan. */
export interface Lifespan {
  /** The state the app filled during startup; each request's `scope.state` is a shallow copy of it. */
  readonly state: State;
  /** Whether the app completed `lifespan.startup` (false in `off` mode and for apps without lifespan). */
  readonly supported: boolean;
  /**
   * Delivers `lifespan.shutdown` and waits for the app's answer. Resolves at once when lifespan is
   * not supported; calling it again returns the same promise.
   *
   * @throws PorticoError `ERR_LIFESPAN` on `lifespan.shutdown.failed` (with the app's message) or
   *   when the app throws during shutdown; `ERR_TIMEOUT` after `shutdownTimeout`.
   */
  shutdown(): Promise<void>;
}

type Phase = 'startup' | 'running' | 'shutdown' | 'done';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Drives one lifespan scope; see {@link startLifespan}. */
class LifespanRunner implements Lifespan {
  readonly state: State = {};
  supported = false;
  private phase: Phase = 'startup';
  private readonly inbox: LifespanReceiveEvent[] = [{ type: 'lifespan.startup' }];
  private waiter: ((event: ReceiveEvent) => void) | null = null;
  private readonly startup = deferred();
  private readonly stopped = deferred();
  private shutdownPromise: Promise<void> | null = null;

  constructor(
    private readonly mode: 'auto' | 'on',
    private readonly logger: Logger,
    private readonly shutdownTimeout: number,
  ) {}

  run(app: AsyncApp): Promise<void> {
    const scope: LifespanScope = { type: 'lifespan', spec: SPEC_INFO, state: this.state };
    let result: Promise<void>;
    try {
      result = Promise.resolve(app(scope, this.receive, this.send));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      () => this.appEnded(null),
      (err: unknown) => this.appEnded(err ?? new Error(String(err))),
    );
    return this.startup.promise;
  }

  readonly receive = (): Promise<ReceiveEvent> => {
    const next = this.inbox.shift();
    if (next !== undefined) return Promise.resolve(next);
    // Nothing more will come until shutdown: the app waits here while the server runs.
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  };

  readonly send = (event: SendEvent): Promise<void> => {
    const type = (event as { type?: unknown } | null)?.type;
    if (this.phase === 'startup' && type === 'lifespan.startup.complete') {
      this.phase = 'running';
      this.supported = true;
      this.startup.resolve();
      return Promise.resolve();
    }
    // `SRV-LIFE-2`: startup.failed is fatal in every mode; the app's message becomes the error's.
    if (this.phase === 'startup' && type === 'lifespan.startup.failed') {
      this.phase = 'done';
      this.startup.reject(this.failure('startup', (event as { message?: unknown }).message));
      return Promise.resolve();
    }
    if (this.phase === 'shutdown' && type === 'lifespan.shutdown.complete') {
      this.phase = 'done';
      this.stopped.resolve();
      return Promise.resolve();
    }
    if (this.phase === 'shutdown' && type === 'lifespan.shutdown.failed') {
      this.phase = 'done';
      this.stopped.reject(this.failure('shutdown', (event as { message?: unknown }).message));
      return Promise.resolve();
    }
    return Promise.reject(
      new PorticoError(
        'ERR_LIFESPAN',
        `unexpected event ${JSON.stringify(type)} during lifespan ${this.phase}`,
        {
          side: 'app',
          value: event,
        },
      ),
    );
  };

  private failure(what: 'startup' | 'shutdown', message: unknown): PorticoError {
    const text = typeof message === 'string' && message !== '' ? message : `lifespan ${what} failed`;
    return new PorticoError('ERR_LIFESPAN', text, {
      side: 'app',
      expose: true,
      rule: what === 'startup' ? 'SRV-LIFE-2' : 'SRV-LIFE-4',
    });
  }

  private appEnded(err: unknown): void {
    switch (this.phase) {
      case 'startup':
        this.phase = 'done';
        if (this.mode === 'on') {
          this.startup.reject(
            err === null
              ? new PorticoError('ERR_LIFESPAN', 'the app returned before lifespan.startup.complete', {
                  side: 'app',
                  rule: 'SRV-LIFE-2',
                })
              : new PorticoError('ERR_LIFESPAN', thrownMessage(err), {
                  cause: err,
                  side: 'app',
                  expose: true,
                  rule: 'SRV-LIFE-2',
                }),
          );
        } else {
          // `SRV-LIFE-3` (the ASGI rule): an app that fails on the lifespan scope before startup
          // completed does not support lifespan; go on without it.
          this.logger.debug('lifespan not supported by the app; continuing without it', {
            rule: 'SRV-LIFE-3',
            reason: err === null ? 'returned before lifespan.startup.complete' : thrownMessage(err),
          });
          this.startup.resolve();
        }
        return;
      case 'running':
        this.phase = 'done';
        if (err !== null) this.logger.error('lifespan app raised after startup', { error: err });
        return;
      case 'shutdown':
        this.phase = 'done';
        if (err === null) this.stopped.resolve();
        else
          this.stopped.reject(
            new PorticoError('ERR_LIFESPAN', thrownMessage(err), { cause: err, side: 'app' }),
          );
        return;
      case 'done':
        if (err !== null) this.logger.error('lifespan app raised after lifespan ended', { error: err });
        return;
    }
  }

  shutdown(): Promise<void> {
    if (this.shutdownPromise !== null) return this.shutdownPromise;
    if (!this.supported || this.phase !== 'running') {
      this.shutdownPromise = Promise.resolve();
      return this.shutdownPromise;
    }
    this.phase = 'shutdown';
    const event: LifespanReceiveEvent = { type: 'lifespan.shutdown' };
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter !== null) waiter(event);
    else this.inbox.push(event);
    let timer: NodeJS.Timeout | undefined;
    const timeout =
      this.shutdownTimeout > 0
        ? new Promise<void>((_, reject) => {
            timer = setTimeout(() => {
              reject(
                new PorticoError(
                  'ERR_TIMEOUT',
                  `lifespan.shutdown.complete not sent within ${this.shutdownTimeout} ms`,
                ),
              );
            }, this.shutdownTimeout);
          })
        : null;
    this.shutdownPromise = (
      timeout === null ? this.stopped.promise : Promise.race([this.stopped.promise, timeout])
    ).finally(() => clearTimeout(timer));
    return this.shutdownPromise;
  }
}

const OFF: Lifespan = Object.freeze({
  state: Object.freeze({}) as State,
  supported: false,
  shutdown: () => Promise.resolve(),
});

/**
 * Starts the app's lifespan: calls `app` with a `lifespan` scope, delivers `lifespan.startup`, and
 * resolves once the app sent `lifespan.startup.complete` (or, in `auto` mode, once it failed on the
 * scope before that, which means it does not support lifespan; logged at debug).
 *
 * @throws PorticoError `ERR_LIFESPAN` carrying the app's message when it sends
 *   `lifespan.startup.failed`, or (in `on` mode) throws or returns before startup completed
 */
export async function startLifespan(app: AsyncApp, options: LifespanOptions = {}): Promise<Lifespan> {
  const mode = options.mode ?? 'auto';
  if (mode !== 'auto' && mode !== 'on' && mode !== 'off') {
    throw new PorticoError(
      'ERR_INVALID_OPTION',
      `option lifespan must be auto, on or off, got ${JSON.stringify(mode)}`,
      {
        expose: true,
      },
    );
  }
  if (mode === 'off') return { ...OFF, state: {} };
  const runner = new LifespanRunner(mode, options.logger ?? silentLogger, options.shutdownTimeout ?? 30_000);
  await runner.run(app);
  return runner;
}
