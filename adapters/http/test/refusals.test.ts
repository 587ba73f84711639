import type { AsyncApp } from '@portico/spec';
import { validateAsync } from '@portico/spec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rule } from '../../../packages/server/test/rule.js';
import { exchange, header, RawClient, type Running, sleep, start } from './helpers.js';

let calls = 0;
const counting: AsyncApp = async (scope, receive, send) => {
  if (scope.type !== 'http') throw new Error('unsupported');
  calls++;
  for (;;) {
    const e = await receive();
    if (e.type !== 'http.request' || !e.moreBody) break;
  }
  await send({ type: 'http.response.start', status: 200 });
  await send({ type: 'http.response.body', body: Buffer.from('ok') });
};

describe('requests the adapter refuses (spec/servers.md "Requests the server refuses")', () => {
  let s: Running;
  beforeAll(async () => {
    s = await start(validateAsync(counting), { maxHeadersCount: 10, maxHeaderSize: 2048, maxBodySize: 1000 });
  });
  afterAll(async () => {
    await s.server.close();
  });

  async function refused(request: string, status: number): Promise<void> {
    const before = calls;
    const client = new RawClient(s.port);
    await client.send(request);
    const res = await client.response();
    expect(res.status).toBe(status);
    await client.waitClosed();
    expect(calls).toBe(before);
  }

  rule('SRV-REQ-1', 'a duplicate Host is refused with 400 and the connection closed', async () => {
    await refused('GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n', 400);
  });

  rule('SRV-REQ-2', 'a duplicate Content-Length is refused with 400 (llhttp and the adapter)', async () => {
    await refused('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc', 400);
    await refused('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc', 400);
    await refused('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400);
  });

  rule('SRV-REQ-3', 'Content-Length with Transfer-Encoding is refused with 400', async () => {
    await refused(
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      400,
    );
    await refused(
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      400,
    );
  });

  rule('SRV-REQ-5', 'more header fields than maxHeadersCount get 431', async () => {
    const fields = Array.from({ length: 12 }, (_, i) => `X-H${i}: v\r\n`).join('');
    await refused(`GET / HTTP/1.1\r\nHost: a\r\n${fields}\r\n`, 431);
    const ok = await exchange(s.port, `GET / HTTP/1.1\r\nHost: a\r\n${fields.slice(0, 9 * 8)}\r\n`);
    expect(ok.status).toBe(200);
  });

  rule('SRV-REQ-5', 'a head larger than maxHeaderSize gets 431', async () => {
    const client = new RawClient(s.port);
    await client.send(`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(3000)}\r\n\r\n`);
    const res = await client.response();
    expect(res.status).toBe(431);
  });

  rule(
    'SRV-REQ-4',
    'a Content-Length over maxBodySize gets 413 at once, without reading the body',
    async () => {
      const before = calls;
      const client = new RawClient(s.port);
      await client.send('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000\r\n\r\npartial');
      const res = await client.response();
      expect(res.status).toBe(413);
      expect(header(res, 'connection')).toBe('close');
      await client.waitClosed();
      expect(calls).toBe(before);
    },
  );

  rule('SRV-REQ-4', 'with Expect: 100-continue the 413 comes instead of 100 Continue', async () => {
    const client = new RawClient(s.port);
    await client.send('PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n');
    const res = await client.response();
    expect(res.interim).toEqual([]);
    expect(res.status).toBe(413);
    await client.waitClosed();
  });

  rule(
    'SRV-REQ-4',
    'a chunked body that grows over maxBodySize gets 413 and the connection closed',
    async () => {
      const client = new RawClient(s.port);
      await client.send('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = `200\r\n${'y'.repeat(0x200)}\r\n`;
      await client.send(chunk);
      await sleep(20);
      await client.send(chunk + chunk); // 1536 bytes > 1000
      const res = await client.response();
      expect(res.status).toBe(413);
      await client.waitClosed();
    },
  );

  it('the server goes on after refusals', async () => {
    const res = await exchange(s.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(res.status).toBe(200);
    expect(res.body).toBe('ok');
  });
});

describe('timeouts', () => {
  rule(
    'SRV-LIMIT-2',
    'headersTimeout answers 408 and closes a connection whose head never completes',
    async () => {
      const { server, port } = await start(validateAsync(counting), {
        headersTimeout: 300,
        requestTimeout: 300,
      });
      try {
        const client = new RawClient(port);
        await client.send('GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ');
        const t0 = Date.now();
        const res = await client.response(false, 5000);
        expect(res.status).toBe(408);
        await client.waitClosed();
        expect(Date.now() - t0).toBeLessThan(3000);
      } finally {
        await server.close();
      }
    },
  );

  rule('SRV-LIMIT-2', 'keepAliveTimeout closes an idle keep-alive connection', async () => {
    const { server, port } = await start(validateAsync(counting), { keepAliveTimeout: 200 });
    try {
      const client = new RawClient(port);
      await client.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      expect((await client.response()).status).toBe(200);
      const t0 = Date.now();
      await client.waitClosed(5000);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      await server.close();
    }
  });

  rule('SRV-LIMIT-2', 'idleTimeout closes a connection on which nothing moves', async () => {
    const stalled: AsyncApp = async (scope) => {
      if (scope.type !== 'http') throw new Error('unsupported');
      await sleep(5000);
    };
    const { server, port } = await start(stalled, { idleTimeout: 200, shutdownTimeout: 100 });
    try {
      const client = new RawClient(port);
      await client.send('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      const t0 = Date.now();
      await client.waitClosed(4000);
      expect(client.closed).toBe(true);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      await server.close();
    }
  });
});
