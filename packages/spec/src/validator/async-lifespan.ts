/**
 * The lifespan scope's state machine (spec/async.md "Lifespan"): the server sends lifespan.startup,
 * then (after startup.complete) lifespan.shutdown; the app answers each exactly once.
 *
 * @module
 */
import type { State } from '../async-types.js';
import { type Ev, type Exchange, isObject, type LooseScope } from './async-exchange.js';
import type { LifespanLink } from './async-scope.js';
import type { Report } from './violation.js';

/** Where each half of the lifespan stands: not received, received (unanswered), answered. */
type Step = 'waiting' | 'received' | 'complete' | 'failed';

/** Checks one lifespan scope's events in both directions. */
export class LifespanExchange implements Exchange {
  readonly goneRule = null;
  gone = false;
  private startup: Step = 'waiting';
  private shutdown: Step = 'waiting';
  private readonly scope: LooseScope;
  private readonly report: Report;
  private readonly link: LifespanLink;

  constructor(scope: LooseScope, report: Report, link: LifespanLink) {
    this.scope = scope;
    this.report = report;
    this.link = link;
  }

  get complete(): boolean {
    return this.shutdown === 'complete' || this.shutdown === 'failed';
  }

  received(event: Ev): void {
    const report = this.report;
    switch (event.type) {
      case 'lifespan.startup':
        if (this.startup !== 'waiting') report('ASYNC-LIFE-1', 'server', 'lifespan.startup received twice');
        else this.startup = 'received';
        return;
      case 'lifespan.shutdown':
        if (this.shutdown !== 'waiting') report('ASYNC-LIFE-1', 'server', 'lifespan.shutdown received twice');
        else if (this.startup !== 'complete') {
          report(
            'ASYNC-LIFE-1',
            'server',
            'lifespan.shutdown received before the app sent lifespan.startup.complete',
          );
        }
        this.shutdown = 'received';
        this.unlink();
        return;
      default:
        report(
          'ASYNC-GEN-6',
          'server',
          'receive() returned an event type the lifespan scope does not define',
          event.type,
        );
    }
  }

  sending(event: Ev): void {
    const report = this.report;
    switch (event.type) {
      case 'lifespan.startup.complete':
      case 'lifespan.startup.failed':
        if (this.startup !== 'received') {
          report(
            'ASYNC-LIFE-2',
            'app',
            this.startup === 'waiting'
              ? `${event.type} sent before lifespan.startup was received`
              : `${event.type} sent after startup was already answered`,
          );
          return;
        }
        this.checkMessage(event);
        this.startup = event.type === 'lifespan.startup.complete' ? 'complete' : 'failed';
        if (this.startup === 'complete' && isObject(this.scope.state))
          this.link.state = this.scope.state as State;
        return;
      case 'lifespan.shutdown.complete':
      case 'lifespan.shutdown.failed':
        if (this.shutdown !== 'received') {
          report(
            'ASYNC-LIFE-3',
            'app',
            this.shutdown === 'waiting'
              ? `${event.type} sent before lifespan.shutdown was received`
              : `${event.type} sent after shutdown was already answered`,
          );
          return;
        }
        this.checkMessage(event);
        this.shutdown = event.type === 'lifespan.shutdown.complete' ? 'complete' : 'failed';
        return;
      default:
        report('ASYNC-GEN-4', 'app', 'sent an event type the lifespan scope does not define', event.type);
    }
  }

  finished(): void {
    this.unlink();
    if (this.startup === 'received' || this.shutdown === 'received') {
      const which = this.startup === 'received' ? 'lifespan.startup' : 'lifespan.shutdown';
      this.report('ASYNC-LIFE-5', 'app', `app resolved without answering ${which}`);
    }
  }

  private checkMessage(event: Ev): void {
    if (event.message !== undefined && typeof event.message !== 'string') {
      this.report('ASYNC-LIFE-4', 'app', `${event.type} message is not a string`, event.message);
    }
  }

  private unlink(): void {
    if (this.link.state === this.scope.state) this.link.state = null;
  }
}
