import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AsyncApp, HTTPReceiveEvent } from '@portico/spec';
import { validateAsync } from '@portico/spec';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { rule } from '../../../packages/server/test/rule.js';
import { exchange, header, RawClient, type Running, sleep, start } from './helpers.js';

let running: Running | null = null;
afterEach(async () => {
  await running?.server.close();
  running = null;
});
async function serveApp(app: AsyncApp, options = {}): Promise<Running> {
  running = await start(validateAsync(app), options);
  return running;
}

/** Reads the whole body; returns the events' sizes and moreBody flags. */
async function drain(receive: () => Promise<unknown>): Promise<{ sizes: number[]; last: boolean[] }> {
  const sizes: number[] = [];
  const last: boolean[] = [];
  for (;;) {
    const e = (await receive()) as HTTPReceiveEvent;
    if (e.type !== 'http.request') break;
    sizes.push(e.body.length);
    last.push(!e.moreBody);
    if (!e.moreBody) break;
  }
  return { sizes, last };
}

describe('request bodies', () => {
  it('delivers a Content-Length body with moreBody false on its last piece, and no extra event', async () => {
    let seen: { sizes: number[]; last: boolean[] } | undefined;
    const { port } = await serveApp(async (scope, receive, send) => {
      if (scope.type !== 'http') throw new Error('unsupported');
      seen = await drain(receive);
      await send({ type: 'http.response.start', status: 204 });
      await send({ type: 'http.response.body' });
    });
    const res = await exchange(port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello');
    expect(res.status).toBe(204);
    expect(seen?.sizes.reduce((a, b) => a + b, 0)).toBe(5);
    expect(seen?.last.at(-1)).toBe(true);
    expect(seen?.sizes.at(-1)).toBeGreaterThan(0);
  });

  it('de-chunks a chunked upload', async () => {
    let got = '';
    const { port } = await serveApp(async (scope, receive, send) => {
      if (scope.type !== 'http') throw new Error('unsupported');
      for (;;) {
        const e = await receive();
        if (e.type !== 'http.request') break;
        got += Buffer.from(e.body).toString();
        if (!e.moreBody) break;
      }
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: Buffer.from(got) });
    });
    const client = new RawClient(port);
    await client.send('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
    await sleep(20);
    await client.send('4\r\ndefg\r\n0\r\n\r\n');
    const res = await client.response();
    client.close();
    expect(res.body).toBe('abcdefg');
  });

  rule(
    'SRV-FLOW-2',
    'does not read the socket while the app does not receive()',
    async () => {
      const total = 64 * 1024 * 1024;
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let received = 0;
      const { port } = await serveApp(async (scope, receive, send) => {
        if (scope.type !== 'http') throw new Error('unsupported');
        await gate;
        for (;;) {
          const e = await receive();
          if (e.type !== 'http.request') break;
          received += e.body.length;
          if (!e.moreBody) break;
        }
        await send({ type: 'http.response.start', status: 200 });
        await send({ type: 'http.response.body', body: Buffer.from(String(received)) });
      });
      const client = new RawClient(port);
      await client.send(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${total}\r\n\r\n`);
      const chunk = Buffer.alloc(1024 * 1024, 'u');
      let written = 0;
      let blocked = false;
      // Write until the socket pushes back for a while: the server is not reading.
      while (written < total) {
        if (!client.socket.write(chunk)) {
          const drained = await Promise.race([
            new Promise((r) => client.socket.once('drain', () => r(true))),
            sleep(500).then(() => false),
          ]);
          if (!drained) {
            blocked = true;
            break;
          }
        }
        written += chunk.length;
      }
      expect(blocked).toBe(true);
      // what left the client sits in kernel buffers and node's 16 KiB high-water mark: far below the total
      expect(client.socket.bytesWritten).toBeLessThan(total / 2);
      release();
      client.socket.on('drain', function more() {
        while (written < total && client.socket.write(chunk)) written += chunk.length;
        if (written < total) written += chunk.length;
      });
      client.socket.emit('drain');
      // 64 MiB through loopback: generous under a loaded CI machine (it failed at 20 s once).
      const res = await client.response(false, 60_000);
      client.close();
      expect(res.body).toBe(String(total));
    },
    90_000,
  );

  it('reports http.disconnect when the client leaves mid-request', async () => {
    let last: string | undefined;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    const { port } = await serveApp(async (scope, receive) => {
      if (scope.type !== 'http') throw new Error('unsupported');
      try {
        for (;;) {
          const e = await receive();
          last = e.type;
          if (e.type !== 'http.request' || !e.moreBody) break;
        }
      } finally {
        resolveDone();
      }
    });
    const client = new RawClient(port);
    await client.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly a part');
    await sleep(50);
    client.close();
    await done;
    expect(last).toBe('http.disconnect');
  });

  rule('SRV-REQ-6', 'sends 100 Continue only when the app first calls receive()', async () => {
    let calledReceiveAt = 0;
    const { port } = await serveApp(async (scope, receive, send) => {
      if (scope.type !== 'http') throw new Error('unsupported');
      await sleep(150);
      calledReceiveAt = Date.now();
      const { sizes } = await drain(receive);
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: Buffer.from(String(sizes.reduce((a, b) => a + b, 0))) });
    });
    const client = new RawClient(port);
    await client.send('PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
    await client.until(() => client.data.includes('100 Continue'));
    const continuedAt = Date.now();
    expect(client.data).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    expect(calledReceiveAt).toBeGreaterThan(0);
    expect(continuedAt).toBeGreaterThanOrEqual(calledReceiveAt);
    await client.send('data');
    const res = await client.response();
    client.close();
    expect(res.interim.map((i) => i.status)).toEqual([100]);
    expect(res.body).toBe('4');
  });

  rule(
    'SRV-REQ-6',
    'an app that answers without reading never sends 100, and the connection is not reused',
    async () => {
      const { port } = await serveApp(async (scope, _receive, send) => {
        if (scope.type !== 'http') throw new Error('unsupported');
        await send({ type: 'http.response.start', status: 403 });
        await send({ type: 'http.response.body', body: Buffer.from('no') });
      });
      const client = new RawClient(port);
      await client.send('PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
      const res = await client.response();
      expect(res.interim).toEqual([]);
      expect(res.status).toBe(403);
      expect(header(res, 'connection')).toBe('close');
      await client.waitClosed();
    },
  );
});

describe('responses', () => {
  rule('SRV-FLOW-1', 'send() waits while a client does not read; memory stays bounded', async () => {
    let sent = 0;
    let finished = false;
    const chunk = Buffer.alloc(256 * 1024, 'r');
    const total = 512 * 1024 * 1024;
    const { port } = await serveApp(async (scope, _receive, send) => {
      if (scope.type !== 'http') throw new Error('unsupported');
      await send({ type: 'http.response.start', status: 200, headers: [['content-length', String(total)]] });
      while (sent < total) {
        await send({ type: 'http.response.body', body: chunk, moreBody: sent + chunk.length < total });
        sent += chunk.length;
      }
      finished = true;
    });
    const client = new RawClient(port);
    client.socket.pause();
    await client.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await sleep(500);
    const stalledAt = sent;
    await sleep(300);
    expect(sent).toBe(stalledAt); // nothing moves while the client does not read
    expect(stalledAt).toBeLessThan(64 * 1024 * 1024); // kernel buffers + high-water mark, not the body
    let bytes = 0;
    client.socket.removeAllListeners('data');
    client.socket.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    client.socket.resume();
    const t0 = Date.now();
    while (!finished && Date.now() - t0 < 20000) await sleep(20);
    expect(finished).toBe(true);
    while (bytes < total && Date.now() - t0 < 20000) await sleep(20);
    expect(bytes).toBeGreaterThan(total);
    client.close();
  });

  rule('SRV-RESP-1', 'HEAD gets the headers and no body', async () => {
    const { port } = await serveApp(async (scope, _receive, send) => {
      if (scope.type !== 'http') throw new Error('unsupported');
      await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
      await send({ type: 'http.response.body', body: Buffer.from('hello') });
    });
    const client = new RawClient(port);
    await client.send('HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const head = await client.response(true);
    expect(header(head, 'content-length')).toBe('5');
    const get = await client.response();
    expect(get.body).toBe('hello'); // the HEAD response had no body bytes, or this would be garbled
    client.close();
  });

  it('keeps the connection alive between requests and answers pipelined requests in order', async () => {
    const { port } = await serveApp(async (scope, _receive, send) => {
      if (scope.type !== 'http') throw new Error('unsupported');
      const path = (scope as { path: string }).path;
      if (path === '/slow') await sleep(50);
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: Buffer.from(path) });
    });
    const client = new RawClient(port);
    await client.send('GET /one HTTP/1.1\r\nHost: a\r\n\r\n');
    expect((await client.response()).body).toBe('/one');
    await client.send('GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\n\r\n');
    expect((await client.response()).body).toBe('/slow');
    expect((await client.response()).body).toBe('/fast');
    expect(client.closed).toBe(false);
    client.close();
  });

  it('streams chunks as they are sent', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { port } = await serveApp(async (scope, _receive, send) => {
      if (scope.type !== 'http') throw new Error('unsupported');
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: Buffer.from('first;'), moreBody: true });
      await gate;
      await send({ type: 'http.response.body', body: Buffer.from('second') });
    });
    const client = new RawClient(port);
    await client.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await client.until(() => client.data.includes('first;'));
    expect(client.data).toContain('Transfer-Encoding: chunked');
    release();
    const res = await client.response();
    expect(res.body).toBe('first;second');
    client.close();
  });

  it('sends trailers after a chunked body', async () => {
    const { port } = await serveApp(async (scope, _receive, send) => {
      if (scope.type !== 'http') throw new Error('unsupported');
      await send({
        type: 'http.response.start',
        status: 200,
        trailers: true,
        headers: [['trailer', 'x-checksum']],
      });
      await send({ type: 'http.response.body', body: Buffer.from('data') });
      await send({ type: 'http.response.trailers', headers: [['x-checksum', 'abc123']] });
    });
    const res = await exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(res.body).toBe('data');
    expect(res.trailers).toEqual([['x-checksum', 'abc123']]);
  });

  it('sends 103 Early Hints before the response', async () => {
    const { port } = await serveApp(async (scope, _receive, send) => {
      if (scope.type !== 'http') throw new Error('unsupported');
      await send({
        type: 'http.response.early_hints',
        headers: [
          ['link', '</a.css>; rel=preload; as=style'],
          ['link', '</b.js>; rel=preload; as=script'],
        ],
      });
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: Buffer.from('page') });
    });
    const res = await exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(res.interim).toHaveLength(1);
    expect(res.interim[0]!.status).toBe(103);
    expect(res.interim[0]!.headers.map(([, v]) => v).join(',')).toContain('</a.css>; rel=preload; as=style');
    expect(res.body).toBe('page');
  });

  describe('path send', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-http-file-'));
    const file = join(dir, 'f.txt');
    writeFileSync(file, 'x'.repeat(100_000));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('sends the file with its content-length', async () => {
      const { port } = await serveApp(async (scope, _receive, send) => {
        if (scope.type !== 'http') throw new Error('unsupported');
        await send({ type: 'http.response.start', status: 200, headers: [['content-type', 'text/plain']] });
        await send({ type: 'http.response.pathsend', path: file });
      });
      const res = await exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      expect(header(res, 'content-length')).toBe('100000');
      expect(res.body).toBe('x'.repeat(100_000));
    });
  });
});

describe('keep-alive after a partly read body', () => {
  it('discards the unread rest of the body so the next request on the connection is served', async () => {
    const { port } = await serveApp(async (scope, receive, send) => {
      if (scope.type !== 'http') throw new Error('unsupported');
      if (scope.method === 'POST') {
        await receive(); // reads one piece of a large body, lets more arrive, then answers
        await sleep(100);
      }
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: Buffer.from(scope.method) });
    });
    const client = new RawClient(port);
    const size = 32 * 1024 * 1024;
    await client.send(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\n\r\n`);
    client.socket.write(Buffer.alloc(size, 'b'));
    expect((await client.response()).body).toBe('POST');
    await client.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect((await client.response()).body).toBe('GET');
    client.close();
  });
});
