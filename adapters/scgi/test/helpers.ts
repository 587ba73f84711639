/**
 * Test helpers for @portico/scgi: start a server on a free port with a memory logger and the app
 * under the validator, the variables a web server sends, and a raw connection for the exchanges
 * the client does not do (bytes held back, a body cut short, the socket's write buffer watched).
 */
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { AsyncApp } from '@portico/spec';
import { requestVariables } from '../../../packages/server/test/gateway-cases.js';
import { memoryLogger } from '../../../packages/server/test/memory-logger.js';
import {
  type Running as StartedServer,
  startValidated,
} from '../../../packages/server/test/start-validated.js';
import { parseCGIResponse, type SCGIRequest, type SCGIResponse, scgiRequest } from '../src/client.js';
import { encodeSCGIHead, type SCGIServer, type SCGIServerOptions, serve } from '../src/index.js';

export { memoryLogger };

export type Running = StartedServer<SCGIServer>;

/** Serves `app` (wrapped in the validator) on 127.0.0.1 with a free port; lifespan off unless given. */
export function start(app: AsyncApp, options: SCGIServerOptions = {}): Promise<Running> {
  return startValidated(serve, app, options);
}

/** The variables nginx's `scgi_params` sends for a request (no SCRIPT_NAME or PATH_INFO), plus `extra`. */
export function headersOf(
  method: string,
  uri: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const nginxOwn = (path: string) => ({
    CONTENT_TYPE: '',
    DOCUMENT_URI: path,
    DOCUMENT_ROOT: '/srv/www',
    REQUEST_SCHEME: 'http',
  });
  return requestVariables(method, uri, nginxOwn, extra);
}

/**
 * A `get(uri, extra, more)` that sends a GET of `uri` ({@link headersOf}'s variables plus `extra`,
 * `more` for a body or other request fields) to the server on `running.port` (read at each call).
 */
export function getFrom(running: { readonly port: number }) {
  return (uri: string, extra: Record<string, string> = {}, more: Partial<SCGIRequest> = {}) =>
    scgiRequest({ port: running.port }, { headers: headersOf('GET', uri, extra), ...more });
}

/** The encoded head of a request with {@link headersOf}'s variables and the given CONTENT_LENGTH. */
export function headOf(
  method: string,
  uri: string,
  length: number,
  extra: Record<string, string> = {},
): Buffer {
  return encodeSCGIHead(Object.entries(headersOf(method, uri, extra)), length);
}

/** The JSON body of a response (the scope the test app echoes). */
export const scopeOf = (res: { body: Buffer }) => JSON.parse(res.body.toString());

/** An SCGI head built by hand: `<length>:<content>,` of the given content (a byte string). */
export function netstring(content: string): Buffer {
  return Buffer.from(`${Buffer.byteLength(content, 'latin1')}:${content},`, 'latin1');
}

/** NUL-terminated name-value pairs, for {@link netstring}. */
export function pairs(...list: [string, string][]): string {
  return list.map(([n, v]) => `${n}\0${v}\0`).join('');
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A connection that sends raw bytes and records everything that comes back, with arrival times. */
export class RawConnection {
  readonly socket: Socket;
  readonly chunks: { at: number; bytes: Buffer }[] = [];
  /** Resolves once the socket is closed (by either side). */
  readonly closed: Promise<void>;
  /** Whether the server ended its side (a FIN came). */
  ended = false;
  /** The socket error, if one came (ECONNRESET, EPIPE). */
  error: Error | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (bytes: Buffer) => this.chunks.push({ at: Date.now(), bytes }));
    socket.on('end', () => {
      this.ended = true;
    });
    socket.on('error', (err) => {
      this.error ??= err;
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  /** Connects to `127.0.0.1:port`, or to a unix socket path. */
  static async open(
    where: number | string,
    options: { allowHalfOpen?: boolean } = {},
  ): Promise<RawConnection> {
    const socket =
      typeof where === 'number'
        ? connect({ port: where, host: '127.0.0.1', ...options })
        : connect({ path: where, ...options });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawConnection(socket);
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Everything received so far. */
  get received(): Buffer {
    return Buffer.concat(this.chunks.map((c) => c.bytes));
  }

  /** The response, once the server closed the connection; rejects after `ms`. */
  async response(ms = 5000): Promise<SCGIResponse> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `no close within ${ms} ms; received ${JSON.stringify(this.received.toString('latin1').slice(0, 200))}`,
            ),
          ),
        ms,
      );
    });
    try {
      await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
    const raw = this.received;
    return { ...parseCGIResponse(raw), raw };
  }

  close(): void {
    this.socket.destroy();
  }
}
