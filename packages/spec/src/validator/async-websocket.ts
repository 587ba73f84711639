/**
 * The websocket scope's state machine (spec/async.md "WebSocket"). App side the connection moves
 * `pending` (handshake not answered) -> `open` (websocket.accept sent) -> `closed` (websocket.close
 * sent); server side `receive()` must start with websocket.connect and end with websocket.disconnect.
 *
 * @module
 */
import { type Ev, type Exchange, isIntegerIn, type LooseScope, offers } from './async-exchange.js';
import { checkHeaderList } from './async-headers.js';
import type { Report } from './violation.js';

type Phase = 'pending' | 'open' | 'closed';

/** Whether an endpoint may send `code` in a Close frame (RFC 6455 section 7.4, IANA registry). */
function isSendableCloseCode(code: unknown): boolean {
  return isIntegerIn(code, 1000, 1003) || isIntegerIn(code, 1007, 1014) || isIntegerIn(code, 3000, 4999);
}

const utf8 = new TextEncoder();

/** Checks one websocket scope's events in both directions. */
export class WebSocketExchange implements Exchange {
  readonly goneRule = 'ASYNC-WS-11';
  gone = false;
  private phase: Phase = 'pending';
  /** Whether websocket.accept was sent (receive events may follow even after a close). */
  private accepted = false;
  private connected = false;
  private disconnected = false;
  /** Whether the app sent an event of an extension this validator does not know (it may answer the handshake). */
  private opaque = false;
  private readonly scope: LooseScope;
  private readonly report: Report;

  constructor(scope: LooseScope, report: Report) {
    this.scope = scope;
    this.report = report;
  }

  get complete(): boolean {
    return this.phase === 'closed' || this.disconnected;
  }

  received(event: Ev): void {
    const report = this.report;
    if (this.disconnected && event.type !== 'websocket.disconnect') {
      report('ASYNC-WS-10', 'server', 'receive() returned an event after websocket.disconnect', event.type);
      return;
    }
    if (!this.connected && event.type !== 'websocket.connect') {
      report(
        'ASYNC-WS-3',
        'server',
        'the first event receive() returns is not websocket.connect',
        event.type,
      );
    }
    switch (event.type) {
      case 'websocket.connect':
        if (this.connected) report('ASYNC-WS-3', 'server', 'websocket.connect received twice');
        this.connected = true;
        return;
      case 'websocket.receive':
        if (!this.accepted)
          report('ASYNC-WS-9', 'server', 'websocket.receive before the app accepted the connection');
        this.checkMessage(event, 'server');
        return;
      case 'websocket.disconnect':
        if (!Number.isInteger(event.code)) {
          report('ASYNC-WS-10', 'server', 'websocket.disconnect code is not an integer', event.code);
        }
        if (event.reason !== undefined && typeof event.reason !== 'string') {
          report('ASYNC-WS-10', 'server', 'websocket.disconnect reason is not a string', event.reason);
        }
        this.disconnected = true;
        this.gone = true;
        return;
      default:
        if (!offers(this.scope, event.type)) {
          report(
            'ASYNC-GEN-6',
            'server',
            'receive() returned an event type the websocket scope does not define',
            event.type,
          );
        }
    }
  }

  sending(event: Ev): void {
    const report = this.report;
    switch (event.type) {
      case 'websocket.accept':
        if (this.phase === 'closed')
          report('ASYNC-WS-7', 'app', 'websocket.accept sent after websocket.close');
        else if (this.phase === 'open') report('ASYNC-WS-4', 'app', 'websocket.accept sent twice');
        this.checkAccept(event);
        if (this.phase === 'pending') this.phase = 'open';
        this.accepted = true;
        return;
      case 'websocket.send':
        if (this.phase === 'closed') report('ASYNC-WS-7', 'app', 'websocket.send sent after websocket.close');
        else if (this.phase === 'pending') {
          report('ASYNC-WS-4', 'app', 'websocket.send sent before websocket.accept');
        }
        this.checkMessage(event, 'app');
        return;
      case 'websocket.close':
        if (this.phase === 'closed') report('ASYNC-WS-7', 'app', 'websocket.close sent twice');
        if (event.code !== undefined && !isSendableCloseCode(event.code)) {
          report(
            'ASYNC-WS-8',
            'app',
            'websocket.close code is not a close code an endpoint may send',
            event.code,
          );
        }
        if (
          event.reason !== undefined &&
          (typeof event.reason !== 'string' || utf8.encode(event.reason).byteLength > 123)
        ) {
          report(
            'ASYNC-WS-8',
            'app',
            'websocket.close reason is not a string of at most 123 UTF-8 bytes',
            event.reason,
          );
        }
        this.phase = 'closed';
        return;
      default:
        if (offers(this.scope, event.type)) this.opaque = true;
        else {
          report(
            'ASYNC-GEN-4',
            'app',
            'sent an event type that neither the websocket scope nor an offered extension defines',
            event.type,
          );
        }
    }
  }

  finished(): void {
    if (this.phase === 'pending' && !this.gone && !this.opaque) {
      this.report(
        'ASYNC-WS-12',
        'app',
        'app resolved without answering the handshake (websocket.accept or websocket.close)',
      );
    }
  }

  private checkAccept(event: Ev): void {
    const report = this.report;
    const { subprotocol } = event;
    const offered = this.scope.subprotocols;
    if (
      subprotocol !== undefined &&
      subprotocol !== null &&
      !(typeof subprotocol === 'string' && Array.isArray(offered) && offered.includes(subprotocol))
    ) {
      report('ASYNC-WS-5', 'app', 'websocket.accept subprotocol is not one the client offered', subprotocol);
    }
    if (event.headers === undefined) return;
    checkHeaderList(event.headers, 'app', 'websocket.accept', report, false);
    if (
      Array.isArray(event.headers) &&
      event.headers.some((h) => Array.isArray(h) && String(h[0]).toLowerCase() === 'sec-websocket-protocol')
    ) {
      report('ASYNC-WS-5', 'app', 'websocket.accept headers include sec-websocket-protocol; use subprotocol');
    }
  }

  /** Exactly one of `bytes` (a Uint8Array) and `text` (a string) is set (ASYNC-WS-6). */
  private checkMessage(event: Ev, side: 'app' | 'server'): void {
    const bytes = event.bytes ?? null;
    const text = event.text ?? null;
    const ok =
      (bytes === null) !== (text === null) &&
      (bytes === null || bytes instanceof Uint8Array) &&
      (text === null || typeof text === 'string');
    if (!ok) {
      this.report(
        'ASYNC-WS-6',
        side,
        `${event.type} needs exactly one of bytes (Uint8Array) and text (string)`,
        {
          bytes,
          text,
        },
      );
    }
  }
}
