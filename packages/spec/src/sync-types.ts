/**
 * The sync interface, as types: `environ`, `startResponse`, the body iterable and the streams.
 * The normative text is `spec/sync.md`; rule ids in these comments (`SYNC-ENV-1`) point there.
 *
 * @module
 */

import type { ByteString, State } from './async-types.js';

/** `portico.input`: the request body as a synchronous reader (spec/sync.md "Input stream"). */
export interface InputStream {
  /**
   * Reads up to `size` bytes (all remaining bytes when `size` is omitted or negative). Returns an
   * empty array at the end of the body, even when CONTENT_LENGTH was absent (SYNC-INPUT-2).
   */
  read(size?: number): Uint8Array;
  /** Reads one line including its trailing `\n`, at most `limit` bytes when given; empty at EOF. */
  readline(limit?: number): Uint8Array;
  /** Reads lines until EOF, or until about `hint` bytes have been read when `hint` > 0. */
  readlines(hint?: number): Uint8Array[];
  /** Iterates over the remaining lines. */
  [Symbol.iterator](): Iterator<Uint8Array>;
}

/** `portico.errors`: a synchronous text writer for error output (spec/sync.md "Error stream"). */
export interface ErrorStream {
  /** Writes a string. */
  write(text: string): void;
  /** Writes each string in turn. */
  writelines(lines: Iterable<string>): void;
  /** Flushes buffered output, where the stream buffers. */
  flush(): void;
}

/** What a file wrapper is given: an open file descriptor, or a path the server opens. */
export type FileLike = { readonly fd: number } | { readonly path: string };

/**
 * `portico.file_wrapper`: wraps a file in an iterable the server may send zero-copy
 * (spec/sync.md "Optional platform-specific file handling").
 *
 * @param file - the file to send
 * @param blockSize - chunk size in bytes when iterated (default 8192)
 */
export type FileWrapper = (file: FileLike, blockSize?: number) => ResponseBody;

/** A response body: a synchronous iterable of byte chunks, optionally with `close()` (SYNC-BODY-*). */
export type ResponseBody = Iterable<Uint8Array> & { close?: () => void };

/** The legacy `write(chunk)` callable `startResponse` returns (spec/sync.md "The write() callable"). */
export type WriteCallable = (chunk: Uint8Array) => void;

/**
 * `startResponse(status, headers, excInfo?)`: `status` is `"200 OK"` (three digits, a space, a reason
 * phrase), `headers` a list of `[name, value]` byte strings. A second call is allowed only with
 * `excInfo`, and rethrows `excInfo` when headers were already sent (SYNC-START-*).
 */
export type StartResponse = (
  status: string,
  headers: Array<[string, string]> | ReadonlyArray<readonly [string, string]>,
  excInfo?: unknown,
) => WriteCallable;

/** The CGI/1.1 meta-variables of RFC 3875 section 4.1 that every environ carries. */
export interface CGIVariables {
  REQUEST_METHOD: string;
  SCRIPT_NAME: string;
  PATH_INFO: string;
  QUERY_STRING: ByteString;
  SERVER_NAME: string;
  SERVER_PORT: string;
  SERVER_PROTOCOL: string;
  CONTENT_TYPE?: ByteString;
  CONTENT_LENGTH?: string;
  REMOTE_ADDR?: string;
  REMOTE_PORT?: string;
  REMOTE_HOST?: string;
  REMOTE_USER?: string;
  AUTH_TYPE?: string;
  GATEWAY_INTERFACE?: string;
  SERVER_SOFTWARE?: string;
  REQUEST_URI?: ByteString;
}

/** The `portico.*` keys of every environ (spec/sync.md "portico.* variables"). */
export interface PorticoVariables {
  'portico.version': readonly [number, number];
  'portico.url_scheme': string;
  'portico.input': InputStream;
  'portico.errors': ErrorStream;
  'portico.multithread': boolean;
  'portico.multiprocess': boolean;
  'portico.run_once': boolean;
  'portico.input_terminated': boolean;
  'portico.file_wrapper'?: FileWrapper;
  /** Per-request state: the same object as the scope's `state` when bridged from the async interface. */
  'portico.state': State;
}

/**
 * The request environment. `HTTP_*` keys carry request headers as byte strings; other keys are
 * allowed (servers' and middleware's own, namespaced with a dot).
 */
export type Environ = CGIVariables &
  PorticoVariables & {
    [key: `HTTP_${string}`]: ByteString | undefined;
    [key: string]: unknown;
  };

/**
 * A sync-interface application: called once per request with the environ and `startResponse`,
 * returns the body iterable (spec/sync.md "Applications").
 */
export type SyncApp = (environ: Environ, startResponse: StartResponse) => ResponseBody;
