/**
 * A websocket session between the test and the app (spec/async.md "WebSocket"), without frames:
 * messages go straight to the app's `receive()` and come back from its `send()`.
 *
 * @module
 */

import type {
  AsyncApp,
  HeaderList,
  SendEvent,
  WebSocketReceiveEventUnion,
  WebSocketScope,
} from '@portico/spec';
import { isPorticoError, PorticoError } from '@portico/spec';
import { callApp, clientDisconnected, copyBytes, type Deferred, deferred, handled, refused } from './util.js';

/** How a websocket ended: the close code (RFC 6455 section 7.4) and reason. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

function closedError(info: CloseInfo): PorticoError {
  return new PorticoError(
    'ERR_WEBSOCKET_CLOSED',
    `the app closed the websocket (code ${info.code}${info.reason === '' ? '' : `, ${info.reason}`})`,
    { value: info },
  );
}

type Message = string | Uint8Array;

/** The state of one websocket connection, shared by the app side and the {@link TestWebSocket}. */
export class WebSocketSession {
  readonly scope: WebSocketScope;
  readonly accepted = deferred<void>();
  readonly settled = deferred<void>();
  readonly violations: PorticoError[] = [];
  subprotocol: string | null = null;
  headers: HeaderList = [];
  appClosed: CloseInfo | null = null;
  testClosed: CloseInfo | null = null;
  private readonly raiseAppErrors: boolean;
  private phase: 'connecting' | 'open' | 'closed' = 'connecting';
  private connectSent = false;
  private readonly inbox: Message[] = [];
  private readonly outbox: Message[] = [];
  private appWaiter: Deferred<void> | null = null;
  private testWaiter: Deferred<void> | null = null;
  private appSettled = false;
  private appError: unknown = undefined;
  private appFailed = false;

  constructor(scope: WebSocketScope, raiseAppErrors: boolean) {
    this.scope = scope;
    this.raiseAppErrors = raiseAppErrors;
    handled(this.accepted.promise);
  }

  /** Calls the app. */
  run(app: AsyncApp): void {
    callApp(app, this.scope, this.receive, this.send, (failed, error) => {
      this.appFailed = failed;
      this.appError = error;
      this.onSettled();
    });
  }

  /** What the session failed with, once the app settled, or `undefined` (see the HTTP exchange). */
  failure(): unknown {
    if (this.violations.length > 0) return this.violations[0];
    if (this.appFailed && this.raiseAppErrors) {
      if (!(this.testClosed !== null && isPorticoError(this.appError, 'ERR_CLIENT_DISCONNECTED')))
        return this.appError;
    }
    return undefined;
  }

  private wake(which: 'app' | 'test'): void {
    const w = which === 'app' ? this.appWaiter : this.testWaiter;
    if (which === 'app') this.appWaiter = null;
    else this.testWaiter = null;
    w?.resolve();
  }

  private onSettled(): void {
    this.appSettled = true;
    if (this.phase === 'connecting') {
      this.accepted.reject(
        this.failure() ?? closedError({ code: 1006, reason: 'the app returned without accepting' }),
      );
    }
    this.settled.resolve();
    this.wake('test');
  }

  /** Queues a message for the app (`websocket.receive`). */
  push(message: Message): void {
    if (this.testClosed !== null)
      throw new PorticoError('ERR_WEBSOCKET_CLOSED', 'the test closed this websocket');
    this.inbox.push(message);
    this.wake('app');
  }

  /** The client closes: the app's `receive()` returns `websocket.disconnect` with `info`. */
  close(info: CloseInfo): void {
    if (this.testClosed !== null) return;
    this.testClosed = info;
    this.wake('app');
  }

  /** The next message the app sent; `null` when no more can come (the app closed or returned). */
  async take(): Promise<Message | null> {
    for (;;) {
      const m = this.outbox.shift();
      if (m !== undefined) return m;
      if (this.appClosed !== null || this.appSettled || this.testClosed !== null) return null;
      this.testWaiter = deferred<void>();
      await this.testWaiter.promise;
    }
  }

  private readonly receive = async (): Promise<WebSocketReceiveEventUnion> => {
    if (!this.connectSent) {
      this.connectSent = true;
      return { type: 'websocket.connect' };
    }
    for (;;) {
      const m = this.inbox.shift();
      if (m !== undefined) {
        return typeof m === 'string'
          ? { type: 'websocket.receive', text: m }
          : { type: 'websocket.receive', bytes: m };
      }
      const end = this.testClosed ?? this.appClosed;
      if (end !== null) return { type: 'websocket.disconnect', code: end.code, reason: end.reason };
      this.appWaiter = deferred<void>();
      await this.appWaiter.promise;
    }
  };

  private readonly send = async (event: SendEvent): Promise<void> => {
    if (this.testClosed !== null) throw clientDisconnected();
    if (typeof event !== 'object' || event === null) throw refused('an event must be an object', event);
    switch (event.type) {
      case 'websocket.accept':
        if (this.phase !== 'connecting') throw refused(`websocket.accept in state ${this.phase}`, event);
        this.phase = 'open';
        this.subprotocol = event.subprotocol ?? null;
        this.headers = event.headers ?? [];
        this.accepted.resolve();
        return;
      case 'websocket.send': {
        if (this.phase !== 'open') throw refused(`websocket.send in state ${this.phase}`, event);
        const { bytes, text } = event;
        const hasBytes = bytes !== undefined && bytes !== null;
        const hasText = text !== undefined && text !== null;
        if (hasBytes === hasText) throw refused('websocket.send needs exactly one of bytes and text', event);
        if (hasBytes && !(bytes instanceof Uint8Array)) throw refused('bytes must be a Uint8Array', bytes);
        if (hasText && typeof text !== 'string') throw refused('text must be a string', text);
        this.outbox.push(hasBytes ? copyBytes(bytes as Uint8Array) : (text as string));
        this.wake('test');
        return;
      }
      case 'websocket.close': {
        if (this.phase === 'closed') throw refused('websocket.close sent twice', event);
        const info = { code: event.code ?? 1000, reason: event.reason ?? '' };
        this.appClosed = info;
        // Closing before accept refuses the handshake (a server answers 403).
        if (this.phase === 'connecting') this.accepted.reject(closedError(info));
        this.phase = 'closed';
        this.wake('test');
        this.wake('app');
        return;
      }
      default:
        throw refused(`unknown event type ${JSON.stringify((event as { type?: unknown }).type)}`, event);
    }
  };
}

/**
 * The test's side of a websocket, handed over once the app accepted (`websocket.accept`).
 * Messages the test sends reach the app's `receive()` as `websocket.receive`; messages the app
 * sends are read with `receive*()` in order.
 */
export class TestWebSocket {
  readonly #session: WebSocketSession;

  /** @internal Made by the client when the app accepts. */
  constructor(session: WebSocketSession) {
    this.#session = session;
  }

  /** The subprotocol the app chose in `websocket.accept`, or `null`. */
  get subprotocol(): string | null {
    return this.#session.subprotocol;
  }

  /** The extra headers the app sent with `websocket.accept`. */
  get headers(): HeaderList {
    return this.#session.headers;
  }

  /** How the app closed the connection (`websocket.close`), or `null` while it has not. */
  get closeInfo(): CloseInfo | null {
    return this.#session.appClosed;
  }

  /**
   * Sends a text (string) or binary (bytes) message to the app.
   *
   * @throws PorticoError `ERR_WEBSOCKET_CLOSED` after {@link TestWebSocket.close}
   */
  send(data: string | Uint8Array): void {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new PorticoError('ERR_INVALID_OPTION', 'a websocket message is a string or a Uint8Array');
    }
    this.#session.push(data);
  }

  /** Sends `value` as a JSON text message. */
  sendJson(value: unknown): void {
    this.send(JSON.stringify(value));
  }

  /**
   * The next message the app sent: a string for text, a `Uint8Array` for bytes.
   *
   * @throws PorticoError `ERR_WEBSOCKET_CLOSED` (with `value` the {@link CloseInfo}) when the app
   *   closed, or returned (code 1006), before sending another; the app's error or a violation when
   *   the session failed with one
   */
  async receive(): Promise<string | Uint8Array> {
    const s = this.#session;
    const m = await s.take();
    if (m !== null) return m;
    if (s.appClosed === null) await s.settled.promise;
    const f = s.failure();
    if (f !== undefined) throw f;
    throw closedError(s.appClosed ?? s.testClosed ?? { code: 1006, reason: '' });
  }

  /** The next message, which must be text. @throws PorticoError `ERR_INVALID_OPTION` for bytes */
  async receiveText(): Promise<string> {
    const m = await this.receive();
    if (typeof m !== 'string')
      throw new PorticoError('ERR_INVALID_OPTION', 'expected a text message, got bytes');
    return m;
  }

  /** The next message, which must be bytes. @throws PorticoError `ERR_INVALID_OPTION` for text */
  async receiveBytes(): Promise<Uint8Array> {
    const m = await this.receive();
    if (typeof m === 'string')
      throw new PorticoError('ERR_INVALID_OPTION', 'expected a bytes message, got text');
    return m;
  }

  /** The next message parsed as JSON (text, or bytes as UTF-8). */
  async receiveJson<T = unknown>(): Promise<T> {
    const m = await this.receive();
    return JSON.parse(typeof m === 'string' ? m : new TextDecoder().decode(m)) as T;
  }

  /**
   * Closes the connection from the client's side (`websocket.disconnect` with `code` and `reason`
   * reaches the app) and waits for the app to return.
   *
   * @param code - close code, default 1000 (RFC 6455 section 7.4.1)
   * @throws the app's error (when `raiseAppErrors`) or a violation the session failed with
   */
  async close(code = 1000, reason = ''): Promise<void> {
    this.#session.close({ code, reason });
    await this.#session.settled.promise;
    const f = this.#session.failure();
    if (f !== undefined) throw f;
  }
}
