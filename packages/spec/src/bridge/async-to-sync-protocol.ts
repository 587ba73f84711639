/**
 * The messages between `asyncToSync`'s caller thread and its worker (the worker's side is
 * `async-to-sync-worker.ts`), and the state of one call on the caller's side.
 *
 * @module
 */
import { PorticoError } from '../errors.js';
import type { InputStream } from '../sync-types.js';

/** What the worker posts. */
export type WorkerMessage =
  | { t: 'ready' }
  | { t: 'fatal'; kind: 'load' | 'lifespan' | 'crash'; error: SerializedError }
  | { t: 'closed'; error: string | null }
  | { t: 'pull'; id: number }
  | { t: 'start'; id: number; status: number; headers: Array<[string, string]> }
  | { t: 'body'; id: number; body: Uint8Array; more: boolean }
  | { t: 'end'; id: number }
  | { t: 'error'; id: number; error: SerializedError };

/** The messages that belong to one call. */
export type CallMessage = Extract<WorkerMessage, { t: 'start' | 'body' | 'end' | 'error' }>;

/** An error as it crosses from the worker. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/** One call in flight, on the caller's side. */
export interface Call {
  readonly id: number;
  readonly input: InputStream;
  /** CONTENT_LENGTH, `-1` when absent. */
  readonly contentLength: number;
  readBytes: number;
  readonly inbox: CallMessage[];
  /** An error raised on the caller's side while serving a `pull` (reading `portico.input`). */
  error: unknown;
}

export const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** Rebuilds an error that crossed from the worker. */
export function revive(e: SerializedError): Error {
  const err =
    e.code !== undefined
      ? new PorticoError(e.code, e.message)
      : Object.assign(new Error(e.message), { name: e.name });
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}
