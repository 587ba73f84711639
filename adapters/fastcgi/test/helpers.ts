/**
 * Test helpers for @portico/fastcgi: start a server on a free port with a memory logger, and talk
 * raw records to it (for the exchanges the client does not do: a body sent in pieces, an abort at a
 * chosen moment, bytes that are not FastCGI).
 */
import { connect, type Socket } from 'node:net';
import type { AsyncApp } from '@portico/spec';
import { requestVariables } from '../../../packages/server/test/gateway-cases.js';
import { memoryLogger } from '../../../packages/server/test/memory-logger.js';
import {
  type Running as StartedServer,
  startValidated,
} from '../../../packages/server/test/start-validated.js';
import { parseCgiHead } from '../src/client.js';
import {
  encodeBeginRequest,
  encodeNameValuePairs,
  encodeStream,
  type FastCGIServer,
  type FastCGIServerOptions,
  FCGI_END_REQUEST,
  FCGI_KEEP_CONN,
  FCGI_PARAMS,
  FCGI_RESPONDER,
  FCGI_STDIN,
  FCGI_STDOUT,
  RecordDecoder,
  serve,
} from '../src/index.js';
import { decodeEndRequest } from '../src/record-codec.js';

export { memoryLogger };

export type Running = StartedServer<FastCGIServer>;

/** Serves `app` (wrapped in the validator) on 127.0.0.1 with a free port; lifespan off unless given. */
export function start(app: AsyncApp, options: FastCGIServerOptions = {}): Promise<Running> {
  return startValidated(serve, app, options);
}

/** The usual params of a request (SCRIPT_NAME empty, PATH_INFO the path), plus `extra`. */
export function paramsOf(
  method: string,
  uri: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return requestVariables(method, uri, (path) => ({ SCRIPT_NAME: '', PATH_INFO: path }), extra);
}

/** FCGI_BEGIN_REQUEST + the whole FCGI_PARAMS stream (ended) of a request. */
export function beginWithParams(
  id: number,
  params: Record<string, string>,
  keepConn = true,
  role = FCGI_RESPONDER,
): Buffer {
  return Buffer.concat([
    encodeBeginRequest(id, role, keepConn ? FCGI_KEEP_CONN : 0),
    encodeStream(FCGI_PARAMS, id, encodeNameValuePairs(Object.entries(params))),
    encodeStream(FCGI_PARAMS, id, new Uint8Array(0)),
  ]);
}

/** FCGI_STDIN records for `bytes` (an empty `bytes` is the stream's end record). */
export function stdin(id: number, bytes: Uint8Array): Buffer {
  return encodeStream(FCGI_STDIN, id, bytes);
}

export interface RawRecord {
  type: number;
  requestId: number;
  content: Buffer;
}

/** A connection that sends raw bytes and records everything that comes back. */
export class RawConnection {
  readonly socket: Socket;
  readonly records: RawRecord[] = [];
  readonly closed: Promise<void>;
  private waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    const decoder = new RecordDecoder((type, requestId, content) => {
      this.records.push({ type, requestId, content: Buffer.from(content) });
      this.wake();
    });
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        resolve();
        this.wake();
      }),
    );
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawConnection(socket);
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Resolves once `check` holds (checked after every record and at close); rejects after `ms`. */
  async until(check: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out; records: ${this.records.map((r) => `${r.type}/${r.requestId}`).join(' ')}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The END_REQUEST of request `id`, once it came. */
  async endOf(id: number, ms = 5000): Promise<{ appStatus: number; protocolStatus: number }> {
    await this.until(() => this.records.some((r) => r.type === FCGI_END_REQUEST && r.requestId === id), ms);
    return decodeEndRequest(
      this.records.find((r) => r.type === FCGI_END_REQUEST && r.requestId === id)!.content,
    );
  }

  /** STDOUT of request `id` so far, concatenated. */
  stdout(id: number): Buffer {
    return Buffer.concat(
      this.records.filter((r) => r.type === FCGI_STDOUT && r.requestId === id).map((r) => r.content),
    );
  }

  /** The CGI response of request `id` (after its END_REQUEST). */
  async response(
    id: number,
  ): Promise<ReturnType<typeof parseCgiHead> & { appStatus: number; protocolStatus: number }> {
    const end = await this.endOf(id);
    return { ...parseCgiHead(this.stdout(id)), ...end };
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
