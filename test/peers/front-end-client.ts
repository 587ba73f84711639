/**
 * The client side of the front-end harness tests (frontends-*.test.ts): one HTTP request on a fresh
 * connection with the arrival time of each body chunk, the checks made of its reply, and the hooks
 * that start one front end for a describe block.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect } from 'vitest';

/** What came back. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** ms after the request was sent when each body chunk arrived. */
  arrivals: number[];
}

/** A request of {@link httpRequest}. */
export interface ReplyRequest {
  /** Default: GET. */
  method?: string;
  /** Sent with `content-type: application/octet-stream` and a Content-Length (unless `chunked`). */
  body?: Buffer;
  /**
   * `Transfer-Encoding: chunked` and no Content-Length: `true` sends the body in two writes 50 ms
   * apart (the first 1000 bytes, then the rest), `'one-write'` in one.
   */
  chunked?: boolean | 'one-write';
  /** Extra header fields (after content-type, so they can replace it); an array value goes out as repeated lines. */
  headers?: Record<string, string | string[]>;
}

/**
 * One HTTP/1.1 request on a fresh connection (no agent pooling, so stopping a front end never waits
 * on an idle client connection). Rejects when no answer came in 10 s.
 */
export function httpRequest(url: string, options: ReplyRequest = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const headers: Record<string, string | string[]> = {
      ...(options.body === undefined ? {} : { 'content-type': 'application/octet-stream' }),
      ...options.headers,
    };
    if (options.body !== undefined && !options.chunked)
      headers['content-length'] = String(options.body.length);
    if (options.chunked) headers['transfer-encoding'] = 'chunked';
    const req = request(url, { method: options.method ?? 'GET', agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      const arrivals: number[] = [];
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        arrivals.push(Date.now() - started);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), arrivals }),
      );
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url} in 10 s`)));
    req.on('error', reject);
    const body = options.body;
    if (body === undefined) req.end();
    else if (options.chunked !== true) req.end(body);
    else {
      req.write(body.subarray(0, 1000));
      setTimeout(() => req.end(body.subarray(1000)), 50);
    }
  });
}

/** The reply's JSON body; asserts status 200 first, the message showing the body and `logs()`. */
export function jsonOf<T>(reply: Reply, logs: () => string = () => ''): T {
  expect(reply.status, `${reply.body.toString()}\n--- front end logs ---\n${logs()}`).toBe(200);
  return JSON.parse(reply.body.toString()) as T;
}

/**
 * Three lines sent 200 ms apart (`chunk 1\n` .. `chunk 3\n`) must arrive spread out: in at least
 * three pieces, the last at least 300 ms after the first, not in one piece at the end (a buffering
 * front end delivers them together).
 */
export function expectStreamed(reply: Reply): void {
  expect(reply.status).toBe(200);
  expect(reply.body.toString()).toBe('chunk 1\nchunk 2\nchunk 3\n');
  expect(reply.arrivals.length).toBeGreaterThanOrEqual(3);
  expect(reply.arrivals.at(-1)! - reply.arrivals[0]!).toBeGreaterThanOrEqual(300);
}

/** A started front end under test. */
export interface FrontEnd {
  baseUrl: string;
  /** Its logs so far, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Registers hooks that start a front end with `start` before the block's tests and stop it after
 * them; returns a view whose `baseUrl` and `logs` read the started one (in tests and hooks only).
 */
export function frontEndFor(start: () => Promise<FrontEnd>): FrontEnd {
  let frontEnd: FrontEnd | undefined;
  beforeAll(async () => {
    frontEnd = await start();
  });
  afterAll(async () => {
    await frontEnd?.stop();
  });
  return {
    get baseUrl() {
      return frontEnd!.baseUrl;
    },
    logs: () => frontEnd?.logs() ?? '',
    stop: async () => frontEnd?.stop(),
  };
}
