/**
 * The code of the worker thread behind `asyncToSync`. It is a string (run from a `data:` URL), not a
 * file next to this one, so it runs the same from `src/` (tests) and from `dist/`, and so it depends
 * on nothing: it cannot import this package (from `src/` that would be TypeScript).
 *
 * Protocol (every message carries `t`; `id` names a call). The worker posts on its port and then
 * bumps `signal[0]` and `Atomics.notify`s it, so the blocked caller wakes and reads the message with
 * `receiveMessageOnPort`.
 * - caller -> worker: `call {id, scope}`, `body {id, body, more}` (answer to `pull`),
 *   `ack {id}` (a body chunk was taken), `disconnect {id}`, `shutdown`.
 * - worker -> caller: `ready`, `fatal {kind: load|lifespan|crash, error}`, `pull {id}`,
 *   `start {id, status, headers}`, `body {id, body, more}`, `end {id}`, `error {id, error}`,
 *   `closed {error}` (lifespan shutdown done; error is a message or null).
 *
 * @module
 */

/**
 * Source of the worker, an ES module. It runs from a `data:` URL, which Node always loads as ESM
 * (whatever `--input-type` the parent's `execArgv`, inherited by the worker, says).
 */
export const WORKER_SOURCE = `import { workerData } from 'node:worker_threads';

const { port, signal, url, exportName, override } = workerData;
const view = new Int32Array(signal);
const EMPTY = new Uint8Array(0);
const SPEC = { version: '1.0', specVersion: '1.0' };

function post(message, transfer) {
  port.postMessage(message, transfer);
  Atomics.add(view, 0, 1);
  Atomics.notify(view, 0);
}

function porticoError(code, message) {
  const err = new Error(message);
  err.name = 'PorticoError';
  err.code = code;
  return err;
}

// Whatever the app threw, describing it never throws (a getter that throws, no prototype, a
// revoked proxy): a throw here would be an uncaught exception that ends the bridge.
function field(err, key) {
  try {
    const v = err[key];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function text(v) {
  try {
    return String(v);
  } catch {
    try {
      return Object.prototype.toString.call(v);
    } catch {
      return '[unprintable value]';
    }
  }
}

function serialize(err) {
  if (err !== null && (typeof err === 'object' || typeof err === 'function')) {
    return {
      name: field(err, 'name') ?? 'Error',
      message: field(err, 'message') ?? text(err),
      stack: field(err, 'stack'),
      code: field(err, 'code'),
    };
  }
  return { name: 'Error', message: text(err) };
}

process.on('uncaughtException', (err) => {
  post({ t: 'fatal', kind: 'crash', error: serialize(err) });
  process.exit(1);
});
process.on('exit', () => {
  post({ t: 'fatal', kind: 'crash', error: { name: 'Error', message: 'the worker running the async app exited' } });
});

let app = null;
let lifespan = null;
const calls = new Map();

function detect(fn) {
  if (override === 'sync' || override === 'async') return override;
  const mark = fn[Symbol.for('portico.interface')];
  if (mark === 'sync' || mark === 'async') return mark;
  if (Object.prototype.toString.call(fn) === '[object AsyncFunction]') return 'async';
  if (fn.length === 3) return 'async';
  if (fn.length === 2) return 'sync';
  return 'unknown';
}

async function load() {
  let ns;
  try {
    ns = await import(url);
  } catch (err) {
    const e = serialize(err);
    return 'cannot load module ' + url + ': ' + e.name + ': ' + e.message;
  }
  const name = exportName === undefined ? 'default' : exportName;
  let fn;
  if (Object.prototype.hasOwnProperty.call(ns, name)) fn = ns[name];
  else if (name !== 'default' && ns.default !== null && (typeof ns.default === 'object' || typeof ns.default === 'function') && Object.prototype.hasOwnProperty.call(ns.default, name)) fn = ns.default[name];
  else {
    const names = Object.keys(ns);
    return 'module ' + url + " has no export '" + name + "'; " + (names.length === 0 ? 'it has no exports' : 'its exports: ' + names.join(', '));
  }
  const what = "export '" + name + "' of " + url;
  if (typeof fn !== 'function') return what + ' is not an app: it is ' + (fn === null ? 'null' : typeof fn);
  const kind = detect(fn);
  if (kind === 'sync') return what + ' is a sync app: call it directly, asyncToSync bridges async apps';
  if (kind !== 'async') return what + ': cannot tell its interface (' + fn.length + ' parameters); mark it with asyncApp()';
  app = fn;
  return null;
}

// Lifespan (spec/async.md "Lifespan"): startup before the first request; an app that throws or
// returns before completing startup does not support lifespan, and requests go on without it.
function startLifespan() {
  const state = {};
  let onStartup;
  let onShutdown;
  let requestShutdown;
  const startup = new Promise((resolve) => (onStartup = resolve));
  const shutdown = new Promise((resolve) => (onShutdown = resolve));
  const shutdownEvent = new Promise((resolve) => (requestShutdown = resolve));
  let received = 0;
  let supported = true;
  const receive = () => (++received === 1 ? Promise.resolve({ type: 'lifespan.startup' }) : shutdownEvent);
  const send = async (event) => {
    const type = event !== null && typeof event === 'object' ? event.type : undefined;
    if (type === 'lifespan.startup.complete') onStartup(null);
    else if (type === 'lifespan.startup.failed') onStartup(text(event.message || 'lifespan startup failed'));
    else if (type === 'lifespan.shutdown.complete') onShutdown(null);
    else if (type === 'lifespan.shutdown.failed') onShutdown(text(event.message || 'lifespan shutdown failed'));
    else throw porticoError('ERR_SPEC_VIOLATION', 'unexpected event in a lifespan scope: ' + text(type));
  };
  Promise.resolve()
    .then(() => app({ type: 'lifespan', spec: SPEC, state }, receive, send))
    .then(
      () => {
        supported = false;
        onStartup(null);
        onShutdown(null);
      },
      (err) => {
        supported = false;
        onStartup(null);
        onShutdown('lifespan shutdown failed: ' + serialize(err).message);
      },
    );
  return startup.then((failure) => ({
    failure,
    state,
    shutdown() {
      if (!supported) return Promise.resolve(null);
      requestShutdown({ type: 'lifespan.shutdown' });
      return shutdown;
    },
  }));
}

class Call {
  constructor(id) {
    this.id = id;
    this.requestDone = false;
    this.pulling = false;
    this.started = false;
    this.ended = false;
    this.gone = false;
    this.waiters = [];
    this.acks = [];
    this.receive = () => this.onReceive();
    // send() always returns a promise: an event whose fields throw when read is a rejection too.
    this.send = (event) => {
      try {
        return this.onSend(event);
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }

  onReceive() {
    if (this.gone || this.ended) return Promise.resolve({ type: 'http.disconnect' });
    const waiter = new Promise((resolve) => this.waiters.push(resolve));
    this.pull();
    return waiter;
  }

  pull() {
    if (!this.requestDone && !this.pulling && this.waiters.length > 0) {
      this.pulling = true;
      post({ t: 'pull', id: this.id });
    }
  }

  deliver(body, more) {
    this.pulling = false;
    if (!more) this.requestDone = true;
    const resolve = this.waiters.shift();
    if (resolve !== undefined) resolve({ type: 'http.request', body, moreBody: more });
    if (this.ended) this.releaseWaiters();
    else this.pull();
  }

  releaseWaiters() {
    for (const resolve of this.waiters.splice(0)) resolve({ type: 'http.disconnect' });
  }

  onSend(event) {
    if (this.gone) return Promise.reject(porticoError('ERR_CLIENT_DISCONNECTED', 'the client is gone'));
    const type = event !== null && typeof event === 'object' ? event.type : undefined;
    if (type === 'http.response.start') {
      if (this.started) return Promise.reject(porticoError('ERR_SPEC_VIOLATION', 'http.response.start sent twice'));
      const status = event.status;
      if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
        return Promise.reject(porticoError('ERR_SPEC_VIOLATION', 'http.response.start status must be an integer 200..599 (ASYNC-HTTP-6): a 1xx is no final response'));
      }
      const given = event.headers === undefined ? [] : event.headers;
      if (!Array.isArray(given) || !given.every((h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string')) {
        return Promise.reject(porticoError('ERR_SPEC_VIOLATION', 'http.response.start headers must be [name, value] pairs of strings (ASYNC-HDR-1)'));
      }
      this.started = true;
      // Plain copies: only strings cross to the caller's thread.
      post({ t: 'start', id: this.id, status, headers: given.map((h) => [h[0], h[1]]) });
      return Promise.resolve();
    }
    if (type === 'http.response.body') {
      if (!this.started) return Promise.reject(porticoError('ERR_SPEC_VIOLATION', 'http.response.body sent before http.response.start'));
      if (this.ended) return Promise.reject(porticoError('ERR_SPEC_VIOLATION', 'http.response.body sent after the body ended'));
      const more = event.moreBody === true;
      const body = event.body === undefined ? EMPTY : event.body;
      if (!(body instanceof Uint8Array)) return Promise.reject(porticoError('ERR_SPEC_VIOLATION', 'http.response.body: body must be a Uint8Array'));
      if (more && body.byteLength === 0) return Promise.resolve();
      // Copy the bytes exactly (a view may sit in a large pooled buffer) and hand the copy over.
      const copy = Uint8Array.prototype.slice.call(body);
      post({ t: 'body', id: this.id, body: copy, more }, [copy.buffer]);
      if (!more) {
        this.ended = true;
        this.releaseWaiters();
        return Promise.resolve();
      }
      return new Promise((resolve, reject) => this.acks.push({ resolve, reject }));
    }
    return Promise.reject(porticoError('ERR_SPEC_VIOLATION', 'event not supported under asyncToSync (no extensions are offered): ' + text(type)));
  }

  acked() {
    const ack = this.acks.shift();
    if (ack !== undefined) ack.resolve();
  }

  disconnect() {
    this.gone = true;
    calls.delete(this.id);
    this.releaseWaiters();
    for (const ack of this.acks.splice(0)) ack.reject(porticoError('ERR_CLIENT_DISCONNECTED', 'the client is gone'));
  }

  finish(err) {
    for (const ack of this.acks.splice(0)) ack.resolve();
    if (this.gone) return;
    calls.delete(this.id);
    this.gone = true;
    this.releaseWaiters();
    if (err === null) post({ t: 'end', id: this.id });
    else post({ t: 'error', id: this.id, error: serialize(err) });
  }
}

function startCall(id, scope) {
  const call = new Call(id);
  calls.set(id, call);
  scope.state = Object.assign({}, lifespan === null ? {} : lifespan.state);
  scope.extensions = {};
  Promise.resolve()
    .then(() => app(scope, call.receive, call.send))
    .then(
      () => call.finish(null),
      (err) => call.finish(err === undefined || err === null ? new Error('the app threw ' + String(err)) : err),
    );
}

port.on('message', (m) => {
  const call = m.id === undefined ? undefined : calls.get(m.id);
  if (m.t === 'call') startCall(m.id, m.scope);
  else if (m.t === 'body') {
    if (call !== undefined) call.deliver(m.body, m.more);
  } else if (m.t === 'ack') {
    if (call !== undefined) call.acked();
  } else if (m.t === 'disconnect') {
    if (call !== undefined) call.disconnect();
  } else if (m.t === 'shutdown') {
    (lifespan === null ? Promise.resolve(null) : lifespan.shutdown()).then((error) => post({ t: 'closed', error }));
  }
});

load().then(async (problem) => {
  if (problem !== null) return post({ t: 'fatal', kind: 'load', error: { name: 'Error', message: problem } });
  lifespan = await startLifespan();
  if (lifespan.failure !== null) post({ t: 'fatal', kind: 'lifespan', error: { name: 'Error', message: lifespan.failure } });
  else post({ t: 'ready' });
});
`;

let url: URL | undefined;

/** The worker's URL: {@link WORKER_SOURCE} as a `data:` URL (built once, at first use). */
export function workerURL(): URL {
  url ??= new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`);
  return url;
}
