/**
 * An in-memory "server" for async-interface tests, after asgiref's `ApplicationCommunicator`: queue
 * the events `receive()` returns, run the app, collect what it sends. Plus factories for valid scopes.
 */
import type {
  AsyncApp,
  HTTPScope,
  LifespanScope,
  ReceiveEvent,
  SendEvent,
  WebSocketScope,
} from '../../src/async-types.js';
import { isPorticoError, PorticoError } from '../../src/errors.js';
import { checkAsyncApp } from '../../src/validator/async.js';
import { type OnViolation, reporter } from '../../src/validator/violation.js';

/** Options of {@link ApplicationCommunicator}. */
export interface CommunicatorOptions {
  /** Called with each event the app sends; its result is what `send()` returns. Default: resolve. */
  send?: (event: SendEvent) => unknown;
  /** Returned by `receive()` once the queue is empty; when absent, `receive()` waits for `input()`. */
  whenEmpty?: ReceiveEvent;
}

/** Runs one app call against queued input and records the output. */
export class ApplicationCommunicator {
  /** Every event the app passed to `send()`, in order (including ones `send()` then rejected). */
  readonly sent: SendEvent[] = [];
  private readonly inbox: ReceiveEvent[] = [];
  private readonly waiting: ((event: ReceiveEvent) => void)[] = [];
  private task: Promise<void> | undefined;
  private readonly app: AsyncApp;
  private readonly scope: unknown;
  private readonly options: CommunicatorOptions;

  constructor(app: AsyncApp, scope: unknown, options: CommunicatorOptions = {}) {
    this.app = app;
    this.scope = scope;
    this.options = options;
  }

  /** Queues an event for `receive()`. */
  input(...events: ReceiveEvent[]): this {
    for (const event of events) {
      const waiter = this.waiting.shift();
      if (waiter) waiter(event);
      else this.inbox.push(event);
    }
    return this;
  }

  /** Starts the app (once) and returns its promise. */
  start(): Promise<void> {
    this.task ??= this.app(
      this.scope as HTTPScope,
      () => {
        if (this.inbox.length > 0) return Promise.resolve(this.inbox.shift() as ReceiveEvent);
        const next = this.options.whenEmpty;
        if (next !== undefined) return Promise.resolve(next);
        return new Promise<ReceiveEvent>((resolve) => this.waiting.push(resolve));
      },
      (event) => {
        this.sent.push(event);
        return (this.options.send ? this.options.send(event) : Promise.resolve()) as Promise<void>;
      },
    );
    return this.task;
  }

  /** Waits for the app to settle, failing after `timeoutMs`. */
  async wait(timeoutMs = 2000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`app did not settle within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.start(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Runs `app` with `scope`, the given input, and returns what it sent; rejects as the app does. */
export async function run(
  app: AsyncApp,
  scope: unknown,
  input: ReceiveEvent[] = [],
  options: CommunicatorOptions = {},
): Promise<SendEvent[]> {
  const c = new ApplicationCommunicator(app, scope, options).input(...input);
  await c.wait();
  return c.sent;
}

/** A `send` option that rejects every event as a server does once the client is gone. */
export function clientGone(): Promise<never> {
  return Promise.reject(new PorticoError('ERR_CLIENT_DISCONNECTED', 'client disconnected'));
}

const SPEC = { version: '1.0', specVersion: '1.0' } as const;

/** A valid http scope for `GET /` (override any key). */
export function httpScope(overrides: Record<string, unknown> = {}): HTTPScope {
  return {
    type: 'http',
    spec: SPEC,
    httpVersion: '1.1',
    method: 'GET',
    scheme: 'http',
    path: '/',
    rawPath: '/',
    queryString: '',
    rootPath: '',
    headers: [['host', 'example.test']],
    client: ['127.0.0.1', 50000],
    server: ['127.0.0.1', 8000],
    state: {},
    extensions: {},
    ...overrides,
  } as HTTPScope;
}

/** A valid websocket scope for `/ws` (override any key). */
export function websocketScope(overrides: Record<string, unknown> = {}): WebSocketScope {
  return {
    type: 'websocket',
    spec: SPEC,
    httpVersion: '1.1',
    scheme: 'ws',
    path: '/ws',
    rawPath: '/ws',
    queryString: '',
    rootPath: '',
    headers: [
      ['host', 'example.test'],
      ['sec-websocket-protocol', 'chat, superchat'],
    ],
    client: ['127.0.0.1', 50000],
    server: ['127.0.0.1', 8000],
    subprotocols: ['chat', 'superchat'],
    state: {},
    extensions: {},
    ...overrides,
  } as WebSocketScope;
}

/** A valid lifespan scope (override any key). */
export function lifespanScope(overrides: Record<string, unknown> = {}): LifespanScope {
  return { type: 'lifespan', spec: SPEC, state: {}, ...overrides } as LifespanScope;
}

/** The body of a one-chunk request. */
export function request(body = '', moreBody = false): ReceiveEvent {
  return { type: 'http.request', body: new TextEncoder().encode(body), moreBody };
}

/** `http.disconnect`. */
export const DISCONNECT: ReceiveEvent = { type: 'http.disconnect' };

/** An app that reads the request and answers 200 "ok" in one body event. */
export const hello: AsyncApp = async (_scope, receive, send) => {
  for (;;) {
    const event = await receive();
    if (event.type !== 'http.request' || !event.moreBody) break;
  }
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
  await send({ type: 'http.response.body', body: new TextEncoder().encode('ok') });
};

/** An app that sends `events` in order, without reading anything. */
export function sender(...events: unknown[]): AsyncApp {
  return async (_scope, _receive, send) => {
    for (const event of events) await send(event as SendEvent);
  };
}

/** Awaits `promise` and returns the spec violation it rejects with; fails when it resolves or rejects otherwise. */
export async function violationOf(promise: Promise<unknown>): Promise<PorticoError> {
  try {
    await promise;
  } catch (err) {
    if (isPorticoError(err, 'ERR_SPEC_VIOLATION')) return err;
    throw err;
  }
  throw new Error('expected a spec violation, but the app call settled cleanly');
}

/** An `onViolation` handler that collects instead of throwing, and the list it fills. */
export function collecting(): { violations: PorticoError[]; onViolation: (err: PorticoError) => void } {
  const violations: PorticoError[] = [];
  return { violations, onViolation: (err) => violations.push(err) };
}

/** Wraps `app` in the async checks alone (no middleware guard), throwing on violations by default. */
export function validate(app: AsyncApp, onViolation?: OnViolation): AsyncApp {
  return checkAsyncApp(app, reporter(onViolation));
}

/** `http.response.start` 200 without headers. */
export const START = { type: 'http.response.start', status: 200, headers: [] } as const;
/** The final `http.response.body`, "ok". */
export const END = { type: 'http.response.body', body: new TextEncoder().encode('ok') } as const;

/** Runs `app` (validated) on `scope` (default: a GET with an empty body) and returns the violation's rule. */
export async function httpRuleOf(
  app: AsyncApp,
  scope: unknown = httpScope(),
  input: ReceiveEvent[] = [request()],
  options: CommunicatorOptions = {},
): Promise<string> {
  const err = await violationOf(run(validate(app), scope, input, options));
  return String(err.rule);
}
