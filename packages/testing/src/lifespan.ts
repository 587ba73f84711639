/**
 * Running the app's lifespan scope around a test session (spec/async.md "Lifespan"; asgiref
 * `specs/lifespan.rst`).
 *
 * @module
 */

import type { LifespanReceiveEvent, LifespanScope, PorticoError, SendEvent, State } from '@portico/spec';
import { PorticoError as Err, thrownMessage } from '@portico/spec';
import type { PreparedApp } from './app.js';
import { SPEC } from './scope.js';
import { deferred, handled, refused } from './util.js';

function lifespanError(message: string, cause?: unknown): PorticoError {
  return new Err('ERR_LIFESPAN', message, cause === undefined ? {} : { cause });
}

/**
 * The lifespan of one client: `startup()` calls the app with a `lifespan` scope and sends
 * `lifespan.startup`; `shutdown()` sends `lifespan.shutdown`. A sync app has no lifespan: both
 * resolve at once. `state` is the lifespan scope's state; each request gets a shallow copy of it.
 */
export class Lifespan {
  /** The lifespan scope's `state`, filled by the app at startup. */
  readonly state: State = {};
  private readonly prepared: PreparedApp;
  private phase: 'idle' | 'starting' | 'started' | 'stopping' | 'stopped' = 'idle';
  private step = 0;
  private readonly violations: PorticoError[] = [];
  private readonly startupDone = deferred<void>();
  private readonly shutdownAsked = deferred<void>();
  private readonly shutdownDone = deferred<void>();

  constructor(prepared: PreparedApp) {
    this.prepared = prepared;
    handled(this.startupDone.promise);
    handled(this.shutdownDone.promise);
  }

  /**
   * Starts the app's lifespan and waits for `lifespan.startup.complete`.
   *
   * @throws PorticoError `ERR_LIFESPAN` when the app sends `lifespan.startup.failed` (its message is
   *   in the error's), throws, or returns before completing startup; or when called twice.
   *   `ERR_SPEC_VIOLATION` when the validator found a violation during startup.
   */
  async startup(): Promise<void> {
    if (this.phase !== 'idle') throw lifespanError('startup() was already called');
    if (this.prepared.interface === 'sync') {
      this.phase = 'started';
      return;
    }
    this.phase = 'starting';
    const scope: LifespanScope = { type: 'lifespan', spec: SPEC, state: this.state };
    let call: Promise<void>;
    try {
      call = Promise.resolve(
        this.prepared.run(this.violations, () => this.prepared.app(scope, this.receive, this.send)),
      );
    } catch (err) {
      call = Promise.reject(err);
    }
    call.then(
      () => this.onSettled(undefined),
      (err: unknown) => this.onSettled(err ?? new Error(String(err))),
    );
    await this.startupDone.promise;
    this.phase = 'started';
  }

  /**
   * Sends `lifespan.shutdown` and waits for `lifespan.shutdown.complete`. Does nothing when the
   * lifespan was never started, or after a failed startup.
   *
   * @throws PorticoError `ERR_LIFESPAN` when the app sends `lifespan.shutdown.failed`, throws, or
   *   returns before completing shutdown; `ERR_SPEC_VIOLATION` for a violation found meanwhile
   */
  async shutdown(): Promise<void> {
    if (this.phase !== 'started') return;
    this.phase = 'stopping';
    if (this.prepared.interface === 'sync') {
      this.phase = 'stopped';
      return;
    }
    this.shutdownAsked.resolve();
    try {
      await this.shutdownDone.promise;
    } finally {
      this.phase = 'stopped';
    }
  }

  private readonly receive = async (): Promise<LifespanReceiveEvent> => {
    if (this.step === 0) {
      this.step = 1;
      return { type: 'lifespan.startup' };
    }
    if (this.step === 1) {
      this.step = 2;
      await this.shutdownAsked.promise;
      return { type: 'lifespan.shutdown' };
    }
    // Nothing more comes on a lifespan scope; the app is expected to return.
    return new Promise<never>(() => {});
  };

  private readonly send = async (event: SendEvent): Promise<void> => {
    const isObject = typeof event === 'object' && event !== null;
    const type = isObject ? event.type : undefined;
    const message = isObject ? (event as { message?: unknown }).message : undefined;
    const text = typeof message === 'string' && message !== '' ? message : undefined;
    switch (type) {
      case 'lifespan.startup.complete':
      case 'lifespan.startup.failed':
        if (this.phase !== 'starting' || this.step !== 1) throw refused(`${type} out of turn`, event);
        if (type === 'lifespan.startup.failed')
          this.startupDone.reject(lifespanError(`lifespan startup failed: ${text ?? '(no message)'}`));
        else this.settleStartup();
        return;
      case 'lifespan.shutdown.complete':
      case 'lifespan.shutdown.failed':
        if (this.phase !== 'stopping' || this.step !== 2) throw refused(`${type} out of turn`, event);
        if (type === 'lifespan.shutdown.failed')
          this.shutdownDone.reject(lifespanError(`lifespan shutdown failed: ${text ?? '(no message)'}`));
        else this.settleShutdown();
        return;
      default:
        throw refused(`unknown lifespan event type ${JSON.stringify(type)}`, event);
    }
  };

  private settleStartup(): void {
    const v = this.violations[0];
    if (v !== undefined) this.startupDone.reject(v);
    else this.startupDone.resolve();
  }

  private settleShutdown(): void {
    const v = this.violations[0];
    if (v !== undefined) this.shutdownDone.reject(v);
    else this.shutdownDone.resolve();
  }

  private onSettled(err: unknown): void {
    const v = this.violations[0];
    if (this.phase === 'starting') {
      this.startupDone.reject(
        v ??
          (err === undefined
            ? lifespanError('lifespan startup failed: the app returned before lifespan.startup.complete')
            : lifespanError(`lifespan startup failed: ${thrownMessage(err)}`, err)),
      );
    }
    // After startup: a shutdown not yet asked for, or asked and not answered, ends with the app.
    if (v !== undefined) this.shutdownDone.reject(v);
    else if (err !== undefined)
      this.shutdownDone.reject(lifespanError(`lifespan shutdown failed: ${thrownMessage(err)}`, err));
    else if (this.step === 2) {
      this.shutdownDone.reject(
        lifespanError('lifespan shutdown failed: the app returned before lifespan.shutdown.complete'),
      );
    } else this.shutdownDone.resolve();
  }
}
