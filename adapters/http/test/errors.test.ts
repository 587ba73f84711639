/**
 * The "Bad input" list of issue 2 for the HTTP adapter, at the wire: what the client sees when the
 * app fails, and that the server goes on.
 */

import { createLogger } from '@portico/server';
import type { AsyncApp } from '@portico/spec';
import { isPorticoError } from '@portico/spec';
import { afterEach, describe, expect } from 'vitest';
import { rule } from '../../../packages/server/test/rule.js';
import { exchange, header, RawClient, type Running, sleep, start } from './helpers.js';

const GET = 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n';
const ok: AsyncApp = async (_scope, _receive, send) => {
  await send({ type: 'http.response.start', status: 200, headers: [['content-length', '2']] });
  await send({ type: 'http.response.body', body: Buffer.from('ok') });
};

// These apps break the rules on purpose, so they run without the validator: the point is what the
// server itself does.
let running: Running | null = null;
afterEach(async () => {
  await running?.server.close();
  running = null;
});

async function serveApp(app: AsyncApp): Promise<Running> {
  running = await start(async (scope, receive, send) => {
    if (scope.type !== 'http') throw new Error('unsupported');
    if ((scope as { path: string }).path === '/ok') return ok(scope, receive, send);
    return app(scope, receive, send);
  });
  return running;
}

async function stillServing(port: number): Promise<void> {
  const res = await exchange(port, 'GET /ok HTTP/1.1\r\nHost: a\r\n\r\n');
  expect(res.status).toBe(200);
  expect(res.body).toBe('ok');
}

describe('when the app fails (spec/servers.md "Error containment")', () => {
  rule('SRV-ERR-1', 'raises before http.response.start: 500, stack logged, server goes on', async () => {
    const { port, logger } = await serveApp(async () => {
      throw new Error('kaboom in handler');
    });
    const res = await exchange(port, GET);
    expect(res.status).toBe(500);
    expect(res.body).toBe('Internal Server Error\n');
    expect(header(res, 'connection')).toBe('close');
    const logged = logger.records.find((r) => r.level === 'error');
    expect(logged?.fields?.rule).toBe('SRV-ERR-1');
    expect((logged?.fields?.error as Error | undefined)?.stack).toMatch(/kaboom in handler\n\s+at /);
    expect(logged?.fields).toMatchObject({ method: 'GET', path: '/x' });
    await stillServing(port);
  });

  rule(
    'SRV-ERR-1',
    'raises something that cannot be printed: 500, one log line, server goes on',
    async () => {
      const lines: string[] = [];
      const thrown = Object.create(null) as Record<string, unknown>;
      thrown.self = thrown; // no prototype (no toString) and a cycle (no JSON)
      running = await start(
        async (scope, receive, send) => {
          if (scope.type !== 'http') throw new Error('unsupported');
          if ((scope as { path: string }).path === '/ok') return ok(scope, receive, send);
          throw thrown;
        },
        { logger: createLogger('info', { write: (line: string) => lines.push(line) }) },
      );
      const res = await exchange(running.port, GET);
      expect(res.status).toBe(500);
      expect(lines.filter((l) => l.includes('ERROR app raised before the response started'))).toHaveLength(1);
      expect(lines.find((l) => l.includes('ERROR'))).toContain('error="[object Object]"');
      await stillServing(running.port);
    },
  );

  rule('SRV-ERR-2', 'raises after the response started: the connection is closed, logged', async () => {
    const { port, logger } = await serveApp(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: Buffer.from('partial'), moreBody: true });
      throw new Error('midway');
    });
    const client = new RawClient(port);
    await client.send(GET);
    await client.waitClosed();
    expect(client.data).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(client.data).toContain('partial');
    expect(client.data).not.toContain('0\r\n\r\n'); // no last chunk: the client sees it incomplete
    expect(logger.records.some((r) => r.level === 'error' && r.fields?.rule === 'SRV-ERR-2')).toBe(true);
    await stillServing(port);
  });

  rule('SRV-ERR-3', 'returns without responding: 500', async () => {
    const { port, logger } = await serveApp(async () => {});
    const res = await exchange(port, GET);
    expect(res.status).toBe(500);
    expect(logger.records.some((r) => r.fields?.rule === 'SRV-ERR-3')).toBe(true);
    await stillServing(port);
  });

  rule('SRV-ERR-3', 'returns mid-body: the connection is closed without the last chunk', async () => {
    const { port } = await serveApp(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200 });
      await send({ type: 'http.response.body', body: Buffer.from('half'), moreBody: true });
    });
    const client = new RawClient(port);
    await client.send(GET);
    await client.waitClosed();
    expect(client.data).toContain('half');
    expect(client.data).not.toContain('0\r\n\r\n');
  });

  rule('SRV-SEC-1', 'a header value with CR/LF is refused: 500, nothing injected', async () => {
    let rejected: unknown;
    const { port } = await serveApp(async (_s, _r, send) => {
      try {
        await send({
          type: 'http.response.start',
          status: 200,
          headers: [['x-user', 'bob\r\nSet-Cookie: admin=1\r\n\r\n<script>']],
        });
      } catch (err) {
        rejected = err;
        throw err;
      }
    });
    const client = new RawClient(port);
    await client.send(GET);
    await client.waitClosed();
    expect(client.data).toMatch(/^HTTP\/1\.1 500 Internal Server Error\r\n/);
    expect(client.data).not.toMatch(/set-cookie|admin=1|<script>|x-user/i);
    expect(isPorticoError(rejected, 'ERR_BAD_HEADER')).toBe(true);
    await stillServing(port);
  });

  rule('SRV-SEC-1', 'a non-Latin-1 header value that would truncate to CR LF is refused', async () => {
    const { port } = await serveApp(async (_s, _r, send) => {
      // U+010D U+010A: written as latin1 they would become the bytes 0D 0A
      await send({
        type: 'http.response.start',
        status: 200,
        headers: [['x-a', 'a\u010d\u010aInjected: 1']],
      });
    });
    const client = new RawClient(port);
    await client.send(GET);
    await client.waitClosed();
    expect(client.data).toMatch(/^HTTP\/1\.1 500 /);
    expect(client.data).not.toContain('Injected');
  });

  rule('SRV-SEC-1', 'a bad trailer closes the connection instead of being written', async () => {
    const { port } = await serveApp(async (_s, _r, send) => {
      await send({ type: 'http.response.start', status: 200, trailers: true });
      await send({ type: 'http.response.body', body: Buffer.from('x') });
      await send({ type: 'http.response.trailers', headers: [['x-t', 'a\r\nEvil: 1']] });
    });
    const client = new RawClient(port);
    await client.send(GET);
    await client.waitClosed();
    expect(client.data).not.toContain('Evil');
    expect(client.data).not.toContain('0\r\n\r\n');
  });

  rule(
    'SRV-ERR-4',
    'send() after the client left rejects with ERR_CLIENT_DISCONNECTED, not logged as an error',
    async () => {
      let rejected: unknown;
      let resolveDone!: () => void;
      const done = new Promise<void>((r) => {
        resolveDone = r;
      });
      const { port, logger } = await serveApp(async (_s, _r, send) => {
        try {
          await send({ type: 'http.response.start', status: 200 });
          for (;;) {
            await send({ type: 'http.response.body', body: Buffer.alloc(16384, 'z'), moreBody: true });
            await sleep(1);
          }
        } catch (err) {
          rejected = err;
          throw err;
        } finally {
          resolveDone();
        }
      });
      const client = new RawClient(port);
      await client.send(GET);
      await client.until(() => client.data.length > 20000);
      client.close();
      await done;
      expect(isPorticoError(rejected, 'ERR_CLIENT_DISCONNECTED')).toBe(true);
      await sleep(10);
      expect(logger.records.filter((r) => r.level === 'error')).toEqual([]);
      await stillServing(port);
    },
  );

  rule('SRV-ERR-5', 'an out-of-order event is refused and answered with 500', async () => {
    let rejected: unknown;
    const { port } = await serveApp(async (_s, _r, send) => {
      await send({ type: 'http.response.body', body: Buffer.from('no start') }).catch((e: unknown) => {
        rejected = e;
      });
    });
    const res = await exchange(port, GET);
    expect(res.status).toBe(500);
    expect(res.body).not.toContain('no start');
    expect((rejected as { rule?: string }).rule).toBe('SRV-ERR-5');
  });
});
