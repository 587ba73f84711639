/**
 * A recording SCGI backend: shows exactly what an SCGI front end put on the wire, which a WSGI
 * app behind uWSGI (uwsgi.ts) cannot (its environ is a dict: no order, no repeated names). Each
 * connection's header block is decoded in order, duplicates kept, CONTENT_LENGTH bytes of body
 * are read, and the answer is a JSON {@link ScgiCapture}. Not a reference backend: a probe for
 * the front-end harnesses, written from the SCGI spec (Neil Schemenauer, 2008-06-23).
 */
import { createHash } from 'node:crypto';
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import type { FcgiBackend } from './backend.js';

/** What the probe answers: the header block as sent and the body it read. */
export interface ScgiCapture {
  /** The netstring's length prefix as sent (decimal digits). */
  netstringLength: string;
  /** Every name-value pair in the order sent (latin-1 decoded: one char a byte). */
  headers: [string, string][];
  /** The first CONTENT_LENGTH bytes after the header block: length and hex SHA-256. */
  body: { length: number; sha256: string };
}

/** A running probe. */
export interface RunningScgiCapture {
  /** Where it listens (a unix socket is made 0666 so Apache's www-data children can connect). */
  address: FcgiBackend;
  /** Closes the listener and every open connection. */
  stop(): Promise<void>;
}

/**
 * Starts the probe on `listen` (default a free port on 127.0.0.1). A connection whose bytes are
 * not a netstring header block, or that ends before CONTENT_LENGTH body bytes, is answered with
 * `Status: 400` and the reason.
 */
export async function startScgiCapture(
  listen: { port: number } | { path: string } = { port: 0 },
): Promise<RunningScgiCapture> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    void capture(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('path' in listen) server.listen(listen.path, resolve);
    else server.listen(listen.port, '127.0.0.1', resolve);
  });
  if ('path' in listen) chmodSync(listen.path, 0o666);
  const bound = server.address();
  const address: FcgiBackend =
    'path' in listen
      ? { path: listen.path }
      : { host: '127.0.0.1', port: typeof bound === 'object' && bound !== null ? bound.port : 0 };
  return {
    address,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          if ('path' in listen) rmSync(listen.path, { force: true });
          resolve();
        });
      }),
  };
}

/** Reads one request from `socket` and answers it. */
async function capture(socket: Socket): Promise<void> {
  let buffered = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    wake?.();
  });
  const onEnd = () => {
    ended = true;
    wake?.();
  };
  socket.once('end', onEnd);
  socket.once('close', onEnd);
  /** Resolves once `buffered` holds `bytes` bytes, or with false when the peer ended first. */
  const need = async (bytes: number): Promise<boolean> => {
    while (buffered.length < bytes && !ended) await new Promise<void>((r) => (wake = r));
    return buffered.length >= bytes;
  };
  const fail = (reason: string): void => {
    socket.end(`Status: 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n${reason}\n`);
  };

  let colon = -1;
  while (colon === -1) {
    colon = buffered.indexOf(0x3a);
    if (colon === -1 && (buffered.length > 10 || !(await need(buffered.length + 1))))
      return fail('no netstring length');
  }
  const netstringLength = buffered.toString('latin1', 0, colon);
  if (!/^(0|[1-9][0-9]*)$/.test(netstringLength)) return fail(`bad netstring length ${netstringLength}`);
  const blockEnd = colon + 1 + Number(netstringLength);
  if (!(await need(blockEnd + 1)) || buffered[blockEnd] !== 0x2c) return fail('no netstring end');
  const fields = buffered.toString('latin1', colon + 1, blockEnd).split('\0');
  if (fields.pop() !== '' || fields.length % 2 !== 0) return fail('unterminated header');
  const headers: [string, string][] = [];
  for (let i = 0; i < fields.length; i += 2) headers.push([fields[i]!, fields[i + 1]!]);
  const declared = Number(headers.find(([name]) => name === 'CONTENT_LENGTH')?.[1] ?? '0');
  if (!Number.isSafeInteger(declared) || declared < 0) return fail('bad CONTENT_LENGTH');
  if (!(await need(blockEnd + 1 + declared))) return fail('body shorter than CONTENT_LENGTH');
  const body = buffered.subarray(blockEnd + 1, blockEnd + 1 + declared);
  const reply: ScgiCapture = {
    netstringLength,
    headers,
    body: { length: body.length, sha256: createHash('sha256').update(body).digest('hex') },
  };
  socket.end(`Status: 200 OK\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(reply)}\n`);
}
