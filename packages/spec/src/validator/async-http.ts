/**
 * The http scope's state machine (spec/async.md "HTTP", spec/extensions.md): the events `receive()`
 * resolves to (server side) and the events the app sends (app side), in order.
 *
 * App side, the response moves through four phases:
 * `head` (nothing sent but early hints) -> `body` (after http.response.start) -> `trailers` (after the
 * final body, when trailers were announced) -> `done`.
 *
 * @module
 */
import { type Ev, type Exchange, isIntegerIn, type LooseScope, offers } from './async-exchange.js';
import { checkPathsendPath } from './async-extensions.js';
import { checkHeaderList } from './async-headers.js';
import type { Report } from './violation.js';

type Phase = 'head' | 'body' | 'trailers' | 'done';

/** Checks one http scope's events in both directions. */
export class HTTPExchange implements Exchange {
  readonly goneRule = 'ASYNC-HTTP-9';
  gone = false;
  private phase: Phase = 'head';
  /** Whether trailers were announced with `trailers: true`. */
  private announced = false;
  /** Whether an http.response.body was sent (path send must come instead of body events). */
  private bodySent = false;
  /** Whether the app sent an event of an extension this validator does not know (it may end the response). */
  private opaque = false;
  /** Whether the last http.request (moreBody false) was received. */
  private requestDone = false;
  private disconnected = false;
  private readonly scope: LooseScope;
  private readonly report: Report;

  constructor(scope: LooseScope, report: Report) {
    this.scope = scope;
    this.report = report;
  }

  get complete(): boolean {
    return this.phase === 'done';
  }

  received(event: Ev, late: boolean): void {
    const report = this.report;
    if (late && event.type !== 'http.disconnect') {
      report(
        'ASYNC-HTTP-11',
        'server',
        'receive() called after the response was complete did not return http.disconnect',
        event.type,
      );
      return;
    }
    switch (event.type) {
      case 'http.request':
        if (this.disconnected)
          report('ASYNC-HTTP-10', 'server', 'http.request received after http.disconnect');
        else if (this.requestDone) {
          report('ASYNC-HTTP-10', 'server', 'http.request received after the last one (moreBody: false)');
        }
        if (!(event.body instanceof Uint8Array)) {
          report('ASYNC-HTTP-3', 'server', 'http.request body is not a Uint8Array', event.body);
        }
        if (typeof event.moreBody !== 'boolean') {
          report('ASYNC-HTTP-3', 'server', 'http.request moreBody is not a boolean', event.moreBody);
        }
        if (event.moreBody !== true) this.requestDone = true;
        return;
      case 'http.disconnect':
        this.disconnected = true;
        if (this.phase !== 'done') this.gone = true;
        return;
      default:
        if (!offers(this.scope, event.type)) {
          report(
            'ASYNC-GEN-6',
            'server',
            'receive() returned an event type the http scope does not define',
            event.type,
          );
        }
    }
  }

  sending(event: Ev): void | Promise<void> {
    switch (event.type) {
      case 'http.response.start':
        return this.start(event);
      case 'http.response.body':
        return this.body(event);
      case 'http.response.trailers':
        return this.trailers(event);
      case 'http.response.early_hints':
        return this.earlyHints(event);
      case 'http.response.pathsend':
        return this.pathsend(event);
      default:
        if (offers(this.scope, event.type)) this.opaque = true;
        else {
          this.report(
            'ASYNC-GEN-4',
            'app',
            'sent an event type that neither the http scope nor an offered extension defines',
            event.type,
          );
        }
    }
  }

  finished(): void {
    if (this.phase === 'done' || this.gone || this.opaque) return;
    const what =
      this.phase === 'head'
        ? 'app resolved without sending a response (no http.response.start)'
        : this.phase === 'body'
          ? 'app resolved before the final http.response.body (moreBody: false)'
          : 'app resolved without sending the trailers it announced';
    this.report('ASYNC-HTTP-12', 'app', what);
  }

  private start(event: Ev): void {
    const report = this.report;
    if (this.phase !== 'head') report('ASYNC-HTTP-5', 'app', 'http.response.start sent twice');
    const status = event.status;
    if (!isIntegerIn(status, 200, 599)) {
      report(
        'ASYNC-HTTP-6',
        'app',
        'http.response.start status is not an integer 200..599 (a final status; 1xx are not responses)',
        status,
      );
    }
    if (event.headers !== undefined)
      checkHeaderList(event.headers, 'app', 'http.response.start', report, false);
    if (event.trailers !== undefined && typeof event.trailers !== 'boolean') {
      report('ASYNC-HTTP-7', 'app', 'http.response.start trailers is not a boolean', event.trailers);
    }
    if (event.trailers === true && !offers(this.scope, 'http.response.trailers')) {
      report('EXT-TRAILERS-1', 'app', 'trailers: true but the server does not offer http.response.trailers');
    }
    if (this.phase === 'head') {
      this.phase = 'body';
      this.announced = event.trailers === true;
    }
  }

  private body(event: Ev): void {
    const report = this.report;
    if (this.phase === 'head') {
      report('ASYNC-HTTP-4', 'app', 'http.response.body sent before http.response.start');
    } else if (this.phase !== 'body') {
      report('ASYNC-HTTP-8', 'app', 'http.response.body sent after the final body (moreBody: false)');
    }
    const { body, moreBody } = event;
    if (typeof body === 'string') {
      report('ASYNC-HTTP-7', 'app', 'http.response.body body is a string; send bytes (TextEncoder)', body);
    } else if (body !== undefined && !(body instanceof Uint8Array)) {
      report('ASYNC-HTTP-7', 'app', 'http.response.body body is not a Uint8Array', body);
    }
    if (moreBody !== undefined && typeof moreBody !== 'boolean') {
      report('ASYNC-HTTP-7', 'app', 'http.response.body moreBody is not a boolean', moreBody);
    }
    if (this.phase === 'body') {
      this.bodySent = true;
      if (moreBody !== true) this.phase = this.announced ? 'trailers' : 'done';
    }
  }

  private trailers(event: Ev): void {
    const report = this.report;
    if (!offers(this.scope, 'http.response.trailers')) {
      report(
        'EXT-TRAILERS-1',
        'app',
        'http.response.trailers sent but the server does not offer the extension',
      );
    } else if (!this.announced) {
      report(
        'EXT-TRAILERS-2',
        'app',
        'http.response.trailers sent without trailers: true in http.response.start',
      );
    } else if (this.phase === 'done') {
      report(
        'ASYNC-HTTP-8',
        'app',
        'http.response.trailers sent after the last trailers (moreTrailers: false)',
      );
    } else if (this.phase !== 'trailers') {
      report('EXT-TRAILERS-2', 'app', 'http.response.trailers sent before the final body (moreBody: false)');
    }
    if (event.headers !== undefined)
      checkHeaderList(event.headers, 'app', 'http.response.trailers', report, false);
    if (event.moreTrailers !== undefined && typeof event.moreTrailers !== 'boolean') {
      report(
        'EXT-TRAILERS-3',
        'app',
        'http.response.trailers moreTrailers is not a boolean',
        event.moreTrailers,
      );
    }
    if (this.phase === 'trailers' && event.moreTrailers !== true) this.phase = 'done';
  }

  private earlyHints(event: Ev): void {
    const report = this.report;
    if (!offers(this.scope, 'http.response.early_hints')) {
      report(
        'EXT-HINTS-1',
        'app',
        'http.response.early_hints sent but the server does not offer the extension',
      );
    }
    if (this.phase !== 'head') {
      report('EXT-HINTS-2', 'app', 'http.response.early_hints sent after http.response.start');
    }
    checkHeaderList(event.headers, 'app', 'http.response.early_hints', report, false);
  }

  private pathsend(event: Ev): Promise<void> {
    const report = this.report;
    if (!offers(this.scope, 'http.response.pathsend')) {
      report(
        'EXT-PATHSEND-1',
        'app',
        'http.response.pathsend sent but the server does not offer the extension',
      );
    }
    if (this.phase === 'head' || (this.phase === 'body' && this.bodySent)) {
      report(
        'EXT-PATHSEND-2',
        'app',
        'http.response.pathsend must follow http.response.start, with no body event',
      );
    } else if (this.phase !== 'body') {
      report('ASYNC-HTTP-8', 'app', 'http.response.pathsend sent after the response body was complete');
    }
    if (this.phase === 'body') this.phase = this.announced ? 'trailers' : 'done';
    return checkPathsendPath(event.path, report);
  }
}
