/**
 * A RequestCycle over an in-memory "wire", for testing the shared cycle without sockets.
 */
import type { AsyncApp, HeaderList, HTTPScope } from '@portico/spec';
import { type CycleContext, RequestCycle } from '../src/cycle.js';
import type { Logger } from '../src/logger.js';

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown> | undefined;
}

export function memoryLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const at =
    (level: LogRecord['level']) =>
    (message: string, fields?: Record<string, unknown>): void => {
      records.push({ level, message, fields });
    };
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export type WireOp =
  | { op: 'head'; status: number; headers: HeaderList; body: string; end: boolean }
  | { op: 'body'; body: string; end: boolean }
  | { op: 'trailers'; headers: HeaderList }
  | { op: 'hints'; headers: HeaderList }
  | { op: 'abort' };

export interface FakeOptions {
  isHead?: boolean;
  hasBody?: boolean;
  trailers?: boolean;
  maxBodySize?: number;
  /** writeHead / writeBody return this (false: the cycle must wait for drained()). */
  writable?: boolean;
}

export class FakeCycle extends RequestCycle {
  readonly wire: WireOp[] = [];
  reads: string[] = [];
  writable: boolean;
  drainRequested = 0;

  constructor(
    readonly logger: Logger & { records: LogRecord[] },
    options: FakeOptions = {},
    accessLog: CycleContext['accessLog'] = null,
  ) {
    super(
      { logger, maxBodySize: options.maxBodySize ?? 1024 * 1024, accessLog },
      options.isHead ?? false,
      options.hasBody ?? false,
      options.trailers ?? true,
    );
    this.writable = options.writable ?? true;
  }

  /** Everything written, as the bytes a client would see after the head (body bytes only). */
  get bodyText(): string {
    return this.wire.map((w) => ('body' in w ? w.body : '')).join('');
  }

  protected writeHead(status: number, headers: HeaderList, body: Uint8Array, end: boolean): boolean {
    this.wire.push({ op: 'head', status, headers, body: Buffer.from(body).toString('latin1'), end });
    return this.writable;
  }
  protected writeBody(chunk: Uint8Array, end: boolean): boolean {
    this.wire.push({ op: 'body', body: Buffer.from(chunk).toString('latin1'), end });
    return this.writable;
  }
  protected writeTrailers(headers: HeaderList): void {
    this.wire.push({ op: 'trailers', headers });
  }
  protected writeEarlyHints(headers: HeaderList): void {
    this.wire.push({ op: 'hints', headers });
  }
  protected awaitDrain(): void {
    this.drainRequested++;
  }
  protected startReading(): void {
    this.reads.push('start');
  }
  protected pauseReading(): void {
    this.reads.push('pause');
  }
  protected resumeReading(): void {
    this.reads.push('resume');
  }
  protected abortConnection(): void {
    this.wire.push({ op: 'abort' });
  }
}

export function scope(overrides: Partial<HTTPScope> = {}): HTTPScope {
  return {
    type: 'http',
    spec: { version: '1.0', specVersion: '1.0' },
    httpVersion: '1.1',
    method: 'GET',
    scheme: 'http',
    path: '/p',
    rawPath: '/p',
    queryString: '',
    rootPath: '',
    headers: [],
    client: ['127.0.0.1', 1234],
    server: ['127.0.0.1', 8000],
    state: {},
    extensions: {},
    ...overrides,
  };
}

/** Runs `app` on a fresh FakeCycle and returns it once the app settled. */
export async function runApp(app: AsyncApp, options: FakeOptions = {}): Promise<FakeCycle> {
  const cycle = new FakeCycle(memoryLogger(), options);
  await cycle.run(app, scope());
  return cycle;
}

export const text = (s: string): Uint8Array => Buffer.from(s, 'latin1');
