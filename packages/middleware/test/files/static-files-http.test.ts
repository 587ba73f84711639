/**
 * staticFiles() behind the real HTTP adapter (node:http, 127.0.0.1, an ephemeral port): the server
 * offers `http.response.pathsend`, so whole files go out through the server's file sender.
 */
import { connect } from 'node:net';
// The adapter is not a dependency of @portico/middleware: imported from its source.
import { type HTTPServer, serve } from '@portico/http';
import { type AsyncApp, type Send, validateAsync } from '@portico/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticFiles } from '../../src/files/index.js';
import { containsBytes, fallbackAsync, makeFixture } from './fixtures.js';

const fx = makeFixture();
const types: string[] = [];
let server: HTTPServer;
let base: string;

/** Records the event types the middleware sends to the server. */
const recorded: AsyncApp = async function recordedApp(scope, receive, send) {
  const spySend: Send = (event) => {
    types.push(event.type);
    return send(event);
  };
  return validateAsync(staticFiles({ root: fx.root, fallthrough: false })(fallbackAsync))(
    scope,
    receive,
    spySend,
  );
};

beforeAll(async () => {
  server = await serve(recorded, { bind: ['127.0.0.1:0'], lifespan: 'off' });
  base = server.addresses[0] as string;
});

afterAll(async () => {
  await server.close();
  fx.cleanup();
});

/** Sends `GET <target>` exactly as written (no dot-segment removal) and returns the raw response. */
function rawGet(target: string): Promise<Buffer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    });
    const parts: Buffer[] = [];
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.on('end', () => resolve(Buffer.concat(parts)));
    socket.on('error', reject);
  });
}

describe('staticFiles() over the real HTTP adapter', () => {
  it('sends a 5 MiB file intact through http.response.pathsend', async () => {
    types.length = 0;
    const res = await fetch(`${base}/big.bin`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(fx.big.length));
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(Buffer.from(fx.big))).toBe(true);
    expect(types).toEqual(['http.response.start', 'http.response.pathsend']);
  });

  it('streams a range as body events', async () => {
    types.length = 0;
    const res = await fetch(`${base}/big.bin`, { headers: { range: 'bytes=100-300099' } });
    expect([res.status, res.headers.get('content-range')]).toEqual([
      206,
      `bytes 100-300099/${fx.big.length}`,
    ]);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(Buffer.from(fx.big.subarray(100, 300100)))).toBe(true);
    expect(types[0]).toBe('http.response.start');
    expect(types.slice(1).every((t) => t === 'http.response.body')).toBe(true);
    expect(types.length).toBe(1 + Math.ceil(300000 / 65536));
  });

  it('answers 304 and HEAD without a body', async () => {
    const first = await fetch(`${base}/hello.txt`);
    const etag = first.headers.get('etag') as string;
    expect(await first.text()).toBe(fx.text);
    const again = await fetch(`${base}/hello.txt`, { headers: { 'if-none-match': etag } });
    expect([again.status, again.headers.get('etag'), await again.text()]).toEqual([304, etag, '']);
    const head = await fetch(`${base}/hello.txt`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([
      200,
      String(Buffer.byteLength(fx.text)),
      '',
    ]);
  });

  it('refuses traversal sent on the wire', async () => {
    for (const target of [
      '/../outside/secret.txt',
      '/%2e%2e/outside/secret.txt',
      '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/link-out',
    ]) {
      const raw = await rawGet(target);
      expect([target, raw.subarray(0, 12).toString('latin1')]).toEqual([target, 'HTTP/1.1 404']);
      expect(containsBytes(raw, fx.secret)).toBe(false);
      expect(containsBytes(raw, 'root:')).toBe(false);
    }
  });
});
