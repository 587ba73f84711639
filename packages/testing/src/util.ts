/**
 * Small helpers shared by the test client's modules (not exported from the package).
 *
 * @module
 */

import { type AsyncApp, PorticoError, type Receive, type Scope, type Send } from '@portico/spec';

/** A promise with its `resolve` / `reject` exposed. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

/** Makes a {@link Deferred}. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Marks `promise` as handled (no unhandled-rejection warning) and returns it unchanged. */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/**
 * Copies `bytes` into a new plain `Uint8Array` (not `.slice()`: on a node `Buffer` that is a view).
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out;
}

/** Concatenates byte chunks into one new plain `Uint8Array`. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return copyBytes(chunks[0] as Uint8Array);
  let size = 0;
  for (const c of chunks) size += c.byteLength;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** An empty byte array (never written to). */
export const EMPTY = new Uint8Array(0);

/** Shared UTF-8 encoder. */
export const utf8Encoder = new TextEncoder();

/**
 * The error a `send()` rejects with once the client is gone (spec/async.md, `send()` after the client
 * left: a `PorticoError` with code `ERR_CLIENT_DISCONNECTED`).
 */
export function clientDisconnected(): PorticoError {
  return new PorticoError('ERR_CLIENT_DISCONNECTED', 'the client disconnected');
}

/**
 * An event the test client, acting as the server, cannot accept. The validator (on by default) names
 * the broken rule; this is the server's own refusal when the validator is off, so it carries no id.
 */
export function refused(what: string, value?: unknown): PorticoError {
  return new PorticoError('ERR_SPEC_VIOLATION', `test client refused the event: ${what}`, {
    side: 'app',
    value,
  });
}

/**
 * Calls `app` once for `scope` and reports how the call settled: `failed` is true when it threw
 * (synchronously or by rejecting), with the error in `error`.
 */
export function callApp(
  app: AsyncApp,
  scope: Scope,
  receive: Receive,
  send: Send,
  settled: (failed: boolean, error: unknown) => void,
): void {
  let call: Promise<void>;
  try {
    call = Promise.resolve(app(scope, receive, send));
  } catch (err) {
    call = Promise.reject(err);
  }
  call.then(
    () => settled(false, undefined),
    (err: unknown) => settled(true, err),
  );
}
