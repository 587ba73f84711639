/**
 * Test helpers for @portico/http: start a server on a free port, talk raw bytes to it, parse what
 * comes back, capture the log.
 */
import { connect, type Socket } from 'node:net';
import type { AsyncApp, HTTPScope } from '@portico/spec';
import { memoryLogger } from '../../../packages/server/test/memory-logger.js';
import { type HTTPServer, type HTTPServerOptions, serve } from '../src/index.js';

export { type LogRecord, memoryLogger } from '../../../packages/server/test/memory-logger.js';

export interface Running {
  server: HTTPServer;
  port: number;
  url: string;
  logger: ReturnType<typeof memoryLogger>;
}

/** Serves `app` on 127.0.0.1 with a free port and a memory logger; lifespan off unless given. */
export async function start(app: AsyncApp, options: HTTPServerOptions = {}): Promise<Running> {
  const logger = memoryLogger();
  const server = await serve(app, { bind: ['127.0.0.1:0'], lifespan: 'off', logger, ...options });
  const url = server.addresses[0]!;
  return { server, url, port: Number(new URL(url).port), logger };
}

export interface Response {
  status: number;
  reason: string;
  version: string;
  headers: [string, string][];
  body: string;
  trailers: [string, string][];
  /** Interim (1xx) responses that came first. */
  interim: { status: number; headers: [string, string][] }[];
}

export function header(res: Response, name: string): string | undefined {
  return res.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

/**
 * Parses one HTTP/1.1 response (after any 1xx) from the front of `data` (latin1). Returns null when
 * it is not complete yet. `head` true: the response has no body (answer to HEAD).
 */
export function parseResponse(data: string, head = false): { response: Response; rest: string } | null {
  const interim: Response['interim'] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) return null;
    const lines = data.slice(at, end).split('\r\n');
    const m = /^HTTP\/(\d\.\d) (\d{3}) ?(.*)$/.exec(lines[0]!);
    if (m === null) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
    const headers = lines.slice(1).map((l) => {
      const c = l.indexOf(':');
      return [l.slice(0, c), l.slice(c + 1).trim()] as [string, string];
    });
    const status = Number(m[2]);
    at = end + 4;
    if (status >= 100 && status < 200) {
      interim.push({ status, headers });
      continue;
    }
    const response: Response = {
      status,
      reason: m[3]!,
      version: m[1]!,
      headers,
      body: '',
      trailers: [],
      interim,
    };
    const get = (n: string) => headers.find(([k]) => k.toLowerCase() === n)?.[1];
    if (head || status === 204 || status === 304) return { response, rest: data.slice(at) };
    const length = get('content-length');
    if (get('transfer-encoding')?.toLowerCase().includes('chunked')) {
      let body = '';
      for (;;) {
        const eol = data.indexOf('\r\n', at);
        if (eol < 0) return null;
        const size = Number.parseInt(data.slice(at, eol), 16);
        at = eol + 2;
        if (size === 0) {
          const tEnd = data.indexOf('\r\n\r\n', at - 2);
          if (tEnd < 0) return null;
          const tLines = data
            .slice(at, tEnd)
            .split('\r\n')
            .filter((l) => l !== '');
          response.trailers = tLines.map((l) => {
            const c = l.indexOf(':');
            return [l.slice(0, c), l.slice(c + 1).trim()] as [string, string];
          });
          response.body = body;
          return { response, rest: data.slice(tEnd + 4) };
        }
        if (data.length < at + size + 2) return null;
        body += data.slice(at, at + size);
        at += size + 2;
      }
    }
    if (length !== undefined) {
      const n = Number(length);
      if (data.length < at + n) return null;
      response.body = data.slice(at, at + n);
      return { response, rest: data.slice(at + n) };
    }
    // no framing: the body runs to the end of the connection; the caller passes complete data
    response.body = data.slice(at);
    return { response, rest: '' };
  }
}

/** A raw client connection that collects everything the server sends. */
export class RawClient {
  readonly socket: Socket;
  data = '';
  closed = false;
  private waiters: (() => void)[] = [];
  private readonly ready: Promise<void>;

  constructor(port: number, path?: string) {
    this.socket = path === undefined ? connect(port, '127.0.0.1') : connect({ path });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('error', () => {});
    this.ready.catch(() => {}); // a refused connection is reported by send(), or inspected by the test
    this.socket.on('data', (chunk: Buffer) => {
      this.data += chunk.toString('latin1');
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async send(bytes: string | Buffer): Promise<void> {
    await this.ready;
    await new Promise<void>((resolve, reject) =>
      this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  /** Waits until `test()` holds, the connection closed, or `ms` passed (then throws). */
  async until(test: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!test()) {
      if (this.closed) return;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out; received so far: ${JSON.stringify(this.data.slice(0, 500))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Reads the next complete response (consuming it from `data`). */
  async response(head = false, ms = 5000): Promise<Response> {
    await this.until(() => parseResponse(this.data, head) !== null, ms);
    const parsed = parseResponse(this.data, head);
    if (parsed === null)
      throw new Error(`connection closed before a whole response: ${JSON.stringify(this.data)}`);
    this.data = parsed.rest;
    return parsed.response;
  }

  async waitClosed(ms = 5000): Promise<void> {
    await this.until(() => this.closed, ms);
    if (!this.closed) throw new Error('still open');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Sends `request` on a fresh connection and returns the first response. */
export async function exchange(port: number, request: string, head = false): Promise<Response> {
  const client = new RawClient(port);
  try {
    await client.send(request);
    return await client.response(head);
  } finally {
    client.close();
  }
}

/** An app that answers with its scope as JSON (rawPath etc. are byte strings: JSON keeps them). */
export const echoScope: AsyncApp = async (scope, receive, send) => {
  if (scope.type !== 'http') throw new Error('unsupported scope type');
  const { extensions, ...rest } = scope as HTTPScope;
  let length = 0;
  for (;;) {
    const event = await receive();
    if (event.type !== 'http.request') break;
    length += event.body.length;
    if (!event.moreBody) break;
  }
  const body = Buffer.from(JSON.stringify({ ...rest, extensions: Object.keys(extensions), length }), 'utf8');
  await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'application/json']] });
  await send({ type: 'http.response.body', body });
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
