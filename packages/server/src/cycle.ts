/**
 * One request-response cycle: the `receive` and `send` an app is called with, and what the server
 * does when the app fails. Written once so every adapter behaves the same (spec/servers.md "Error
 * containment"); an adapter subclasses {@link RequestCycle} and implements the few wire operations
 * (`writeHead`, `writeBody`, ...). The request side is in cycle-body.ts, the response side in
 * cycle-response.ts.
 *
 * @module
 */
import type { AsyncApp, HTTPScope } from '@portico/spec';
import { isPorticoError } from '@portico/spec';
import { accessLogEntry } from './access-log.js';
import { ResponseState } from './cycle-body.js';
import { ResponseCycle } from './cycle-response.js';

const RESOLVED: Promise<void> = Promise.resolve();

export { type CycleContext, RequestBodyCycle, ResponseState } from './cycle-body.js';
export { clientDisconnectedError, ResponseCycle } from './cycle-response.js';

/**
 * A request-response cycle. Subclasses implement the wire operations; the class owns the event order, header checks, Content-Length accounting, the request-body queue with
 * flow control, and error containment:
 * - the app throws before any byte of the response was written: 500, stack logged (`SRV-ERR-1`);
 * - it throws after: the connection is aborted, logged (`SRV-ERR-2`);
 * - it returns without completing the response: 500 or abort (`SRV-ERR-3`);
 * - a bad response header is refused before anything is written: 500 (`SRV-SEC-1`);
 * - `send()` after the client left rejects with `ERR_CLIENT_DISCONNECTED` (`SRV-ERR-4`).
 */
export abstract class RequestCycle extends ResponseCycle {
  /** Called once when the app has settled and the cycle is over (accounting). */
  protected finished(): void {}

  /**
   * Calls the app and contains its errors. Never rejects. When the request declares a body over
   * `maxBodySize`, answers 413 without calling the app (`SRV-REQ-4`).
   *
   * @param declaredLength - the request's Content-Length, or -1 when absent
   */
  run(app: AsyncApp, scope: HTTPScope, declaredLength = -1): Promise<void> {
    this.scope = scope;
    if (declaredLength > this.ctx.maxBodySize) {
      this.refuseBody(declaredLength);
      this.end();
      return RESOLVED;
    }
    let result: Promise<void>;
    try {
      result = app(scope, this.receive, this.send);
    } catch (err) {
      this.appRaised(err);
      this.end();
      return RESOLVED;
    }
    // Not an `async` method: one promise fewer per request. Settles one tick after the app's
    // promise, as `await` would.
    return Promise.resolve(result).then(
      () => {
        this.appReturned();
        this.end();
      },
      (err: unknown) => {
        this.appRaised(err);
        this.end();
      },
    );
  }

  protected override refuseBody(size: number): void {
    this.endBody();
    this.ctx.logger.info('request body over maxBodySize: 413', {
      rule: 'SRV-REQ-4',
      maxBodySize: this.ctx.maxBodySize,
      bytes: size,
      ...this.where(),
    });
    // `SRV-REQ-4`: answer 413 if nothing went out yet (its `connection: close` ends the connection
    // without reading on), else abort; to the app the client is gone from now on.
    if (this.response <= ResponseState.Started) this.respondFixed(413);
    else if (this.response < ResponseState.Done) this.abort();
    this.clientDisconnected();
  }

  private appRaised(err: unknown): void {
    const state = this.response;
    if (err !== this.refusal) {
      if (this.clientGone && isPorticoError(err, 'ERR_CLIENT_DISCONNECTED')) {
        this.ctx.logger.debug('app stopped: client disconnected', this.where());
      } else {
        if (state <= ResponseState.Started) {
          this.ctx.logger.error('app raised before the response started: 500', {
            rule: 'SRV-ERR-1',
            error: err,
            ...this.where(),
          });
        } else if (state < ResponseState.Done) {
          this.ctx.logger.error('app raised during the response: connection aborted', {
            rule: 'SRV-ERR-2',
            error: err,
            ...this.where(),
          });
        } else {
          this.ctx.logger.error('app raised after the response', { error: err, ...this.where() });
        }
      }
    }
    if (this.clientGone) return;
    if (state <= ResponseState.Started) this.respondFixed(500);
    else if (state < ResponseState.Done) this.abort();
  }

  private appReturned(): void {
    const state = this.response;
    if (this.clientGone || state === ResponseState.Done) return;
    if (state <= ResponseState.Started) {
      this.ctx.logger.error('app returned without sending a response: 500', {
        rule: 'SRV-ERR-3',
        ...this.where(),
      });
      this.respondFixed(500);
    } else {
      this.ctx.logger.error('app returned before the response was complete: connection aborted', {
        rule: 'SRV-ERR-3',
        ...this.where(),
      });
      this.abort();
    }
  }

  private end(): void {
    try {
      if (this.ctx.accessLog !== null && this.scope !== null)
        this.ctx.accessLog(accessLogEntry(this.scope, this.status, this.bytesSent, this.startTime));
    } catch (err) {
      this.ctx.logger.error('access log failed', { error: err });
    }
    this.finished();
  }
}
